#include "cmd/cri-dockerd/grpc_server.h"

#include <errno.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "common/thread.h"
#include "grpcpp/server_posix.h"

namespace cri_dockerd {
namespace {
// kubelet's client accepts 16 MiB messages; accept as much from it.
constexpr int kMaxMessageBytes = 16 * 1024 * 1024;
}  // namespace

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(
    std::unique_ptr<Listener> listener,
    const std::vector<grpc::Service*>& services) {
  const int wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd < 0) {
    return absl::InternalError(absl::StrCat("eventfd: ", strerror(errno)));
  }
  grpc::ServerBuilder builder;
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  for (grpc::Service* service : services) builder.RegisterService(service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) {
    close(wake_fd);
    return absl::InternalError("cannot start the gRPC server");
  }
  std::unique_ptr<GrpcServer> self(
      new GrpcServer(std::move(listener), std::move(server), wake_fd));
  ASSIGN_OR_RETURN(
      self->accept_thread_,
      StartThread("grpc-accept", [raw = self.get()] { raw->AcceptLoop(); }));
  return self;
}

GrpcServer::GrpcServer(std::unique_ptr<Listener> listener,
                       std::unique_ptr<grpc::Server> server, int wake_fd)
    : listener_(std::move(listener)),
      server_(std::move(server)),
      wake_fd_(wake_fd) {}

GrpcServer::~GrpcServer() {
  Shutdown(absl::ZeroDuration());
  close(wake_fd_);
}

void GrpcServer::AcceptLoop() {
  pollfd fds[2] = {{listener_->fd(), POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      LOG(ERROR) << "poll on the CRI socket failed: " << strerror(errno);
      return;
    }
    if (fds[1].revents != 0) return;
    if (fds[0].revents == 0) continue;
    // Non-blocking: gRPC's event engine expects it (a blocking fd hangs
    // the first call).
    const int conn = accept4(listener_->fd(), nullptr, nullptr,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (conn < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == ECONNABORTED) continue;
      LOG(WARNING) << "accept on the CRI socket failed: " << strerror(errno);
      // Out of descriptors or memory: back off instead of spinning.
      poll(nullptr, 0, 100);
      continue;
    }
    LOG(DEBUG) << "accepted CRI connection fd " << conn;
    grpc::AddInsecureChannelFromFd(server_.get(), conn);
  }
}

void GrpcServer::Shutdown(absl::Duration grace) {
  if (shut_down_) return;
  shut_down_ = true;
  const uint64_t one = 1;
  if (write(wake_fd_, &one, sizeof(one)) < 0) {
    LOG(WARNING) << "cannot wake the accept thread: " << strerror(errno);
  }
  if (accept_thread_.joinable()) accept_thread_.join();
  server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  server_->Wait();
  listener_.reset();
}

}  // namespace cri_dockerd
