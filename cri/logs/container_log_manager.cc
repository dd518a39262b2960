#include "cri/logs/container_log_manager.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "cri/logs/log_file.h"
#include "cri/logs/log_resume.h"

namespace cri_dockerd::logs {

ContainerLogManager::ContainerLogManager(docker::DockerClient* docker,
                                         CopierOptions options)
    : docker_(docker), options_(options) {}

ContainerLogManager::~ContainerLogManager() {
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
ContainerLogManager::TakeFinishedLocked() {
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

absl::Status ContainerLogManager::Start(const std::string& container_id,
                                        const std::string& log_path, bool tty) {
  if (container_id.empty()) {
    return absl::InvalidArgumentError("container ID must not be empty");
  }
  if (absl::Status s = ValidateLogPath(log_path); !s.ok()) return s;
  // Declared before the lock: ended copies are joined after it is freed.
  std::vector<std::unique_ptr<LogCopier>> finished;
  absl::MutexLock lock(&mu_);
  finished = TakeFinishedLocked();
  if (auto it = copiers_.find(container_id); it != copiers_.end()) {
    if (it->second->log_path() == log_path) return absl::OkStatus();
    return absl::AlreadyExistsError(
        absl::StrCat("the output of container ", container_id,
                     " is already copied to ", it->second->log_path()));
  }
  absl::StatusOr<std::unique_ptr<LogFile>> file = LogFile::Open(log_path);
  if (!file.ok()) return file.status();
  ResumeTracker resume;
  absl::StatusOr<LogFileTail> tail = ReadLogFileTail(log_path);
  if (tail.ok()) {
    if (tail->complete_size < tail->size) {
      LOG(INFO) << "Cutting a torn last line off " << log_path;
      if (absl::Status s = (*file)->Truncate(tail->complete_size); !s.ok()) {
        LOG(WARNING) << s;
      }
    }
    resume = std::move(tail->resume);
  } else {
    LOG(WARNING) << "Reading the end of " << log_path << ": " << tail.status()
                 << "; copying all output again";
  }
  if (resume.empty()) resume = ReadRotatedResumePoint(log_path);
  auto copier =
      std::make_unique<LogCopier>(docker_, container_id, tty, std::move(*file),
                                  std::move(resume), options_);
  copier->Start();
  copiers_.emplace(container_id, std::move(copier));
  return absl::OkStatus();
}

absl::Status ContainerLogManager::Reopen(const std::string& container_id) {
  std::vector<std::unique_ptr<LogCopier>> finished;
  absl::MutexLock lock(&mu_);
  finished = TakeFinishedLocked();
  auto it = copiers_.find(container_id);
  if (it == copiers_.end()) {
    return absl::NotFoundError(
        absl::StrCat("container ", container_id,
                     " is not running: no log copy to reopen its log for"));
  }
  return it->second->Reopen();
}

void ContainerLogManager::Stop(const std::string& container_id) {
  std::unique_ptr<LogCopier> copier;
  {
    absl::MutexLock lock(&mu_);
    auto it = copiers_.find(container_id);
    if (it == copiers_.end()) return;
    copier = std::move(it->second);
    copiers_.erase(it);
  }
  copier->Stop();
}

bool ContainerLogManager::IsCopying(const std::string& container_id) const {
  absl::MutexLock lock(&mu_);
  auto it = copiers_.find(container_id);
  return it != copiers_.end() && !it->second->Done();
}

bool ContainerLogManager::AwaitCopyEnd(const std::string& container_id,
                                       absl::Time deadline) {
  while (IsCopying(container_id)) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

}  // namespace cri_dockerd::logs
