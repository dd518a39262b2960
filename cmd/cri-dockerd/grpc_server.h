// Serves gRPC on a Listener we own: one thread accepts connections and
// hands each (non-blocking) to a grpc::Server built with no listening
// ports, so unix:// and fd:// share one code path.
#pragma once

#include <memory>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cmd/cri-dockerd/listener.h"
#include "grpcpp/grpcpp.h"

namespace cri_dockerd {

class GrpcServer {
 public:
  // Starts serving `services` (not owned; must outlive the server) on
  // `listener`.
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(
      std::unique_ptr<Listener> listener,
      const std::vector<grpc::Service*>& services);

  ~GrpcServer();
  GrpcServer(const GrpcServer&) = delete;
  GrpcServer& operator=(const GrpcServer&) = delete;

  // Stops accepting connections, lets in-flight calls finish for up to
  // `grace`, cancels the rest, then closes (and removes) the socket.
  // Idempotent.
  void Shutdown(absl::Duration grace);

 private:
  GrpcServer(std::unique_ptr<Listener> listener,
             std::unique_ptr<grpc::Server> server, int wake_fd);
  void AcceptLoop();

  std::unique_ptr<Listener> listener_;
  std::unique_ptr<grpc::Server> server_;
  const int wake_fd_;  // eventfd that ends AcceptLoop
  std::thread accept_thread_;
  bool shut_down_ = false;
};

}  // namespace cri_dockerd
