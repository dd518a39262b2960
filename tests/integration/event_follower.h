// Test support: a GetContainerEvents stream followed on a thread of its
// own, with what came so far and how the stream ended.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "proto/cri_api_grpc.h"
#include "tests/integration/cri_fixture.h"

namespace cri_dockerd::testing_support {

class EventFollower {
 public:
  using Event = ::runtime::v1::ContainerEventResponse;
  using EventType = ::runtime::v1::ContainerEventType;

  // Opens the stream at once; the shim may subscribe it a little later.
  explicit EventFollower(::runtime::v1::RuntimeService::Stub* runtime);
  ~EventFollower();  // cancels the stream

  // The first event of `type` for `id`, waiting up to `limit`; none if
  // none came by then or the stream ended first.
  std::optional<Event> Await(const std::string& id, EventType type,
                             absl::Duration limit = kPatience);
  // Await, with a test failure naming what never came.
  Event WaitFor(const std::string& id, EventType type,
                absl::Duration limit = kPatience);
  // Every event so far, in arrival order.
  std::vector<Event> Events();
  // How many events of each type came for `id`.
  std::map<EventType, int> Counts(const std::string& id);
  // Whether the stream ended, and how.
  bool Done(grpc::Status* status);
  // The events so far and the stream's end, for failure messages.
  std::string Describe();

 private:
  grpc::ClientContext ctx_;
  absl::Mutex mu_;
  std::vector<Event> events_ ABSL_GUARDED_BY(mu_);
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace cri_dockerd::testing_support
