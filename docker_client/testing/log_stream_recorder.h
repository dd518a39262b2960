// Records what a LogStreamMux hands one stream's callbacks, for tests:
// the entries, every on_end status, and the thread they ran on; an
// optional hook decides each entry's Flow.
#pragma once

#include <functional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "docker_client/log_stream_mux.h"

namespace cri_dockerd::docker {

class LogStreamRecorder {
 public:
  using Flow = LogStreamMux::Flow;

  // Called after each entry is recorded (with how many there are now);
  // its answer is on_entry's. Set before the stream starts.
  std::function<Flow(const LogEntry& entry, size_t count)> on_entry_hook;
  // Called after on_end is recorded. Set before the stream starts.
  std::function<void(const absl::Status& status)> on_end_hook;

  LogStreamMux::EntrySink EntrySink() {
    return [this](const LogEntry& entry) {
      size_t count;
      {
        absl::MutexLock lock(&mu_);
        entries_.push_back(entry);
        count = entries_.size();
        threads_.push_back(std::this_thread::get_id());
        if (!ends_.empty()) entry_after_end_ = true;
      }
      return on_entry_hook ? on_entry_hook(entry, count) : Flow::kContinue;
    };
  }
  LogStreamMux::EndSink EndSink() {
    return [this](absl::Status status) {
      {
        absl::MutexLock lock(&mu_);
        ends_.push_back(status);
        threads_.push_back(std::this_thread::get_id());
      }
      if (on_end_hook) on_end_hook(status);
    };
  }

  std::vector<LogEntry> entries() const {
    absl::MutexLock lock(&mu_);
    return entries_;
  }
  size_t count() const {
    absl::MutexLock lock(&mu_);
    return entries_.size();
  }
  std::vector<absl::Status> ends() const {
    absl::MutexLock lock(&mu_);
    return ends_;
  }
  bool ended() const {
    absl::MutexLock lock(&mu_);
    return !ends_.empty();
  }
  // The first on_end status (Unknown if none yet).
  absl::Status end() const {
    absl::MutexLock lock(&mu_);
    return ends_.empty() ? absl::UnknownError("not ended") : ends_.front();
  }
  // The threads the callbacks ran on, one per call.
  std::vector<std::thread::id> threads() const {
    absl::MutexLock lock(&mu_);
    return threads_;
  }
  // An entry arrived after on_end.
  bool entry_after_end() const {
    absl::MutexLock lock(&mu_);
    return entry_after_end_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<LogEntry> entries_ ABSL_GUARDED_BY(mu_);
  std::vector<absl::Status> ends_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread::id> threads_ ABSL_GUARDED_BY(mu_);
  bool entry_after_end_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace cri_dockerd::docker
