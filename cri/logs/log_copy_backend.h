// The small interface behind ContainerLogManager: something that copies
// containers' output into their CRI log files. Two implement it: the
// JsonLogTailer (docker's json-file logs read from this machine's disk,
// one thread for all containers) and the MuxFollowBackend (docker's log
// streams, all followed on one docker::LogStreamMux, for engines whose
// files are elsewhere).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "cri/logs/log_file.h"
#include "cri/logs/log_resume.h"

namespace cri_dockerd::logs {

struct CopyRequest {
  std::string id;
  bool tty = false;  // Config.Tty
  std::unique_ptr<LogFile> file;
  ResumeTracker resume;  // what `file` already holds
  // Docker's LogPath ("" when unknown); what a tailer reads.
  std::string docker_log_path;
  // False: the container has stopped; copy what is left, then end.
  bool running = true;
};

// Implementations are thread-safe.
class LogCopyBackend {
 public:
  virtual ~LogCopyBackend() = default;
  // Starts copying; AlreadyExists if a copy of req.id runs.
  virtual absl::Status Start(CopyRequest req) = 0;
  // LogFile::Reopen of the copy's file; NotFound if no copy runs.
  virtual absl::Status Reopen(const std::string& id) = 0;
  // Ends the copy now, if any; no write happens after it returns.
  virtual void Stop(const std::string& id) = 0;
  // The CRI log path of the copy that runs; nullopt if none.
  virtual std::optional<std::string> CopyPath(const std::string& id) const = 0;
  // Waits until no copy of `id` runs, or `deadline`; true if none runs.
  virtual bool AwaitCopyEnd(const std::string& id, absl::Time deadline) = 0;
  // Docker says the container stopped: end the copy once all of its
  // output is copied. A backend that learns this itself may ignore it.
  virtual void ContainerStopped(const std::string& id) = 0;
};

}  // namespace cri_dockerd::logs
