#include "common/metrics/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace cri_dockerd::metrics {
namespace {

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path);
  if (!in) return false;
  std::stringstream buf;
  buf << in.rdbuf();
  *out = buf.str();
  return true;
}

// Boot time in seconds since the epoch ("btime" in /proc/stat).
bool BootTime(const std::string& proc_root, double* out) {
  std::string stat;
  if (!ReadFile(proc_root + "/stat", &stat)) return false;
  for (absl::string_view line : absl::StrSplit(stat, '\n')) {
    if (absl::ConsumePrefix(&line, "btime ")) {
      return absl::SimpleAtod(absl::StripAsciiWhitespace(line), out);
    }
  }
  return false;
}

int CountFds(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return -1;
  int n = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(d);
  return n - 1;  // the descriptor opendir itself holds
}

}  // namespace

std::vector<Sample> ReadProcessMetrics(const std::string& proc_root) {
  using Type = Sample::Type;
  std::vector<Sample> out;
  const std::string self = proc_root + "/self";
  std::string stat;
  if (ReadFile(self + "/stat", &stat)) {
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses,
    // so fields are counted from the last ')'.
    const size_t close = stat.rfind(')');
    if (close != std::string::npos) {
      std::vector<absl::string_view> f = absl::StrSplit(
          absl::string_view(stat).substr(close + 2), ' ', absl::SkipEmpty());
      // f[0] is field 3 (state): field N is f[N - 3].
      auto field = [&](int n, double* v) {
        return static_cast<size_t>(n - 3) < f.size() &&
               absl::SimpleAtod(f[n - 3], v);
      };
      const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
      const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
      double utime, stime, threads, start, vsize, rss, btime;
      if (field(14, &utime) && field(15, &stime)) {
        out.push_back({"process_cpu_seconds_total",
                       "Total user and system CPU time spent in seconds.",
                       Type::kCounter, (utime + stime) / ticks});
      }
      if (field(23, &vsize)) {
        out.push_back({"process_virtual_memory_bytes",
                       "Virtual memory size in bytes.", Type::kGauge, vsize});
      }
      if (field(24, &rss)) {
        out.push_back({"process_resident_memory_bytes",
                       "Resident memory size in bytes.", Type::kGauge,
                       rss * page});
      }
      if (field(22, &start) && BootTime(proc_root, &btime)) {
        out.push_back({"process_start_time_seconds",
                       "Start time of the process since unix epoch in "
                       "seconds.",
                       Type::kGauge, btime + start / ticks});
      }
      if (field(20, &threads)) {
        out.push_back({"process_threads", "Number of OS threads in use.",
                       Type::kGauge, threads});
      }
    }
  }
  if (int fds = CountFds(self + "/fd"); fds >= 0) {
    out.push_back({"process_open_fds", "Number of open file descriptors.",
                   Type::kGauge, static_cast<double>(fds)});
  }
  rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 &&
      limit.rlim_cur != RLIM_INFINITY) {
    out.push_back({"process_max_fds",
                   "Maximum number of open file descriptors.", Type::kGauge,
                   static_cast<double>(limit.rlim_cur)});
  }
  return out;
}

}  // namespace cri_dockerd::metrics
