// --runtime-cgroups: keeps the container runtime (dockerd and the
// containerd it started) in a named cgroup with a memory limit, as the Go
// cri-dockerd does, re-checking every few minutes because dockerd may be
// restarted. Failures are logged; they never stop the CRI service.
#pragma once

#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace cri_dockerd {

struct RuntimeCgroupSettings {
  std::string cgroup;  // absolute, e.g. "/system.slice/docker-runtime"
  // dockerd's pid file (its --pidfile; docker's default).
  std::string docker_pid_file = "/var/run/docker.pid";
  // unix socket of dockerd; empty for a tcp endpoint.
  std::string docker_socket;
  std::string cgroup_root = "/sys/fs/cgroup";
  std::string proc_root = "/proc";
  absl::Duration period = absl::Minutes(5);
};

// Creates `cgroup` under every hierarchy and sets its memory limit to 70%
// of the machine's memory (at least 150 MiB), as the Go shim does.
absl::Status CreateRuntimeCgroup(const RuntimeCgroupSettings& settings);

// Moves each pid into the cgroup on every hierarchy.
absl::Status MoveIntoCgroup(const RuntimeCgroupSettings& settings,
                            const std::vector<int>& pids);

// dockerd's pid plus the pids of the containerd processes it started.
// dockerd is: the process serving docker's socket, if that is a dockerd
// (the engine this daemon talks to; under socket activation systemd,
// PID 1, holds the socket and is never taken); else the process
// docker's pid file names, if that is a live dockerd (as dockershim
// found it); else every process named dockerd. NotFound, naming what
// was looked at, when there is none.
absl::StatusOr<std::vector<int>> FindRuntimePids(
    const RuntimeCgroupSettings& settings);

class RuntimeCgroupManager {
 public:
  explicit RuntimeCgroupManager(RuntimeCgroupSettings settings);
  ~RuntimeCgroupManager();  // stops the background thread

  // Creates the cgroup and starts re-applying it every `period`.
  absl::Status Start();

 private:
  void Loop();
  void ApplyOnce();

  const RuntimeCgroupSettings settings_;
  std::thread thread_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace cri_dockerd
