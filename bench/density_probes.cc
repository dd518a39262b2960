#include "bench/density_probes.h"

#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "bench/bench_util.h"

namespace cri_dockerd::bench {
namespace {

// Calls `fn(name)` for each entry of `dir` but "." and ".."; the number of
// such entries, or -1 if `dir` cannot be read.
template <typename Fn>
int ForEachEntry(const std::string& dir, Fn fn) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return -1;
  int n = 0;
  while (dirent* e = readdir(d)) {
    const absl::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    ++n;
    fn(name);
  }
  closedir(d);
  return n;
}

}  // namespace

Footprint ReadFootprint(pid_t pid) {
  Footprint f;
  const std::string proc = absl::StrCat("/proc/", pid);
  f.threads = ForEachEntry(proc + "/task", [](absl::string_view) {});
  int inotify = 0;
  f.fds = ForEachEntry(proc + "/fd", [&](absl::string_view name) {
    char target[PATH_MAX];
    const std::string link = absl::StrCat(proc, "/fd/", name);
    const ssize_t n = readlink(link.c_str(), target, sizeof(target));
    if (n > 0 && absl::string_view(target, n) == "anon_inode:inotify") {
      ++inotify;
    }
  });
  if (f.fds >= 0) f.inotify = inotify;
  for (absl::string_view line :
       absl::StrSplit(ReadWholeFile(proc + "/status"), '\n')) {
    if (!absl::ConsumePrefix(&line, "VmRSS:")) continue;
    line = absl::StripAsciiWhitespace(line);
    int64_t kb = 0;
    if (absl::ConsumeSuffix(&line, " kB") && absl::SimpleAtoi(line, &kb)) {
      f.rss_mb = static_cast<double>(kb) / 1024.0;
    }
  }
  return f;
}

int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

absl::StatusOr<double> SumCounter(absl::string_view text,
                                  absl::string_view family,
                                  absl::string_view labels) {
  double sum = 0;
  int samples = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::ConsumePrefix(&line, family)) continue;
    // "family{labels} value" or "family value"; not "family_other ...".
    if (absl::StartsWith(line, "{")) {
      const size_t close = line.rfind('}');
      if (close == absl::string_view::npos) continue;
      if (!absl::StrContains(line.substr(0, close), labels)) continue;
      line.remove_prefix(close + 1);
    } else if (!labels.empty()) {
      continue;
    }
    if (!absl::StartsWith(line, " ")) continue;
    std::vector<absl::string_view> fields =
        absl::StrSplit(absl::StripAsciiWhitespace(line), ' ');
    double v = 0;
    if (!fields.empty() && absl::SimpleAtod(fields[0], &v)) {
      sum += v;
      ++samples;
    }
  }
  if (samples == 0) {
    return absl::NotFoundError(absl::StrCat("no sample of ", family));
  }
  return sum;
}

absl::StatusOr<double> ScrapeCounterSum(int port, absl::string_view family,
                                        absl::string_view labels) {
  absl::StatusOr<HttpReply> reply =
      LoopbackRequest(port, "GET", "/metrics", absl::Seconds(10));
  if (!reply.ok()) return reply.status();
  if (reply->status != 200) {
    return absl::UnavailableError(
        absl::StrCat("/metrics answered ", reply->status));
  }
  return SumCounter(reply->body, family, labels);
}

}  // namespace cri_dockerd::bench
