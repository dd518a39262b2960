#include "cri/logs/mux_follow_backend.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "common/thread.h"
#include "cri/logs/cri_log_format.h"

namespace cri_dockerd::logs {
namespace {

// Failed follows in a row after which docker is asked whether the
// container still runs: the copy of one that has exited ends then.
constexpr int kFailuresBeforeChecking = 5;
// Bounds reaching dockerd for one follow.
constexpr absl::Duration kConnectTimeout = absl::Seconds(10);

}  // namespace

// One container's copy. `file`, `id` and `tty` are constant. The stream
// fields are used by the worker while it starts a follow and by the mux
// thread while the stream runs, never both at once. The rest is guarded
// by the backend's mu_.
struct MuxFollowBackend::Copy {
  std::string id;
  bool tty = false;
  std::unique_ptr<LogFile> file;
  uint64_t serial = 0;

  // The stream's.
  ResumeTracker resume;
  std::optional<ReplayFilter> filter;  // for the follow that runs
  std::string line;                    // formatting buffer
  bool write_failing = false;
  int64_t dropped = 0;      // entries lost to write errors
  bool progressed = false;  // an entry written in this follow

  // Guarded by mu_.
  bool streaming = false;  // a follow was asked for and has not ended
  docker::LogStreamMux::Handle handle = 0;  // of that follow, once known
  bool worker_busy = false;
  bool stopping = false;  // Stop() runs: only it erases the copy
  bool ended = false;     // the file is closed
  bool warned = false;
  int failures = 0;  // in a row, without progress
  absl::Duration backoff;
  absl::Time follow_started;
};

MuxFollowBackend::MuxFollowBackend(docker::DockerClient* docker,
                                   CopierOptions options)
    : docker_(docker), options_(options) {}

absl::Status MuxFollowBackend::EnsureRunningLocked() {
  if (mux_ != nullptr) return absl::OkStatus();
  absl::StatusOr<std::unique_ptr<docker::LogStreamMux>> mux =
      docker_->NewLogStreamMux();
  if (!mux.ok()) {
    return absl::Status(mux.status().code(),
                        absl::StrCat("cannot follow docker's log streams: ",
                                     mux.status().message()));
  }
  mux_ = std::move(*mux);
  absl::StatusOr<std::thread> worker =
      StartThread("log-follow", [this] { RunWorker(); });
  if (!worker.ok()) {
    mux_.reset();  // the next Start tries again
    return absl::Status(worker.status().code(),
                        absl::StrCat("cannot follow docker's log streams: ",
                                     worker.status().message()));
  }
  worker_ = *std::move(worker);
  return absl::OkStatus();
}

MuxFollowBackend::~MuxFollowBackend() {
  {
    absl::MutexLock lock(&mu_);
    shutting_down_ = true;
    wake_ = true;
  }
  if (worker_.joinable()) worker_.join();
  // Cancels every stream; their ends close the files.
  mux_.reset();
  absl::MutexLock lock(&mu_);
  for (auto& [id, copy] : copies_) {
    if (!copy->ended) EndLocked(*copy, "the shim is stopping");
  }
}

absl::Status MuxFollowBackend::Start(CopyRequest req) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = EnsureRunningLocked(); !s.ok()) return s;
  ReapLocked();
  if (copies_.count(req.id) > 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("the output of container ", req.id, " is already copied"));
  }
  auto copy = std::make_unique<Copy>();
  copy->id = req.id;
  copy->tty = req.tty;
  copy->file = std::move(req.file);
  copy->resume = std::move(req.resume);
  copy->serial = next_serial_++;
  copy->backoff = options_.initial_backoff;
  LOG(INFO) << "Copying the output of container " << copy->id << " to "
            << copy->file->path();
  ScheduleLocked(*copy, Task::kFollow, absl::ZeroDuration());
  copies_.emplace(req.id, std::move(copy));
  return absl::OkStatus();
}

absl::Status MuxFollowBackend::Reopen(const std::string& id) {
  // Under mu_ so that the copy cannot end (and close the file) meanwhile.
  absl::MutexLock lock(&mu_);
  auto it = copies_.find(id);
  if (it == copies_.end() || it->second->ended || it->second->stopping) {
    return absl::NotFoundError(
        absl::StrCat("no log copy runs for container ", id));
  }
  return it->second->file->Reopen();
}

