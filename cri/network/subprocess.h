// Runs one short-lived helper program (a CNI plugin) to completion with a
// deadline: stdin fed from a string, stdout and stderr captured, nothing
// inherited but the three pipes, and the child always reaped.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace cri_dockerd::network {

struct SubprocessResult {
  int exit_code = -1;            // valid when term_signal == 0
  int term_signal = 0;           // the signal that ended it, if any
  std::string out;               // stdout (at most 16 MiB kept)
  std::string err;               // stderr (at most 1 MiB kept)
  std::string Describe() const;  // "exit status 1" / "killed by signal 9"
};

// Runs `path` with `argv` and exactly the environment `env` ("K=V"),
// feeding `input` on stdin. The child starts in its own process group with
// default signal dispositions and an empty signal mask; every descriptor
// other than 0-2 is closed in it.
//
// When `deadline` passes, the whole process group is sent SIGKILL, the
// child is reaped and DeadlineExceeded returned. The child is reaped on
// every path, so no zombie is left behind. Output still held open by a
// grandchild after the child exits is read for a short grace period only.
// Errors: NotFound/PermissionDenied when the program cannot be started.
absl::StatusOr<SubprocessResult> RunSubprocess(
    const std::string& path, const std::vector<std::string>& argv,
    const std::vector<std::string>& env, const std::string& input,
    absl::Time deadline);

}  // namespace cri_dockerd::network
