// Test helper: a fake procfs + cgroupfs in a temp dir, laid out like a
// cgroup v1 host (one hierarchy per controller, cpu and cpuacct
// co-mounted, plus an empty unified hierarchy as on hybrid systems) or a
// cgroup v2 host, for the stats readers and verbs and the cgroup writer
// (CollectorOptions's proc_root = proc_root()).
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/testing/temp_dir.h"

namespace cri_dockerd::testing_util {

class FakeCgroupTree {
 public:
  enum class Mode { kV1, kV2 };

  // What SetUsage writes into a cgroup.
  struct Usage {
    uint64_t cpu_nanos = 0;
    uint64_t memory = 0;
    uint64_t inactive_file = 0;
    uint64_t rss = 0;
    uint64_t pgfault = 0;
    uint64_t pgmajfault = 0;
    std::optional<uint64_t> limit;  // unset: unlimited
    uint64_t pids = 0;
  };

  explicit FakeCgroupTree(Mode mode) : mode_(mode) {
    std::string mountinfo =
        "22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
        "31 22 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755\n";
    if (mode == Mode::kV1) {
      int id = 40;
      for (const char* h :
           {"cpu,cpuacct", "memory", "pids", "name=systemd", "hugetlb"}) {
        const std::string dir = Hierarchy(h);
        absl::StrAppend(&mountinfo, id, " 31 0:", id, " / ", Escape(dir),
                        " rw,nosuid - cgroup cgroup rw,", h, "\n");
        ++id;
      }
      absl::StrAppend(&mountinfo, id, " 31 0:", id, " / ", Escape(Unified()),
                      " rw - cgroup2 cgroup2 rw\n");
    } else {
      absl::StrAppend(&mountinfo, "40 22 0:40 / ", Escape(Unified()),
                      " rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n");
    }
    Put(proc_root() + "/self/mountinfo", mountinfo);
  }

  // Holds a space, as mount points may (escaped as \040 in mountinfo).
  std::string root() const { return dir_.path() + "/sys fs"; }
  std::string proc_root() const { return dir_.path() + "/proc"; }
  std::string Hierarchy(const std::string& name) const {
    return root() + "/" + name;
  }
  std::string Unified() const {
    return root() + (mode_ == Mode::kV1 ? "/unified" : "/v2");
  }

  // Puts process `pid` into cgroup `path` ("/docker/<id>") everywhere.
  void AddProcess(int pid, const std::string& path) {
    std::string text;
    if (mode_ == Mode::kV1) {
      text = absl::StrCat("5:hugetlb:", path, "\n4:name=systemd:", path,
                          "\n3:pids:", path, "\n2:memory:", path,
                          "\n1:cpu,cpuacct:", path, "\n0::", path, "\n");
    } else {
      text = absl::StrCat("0::", path, "\n");
    }
    Put(absl::StrCat(proc_root(), "/", pid, "/cgroup"), text);
  }
  void SetNetDev(int pid, const std::string& text) {
    Put(absl::StrCat(proc_root(), "/", pid, "/net/dev"), text);
  }

  // Writes the usage files of cgroup `path`.
  void SetUsage(const std::string& path, const Usage& u) {
    if (mode_ == Mode::kV1) {
      const std::string cpu = Hierarchy("cpu,cpuacct") + path;
      const std::string mem = Hierarchy("memory") + path;
      Put(cpu + "/cpuacct.usage", absl::StrCat(u.cpu_nanos, "\n"));
      Put(mem + "/memory.usage_in_bytes", absl::StrCat(u.memory, "\n"));
      Put(mem + "/memory.limit_in_bytes",
          absl::StrCat(u.limit.value_or(9223372036854771712ULL), "\n"));
      Put(mem + "/memory.stat",
          absl::StrCat("cache 1\nrss 2\ninactive_file 3\npgfault 4\n",
                       "total_cache 100\ntotal_rss ", u.rss,
                       "\ntotal_inactive_file ", u.inactive_file,
                       "\ntotal_pgfault ", u.pgfault, "\ntotal_pgmajfault ",
                       u.pgmajfault, "\n"));
      Put(Hierarchy("pids") + path + "/pids.current",
          absl::StrCat(u.pids, "\n"));
      // The hybrid unified hierarchy has cpu.stat too: v1 must win.
      Put(Unified() + path + "/cpu.stat", "usage_usec 1\n");
    } else {
      const std::string dir = Unified() + path;
      Put(dir + "/cpu.stat", absl::StrCat("usage_usec ", u.cpu_nanos / 1000,
                                          "\nuser_usec 1\nsystem_usec 2\n"));
      Put(dir + "/memory.current", absl::StrCat(u.memory, "\n"));
      Put(dir + "/memory.max",
          u.limit ? absl::StrCat(*u.limit, "\n") : std::string("max\n"));
      Put(dir + "/memory.stat",
          absl::StrCat("anon ", u.rss, "\nfile 100\ninactive_file ",
                       u.inactive_file, "\nactive_file 7\npgfault ", u.pgfault,
                       "\npgmajfault ", u.pgmajfault, "\n"));
      Put(dir + "/pids.current", absl::StrCat(u.pids, "\n"));
    }
  }

  static void Put(const std::string& path, const std::string& text) {
    std::filesystem::create_directories(
        std::filesystem::path(path).parent_path());
    std::ofstream(path) << text;
  }

 private:
  static std::string Escape(const std::string& path) {
    std::string out;
    for (char c : path) {
      if (c == ' ') {
        out += "\\040";
      } else {
        out += c;
      }
    }
    return out;
  }

  const Mode mode_;
  TempDir dir_;
};

}  // namespace cri_dockerd::testing_util