void MuxFollowBackend::Stop(const std::string& id) {
  docker::LogStreamMux::Handle handle = 0;
  {
    absl::MutexLock lock(&mu_);
    auto it = copies_.find(id);
    if (it == copies_.end() || it->second->stopping) return;
    Copy* copy = it->second.get();
    copy->stopping = true;
    // A follow being started gets its handle (or fails) first.
    auto settled = [copy]() { return !copy->worker_busy; };
    mu_.Await(absl::Condition(&settled));
    if (copy->streaming) handle = copy->handle;
  }
  // Returns once the stream's end ran (and ended the copy).
  if (handle != 0) mux_->Cancel(handle);
  std::unique_ptr<Copy> taken;
  absl::MutexLock lock(&mu_);
  auto it = copies_.find(id);
  if (it == copies_.end()) return;
  if (!it->second->ended) EndLocked(*it->second, "stopped");
  taken = std::move(it->second);
  copies_.erase(it);
}

std::optional<std::string> MuxFollowBackend::CopyPath(
    const std::string& id) const {
  absl::MutexLock lock(&mu_);
  auto it = copies_.find(id);
  if (it == copies_.end() || it->second->ended) return std::nullopt;
  return it->second->file->path();
}

bool MuxFollowBackend::AwaitCopyEnd(const std::string& id,
                                    absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  auto ended = [this, &id]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = copies_.find(id);
    return it == copies_.end() || it->second->ended;
  };
  return mu_.AwaitWithDeadline(absl::Condition(&ended), deadline);
}

std::optional<MuxFollowBackend::Job> MuxFollowBackend::NextJob() {
  absl::MutexLock lock(&mu_);
  while (!shutting_down_) {
    auto due = std::min_element(
        jobs_.begin(), jobs_.end(),
        [](const Job& a, const Job& b) { return a.not_before < b.not_before; });
    absl::Time wake_at = absl::InfiniteFuture();
    if (due != jobs_.end()) {
      if (due->not_before <= absl::Now()) {
        Job job = std::move(*due);
        jobs_.erase(due);
        return job;
      }
      wake_at = due->not_before;
    }
    wake_ = false;
    mu_.AwaitWithDeadline(absl::Condition(&wake_), wake_at);
  }
  return std::nullopt;
}

void MuxFollowBackend::RunWorker() {
  while (std::optional<Job> job = NextJob()) {
    Copy* copy = nullptr;
    {
      absl::MutexLock lock(&mu_);
      auto it = copies_.find(job->id);
      if (it == copies_.end() || it->second->serial != job->serial ||
          it->second->ended || it->second->stopping || it->second->streaming) {
        continue;
      }
      copy = it->second.get();
      copy->worker_busy = true;
      if (job->task == Task::kFollow) {
        copy->streaming = true;
        copy->follow_started = absl::Now();
      }
    }
    if (job->task == Task::kFollow) {
      Follow(*copy);
    } else {
      CheckFinished(*copy);
    }
  }
}

void MuxFollowBackend::Follow(Copy& copy) {
  copy.filter.emplace(copy.resume);
  copy.progressed = false;
  docker::LogFollowOptions options;
  options.id = copy.id;
  options.since = copy.resume.Since();
  options.tty = copy.tty;
  options.deadline = absl::Now() + options_.follow_window;
  options.connect_timeout = std::min(kConnectTimeout, options_.follow_window);
  absl::StatusOr<docker::LogStreamMux::Handle> handle = mux_->Follow(
      options,
      [this, &copy](const docker::LogEntry& e) { return OnEntry(copy, e); },
      [this, &copy](absl::Status s) { OnEnd(copy, std::move(s)); });
  absl::MutexLock lock(&mu_);
  copy.worker_busy = false;
  if (handle.ok()) {
    // Unless the stream has ended already (its end saw no handle).
    if (copy.streaming) copy.handle = *handle;
    return;
  }
  copy.streaming = false;
  if (copy.stopping) return;
  if (absl::IsInvalidArgument(handle.status()) ||
      absl::IsCancelled(handle.status())) {
    LOG(ERROR) << "Cannot follow the output of container " << copy.id << ": "
               << handle.status();
    EndLocked(copy, "its log stream cannot be followed");
    return;
  }
  RetryLocked(copy, handle.status());
}

