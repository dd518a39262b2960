// A test-only hook at named steps of the verbs that change state, so the
// fault tests can end the daemon at a chosen step (as a crash or an
// OOM kill would) and check what a restarted daemon cleans up. Off unless
// main built it from CRI_DOCKERD_CRASH_AT; library code only reports the
// steps it reaches and never ends the process itself.
#pragma once

#include <functional>
#include <utility>

#include "absl/strings/string_view.h"

namespace cri_dockerd {

// The steps, named <CRI verb>.<step>.
namespace fault_step {
// RunPodSandbox: the infra container exists (created, not started), no
// checkpoint yet.
inline constexpr char kRunAfterCreate[] = "RunPodSandbox.after_create";
// ... and its checkpoint is written.
inline constexpr char kRunAfterCheckpoint[] = "RunPodSandbox.after_checkpoint";
// ... and the infra container runs; no CNI ADD yet.
inline constexpr char kRunAfterStart[] = "RunPodSandbox.after_start";
// Inside the CNI ADD: the first plugin of the chain has attached the pod
// (an address is allocated, the veth made), the others have not run and
// nothing is cached.
inline constexpr char kRunMidCniAdd[] = "RunPodSandbox.mid_cni_add";
// The CNI ADD finished and its result is cached; the reply is not sent.
inline constexpr char kRunAfterCniAdd[] = "RunPodSandbox.after_cni_add";
// CreateContainer: docker created the container; the reply is not sent.
inline constexpr char kCreateAfterDockerCreate[] =
    "CreateContainer.after_docker_create";
// StartContainer: docker started the container; its output is not being
// copied into the CRI log file yet (the log file may not exist).
inline constexpr char kStartAfterDockerStart[] =
    "StartContainer.after_docker_start";
// ... and the copy into the CRI log file runs; the reply is not sent.
inline constexpr char kStartAfterLogAttach[] =
    "StartContainer.after_log_attach";
}  // namespace fault_step

// Every step above, for validating a configured name.
inline constexpr const char* kFaultSteps[] = {
    fault_step::kRunAfterCreate,        fault_step::kRunAfterCheckpoint,
    fault_step::kRunAfterStart,         fault_step::kRunMidCniAdd,
    fault_step::kRunAfterCniAdd,        fault_step::kCreateAfterDockerCreate,
    fault_step::kStartAfterDockerStart, fault_step::kStartAfterLogAttach,
};

// Copyable; a default-constructed FaultPoint does nothing.
class FaultPoint {
 public:
  // Called with each step reached; it may end the process.
  using Action = std::function<void(absl::string_view step)>;

  FaultPoint() = default;
  explicit FaultPoint(Action action) : action_(std::move(action)) {}

  // Reports that `step` (one of fault_step) was reached.
  void Reached(absl::string_view step) const {
    if (action_) action_(step);
  }

 private:
  Action action_;
};

}  // namespace cri_dockerd
