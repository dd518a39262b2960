// Concurrent pulls of one image with the same credentials share one docker
// pull, while every caller keeps its own deadline and cancellation.
//
// A pull is merged with one in flight only when the reference and the
// resolved credentials docker would get (every field of RegistryAuth,
// server address included) are equal; the credentials are compared in
// memory and never used as a key or logged. Each distinct pull runs on a
// thread of its own, started by the first caller and gone when the pull
// ends; waiting callers cost no thread. A caller returns at its own
// deadline (DeadlineExceeded) or cancellation (Cancelled) without
// disturbing the pull the others wait for.
//
// The shared pull's bound: it has no deadline of its own; it is abandoned
// when the last caller waiting for it leaves (its `abandoned` token turns
// true and the pull is expected to stop within a poll, i.e. it lasts at
// most until the latest deadline among its callers) or it ends by itself
// (done, failed, or stalled by the caller's progress check). An abandoned
// pull is forgotten at once: a later caller starts a fresh one.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "docker_client/types.h"

namespace cri_dockerd::image {

class PullCoordinator {
 public:
  // Runs the docker pull on the pull's thread. `abandoned` returns true
  // once no caller waits any more (or the coordinator is being destroyed);
  // the pull should then stop soon, returning Cancelled. It must own what
  // it uses: its first caller may be gone while it runs.
  using PullFn =
      std::function<absl::Status(const std::function<bool()>& abandoned)>;

  PullCoordinator();
  // Abandons the pulls still running and waits for their threads.
  ~PullCoordinator();
  PullCoordinator(const PullCoordinator&) = delete;
  PullCoordinator& operator=(const PullCoordinator&) = delete;

  // Joins the pull in flight for `reference` with credentials equal to
  // `auth`, or starts `pull` for them on a new thread, and returns its
  // outcome. Returns DeadlineExceeded once `deadline` passes, or Cancelled
  // once `cancelled` returns true (polled every 100 ms; may be empty),
  // both naming `reference`; the pull goes on while another caller waits
  // for it and is abandoned otherwise.
  absl::Status Pull(const std::string& reference,
                    const docker::RegistryAuth& auth, absl::Time deadline,
                    const std::function<bool()>& cancelled, PullFn pull);

  // Number of distinct pulls callers wait for now (for tests and
  // metrics). Zero once every caller has returned.
  int InFlight() const;

 private:
  struct Flight {
    Flight(std::string reference, docker::RegistryAuth auth)
        : reference(std::move(reference)), auth(std::move(auth)) {}
    const std::string reference;
    const docker::RegistryAuth auth;
    // Read by the pull without the lock.
    std::atomic<bool> abandoned{false};
    // Guarded by State::mu.
    int callers = 0;
    bool done = false;
    absl::Status result;  // once done
  };
  // Shared with the pull threads, so that the last of them may still
  // unlock `mu` while the coordinator is being destroyed.
  struct State {
    absl::Mutex mu;
    // By reference; one entry per distinct set of credentials.
    std::map<std::string, std::vector<std::shared_ptr<Flight>>> flights
        ABSL_GUARDED_BY(mu);
    int threads ABSL_GUARDED_BY(mu) = 0;

    // Forgets `flight` if it is still listed.
    void Remove(const Flight* flight) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  };

  // The body of a pull's thread.
  static void Run(std::shared_ptr<State> state, std::shared_ptr<Flight> flight,
                  PullFn pull);
  // A caller gives up on `flight`; returns how many callers still wait.
  int Leave(Flight* flight) ABSL_EXCLUSIVE_LOCKS_REQUIRED(state_->mu);

  // Constant after construction (the pointer; the State has its own lock).
  const std::shared_ptr<State> state_;
};

}  // namespace cri_dockerd::image
