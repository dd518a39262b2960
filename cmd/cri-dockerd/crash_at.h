// The daemon's end of the test-only fault hook (cri/base/fault_point.h):
// CRI_DOCKERD_CRASH_AT=<verb>.<step> makes the daemon SIGKILL itself when
// that step is reached, so the fault tests can check what a restarted
// daemon cleans up after a crash there.
#pragma once

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cri/base/fault_point.h"

namespace cri_dockerd {

// The environment variable naming the step.
inline constexpr char kCrashAtEnv[] = "CRI_DOCKERD_CRASH_AT";

// A FaultPoint that kills this process with SIGKILL (no clean-up, no
// destructors, like a crash or the OOM killer) once `step` is reached;
// one that does nothing if `step` is empty. InvalidArgument, listing the
// known steps, if `step` names none of fault_step's.
absl::StatusOr<FaultPoint> CrashAt(absl::string_view step);

}  // namespace cri_dockerd
