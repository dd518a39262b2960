#include "tests/integration/cgroup_files.h"

#include <dirent.h>
#include <unistd.h>

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/integration/daemon_process.h"
#include "tests/poll_until.h"

namespace cri_dockerd::testing_support {
namespace {

constexpr char kCgroupRoot[] = "/sys/fs/cgroup";

// A number from a cgroup file, or from a "key value" line of one.
uint64_t ReadNumber(const std::string& path, const std::string& key = "") {
  const std::string text = ReadFile(path);
  uint64_t v = 0;
  if (key.empty()) {
    EXPECT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &v))
        << path << ": " << text;
    return v;
  }
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ');
    if (f.size() == 2 && f[0] == key && absl::SimpleAtoi(f[1], &v)) return v;
  }
  ADD_FAILURE() << "no " << key << " in " << path;
  return 0;
}

}  // namespace

bool IsCgroupV2() {
  return access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0;
}

CgroupUsage ReadCgroupUsage(const std::string& path) {
  CgroupUsage r;
  uint64_t usage = 0, inactive = 0;
  if (IsCgroupV2()) {
    const std::string dir = kCgroupRoot + path;
    r.cpu_nanos = ReadNumber(dir + "/cpu.stat", "usage_usec") * 1000;
    usage = ReadNumber(dir + "/memory.current");
    inactive = ReadNumber(dir + "/memory.stat", "inactive_file");
  } else {
    r.cpu_nanos = ReadNumber(
        absl::StrCat(kCgroupRoot, "/cpuacct", path, "/cpuacct.usage"));
    const std::string mem = absl::StrCat(kCgroupRoot, "/memory", path);
    usage = ReadNumber(mem + "/memory.usage_in_bytes");
    inactive = ReadNumber(mem + "/memory.stat", "total_inactive_file");
  }
  r.working_set = usage > inactive ? usage - inactive : 0;
  return r;
}

bool WaitForCpu(const std::string& path, uint64_t nanos) {
  return testing_util::PollUntil(
      [&] { return ReadCgroupUsage(path).cpu_nanos >= nanos; },
      absl::Seconds(60));
}

void RemoveCgroupParent(const std::string& parent) {
  rmdir((kCgroupRoot + parent).c_str());
  if (DIR* d = opendir(kCgroupRoot)) {
    while (dirent* e = readdir(d)) {
      rmdir(absl::StrCat(kCgroupRoot, "/", e->d_name, parent).c_str());
    }
    closedir(d);
  }
}

}  // namespace cri_dockerd::testing_support
