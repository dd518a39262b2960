#include "cmd/cri-dockerd/sd_daemon.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace cri_dockerd::daemon {
namespace {

void UnsetListenEnv() {
  unsetenv("LISTEN_PID");
  unsetenv("LISTEN_FDS");
  unsetenv("LISTEN_FDNAMES");
}

}  // namespace

absl::StatusOr<int> ListenFds() {
  const char* pid_text = getenv("LISTEN_PID");
  const char* fds_text = getenv("LISTEN_FDS");
  if (pid_text == nullptr || fds_text == nullptr) {
    UnsetListenEnv();
    return 0;
  }
  int64_t pid = 0, fds = 0;
  if (!absl::SimpleAtoi(pid_text, &pid) || pid <= 0) {
    UnsetListenEnv();
    return absl::InvalidArgumentError(
        absl::StrCat("LISTEN_PID \"", pid_text, "\" is not a process ID"));
  }
  if (!absl::SimpleAtoi(fds_text, &fds) || fds < 0 || fds > 1024) {
    UnsetListenEnv();
    return absl::InvalidArgumentError(
        absl::StrCat("LISTEN_FDS \"", fds_text, "\" is not a count of fds"));
  }
  UnsetListenEnv();
  if (pid != getpid()) return 0;  // passed to the process that exec'd us
  for (int fd = kListenFdsStart; fd < kListenFdsStart + fds; ++fd) {
    const int flags = fcntl(fd, F_GETFD);
    if (flags < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "LISTEN_FDS says ", fds, " fds but fd ", fd, " is not open"));
    }
    fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
  }
  return static_cast<int>(fds);
}

bool IsListeningStreamSocket(int fd) {
  int type = 0, listening = 0;
  socklen_t len = sizeof(type);
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
      type != SOCK_STREAM) {
    return false;
  }
  len = sizeof(listening);
  return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 &&
         listening != 0;
}

bool Notify(absl::string_view state) {
  const char* path = getenv("NOTIFY_SOCKET");
  if (path == nullptr || path[0] == '\0') return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const size_t n = strlen(path);
  if ((path[0] != '/' && path[0] != '@') || n >= sizeof(addr.sun_path)) {
    return false;
  }
  memcpy(addr.sun_path, path, n);
  if (path[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const socklen_t addr_len =
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + n);
  const ssize_t sent =
      sendto(fd, state.data(), state.size(), MSG_NOSIGNAL | MSG_DONTWAIT,
             reinterpret_cast<const sockaddr*>(&addr), addr_len);
  close(fd);
  return sent == static_cast<ssize_t>(state.size());
}

}  // namespace cri_dockerd::daemon
