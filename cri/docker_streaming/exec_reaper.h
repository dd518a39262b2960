// Kills timed-out execs that docker had not started yet when ExecSync gave
// up waiting for them: docker goes on starting such an exec (a slow runc
// under load can take seconds), and once started its process would run
// with no one to kill it. One thread, alive only while execs are watched;
// each exec is watched for a bounded time. No CRI protos here.
#pragma once

#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cri/docker_streaming/exec_process.h"
#include "docker_client/docker_client.h"

namespace cri_dockerd {

class LateExecReaper {
 public:
  // `docker` must outlive this object. Each exec is watched for `watch_for`
  // at most, inspected every `poll`.
  explicit LateExecReaper(docker::DockerClient* docker,
                          absl::Duration watch_for = absl::Minutes(2),
                          absl::Duration poll = absl::Milliseconds(200));
  ~LateExecReaper();  // stops watching and joins the thread
  LateExecReaper(const LateExecReaper&) = delete;
  LateExecReaper& operator=(const LateExecReaper&) = delete;

  // Watches exec `exec_id` (in container `container_name`, for logs) until
  // docker reports its pid, then kills its processes (KillExecProcesses
  // with `id.container_pid` and `id.created_after`); or until it is gone
  // or has exited, or `watch_for` has passed.
  void Watch(const std::string& exec_id, const std::string& container_name,
             const ExecProcessIdentity& id);

  // Execs watched right now.
  int Watched() const;

 private:
  struct Pending {
    std::string exec_id;
    std::string container_name;
    ExecProcessIdentity id;
    absl::Time give_up;
  };
  void Run();
  // One look at `p`; true when it needs no more watching.
  bool Check(const Pending& p);

  docker::DockerClient* const docker_;
  const absl::Duration watch_for_;
  const absl::Duration poll_;

  mutable absl::Mutex mu_;
  std::vector<Pending> pending_ ABSL_GUARDED_BY(mu_);
  bool running_ ABSL_GUARDED_BY(mu_) = false;  // thread_ is in Run()
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cri_dockerd
