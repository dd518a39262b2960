#include "cri/logs/log_copier.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "cri/logs/cri_log_format.h"

namespace cri_dockerd::logs {
namespace {

// Failed follows in a row after which an exited container's copy ends.
constexpr int kFailuresBeforeGivingUp = 5;

}  // namespace

LogCopier::LogCopier(docker::DockerClient* docker, std::string container_id,
                     bool tty, std::unique_ptr<LogFile> file,
                     ResumeTracker resume, CopierOptions options)
    : docker_(docker),
      id_(std::move(container_id)),
      tty_(tty),
      options_(options),
      file_(std::move(file)),
      resume_(std::move(resume)) {}

LogCopier::~LogCopier() { Stop(); }

void LogCopier::Start() {
  thread_ = std::thread([this] { Run(); });
}

void LogCopier::RequestStop() {
  absl::MutexLock lock(&mu_);
  stop_ = true;
}

void LogCopier::Stop() {
  RequestStop();
  if (thread_.joinable()) thread_.join();
}

bool LogCopier::Done() const {
  absl::MutexLock lock(&mu_);
  return done_;
}

bool LogCopier::StopRequested() const {
  absl::MutexLock lock(&mu_);
  return stop_;
}

bool LogCopier::Sleep(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&stop_), d);
  return !stop_;
}

absl::Status LogCopier::Reopen() {
  // Under mu_ so that the copy cannot end (and close the file) meanwhile.
  absl::MutexLock lock(&mu_);
  if (done_) {
    return absl::NotFoundError(absl::StrCat(
        "container ", id_, " is not running: its log copy has ended"));
  }
  return file_->Reopen();
}

void LogCopier::Run() {
  LOG(INFO) << "Copying the output of container " << id_ << " to "
            << log_path();
  absl::Duration backoff = options_.initial_backoff;
  bool warned = false;
  int failures = 0;  // in a row, without progress
  std::string reason = "stopped";
  while (!StopRequested()) {
    bool progressed = false;
    const absl::Time started = absl::Now();
    absl::Status s = FollowOnce(&progressed);
    if (StopRequested()) break;
    if (progressed) {
      backoff = options_.initial_backoff;
      warned = false;
      failures = 0;
    }
    if (absl::IsDeadlineExceeded(s) &&
        absl::Now() - started >= options_.follow_window / 2) {
      continue;  // the follow window ended: follow on from here
    }
    if (s.ok()) {
      s = CheckFinished(&reason);
      if (s.ok()) break;
    } else if (absl::IsNotFound(s)) {
      reason = "the container is gone";
      break;
    } else if (absl::IsFailedPrecondition(s)) {
      LOG(ERROR) << "Cannot copy the output of container " << id_ << ": " << s;
      reason = "its logging driver cannot be read";
      break;
    } else if (++failures >= kFailuresBeforeGivingUp &&
               CheckFinished(&reason).ok()) {
      // The stream keeps failing and there is no container output to
      // wait for any more.
      LOG(WARNING) << "Giving up on the output of container " << id_ << ": "
                   << s;
      break;
    }
    if (!warned && !absl::IsAborted(s)) {
      LOG(WARNING) << "Following the output of container " << id_ << ": " << s
                   << "; following again in " << absl::FormatDuration(backoff);
      warned = true;
    } else {
      LOG(DEBUG) << "Following the output of container " << id_ << ": " << s;
    }
    if (!Sleep(backoff)) break;
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
  {
    absl::MutexLock lock(&mu_);
    done_ = true;
  }
  file_->Close();
  if (dropped_ > 0) {
    LOG(WARNING) << "Container " << id_ << ": " << dropped_
                 << " log lines could not be written to " << log_path();
  }
  LOG(INFO) << "Stopped copying the output of container " << id_ << ": "
            << reason;
}

absl::Status LogCopier::FollowOnce(bool* progressed) {
  ReplayFilter filter(resume_);
  docker::LogStreamOptions options;
  options.id = id_;
  options.since = resume_.Since();
  options.tty = tty_;
  options.on_entry = [&](const docker::LogEntry& entry) {
    if (filter.Skip(entry.timestamp)) return;
    WriteEntry(entry);
    *progressed = true;
  };
  options.check = [this] {
    return StopRequested() ? absl::CancelledError("log copy stopped")
                           : absl::OkStatus();
  };
  return docker_->FollowContainerLogs(options,
                                      absl::Now() + options_.follow_window);
}

// Docker closes the stream when the container's logger closes, which it
// does just before marking the container stopped: an inspect right then
// may still say running. Following again settles it (Aborted: quietly).
absl::Status LogCopier::CheckFinished(std::string* reason) {
  absl::StatusOr<docker::ContainerInspect> c =
      docker_->InspectContainer(id_, absl::Now() + options_.inspect_timeout);
  if (absl::IsNotFound(c.status())) {
    *reason = "the container is gone";
    return absl::OkStatus();
  }
  if (!c.ok()) return c.status();
  if (!c->state.running) {
    *reason = "the container exited";
    return absl::OkStatus();
  }
  return absl::AbortedError("the log stream ended, the container runs");
}

void LogCopier::WriteEntry(const docker::LogEntry& entry) {
  line_.clear();
  AppendCriLogLines(entry, &line_);
  resume_.Record(entry.timestamp);
  if (absl::Status s = file_->Write(line_); !s.ok()) {
    if (!write_failing_) {
      LOG(WARNING) << "Container " << id_ << ": " << s
                   << "; dropping its output until writes work again";
    }
    write_failing_ = true;
    ++dropped_;
  } else if (write_failing_) {
    LOG(INFO) << "Container " << id_ << ": writing " << log_path()
              << " works again";
    write_failing_ = false;
  }
}

}  // namespace cri_dockerd::logs
