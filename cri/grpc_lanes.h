// Part of the gRPC adapter: the work lanes CRI calls run on. gRPC's
// callback threads only queue a call; a lane's bounded pool of threads
// runs it. Calls are grouped so that a stuck kind cannot starve another:
// Status has its own lane (kubelet's health check must answer while the
// engine hangs), stops (which wait out grace periods) and exec probes
// theirs, and so on. A call that finds its lane's queue full fails with
// RESOURCE_EXHAUSTED; one whose deadline passed while it waited, with
// DEADLINE_EXCEEDED, without running.
#pragma once

#include <array>
#include <memory>

#include "common/work_lane.h"

namespace cri_dockerd {

enum class CallLane {
  kStatus,   // Status
  kControl,  // Version, RuntimeConfig, UpdateRuntimeConfig
  kRead,     // List*, *Status, stats, metrics, image listings
  kEngine,   // pod and container lifecycle, exec/attach URLs, image removal
  kStop,     // StopPodSandbox, StopContainer (grace periods)
  kExec,     // ExecSync (probes)
  kPull,     // PullImage
  kEvents,   // GetContainerEvents (long-lived streams)
};
inline constexpr int kCallLaneCount = 8;

class CallLanes {
 public:
  // `scale` multiplies every lane's thread and queue bounds (tests use
  // small lanes).
  explicit CallLanes(double scale = 1.0);
  WorkLane& Get(CallLane lane) { return *lanes_[static_cast<int>(lane)]; }
  // Threads the lanes hold now.
  size_t workers() const;

 private:
  std::array<std::unique_ptr<WorkLane>, kCallLaneCount> lanes_;
};

}  // namespace cri_dockerd
