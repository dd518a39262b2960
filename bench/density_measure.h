// The density benchmark's measurements on a running DensityWorkload: the
// daemon's CPU over a window, the List/Status and CreateContainer
// latencies beside docker's own requests for the same things, the docker
// requests one relist costs, what the logs take on disk, and whether a
// SIGKILL restart of the daemon loses or repeats log lines.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "bench/density_workload.h"

namespace cri_dockerd::bench {

struct MeasureOptions {
  std::string docker_socket;
  std::string image;
  int calls = 100;                  // timed calls per List/Status figure
  int relists = 20;                 // ListPodSandbox + ListContainers pairs
  int creates = 20;                 // CreateContainer and docker creates
  int restart_containers = 100;     // containers whose logs are checked
  int restart_down_seconds = 5;     // how long the daemon stays dead
  int restart_settle_seconds = 10;  // after the restart, before reading
  int metrics_port = -1;
};

// Wall times of a CRI call and of docker's request for the same thing,
// taken in turns.
struct Series {
  std::vector<double> cri_ms;
  std::vector<double> docker_ms;
  int errors = 0;  // failed calls or requests
};

struct CpuRates {
  double shim_ms_per_s = -1;
  double dockerd_ms_per_s = -1;
};

struct LatencyResults {
  Series list_pods;         // ListPodSandbox  / GET /containers/json?all=1
  Series list_containers;   // ListContainers  / the same
  Series pod_status;        // PodSandboxStatus / GET /containers/{id}/json
  Series container_status;  // ContainerStatus / the same
  Series create;            // CreateContainer / POST /containers/create
  // The mean of the daemon's own POST /containers/create requests during
  // `create`, as its docker transport timed them (its /metrics).
  double create_docker_mean_ms = -1;
  double docker_requests_per_relist = -1;
  int relist_errors = 0;
};

struct LogResults {
  // Disk: all containers, after the restart check.
  uint64_t cri_log_bytes = 0;     // the CRI log files
  uint64_t docker_log_bytes = 0;  // docker's json-file logs, rotated too
  uint64_t output_bytes = 0;      // what the containers printed
  // Restart: the first `checked` containers.
  int checked = 0;
  int behind = 0;  // CRI log short of docker's last value at the end
  int64_t lost = 0;
  int64_t repeated = 0;
  int64_t garbled = 0;
  int errors = 0;  // containers that could not be inspected
};

// CPU of the daemon and of dockerd (pid `dockerd`) over `seconds`.
absl::Status MeasureCpu(DensityWorkload& w, pid_t dockerd, int seconds,
                        const std::atomic<bool>& stop, CpuRates* out);

// The four List/Status series, the relist cost, the create series.
absl::Status MeasureLatencies(const MeasureOptions& o, DensityWorkload& w,
                              LatencyResults* out);

// SIGKILL restart of the daemon with the writers running, then the
// counter check of the CRI logs; then the disk figures of all logs.
absl::Status MeasureLogs(const MeasureOptions& o, DensityWorkload& w,
                         const std::atomic<bool>& stop, LogResults* out);

}  // namespace cri_dockerd::bench
