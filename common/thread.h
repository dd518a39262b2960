// Starting a thread without exceptions. std::thread's constructor throws
// std::system_error when the kernel refuses a thread (RLIMIT_NPROC, a pids
// cgroup's pids.max, memory); thrown outside a gRPC handler that reaches
// std::terminate and takes the whole daemon down. StartThread turns the
// refusal into a status, so that it fails the one request, session or
// connection that wanted the thread, or start-up, and nothing else.
#pragma once

#include <functional>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cri_dockerd {

// Starts `fn` on a new thread named `name` (cut to the kernel's 15
// characters; `ps -T` and `top -H` show it). ResourceExhausted naming
// `name` when no thread can be created; `fn` is then dropped unrun.
absl::StatusOr<std::thread> StartThread(absl::string_view name,
                                        std::function<void()> fn);

}  // namespace cri_dockerd
