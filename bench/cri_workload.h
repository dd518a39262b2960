// The CRI side of the benchmarks: a cri-dockerd child process on a
// temporary socket, one host-network pod with N busybox containers
// sleeping in it, all made through the CRI; torn down (also after a
// failure, best effort) by Teardown() or the destructor.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bench/bench_util.h"
#include "bench/shim_daemon.h"
#include "docker_client/docker_client.h"
#include "proto/cri_api_grpc.h"

namespace cri_dockerd::bench {

class CriWorkload {
 public:
  struct Options {
    std::string binary;         // the cri-dockerd to run
    std::string docker_socket;  // the engine, e.g. /var/run/docker.sock
    std::string image;          // pulled through the CRI, runs `sleep`
    int containers = 100;
  };

  // `stop` is polled between steps; once true, setup fails with Cancelled.
  CriWorkload(Options options, const std::atomic<bool>* stop);
  ~CriWorkload();  // Teardown()
  CriWorkload(const CriWorkload&) = delete;
  CriWorkload& operator=(const CriWorkload&) = delete;

  // Starts the daemon, pulls the image, runs the pod, creates and starts
  // the containers (progress on stderr) and waits until all run.
  absl::Status SetUp();

  // One ListContainerStats for the pod's containers; the number of stats
  // carrying CPU and memory figures.
  absl::StatusOr<int> ListContainerStats();

  // Removes the containers and the pod through the CRI, then anything of
  // the pod docker still has, stops the daemon and removes the temp dir.
  // Idempotent; never fails (problems go to stderr).
  void Teardown();

  pid_t shim_pid() const { return daemon_ ? daemon_->pid() : -1; }
  const std::vector<std::string>& container_ids() const { return ids_; }

 private:
  absl::Status StartDaemon();
  absl::Status PullImage();
  absl::Status RunPod();
  absl::Status StartContainer(int index);
  absl::Status WaitAllRunning(absl::Duration timeout);
  absl::Status Check(const char* what) const;
  void RemoveLeftoversViaDocker();

  const Options options_;
  const std::atomic<bool>* const stop_;
  std::unique_ptr<ScratchDir> dir_;
  std::unique_ptr<ShimDaemon> daemon_;
  std::unique_ptr<docker::DockerClient> docker_;
  runtime::v1::PodSandboxConfig pod_config_;
  std::string pod_id_;
  std::vector<std::string> ids_;
};

}  // namespace cri_dockerd::bench
