#include "tests/integration/event_follower.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace cri_dockerd::testing_support {

namespace v1 = ::runtime::v1;

EventFollower::EventFollower(v1::RuntimeService::Stub* runtime) {
  thread_ = std::thread([this, runtime] {
    auto reader = runtime->GetContainerEvents(&ctx_, v1::GetEventsRequest());
    Event e;
    while (reader->Read(&e)) {
      absl::MutexLock lock(&mu_);
      events_.push_back(e);
    }
    grpc::Status s = reader->Finish();
    absl::MutexLock lock(&mu_);
    status_ = s;
    done_ = true;
  });
}

EventFollower::~EventFollower() {
  ctx_.TryCancel();
  thread_.join();
}

std::optional<EventFollower::Event> EventFollower::Await(const std::string& id,
                                                         EventType type,
                                                         absl::Duration limit) {
  absl::MutexLock lock(&mu_);
  std::optional<Event> found;
  auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (const Event& e : events_) {
      if (e.container_id() == id && e.container_event_type() == type) {
        found = e;
        return true;
      }
    }
    return done_;
  };
  mu_.AwaitWithTimeout(absl::Condition(&ready), limit);
  return found;
}

EventFollower::Event EventFollower::WaitFor(const std::string& id,
                                            EventType type,
                                            absl::Duration limit) {
  std::optional<Event> e = Await(id, type, limit);
  if (!e.has_value()) {
    ADD_FAILURE() << "no " << v1::ContainerEventType_Name(type) << " for " << id
                  << ": " << Describe();
    return {};
  }
  return *std::move(e);
}

std::vector<EventFollower::Event> EventFollower::Events() {
  absl::MutexLock lock(&mu_);
  return events_;
}

std::map<EventFollower::EventType, int> EventFollower::Counts(
    const std::string& id) {
  absl::MutexLock lock(&mu_);
  std::map<EventType, int> n;
  for (const Event& e : events_) {
    if (e.container_id() == id) ++n[e.container_event_type()];
  }
  return n;
}

bool EventFollower::Done(grpc::Status* status) {
  absl::MutexLock lock(&mu_);
  *status = status_;
  return done_;
}

std::string EventFollower::Describe() {
  absl::MutexLock lock(&mu_);
  std::string out = absl::StrCat(events_.size(), " events");
  for (const Event& e : events_) {
    absl::StrAppend(&out, "\n  ", e.container_id().substr(0, 12), " ",
                    v1::ContainerEventType_Name(e.container_event_type()));
  }
  if (done_) {
    absl::StrAppend(&out, "\n  stream ended: ", status_.error_code(), " ",
                    status_.error_message());
  }
  return out;
}

}  // namespace cri_dockerd::testing_support
