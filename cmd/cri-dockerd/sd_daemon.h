// The two pieces of systemd's daemon protocol the daemon uses, without
// libsystemd: sockets passed by socket activation (LISTEN_PID/LISTEN_FDS)
// and readiness notification (NOTIFY_SOCKET). Both are documented
// interfaces (sd_listen_fds(3), sd_notify(3)).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cri_dockerd::daemon {

// The first fd systemd passes.
inline constexpr int kListenFdsStart = 3;

// How many sockets systemd passed to this process (0: none, or they were
// meant for another process). Marks them close-on-exec and removes
// LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES from the environment.
// InvalidArgument when LISTEN_FDS or LISTEN_PID is malformed.
absl::StatusOr<int> ListenFds();

// True when `fd` is a stream socket in the listening state.
bool IsListeningStreamSocket(int fd);

// Sends `state` ("READY=1", "STOPPING=1") to the service manager at
// $NOTIFY_SOCKET (a path, or "@name" in the abstract namespace). Returns
// false when there is none or the send failed; never blocks.
bool Notify(absl::string_view state);

}  // namespace cri_dockerd::daemon
