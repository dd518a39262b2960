// When a connection last carried a byte in either direction, for idle
// timeouts: the connection's reader and writers Touch() it on every
// successful read and write (a relaxed atomic store of a monotonic clock,
// cheap next to the system call), and a watcher elsewhere -- on a thread
// of its own that serves many connections -- asks IdleFor() and shuts the
// socket down when it is too long. Shared (std::shared_ptr) between the
// connection objects and the watcher, which may outlive one another.
#pragma once

#include <time.h>

#include <atomic>
#include <cstdint>

#include "absl/time/time.h"

namespace cri_dockerd::io {

class ActivityClock {
 public:
  // Counts as activity now.
  ActivityClock() { Touch(); }

  // Records traffic now. Thread-safe.
  void Touch() { last_ns_.store(NowNs(), std::memory_order_relaxed); }

  // Time since the last Touch(). Thread-safe.
  absl::Duration IdleFor() const {
    return absl::Nanoseconds(NowNs() -
                             last_ns_.load(std::memory_order_relaxed));
  }

 private:
  // CLOCK_MONOTONIC: wall-clock steps must not close or keep sessions.
  static int64_t NowNs() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
  }

  std::atomic<int64_t> last_ns_{0};
};

}  // namespace cri_dockerd::io
