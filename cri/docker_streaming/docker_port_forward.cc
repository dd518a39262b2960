// DockerStreamingRuntime::PortForward: connects to localhost:<port> inside
// the pod's network namespace and copies bytes both ways. The socket is
// created by a short-lived thread that entered the namespace
// (network::RunInNetns): a socket keeps the namespace it was made in, so
// no helper process (socat, nsenter) is needed. Host-network pods get a
// socket in the daemon's own namespace. 127.0.0.1 is tried first, then
// ::1.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/io/copy_stream.h"
#include "common/io/socket_stream.h"
#include "common/thread.h"
#include "cri/docker_streaming/docker_streaming_runtime.h"
#include "cri/network/netns_addrs.h"

namespace cri_dockerd {
namespace {

// After one direction ended, how long the other gets to finish.
constexpr absl::Duration kDrain = absl::Seconds(1);

absl::StatusOr<int> ConnectLocalhost(int32_t port) {
  std::string errors;
  for (int family : {AF_INET, AF_INET6}) {
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      absl::StrAppend(&errors, "socket: ", strerror(errno), "; ");
      continue;
    }
    sockaddr_storage ss{};
    socklen_t len;
    if (family == AF_INET) {
      auto* a = reinterpret_cast<sockaddr_in*>(&ss);
      a->sin_family = AF_INET;
      a->sin_port = htons(static_cast<uint16_t>(port));
      a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      len = sizeof(*a);
    } else {
      auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
      a->sin6_family = AF_INET6;
      a->sin6_port = htons(static_cast<uint16_t>(port));
      a->sin6_addr = in6addr_loopback;
      len = sizeof(*a);
    }
    int r;
    do {
      r = connect(fd, reinterpret_cast<sockaddr*>(&ss), len);
    } while (r != 0 && errno == EINTR);
    if (r == 0) return fd;
    absl::StrAppend(&errors, family == AF_INET ? "127.0.0.1" : "[::1]", ":",
                    port, ": ", strerror(errno), "; ");
    close(fd);
  }
  errors.resize(errors.size() - 2);
  return absl::UnavailableError(absl::StrCat("cannot connect: ", errors));
}

}  // namespace

absl::Status DockerStreamingRuntime::PortForward(const std::string& sandbox_id,
                                                 int32_t port,
                                                 io::ByteStream* data) {
  if (port < 1 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("invalid port ", port));
  }
  absl::StatusOr<docker::ContainerInspect> sandbox =
      docker_->InspectContainer(sandbox_id, SetupDeadline());
  if (!sandbox.ok()) return sandbox.status();
  if (!sandbox->state.running || sandbox->state.pid <= 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("pod sandbox ", sandbox_id, " is not running"));
  }
  absl::StatusOr<int> fd = absl::UnknownError("not connected");
  if (sandbox->network_mode == "host") {
    fd = ConnectLocalhost(port);
  } else {
    absl::Status in_ns = network::RunInNetns(
        absl::StrCat("/proc/", sandbox->state.pid, "/ns/net"), [&] {
          fd = ConnectLocalhost(port);
          return absl::OkStatus();
        });
    if (!in_ns.ok()) return in_ns;
  }
  if (!fd.ok()) return fd.status();
  const std::unique_ptr<io::ByteStream> pod = io::MakeSocketStream(
      *fd, "", absl::StrCat("localhost:", port, " in the pod"));

  // Client -> pod on a thread; pod -> client here.
  absl::Notification input_done;
  absl::StatusOr<std::thread> input = StartThread("forward-input", [&] {
    (void)io::CopyStream(*data, *pod);
    input_done.Notify();
  });
  if (!input.ok()) return input.status();
  const io::CopyResult output = io::CopyStream(*pod, *data);
  // The pod side is done: give the client's input a moment to finish,
  // then stop it.
  if (!input_done.WaitForNotificationWithTimeout(kDrain)) data->Reset();
  input->join();
  // Cancelled: the socket was reset here, after the client's side failed.
  if (!output.read.ok() && !absl::IsCancelled(output.read)) return output.read;
  return absl::OkStatus();
}

}  // namespace cri_dockerd
