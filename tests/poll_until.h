// Waiting in tests for a state another thread or process reaches: poll
// for the state itself with a generous deadline instead of sleeping a
// fixed time and hoping. The deadline only matters when the code under
// test is broken, so it is long enough for a machine several times slower
// than a developer's, with every core busy.
//
//   ASSERT_TRUE(PollUntil([&] { return cache.Get("c1").has_value(); }))
//       << "the refresher never fetched c1";
#pragma once

#include <algorithm>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace cri_dockerd::testing_util {

// How long a test waits for something that should happen promptly.
inline constexpr absl::Duration kPollTimeout = absl::Seconds(30);

// Calls `done` until it returns true (-> true) or `timeout` has passed
// (-> false, after one last call). Sleeps a little between calls.
template <typename F>
bool PollUntil(F done, absl::Duration timeout = kPollTimeout) {
  const absl::Time give_up = absl::Now() + timeout;
  absl::Duration pause = absl::Milliseconds(1);
  for (;;) {
    if (done()) return true;
    if (absl::Now() >= give_up) return done();
    absl::SleepFor(pause);
    pause = std::min(pause * 2, absl::Milliseconds(10));
  }
}

}  // namespace cri_dockerd::testing_util
