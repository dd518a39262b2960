#include "cri/logs/stream_follow_backend.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace cri_dockerd::logs {

StreamFollowBackend::StreamFollowBackend(docker::DockerClient* docker,
                                         CopierOptions options)
    : docker_(docker), options_(options) {}

StreamFollowBackend::~StreamFollowBackend() {
  std::map<std::string, std::unique_ptr<LogCopier>> all;
  {
    absl::MutexLock lock(&mu_);
    all.swap(copiers_);
  }
  // Ask all first so that they wind down together.
  for (auto& [id, copier] : all) copier->RequestStop();
  for (auto& [id, copier] : all) copier->Stop();
}

std::vector<std::unique_ptr<LogCopier>>
StreamFollowBackend::TakeFinishedLocked() {
  std::vector<std::unique_ptr<LogCopier>> finished;
  for (auto it = copiers_.begin(); it != copiers_.end();) {
    if (it->second->Done()) {
      finished.push_back(std::move(it->second));
      it = copiers_.erase(it);
    } else {
      ++it;
    }
  }
  return finished;
}

absl::Status StreamFollowBackend::Start(CopyRequest req) {
  // Declared before the lock: ended copies are joined after it is freed.
  std::vector<std::unique_ptr<LogCopier>> finished;
  absl::MutexLock lock(&mu_);
  finished = TakeFinishedLocked();
  if (copiers_.count(req.id) > 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("the output of container ", req.id, " is already copied"));
  }
  auto copier =
      std::make_unique<LogCopier>(docker_, req.id, req.tty, std::move(req.file),
                                  std::move(req.resume), options_);
  copier->Start();
  copiers_.emplace(req.id, std::move(copier));
  return absl::OkStatus();
}

absl::Status StreamFollowBackend::Reopen(const std::string& id) {
  std::vector<std::unique_ptr<LogCopier>> finished;
  absl::MutexLock lock(&mu_);
  finished = TakeFinishedLocked();
  auto it = copiers_.find(id);
  if (it == copiers_.end()) {
    return absl::NotFoundError(
        absl::StrCat("no log copy runs for container ", id));
  }
  return it->second->Reopen();
}

void StreamFollowBackend::Stop(const std::string& id) {
  std::unique_ptr<LogCopier> copier;
  {
    absl::MutexLock lock(&mu_);
    auto it = copiers_.find(id);
    if (it == copiers_.end()) return;
    copier = std::move(it->second);
    copiers_.erase(it);
  }
  copier->Stop();
}

std::optional<std::string> StreamFollowBackend::CopyPath(
    const std::string& id) const {
  absl::MutexLock lock(&mu_);
  auto it = copiers_.find(id);
  if (it == copiers_.end() || it->second->Done()) return std::nullopt;
  return it->second->log_path();
}

bool StreamFollowBackend::AwaitCopyEnd(const std::string& id,
                                       absl::Time deadline) {
  while (CopyPath(id).has_value()) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

}  // namespace cri_dockerd::logs
