// Asks docker, on one thread for all containers, whether a container
// whose log docker closed has stopped, and says so. The tailer's
// "docker closed the log" hint comes just before docker marks the
// container stopped, so a check that still sees it running is repeated a
// few times with growing waits. No container is polled otherwise.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "docker_client/docker_client.h"

namespace cri_dockerd::logs {

struct ExitWatchOptions {
  // Inspects per check while the container still runs.
  int attempts = 6;
  // Wait before the second inspect, doubling after each.
  absl::Duration first_retry = absl::Milliseconds(100);
  absl::Duration inspect_timeout = absl::Seconds(5);
};

class ExitWatch {
 public:
  // Called on the watch's thread with the ID of a container that is not
  // running (or gone). `docker` must outlive the watch.
  using Stopped = std::function<void(const std::string& id)>;
  // Starts the watch's thread; ResourceExhausted if it cannot be created.
  static absl::StatusOr<std::unique_ptr<ExitWatch>> Start(
      docker::DockerClient* docker, Stopped on_stopped,
      ExitWatchOptions options = {});
  // Ends the thread (after an inspect under way).
  ~ExitWatch();
  ExitWatch(const ExitWatch&) = delete;
  ExitWatch& operator=(const ExitWatch&) = delete;

  // Checks `id` soon; while it runs, again up to `attempts` inspects in
  // all. A check already queued for `id` is restarted.
  void Check(const std::string& id, int attempts);
  void Check(const std::string& id) { Check(id, options_.attempts); }

 private:
  ExitWatch(docker::DockerClient* docker, Stopped on_stopped,
            ExitWatchOptions options);

  struct Pending {
    absl::Time due = absl::InfinitePast();
    int attempts_left = 0;
    absl::Duration next_wait = absl::ZeroDuration();
  };
  void Run();

  // Constant after construction.
  docker::DockerClient* const docker_;
  const Stopped on_stopped_;
  const ExitWatchOptions options_;

  absl::Mutex mu_;
  std::map<std::string, Pending> pending_ ABSL_GUARDED_BY(mu_);
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;

  std::thread thread_;
};

}  // namespace cri_dockerd::logs