// Docker closes the stream when the container's logger closes, which it
// does just before marking the container stopped: an inspect right then
// may still say running; following again settles it.
void MuxFollowBackend::CheckFinished(Copy& copy) {
  absl::StatusOr<docker::ContainerInspect> c = docker_->InspectContainer(
      copy.id, absl::Now() + options_.inspect_timeout);
  absl::MutexLock lock(&mu_);
  copy.worker_busy = false;
  if (copy.stopping) return;
  if (absl::IsNotFound(c.status())) {
    EndLocked(copy, "the container is gone");
  } else if (!c.ok()) {
    RetryLocked(copy, c.status());
  } else if (!c->state.running) {
    EndLocked(copy, "the container exited");
  } else {
    LOG(DEBUG) << "The log stream of container " << copy.id
               << " ended while it runs; following again";
    ScheduleLocked(copy, Task::kFollow, options_.initial_backoff);
  }
}

docker::LogStreamMux::Flow MuxFollowBackend::OnEntry(
    Copy& copy, const docker::LogEntry& entry) {
  if (copy.filter.has_value() && copy.filter->Skip(entry.timestamp)) {
    return docker::LogStreamMux::Flow::kContinue;
  }
  copy.line.clear();
  AppendCriLogLines(entry, &copy.line);
  copy.resume.Record(entry.timestamp);
  copy.progressed = true;
  if (!copy.file->WriteLogged(copy.id, copy.line, &copy.write_failing)) {
    ++copy.dropped;
  }
  return docker::LogStreamMux::Flow::kContinue;
}

void MuxFollowBackend::OnEnd(Copy& copy, absl::Status status) {
  absl::MutexLock lock(&mu_);
  copy.streaming = false;
  copy.handle = 0;
  if (copy.stopping || shutting_down_) {
    EndLocked(copy, "stopped");
    return;
  }
  if (copy.progressed) {
    copy.backoff = options_.initial_backoff;
    copy.warned = false;
    copy.failures = 0;
  }
  if (absl::IsDeadlineExceeded(status) &&
      absl::Now() - copy.follow_started >= options_.follow_window / 2) {
    // The follow window ended: follow on from here.
    ScheduleLocked(copy, Task::kFollow, absl::ZeroDuration());
  } else if (status.ok()) {
    ScheduleLocked(copy, Task::kCheckFinished, absl::ZeroDuration());
  } else if (absl::IsNotFound(status)) {
    EndLocked(copy, "the container is gone");
  } else if (absl::IsFailedPrecondition(status)) {
    LOG(ERROR) << "Cannot copy the output of container " << copy.id << ": "
               << status;
    EndLocked(copy, "its logging driver cannot be read");
  } else if (absl::IsCancelled(status)) {
    EndLocked(copy, "stopped");
  } else {
    RetryLocked(copy, status);
  }
}

void MuxFollowBackend::RetryLocked(Copy& copy, const absl::Status& why) {
  if (!copy.warned) {
    LOG(WARNING) << "Following the output of container " << copy.id << ": "
                 << why << "; following again in "
                 << absl::FormatDuration(copy.backoff);
    copy.warned = true;
  } else {
    LOG(DEBUG) << "Following the output of container " << copy.id << ": "
               << why;
  }
  // The stream keeps failing: is there still output to wait for?
  const Task next = ++copy.failures >= kFailuresBeforeChecking
                        ? Task::kCheckFinished
                        : Task::kFollow;
  ScheduleLocked(copy, next, copy.backoff);
  copy.backoff = std::min(copy.backoff * 2, options_.max_backoff);
}

void MuxFollowBackend::ScheduleLocked(const Copy& copy, Task task,
                                      absl::Duration after) {
  jobs_.push_back(Job{copy.id, copy.serial, task, absl::Now() + after});
  wake_ = true;
}

void MuxFollowBackend::EndLocked(Copy& copy, const std::string& reason) {
  copy.ended = true;
  copy.file->Close();
  if (copy.dropped > 0) {
    LOG(WARNING) << "Container " << copy.id << ": " << copy.dropped
                 << " log lines could not be written to " << copy.file->path();
  }
  LOG(INFO) << "Stopped copying the output of container " << copy.id << ": "
            << reason;
}

void MuxFollowBackend::ReapLocked() {
  for (auto it = copies_.begin(); it != copies_.end();) {
    const Copy& c = *it->second;
    if (c.ended && !c.stopping && !c.worker_busy && !c.streaming) {
      it = copies_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace cri_dockerd::logs
