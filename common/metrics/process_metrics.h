// The standard process_* metrics of Prometheus clients, read from
// /proc/self at scrape time: memory, CPU time, file descriptors, threads
// and start time.
#pragma once

#include <string>
#include <vector>

#include "common/metrics/registry.h"

namespace cri_dockerd::metrics {

// Reads /proc/<proc_dir>/stat, /proc/stat (for the boot time) and
// <proc_dir>/fd. A value that cannot be read is left out, not reported as
// zero. `proc_root` is "/proc" except in tests.
std::vector<Sample> ReadProcessMetrics(const std::string& proc_root = "/proc");

// A Collector for Registry::AddCollector.
inline Collector ProcessCollector() {
  return [] { return ReadProcessMetrics(); };
}

}  // namespace cri_dockerd::metrics
