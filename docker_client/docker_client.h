// The narrow Docker Engine interface cri/ programs against. Implemented by
// CurlDockerClient (libcurl over the engine socket) and, for unit tests, by
// FakeDockerClient. It grows as CRI verbs need more of the engine.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "docker_client/types.h"

namespace cri_dockerd::docker {

// Every call takes an absolute deadline; past it the call fails with
// DeadlineExceeded and leaves no connection behind. Errors are classified
// by MapDockerError semantics: NotFound, AlreadyExists/FailedPrecondition,
// InvalidArgument, Internal, Unavailable (engine unreachable),
// DeadlineExceeded; docker's own message is kept in the status.
class DockerClient {
 public:
  virtual ~DockerClient() = default;

  // GET /_ping: OK when the engine answers.
  virtual absl::Status Ping(absl::Time deadline) = 0;

  // GET /version
  virtual absl::StatusOr<VersionInfo> Version(absl::Time deadline) = 0;

  // GET /info
  virtual absl::StatusOr<SystemInfo> Info(absl::Time deadline) = 0;
};

}  // namespace cri_dockerd::docker
