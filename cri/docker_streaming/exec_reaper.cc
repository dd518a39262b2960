#include "cri/docker_streaming/exec_reaper.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/thread.h"

namespace cri_dockerd {

LateExecReaper::LateExecReaper(docker::DockerClient* docker,
                               absl::Duration watch_for, absl::Duration poll)
    : docker_(docker), watch_for_(watch_for), poll_(poll) {}

LateExecReaper::~LateExecReaper() {
  std::thread thread;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    thread = std::move(thread_);
  }
  if (thread.joinable()) thread.join();
}

void LateExecReaper::Watch(const std::string& exec_id,
                           const std::string& container_name,
                           const ExecProcessIdentity& id) {
  std::thread finished;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    pending_.push_back({exec_id, container_name, id, absl::Now() + watch_for_});
    if (running_) return;
    // The last thread has left Run() (or none was started): start another
    // and join the old one, which is only returning.
    finished = std::move(thread_);
    absl::StatusOr<std::thread> started =
        StartThread("exec-reaper", [this] { Run(); });
    if (started.ok()) {
      running_ = true;
      thread_ = *std::move(started);
    } else {
      // Nobody will kill this exec once it starts; the next Watch tries
      // again for every exec still pending.
      LOG(WARNING) << "cannot watch exec " << exec_id << " in "
                   << container_name
                   << " to kill it once it starts: " << started.status();
    }
  }
  if (finished.joinable()) finished.join();
}

int LateExecReaper::Watched() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(pending_.size());
}

void LateExecReaper::Run() {
  for (;;) {
    std::vector<Pending> round;
    {
      absl::MutexLock lock(&mu_);
      if (pending_.empty() || stopping_) {
        running_ = false;
        return;
      }
      round.swap(pending_);
    }
    std::vector<Pending> keep;
    for (Pending& p : round) {
      if (!Check(p)) keep.push_back(std::move(p));
    }
    absl::MutexLock lock(&mu_);
    pending_.insert(pending_.end(), std::make_move_iterator(keep.begin()),
                    std::make_move_iterator(keep.end()));
    // Sleeps `poll_`, waking early to stop.
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), poll_);
  }
}

bool LateExecReaper::Check(const Pending& p) {
  absl::StatusOr<docker::ExecInspect> e =
      docker_->InspectExec(p.exec_id, absl::Now() + poll_ * 10);
  if (absl::IsNotFound(e.status())) return true;  // its container is gone
  if (e.ok() && !e->running && e->exit_code.has_value()) return true;
  if (e.ok() && e->pid > 0) {
    ExecProcessIdentity id = p.id;
    id.pid = e->pid;
    absl::StatusOr<int> killed = KillExecProcesses(id);
    if (killed.ok()) {
      LOG(INFO) << "timed-out exec " << p.exec_id << " in container "
                << p.container_name << " started late (pid " << e->pid
                << "): " << *killed << " process(es) killed";
    } else {
      LOG(WARNING) << "cannot kill late-started exec " << p.exec_id << " (pid "
                   << e->pid << ") in container " << p.container_name << ": "
                   << killed.status();
    }
    return true;
  }
  if (absl::Now() >= p.give_up) {
    LOG(WARNING) << "timed-out exec " << p.exec_id << " in container "
                 << p.container_name << " still not started after "
                 << absl::FormatDuration(watch_for_)
                 << (e.ok() ? std::string()
                            : absl::StrCat(" (", e.status().ToString(), ")"))
                 << "; no longer watched";
    return true;
  }
  return false;
}

}  // namespace cri_dockerd
