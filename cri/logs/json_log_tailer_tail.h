// Internal to json_log_tailer*.cc: the state the tailer keeps per
// container.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "cri/logs/docker_log_files.h"
#include "cri/logs/json_log_tailer.h"
#include "cri/logs/log_file.h"
#include "cri/logs/log_resume.h"

namespace cri_dockerd::logs {

struct JsonLogTailer::Tail {
  // Constant after Start.
  std::string id;
  std::string path;  // docker's LogPath
  std::string dir;
  std::string base;  // its file name
  std::shared_ptr<LogFile> file;
  // Guarded by the tailer's mu_: the thread let go of the copy.
  bool released = false;

  // The thread's own.
  ResumeTracker resume;
  std::optional<ReplayFilter> filter;
  bool running = true;
  bool finished = false;
  bool positioned = false;
  FdHandle fd;
  DockerLogFileId in_hand;
  // Creation numbers of the file in hand and of docker's current file
  // (counted from IN_CREATE), to count files rotated away unread.
  int64_t seq = 0;
  int64_t creates = 0;
  // The file in hand is not docker's current one any more; one more
  // read to its end, then on to the next.
  bool rotated = false;
  std::string pending;  // a torn last line
  int wd = -1;
  bool dir_gone = false;
  bool ready = true;
  absl::Time retry_at = absl::InfiniteFuture();
  absl::Duration backoff;
  absl::Time closed_at = absl::InfiniteFuture();
  bool missing_reported = false;
  bool loss_logged = false;
  bool write_failing = false;
  std::string out;  // CRI lines of one read
};

}  // namespace cri_dockerd::logs
