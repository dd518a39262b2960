// The streaming server's runtime on docker: exec and attach over docker's
// hijacked connections (stdin, output, TTY resizes), port-forward by a
// socket created inside the pod's network namespace (no socat, no
// nsenter). No CRI protos here.
#pragma once

#include <cstdint>
#include <string>

#include "cri/streaming/runtime.h"
#include "docker_client/docker_client.h"

namespace cri_dockerd {

class DockerStreamingRuntime : public streaming::StreamingRuntime {
 public:
  // `docker` must outlive this object. `setup_timeout` bounds each docker
  // call that sets a session up (not the session itself).
  explicit DockerStreamingRuntime(
      docker::DockerClient* docker,
      absl::Duration setup_timeout = absl::Minutes(2));

  absl::StatusOr<int> Exec(const streaming::ExecRequest& request,
                           const streaming::StreamIo& io) override;
  absl::Status Attach(const streaming::AttachRequest& request,
                      const streaming::StreamIo& io) override;
  absl::Status PortForward(const std::string& pod_sandbox_id, int32_t port,
                           io::ByteStream* data) override;

 private:
  absl::Time SetupDeadline() const { return absl::Now() + setup_timeout_; }

  docker::DockerClient* const docker_;
  const absl::Duration setup_timeout_;
};

// Copies between a hijacked docker connection and the client's streams
// (io::CopyStream each way: the client's stdin EOF half-closes docker's
// stdin) until docker ends the output, the client goes or a write fails
// (terminal sizes are the caller's). Joins every thread it starts.
absl::Status PumpHijacked(docker::HijackedConn* conn,
                          const streaming::StreamIo& io);

}  // namespace cri_dockerd
