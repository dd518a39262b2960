// The density benchmark's table: each figure beside docker's own figure
// from the same run (where there is one) and the target for a node with
// 300 running containers.
#pragma once

#include <string>

#include "bench/density_measure.h"
#include "bench/density_probes.h"

namespace cri_dockerd::bench {

struct DensityReport {
  // What ran.
  int pods = 0;
  int containers_per_pod = 0;
  int window_seconds = 0;
  std::string docker_version;
  // Figures.
  Footprint shim_empty;  // the daemon before any pod
  Footprint shim;        // the daemon, all containers writing
  Footprint dockerd_before;
  Footprint dockerd_with;  // all containers writing
  CpuRates silent;
  CpuRates writing;
  LatencyResults latency;
  LogResults logs;
};

// Prints the table and notes to stdout; false if some call failed (the
// figures then are not to be trusted).
bool PrintDensityReport(const DensityReport& r);

}  // namespace cri_dockerd::bench
