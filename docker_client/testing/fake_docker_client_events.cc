// FakeDockerClient's event log and GET /events emulation.
#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "docker_client/testing/fake_docker_client.h"

namespace cri_dockerd::docker {
namespace {

constexpr absl::Duration kPollInterval = absl::Milliseconds(5);

bool Contains(const std::vector<std::string>& values, const std::string& v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

// docker's event filters: "type" and "event" values are alternatives;
// every "label" value ("k" or "k=v") must match an attribute.
bool Matches(const EventStreamOptions& options, const Event& e) {
  for (const auto& [key, values] : options.filters) {
    if (values.empty()) continue;
    if (key == "type" && !Contains(values, e.type)) return false;
    if (key == "event" && !Contains(values, e.action)) return false;
    if (key != "label") continue;
    for (const std::string& kv : values) {
      const size_t eq = kv.find('=');
      auto it = e.attributes.find(kv.substr(0, eq));
      if (it == e.attributes.end()) return false;
      if (eq != std::string::npos && it->second != kv.substr(eq + 1)) {
        return false;
      }
    }
  }
  return true;
}

}  // namespace

void FakeDockerClient::LogEventLocked(Event event) {
  if (event.time_nano == 0) event.time_nano = absl::ToUnixNanos(absl::Now());
  // Strictly increasing, as two events of one container never share a
  // stamp in practice.
  event.time_nano = std::max(event.time_nano, last_event_nano_ + 1);
  last_event_nano_ = event.time_nano;
  events_.push_back({++event_seq_, std::move(event)});
}

void FakeDockerClient::LogContainerEventLocked(
    const FakeContainer& c, const std::string& action,
    const std::map<std::string, std::string>& extra) {
  Event e;
  e.type = "container";
  e.action = action;
  e.id = c.id;
  e.attributes = c.labels;
  e.attributes["name"] = c.name;
  e.attributes["image"] = c.config.image;
  for (const auto& [k, v] : extra) e.attributes[k] = v;
  LogEventLocked(std::move(e));
}

void FakeDockerClient::LogImageEventLocked(const std::string& action,
                                           const std::string& actor) {
  Event e;
  e.type = "image";
  e.action = action;
  e.id = actor;
  e.attributes["name"] = actor;
  LogEventLocked(std::move(e));
}

void FakeDockerClient::EmitEvent(Event event) {
  absl::MutexLock lock(&mu_);
  LogEventLocked(std::move(event));
}

void FakeDockerClient::EmitContainerEvent(
    const std::string& id, const std::string& action,
    const std::map<std::string, std::string>& extra) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<std::string> resolved = ResolveContainerLocked(id);
  if (resolved.ok()) {
    LogContainerEventLocked(containers_.at(*resolved), action, extra);
  }
}

void FakeDockerClient::BreakEventStreams(absl::Status status) {
  absl::MutexLock lock(&mu_);
  ++event_break_generation_;
  event_break_status_ = std::move(status);
}

void FakeDockerClient::ClearEventHistory() {
  absl::MutexLock lock(&mu_);
  events_.clear();
}

void FakeDockerClient::HoldEvents(bool hold) {
  absl::MutexLock lock(&mu_);
  events_held_ = hold;
}

std::vector<EventStreamOptions> FakeDockerClient::EventStreamCalls() const {
  absl::MutexLock lock(&mu_);
  return event_stream_calls_;
}

int FakeDockerClient::ActiveEventStreams() const {
  absl::MutexLock lock(&mu_);
  return active_event_streams_;
}

absl::Status FakeDockerClient::StreamEvents(const EventStreamOptions& options,
                                            absl::Time deadline) {
  if (absl::Status s = Enter("StreamEvents", deadline); !s.ok()) return s;
  for (const auto& [key, values] : options.filters) {
    if (key != "type" && key != "event" && key != "label") {
      return absl::InvalidArgumentError(
          absl::StrCat("Invalid filter '", key, "'"));
    }
  }
  const int64_t since_nano = options.since == absl::InfinitePast()
                                 ? INT64_MAX
                                 : absl::ToUnixNanos(options.since);
  int64_t next_seq;
  int64_t generation;
  {
    absl::MutexLock lock(&mu_);
    EventStreamOptions call = options;
    call.on_event = nullptr;
    call.check = nullptr;
    event_stream_calls_.push_back(std::move(call));
    ++active_event_streams_;
    generation = event_break_generation_;
    // Replay from the first logged event at or after `since`.
    next_seq = event_seq_ + 1;
    for (const LoggedEvent& logged : events_) {
      if (logged.event.time_nano >= since_nano) {
        next_seq = logged.seq;
        break;
      }
    }
  }
  absl::Status result;
  for (;;) {
    std::vector<Event> batch;
    bool broken = false;
    {
      absl::MutexLock lock(&mu_);
      for (const LoggedEvent& logged : events_) {
        if (events_held_) break;
        if (logged.seq < next_seq) continue;
        next_seq = logged.seq + 1;
        if (Matches(options, logged.event)) batch.push_back(logged.event);
      }
      if (!events_held_) next_seq = std::max(next_seq, event_seq_ + 1);
      if (event_break_generation_ != generation) {
        broken = true;
        result = event_break_status_;
      }
    }
    for (const Event& e : batch) {
      if (options.on_event) options.on_event(e);
    }
    if (broken) break;
    if (options.check) {
      if (result = options.check(); !result.ok()) break;
    }
    if (absl::Now() >= deadline) {
      result = absl::DeadlineExceededError(
          "fake docker: deadline passed while streaming events");
      break;
    }
    absl::SleepFor(kPollInterval);
  }
  absl::MutexLock lock(&mu_);
  --active_event_streams_;
  return result;
}

}  // namespace cri_dockerd::docker
