// FakeDockerClient's container logs: stored entries, followed like
// docker's GET /containers/{id}/logs?follow=1.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "docker_client/testing/fake_docker_client.h"
#include "docker_client/testing/fake_log_stream_mux.h"

namespace cri_dockerd::docker {
namespace {

constexpr absl::Duration kPollInterval = absl::Milliseconds(5);

}  // namespace

absl::Status FakeDockerClient::FollowContainerLogs(
    const LogStreamOptions& options, absl::Time deadline) {
  if (absl::Status s = Enter("FollowContainerLogs", deadline); !s.ok()) {
    return s;
  }
  std::string id;
  int64_t generation;
  {
    absl::MutexLock lock(&mu_);
    absl::StatusOr<std::string> resolved = ResolveContainerLocked(options.id);
    if (!resolved.ok()) return resolved.status();
    id = *resolved;
    LogStreamOptions call = options;
    call.on_entry = nullptr;
    call.check = nullptr;
    log_follow_calls_.push_back(std::move(call));
    ++active_log_follows_;
    generation = log_break_generation_;
  }
  size_t next = 0;
  absl::Status result;
  for (;;) {
    std::vector<LogEntry> batch;
    bool running = false;
    bool broken = false;
    {
      absl::MutexLock lock(&mu_);
      const std::vector<LogEntry>& all = logs_[id];
      for (; next < all.size(); ++next) {
        if (all[next].timestamp >= options.since) batch.push_back(all[next]);
      }
      auto c = containers_.find(id);
      running = c != containers_.end() && c->second.state.running;
      if (log_break_generation_ != generation) {
        broken = true;
        result = log_break_status_;
      }
    }
    for (const LogEntry& entry : batch) {
      if (options.on_entry) options.on_entry(entry);
    }
    if (broken || !running) break;  // OK: docker ends the stream
    if (options.check) {
      if (result = options.check(); !result.ok()) break;
    }
    if (absl::Now() >= deadline) {
      result = absl::DeadlineExceededError(
          "fake docker: deadline passed while following logs");
      break;
    }
    absl::SleepFor(kPollInterval);
  }
  absl::MutexLock lock(&mu_);
  --active_log_follows_;
  return result;
}

void FakeDockerClient::AppendLogs(const std::string& id,
                                  std::vector<LogEntry> entries) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<std::string> resolved = ResolveContainerLocked(id);
  std::vector<LogEntry>& log = logs_[resolved.ok() ? *resolved : id];
  for (LogEntry& e : entries) log.push_back(std::move(e));
}

void FakeDockerClient::BreakLogStreams(absl::Status status) {
  absl::MutexLock lock(&mu_);
  ++log_break_generation_;
  log_break_status_ = std::move(status);
}

std::vector<LogStreamOptions> FakeDockerClient::LogFollowCalls() const {
  absl::MutexLock lock(&mu_);
  return log_follow_calls_;
}

absl::StatusOr<std::unique_ptr<LogStreamMux>>
FakeDockerClient::NewLogStreamMux() {
  return std::unique_ptr<LogStreamMux>(
      std::make_unique<FakeLogStreamMux>(this));
}

int FakeDockerClient::ActiveLogFollows() const {
  absl::MutexLock lock(&mu_);
  return active_log_follows_;
}

}  // namespace cri_dockerd::docker
