// Settings the CRI services read, filled from the command line by main.
#pragma once

#include <string>

#include "absl/time/time.h"
#include "cri/base/fault_point.h"

namespace cri_dockerd {

struct RuntimeOptions {
  // Image whose namespaces each pod's containers share.
  std::string pod_infra_image = "registry.k8s.io/pause:3.10";
  // Root of the shim's own state (sandbox checkpoints, ...).
  std::string root_directory = "/var/lib/cri-dockerd";
  // Upper bound for a single docker call when the client sets no deadline,
  // and the cap applied to the client's deadline. (--runtime-request-timeout;
  // 0 on the command line means the 2m default.) Also the fresh bound of
  // the clean-up after a failed RunPodSandbox, whose own deadline may be
  // what failed.
  absl::Duration request_timeout = absl::Minutes(2);
  // How long an image pull may go without progress.
  absl::Duration image_pull_progress_deadline = absl::Minutes(1);
  // The kernel can make a bind mount read-only recursively (mount_setattr,
  // Linux 5.12); with Docker Engine 25+ the runtime handlers say so and
  // CreateContainer accepts recursive_read_only mounts. Probed by main.
  bool kernel_recursive_read_only = false;
  // Bound on the liveness ping behind Status, so RuntimeReady turns false
  // promptly when dockerd stops answering, and Status itself answers
  // within a second even while the engine hangs.
  absl::Duration status_ping_timeout = absl::Milliseconds(800);
  // Docker's log of each CRI container: json-file rotated at this size
  // (docker's max-size syntax), this many files kept (at least 2).
  // (--docker-log-max-size, --docker-log-max-file.)
  std::string docker_log_max_size = "10m";
  int docker_log_max_file = 2;
  // Test-only: told of each step of the verbs that change state
  // (fault_step; CRI_DOCKERD_CRASH_AT). Off by default.
  FaultPoint fault_point;
};

}  // namespace cri_dockerd
