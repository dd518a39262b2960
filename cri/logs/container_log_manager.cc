#include "cri/logs/container_log_manager.h"

#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/fs/no_follow.h"
#include "common/logging.h"
#include "cri/logs/log_file.h"
#include "cri/logs/log_resume.h"

namespace cri_dockerd::logs {
namespace {

LogManagerOptions FollowOnly(CopierOptions copier) {
  LogManagerOptions options;
  options.copier = copier;
  return options;
}

// What the CRI file at `log_path` already holds (cutting a torn last
// line off `file`).
ResumeTracker ResumePoint(const std::string& log_path, LogFile& file) {
  ResumeTracker resume;
  absl::StatusOr<LogFileTail> tail = ReadLogFileTail(log_path);
  if (tail.ok()) {
    if (tail->complete_size < tail->size) {
      LOG(INFO) << "Cutting a torn last line off " << log_path;
      if (absl::Status s = file.Truncate(tail->complete_size); !s.ok()) {
        LOG(WARNING) << s;
      }
    }
    resume = std::move(tail->resume);
  } else {
    LOG(WARNING) << "Reading the end of " << log_path << ": " << tail.status()
                 << "; copying all output again";
  }
  if (resume.empty()) resume = ReadRotatedResumePoint(log_path);
  return resume;
}

}  // namespace

ContainerLogManager::ContainerLogManager(docker::DockerClient* docker,
                                         CopierOptions options)
    : ContainerLogManager(docker, FollowOnly(options)) {}

ContainerLogManager::ContainerLogManager(docker::DockerClient* docker,
                                         LogManagerOptions options)
    : docker_(docker),
      options_(std::move(options)),
      follow_(std::make_unique<MuxFollowBackend>(docker, options_.copier)) {
  if (!options_.tail_local_files) return;
  auto tailer =
      JsonLogTailer::Create(options_.tailer, [this](const std::string& id) {
        absl::MutexLock lock(&callback_mu_);
        if (!closing_) exit_watch_->Check(id);
      });
  if (!tailer.ok()) {
    LOG(WARNING) << "Cannot tail docker's log files (" << tailer.status()
                 << "); following each container's log stream instead";
    return;
  }
  auto exit_watch = ExitWatch::Start(
      docker,
      [this](const std::string& id) {
        absl::MutexLock lock(&callback_mu_);
        if (!closing_) tailer_->ContainerStopped(id);
      },
      options_.exit_watch);
  if (!exit_watch.ok()) {
    LOG(WARNING) << "Cannot tail docker's log files (" << exit_watch.status()
                 << "); following each container's log stream instead";
    return;
  }
  exit_watch_ = std::move(*exit_watch);
  // Last: its thread may call back as soon as it exists.
  absl::MutexLock lock(&callback_mu_);
  tailer_ = std::move(*tailer);
}

ContainerLogManager::~ContainerLogManager() {
  {
    absl::MutexLock lock(&callback_mu_);
    closing_ = true;
  }
  tailer_.reset();
  exit_watch_.reset();
  follow_.reset();
}

bool ContainerLogManager::CanTail(const std::string& docker_log_path) const {
  if (tailer_ == nullptr || docker_log_path.empty() ||
      docker_log_path[0] != '/' ||
      !absl::EndsWith(docker_log_path, "-json.log")) {
    return false;
  }
  const std::string dir =
      std::filesystem::path(docker_log_path).parent_path().string();
  // The file itself may be missing for a moment (docker rotating it).
  return access(dir.c_str(), R_OK | X_OK) == 0 &&
         (access(docker_log_path.c_str(), R_OK) == 0 || errno == ENOENT);
}

std::optional<std::string> ContainerLogManager::CopyPath(
    const std::string& id) const {
  if (tailer_ != nullptr) {
    if (auto path = tailer_->CopyPath(id)) return path;
  }
  return follow_->CopyPath(id);
}

absl::Status ContainerLogManager::Start(const std::string& container_id,
                                        const std::string& log_path, bool tty,
                                        DockerLogSource source) {
  if (container_id.empty()) {
    return absl::InvalidArgumentError("container ID must not be empty");
  }
  if (absl::Status s = ValidateLogPath(log_path); !s.ok()) return s;
  absl::MutexLock lock(&start_mu_);
  if (std::optional<std::string> path = CopyPath(container_id)) {
    if (*path == log_path) return absl::OkStatus();
    return absl::AlreadyExistsError(
        absl::StrCat("the output of container ", container_id,
                     " is already copied to ", *path));
  }
  // What the caller saw decides whether the file is made: a container
  // StartContainer just started gets its file even if it has exited by
  // the time docker is asked (`sh -c 'echo hi'` does, within
  // milliseconds), and its copy then ends once the output is copied.
  const bool was_running = source.running;
  if (tailer_ != nullptr && source.log_path.empty()) {
    absl::StatusOr<docker::ContainerInspect> c = docker_->InspectContainer(
        container_id, absl::Now() + options_.copier.inspect_timeout);
    if (!c.ok()) return c.status();
    source.log_path = c->log_path;
    source.running = c->state.running;
  }
  if (!was_running) {
    // Only continue a file kubelet has: one it never had, or removed,
    // stays absent. (The Go shim's symlink there counts: LogFile replaces
    // it. A symlinked directory is the open's error below.)
    if (absl::IsNotFound(fs::StatNoFollow(log_path).status())) {
      return absl::OkStatus();
    }
  }
  absl::StatusOr<std::unique_ptr<LogFile>> file = LogFile::Open(log_path);
  if (!file.ok()) return file.status();
  CopyRequest req;
  req.id = container_id;
  req.tty = tty;
  req.resume = ResumePoint(log_path, **file);
  req.file = std::move(*file);
  req.docker_log_path = source.log_path;
  req.running = source.running;
  if (CanTail(source.log_path)) return tailer_->Start(std::move(req));
  return follow_->Start(std::move(req));
}

absl::Status ContainerLogManager::Reopen(const std::string& container_id) {
  absl::Status s = absl::NotFoundError("");
  if (tailer_ != nullptr) s = tailer_->Reopen(container_id);
  if (absl::IsNotFound(s)) s = follow_->Reopen(container_id);
  if (absl::IsNotFound(s)) {
    return absl::NotFoundError(
        absl::StrCat("container ", container_id,
                     " is not running: no log copy to reopen its log for"));
  }
  return s;
}

void ContainerLogManager::Stop(const std::string& container_id) {
  if (tailer_ != nullptr) tailer_->Stop(container_id);
  follow_->Stop(container_id);
}

bool ContainerLogManager::IsCopying(const std::string& container_id) const {
  return CopyPath(container_id).has_value();
}

bool ContainerLogManager::AwaitCopyEnd(const std::string& container_id,
                                       absl::Time deadline) {
  if (tailer_ != nullptr && tailer_->CopyPath(container_id)) {
    // Callers wait for the copies of containers docker reported stopped:
    // make sure the tailer hears it even if it missed docker's close.
    exit_watch_->Check(container_id, /*attempts=*/1);
    if (!tailer_->AwaitCopyEnd(container_id, deadline)) return false;
  }
  return follow_->AwaitCopyEnd(container_id, deadline);
}

}  // namespace cri_dockerd::logs
