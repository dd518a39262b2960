#include "docker_client/testing/fake_log_stream_mux.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "docker_client/log_follow_request.h"

namespace cri_dockerd::docker {
namespace {

constexpr absl::Duration kPollInterval = absl::Milliseconds(5);

}  // namespace

FakeLogStreamMux::FakeLogStreamMux(FakeDockerClient* docker) : docker_(docker) {
  thread_ = std::thread([this] { Run(); });
}

FakeLogStreamMux::~FakeLogStreamMux() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    wake_ = true;
  }
  thread_.join();
}

bool FakeLogStreamMux::OnMuxThread() const {
  return std::this_thread::get_id() == thread_.get_id();
}

absl::StatusOr<LogStreamMux::Handle> FakeLogStreamMux::Follow(
    const LogFollowOptions& options, EntrySink on_entry, EndSink on_end) {
  if (options.deadline == absl::InfiniteFuture()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "following the logs of container ", options.id, " needs a deadline"));
  }
  if (absl::Status s = MakeLogFollowRequest(options.id, options.since).status();
      !s.ok()) {
    return s;
  }
  auto s = std::make_unique<Stream>();
  s->options = options;
  s->on_entry = std::move(on_entry);
  s->on_end = std::move(on_end);
  s->setup_error = docker_->Enter("LogStreamMux::Follow", options.deadline);
  if (s->setup_error.ok()) {
    absl::MutexLock lock(&docker_->mu_);
    absl::StatusOr<std::string> id =
        docker_->ResolveContainerLocked(options.id);
    if (id.ok()) {
      s->container = *id;
      // Seen by FakeDockerClient::LogFollowCalls and ActiveLogFollows.
      docker_->log_follow_calls_.push_back(
          LogStreamOptions{options.id, options.since, options.tty});
      ++docker_->active_log_follows_;
    } else {
      s->setup_error = id.status();
    }
    s->break_generation = docker_->log_break_generation_;
  }
  absl::MutexLock lock(&mu_);
  if (stopping_) {
    return absl::CancelledError("the log stream follower is shutting down");
  }
  const Handle h = next_handle_++;
  s->handle = h;
  live_.insert(h);
  adds_.push_back(std::move(s));
  calls_.push_back(options);
  wake_ = true;
  return h;
}

void FakeLogStreamMux::Resume(Handle handle) {
  absl::MutexLock lock(&mu_);
  if (!live_.count(handle)) return;
  resumes_.push_back(handle);
  wake_ = true;
}

void FakeLogStreamMux::Cancel(Handle handle) {
  absl::MutexLock lock(&mu_);
  if (!live_.count(handle)) return;
  cancels_.push_back(handle);
  wake_ = true;
  if (OnMuxThread()) {
    if (auto it = streams_.find(handle); it != streams_.end()) {
      it->second->cancelled = true;
    }
    return;
  }
  auto ended = [this, handle]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return live_.count(handle) == 0;
  };
  mu_.Await(absl::Condition(&ended));
}

std::vector<LogFollowOptions> FakeLogStreamMux::FollowCalls() const {
  absl::MutexLock lock(&mu_);
  return calls_;
}

int FakeLogStreamMux::ActiveStreams() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(live_.size());
}

void FakeLogStreamMux::Run() {
  while (TakeRequests()) {
    std::vector<Handle> handles;
    for (const auto& [h, s] : streams_) handles.push_back(h);
    for (Handle h : handles) {
      if (auto it = streams_.find(h); it != streams_.end())
        Advance(*it->second);
    }
    absl::MutexLock lock(&mu_);
    if (streams_.empty()) {
      mu_.Await(absl::Condition(&wake_));
    } else {
      mu_.AwaitWithTimeout(absl::Condition(&wake_), kPollInterval);
    }
    wake_ = false;
  }
}

bool FakeLogStreamMux::TakeRequests() {
  std::vector<std::unique_ptr<Stream>> adds;
  std::vector<Handle> cancels;
  std::vector<Handle> resumes;
  bool stopping;
  {
    absl::MutexLock lock(&mu_);
    adds.swap(adds_);
    cancels.swap(cancels_);
    resumes.swap(resumes_);
    stopping = stopping_;
  }
  for (std::unique_ptr<Stream>& s : adds) {
    const Handle h = s->handle;
    const absl::Status setup = s->setup_error;
    streams_.emplace(h, std::move(s));
    if (!setup.ok()) Finish(h, setup);
  }
  for (Handle h : cancels) {
    Finish(h, absl::CancelledError("fake docker: log stream cancelled"));
  }
  for (Handle h : resumes) {
    if (auto it = streams_.find(h); it != streams_.end()) {
      it->second->paused = false;
    }
  }
  if (!stopping) return true;
  while (!streams_.empty()) {
    Finish(streams_.begin()->first,
           absl::CancelledError("fake docker: log stream follower destroyed"));
  }
  return false;
}

void FakeLogStreamMux::Advance(Stream& s) {
  const Handle h = s.handle;
  // One entry at a time, the lock released around the callback, so that
  // a pause or cancel takes effect at the very next entry.
  while (!s.paused && !s.cancelled) {
    if (absl::Now() >= s.options.deadline) {
      Finish(h, absl::DeadlineExceededError(
                    "fake docker: deadline passed while following logs"));
      return;
    }
    LogEntry entry;
    bool have = false;
    bool running = false;
    bool broken = false;
    absl::Status broken_status;
    {
      absl::MutexLock lock(&docker_->mu_);
      const std::vector<LogEntry>& all = docker_->logs_[s.container];
      while (s.next < all.size() && !have) {
        if (all[s.next].timestamp >= s.options.since) {
          entry = all[s.next];
          have = true;
        }
        ++s.next;
      }
      auto c = docker_->containers_.find(s.container);
      running = c != docker_->containers_.end() && c->second.state.running;
      if (docker_->log_break_generation_ != s.break_generation) {
        broken = true;
        broken_status = docker_->log_break_status_;
      }
    }
    if (!have) {
      if (broken) {
        Finish(h, broken_status);
      } else if (!running) {
        Finish(h, absl::OkStatus());  // docker ends the stream
      }
      return;
    }
    if (s.on_entry && s.on_entry(entry) == Flow::kPause) s.paused = true;
  }
  if (absl::Now() >= s.options.deadline) {
    Finish(h, absl::DeadlineExceededError(
                  "fake docker: deadline passed while following logs"));
  }
}

void FakeLogStreamMux::Finish(Handle h, absl::Status status) {
  auto it = streams_.find(h);
  if (it == streams_.end()) return;
  std::unique_ptr<Stream> s = std::move(it->second);
  streams_.erase(it);
  if (s->setup_error.ok()) {
    absl::MutexLock lock(&docker_->mu_);
    --docker_->active_log_follows_;
  }
  if (s->on_end) s->on_end(std::move(status));
  absl::MutexLock lock(&mu_);
  live_.erase(h);
}

}  // namespace cri_dockerd::docker
