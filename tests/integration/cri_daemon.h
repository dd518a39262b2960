// Test support shared by the CRI integration tests: a cri-dockerd on a
// scratch socket with clients for both services, image pulls, and pod
// clean-up.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/integration/daemon_process.h"

namespace cri_dockerd::testing_support {

struct CriDaemon {
  std::string socket;  // path of its CRI socket
  std::unique_ptr<DaemonProcess> process;
  std::unique_ptr<runtime::v1::RuntimeService::Stub> runtime;
  std::unique_ptr<runtime::v1::ImageService::Stub> images;
};

// Starts cri-dockerd serving `dir`/cri.sock, with its CNI config and root
// directories under `dir` too, plus `extra` flags; waits until it serves.
absl::StatusOr<CriDaemon> StartCriDaemon(const std::string& dir,
                                         std::vector<std::string> extra = {});

// PullImage through the CRI (2 min bound).
grpc::Status PullImage(runtime::v1::ImageService::Stub* images,
                       const std::string& image);

// StopPodSandbox then RemovePodSandbox; the first error, if any.
grpc::Status StopAndRemovePod(runtime::v1::RuntimeService::Stub* runtime,
                              const std::string& sandbox_id);

}  // namespace cri_dockerd::testing_support
