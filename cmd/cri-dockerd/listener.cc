#include "cmd/cri-dockerd/listener.h"

#include <errno.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cmd/cri-dockerd/sd_daemon.h"
#include "common/logging.h"

namespace cri_dockerd {
namespace {

std::string ErrnoText(int err) { return std::strerror(err); }

absl::Status MakeParents(const std::string& path) {
  for (size_t pos = path.find('/', 1); pos != std::string::npos;
       pos = path.find('/', pos + 1)) {
    const std::string dir = path.substr(0, pos);
    if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot create directory ", dir, ": ", ErrnoText(errno)));
    }
  }
  return absl::OkStatus();
}

bool FillAddress(const std::string& path, sockaddr_un* addr) {
  std::memset(addr, 0, sizeof(*addr));
  addr->sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr->sun_path)) return false;
  std::memcpy(addr->sun_path, path.data(), path.size());
  return true;
}

// A socket file that nobody answers on is left over from a crash: remove
// it. One that answers belongs to a running daemon: refuse to steal it.
absl::Status ClearStaleSocket(const std::string& path,
                              const sockaddr_un& addr) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) {
    return errno == ENOENT ? absl::OkStatus()
                           : absl::FailedPreconditionError(absl::StrCat(
                                 "cannot stat ", path, ": ", ErrnoText(errno)));
  }
  if (!S_ISSOCK(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " exists and is not a socket; not replacing it"));
  }
  const int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (probe < 0) {
    return absl::InternalError(absl::StrCat("socket: ", ErrnoText(errno)));
  }
  const int rc =
      connect(probe, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  const int err = errno;
  close(probe);
  if (rc == 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("another process is already serving ", path,
                     " (is cri-dockerd already running?)"));
  }
  if (err != ECONNREFUSED && err != ENOENT) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot probe existing socket ", path, ": ", ErrnoText(err)));
  }
  LOG(INFO) << "removing stale socket " << path;
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot remove stale socket ", path, ": ", ErrnoText(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Listener>> OpenUnix(const std::string& path,
                                                   std::string endpoint);

}  // namespace

absl::StatusOr<std::unique_ptr<Listener>> Listener::Open(
    absl::string_view endpoint) {
  absl::string_view rest = endpoint;
  if (absl::ConsumePrefix(&rest, "unix://")) {
    if (rest.empty() || rest[0] != '/') {
      return absl::InvalidArgumentError(absl::StrCat(
          "--container-runtime-endpoint \"", endpoint,
          "\": want an absolute path, e.g. unix:///var/run/cri-dockerd.sock"));
    }
    return OpenUnix(std::string(rest), std::string(endpoint));
  }
  if (absl::ConsumePrefix(&rest, "fd://")) {
    absl::StatusOr<int> listened = daemon::ListenFds();
    if (!listened.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("fd://: ", listened.status().message()));
    }
    const int n = *listened;
    if (n == 0) {
      return absl::FailedPreconditionError(
          "--container-runtime-endpoint fd:// needs a socket passed by "
          "systemd socket activation (LISTEN_FDS is not set for this "
          "process)");
    }
    const int fd = daemon::kListenFdsStart;
    for (int extra = fd + 1; extra < daemon::kListenFdsStart + n; ++extra) {
      close(extra);  // only the first socket is served
    }
    if (!daemon::IsListeningStreamSocket(fd)) {
      close(fd);
      return absl::FailedPreconditionError(
          "fd://: the socket passed by systemd is not a listening stream "
          "socket");
    }
    return std::make_unique<Listener>(fd, "", std::string(endpoint));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("--container-runtime-endpoint \"", endpoint,
                   "\": want unix:///path or fd://"));
}

Listener::~Listener() {
  close(fd_);
  if (!path_.empty()) unlink(path_.c_str());
}

namespace {

absl::StatusOr<std::unique_ptr<Listener>> OpenUnix(const std::string& path,
                                                   std::string endpoint) {
  sockaddr_un addr;
  if (!FillAddress(path, &addr)) {
    return absl::InvalidArgumentError(
        absl::StrCat("socket path ", path, " is longer than ",
                     sizeof(addr.sun_path) - 1, " bytes"));
  }
  if (absl::Status s = MakeParents(path); !s.ok()) return s;
  if (absl::Status s = ClearStaleSocket(path, addr); !s.ok()) return s;

  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("socket: ", ErrnoText(errno)));
  }
  absl::Cleanup close_fd = [fd] { close(fd); };
  if (bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot bind ", path, ": ", ErrnoText(errno)));
  }
  absl::Cleanup remove_file = [&path] { unlink(path.c_str()); };
  if (chmod(path.c_str(), 0660) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot chmod ", path, ": ", ErrnoText(errno)));
  }
  if (const group* docker = getgrnam("docker")) {
    if (chown(path.c_str(), static_cast<uid_t>(-1), docker->gr_gid) != 0) {
      LOG(WARNING) << "cannot give " << path
                   << " to group docker: " << ErrnoText(errno);
    }
  }
  if (listen(fd, SOMAXCONN) != 0) {
    return absl::InternalError(
        absl::StrCat("cannot listen on ", path, ": ", ErrnoText(errno)));
  }
  std::move(close_fd).Cancel();
  std::move(remove_file).Cancel();
  return std::make_unique<Listener>(fd, path, std::move(endpoint));
}

}  // namespace
}  // namespace cri_dockerd
