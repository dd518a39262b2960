#include "cri/grpc_lanes.h"

#include <algorithm>
#include <cmath>

namespace cri_dockerd {
namespace {

struct LaneSize {
  const char* name;
  size_t workers;
  size_t queue;
};

// Worst case, every lane full: 66 threads. Under a hung engine only the
// calls that arrive before it is declared unresponsive (~2 s) wait on
// it; later ones fail at once (docker::GuardedDockerClient).
constexpr LaneSize kSizes[kCallLaneCount] = {
    {"status", 2, 64},   {"control", 2, 128}, {"read", 4, 1024},
    {"engine", 8, 1024}, {"stop", 16, 2048},  {"exec", 8, 1024},
    {"pull", 4, 256},    {"events", 16, 4},
};

}  // namespace

CallLanes::CallLanes(double scale) {
  for (int i = 0; i < kCallLaneCount; ++i) {
    WorkLaneOptions o;
    o.name = kSizes[i].name;
    o.max_workers = std::max<size_t>(
        1, static_cast<size_t>(std::lround(kSizes[i].workers * scale)));
    o.max_queue = std::max<size_t>(
        1, static_cast<size_t>(std::lround(kSizes[i].queue * scale)));
    lanes_[i] = std::make_unique<WorkLane>(std::move(o));
  }
}

size_t CallLanes::workers() const {
  size_t n = 0;
  for (const auto& lane : lanes_) n += lane->workers();
  return n;
}

}  // namespace cri_dockerd
