#include "cmd/cri-dockerd/crash_at.h"

#include <signal.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/logging.h"

namespace cri_dockerd {

absl::StatusOr<FaultPoint> CrashAt(absl::string_view step) {
  if (step.empty()) return FaultPoint();
  bool known = false;
  for (const char* s : kFaultSteps) known = known || step == s;
  if (!known) {
    return absl::InvalidArgumentError(
        absl::StrCat(kCrashAtEnv, "=", step, ": no such step; one of ",
                     absl::StrJoin(kFaultSteps, ", ")));
  }
  LOG(WARNING) << kCrashAtEnv << "=" << step
               << ": this daemon kills itself at that step (a test hook)";
  return FaultPoint([target = std::string(step)](absl::string_view reached) {
    if (reached != target) return;
    LOG(WARNING) << kCrashAtEnv << ": reached " << reached
                 << ", killing the daemon";
    kill(getpid(), SIGKILL);
    _exit(137);  // not reached: SIGKILL cannot be caught or blocked
  });
}

}  // namespace cri_dockerd
