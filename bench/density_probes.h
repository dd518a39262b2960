// What the density benchmark reads about processes and the daemon without
// the CRI: a process's threads, open fds, resident memory and inotify
// instances from /proc, a free loopback port for --metrics-bind-addr, and
// the sum of a counter family on the daemon's /metrics.
#pragma once

#include <sys/types.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cri_dockerd::bench {

// One reading of a process; -1 for what could not be read (it is gone).
struct Footprint {
  int threads = -1;    // entries of /proc/<pid>/task
  int fds = -1;        // entries of /proc/<pid>/fd
  double rss_mb = -1;  // VmRSS of /proc/<pid>/status, in MiB
  int inotify = -1;    // fds linking to "anon_inode:inotify"
};
Footprint ReadFootprint(pid_t pid);

// A TCP port on 127.0.0.1 that nothing listened on a moment ago (bound to
// port 0 and released); -1 if no socket could be bound.
int FreeLoopbackPort();

// The sum over all label sets of counter `family` (e.g.
// "cri_dockerd_docker_requests_total") in the Prometheus text that
// 127.0.0.1:`port` serves at /metrics; with `labels`, only over the
// samples whose labels contain it (e.g. `operation="GET /_ping"`).
// NotFound if no sample counts; Unavailable if the endpoint does not
// answer 200.
absl::StatusOr<double> ScrapeCounterSum(int port, absl::string_view family,
                                        absl::string_view labels = "");

// The same over already fetched exposition text (for ScrapeCounterSum).
absl::StatusOr<double> SumCounter(absl::string_view text,
                                  absl::string_view family,
                                  absl::string_view labels = "");

}  // namespace cri_dockerd::bench
