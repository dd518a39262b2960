// The density benchmark's workload: a cri-dockerd child process, N
// host-network pods with M busybox containers each, all made through the
// CRI. Every container prints a counter, one line a second, while the
// gate is open, and nothing while it is closed (a file in a directory
// mounted read-only into every container), so one set of containers
// serves both the writing and the silent measurements. Teardown() (also
// from the destructor, after a failure or Ctrl-C) removes it all.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "bench/bench_util.h"
#include "bench/shim_daemon.h"
#include "docker_client/docker_client.h"
#include "proto/cri_api.h"

namespace cri_dockerd::bench {

class DensityWorkload {
 public:
  struct Options {
    std::string binary;         // the cri-dockerd to run
    std::string docker_socket;  // the engine
    std::string image;          // busybox: sh, sleep, [
    int pods = 60;
    int containers_per_pod = 5;
    int metrics_port = -1;  // --metrics-bind-addr 127.0.0.1:<port> if > 0
    int setup_threads = 4;  // pods set up (and torn down) at once
  };
  struct Container {
    std::string id;
    std::string log_path;  // the CRI log file (absolute)
  };

  // `stop` is polled between steps; once true, calls fail with Cancelled.
  DensityWorkload(Options options, const std::atomic<bool>* stop);
  ~DensityWorkload();  // Teardown()
  DensityWorkload(const DensityWorkload&) = delete;
  DensityWorkload& operator=(const DensityWorkload&) = delete;

  // Makes the scratch directory, starts the daemon and pulls the image.
  absl::Status StartDaemon();
  // Runs the pods and starts their containers with the gate closed
  // (silent); waits until all run. Progress on stderr.
  absl::Status Populate();
  // Opens (every container writes) or closes the gate; containers notice
  // within a second.
  absl::Status SetWriting(bool writing);
  // SIGKILL of the daemon, `down` without it, then a start on the same
  // socket and root directory.
  absl::Status CrashAndRestart(absl::Duration down);
  // Cancelled once `stop` is set; Internal if the daemon is gone.
  absl::Status Check(const char* during);

  // A CreateContainer request for one more container of pod `pod` with
  // the workload's config (labelled with this run), named `name`.
  runtime::v1::CreateContainerRequest CreateRequest(int pod,
                                                    const std::string& name);

  // Removes containers and pods through the CRI (if the daemon runs),
  // then through docker whatever carries this run's label, stops the
  // daemon and deletes the scratch directory. Idempotent; never fails
  // (problems go to stderr).
  void Teardown();

  ShimDaemon& daemon() { return *daemon_; }
  docker::DockerClient& docker() { return *docker_; }
  const std::vector<std::string>& pod_ids() const { return pod_ids_; }
  const std::vector<Container>& containers() const { return containers_; }
  const std::string& run_id() const { return run_id_; }
  int total() const { return options_.pods * options_.containers_per_pod; }

 private:
  runtime::v1::PodSandboxConfig MakePodConfig(int pod) const;
  runtime::v1::ContainerConfig MakeContainerConfig(
      const std::string& name) const;
  absl::Status RunPodWithContainers(int pod);
  absl::Status WaitAllRunning(absl::Duration timeout);
  void RemoveLeftoversViaDocker();

  const Options options_;
  const std::atomic<bool>* const stop_;
  const std::string run_id_;  // the value of the run label
  std::unique_ptr<ScratchDir> dir_;
  std::unique_ptr<ShimDaemon> daemon_;
  std::unique_ptr<docker::DockerClient> docker_;
  // Sized by Populate(); slot i written only by the thread setting up
  // pod i (containers: slots i*M .. i*M+M-1).
  std::vector<std::string> pod_ids_;
  std::vector<Container> containers_;
};

}  // namespace cri_dockerd::bench
