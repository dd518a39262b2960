// JsonLogTailer's reading of one container's docker log: where to start,
// reading in bounded turns, following docker's rotation, decoding and
// writing CRI lines, and the end of a copy. Runs on the tailer's thread.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "cri/logs/cri_log_format.h"
#include "cri/logs/json_log_tailer.h"
#include "cri/logs/json_log_tailer_tail.h"
#include "docker_client/json_log_decoder.h"

namespace cri_dockerd::logs {
namespace {

// A torn line longer than this is no json-file line: drop it.
constexpr size_t kMaxPending = 4 << 20;

}  // namespace

void JsonLogTailer::Finish(Tail& t, const std::string& reason) {
  if (t.finished) return;
  t.finished = true;
  if (!t.pending.empty() && !reason.empty()) {
    LOG(WARNING) << "Container " << t.id << ": docker's log ends in "
                 << t.pending.size() << " bytes of a torn line; dropped";
  }
  Unwatch(t);
  t.fd = FdHandle();
  t.file->Close();
  std::shared_ptr<Tail> keep;  // t lives until the end of this function
  if (auto it = active_.find(t.id);
      it != active_.end() && it->second.get() == &t) {
    keep = std::move(it->second);
    active_.erase(it);
  }
  {
    absl::MutexLock lock(&mu_);
    if (auto it = tails_.find(t.id);
        it != tails_.end() && it->second.get() == &t) {
      tails_.erase(it);
    }
    t.released = true;
  }
  if (!reason.empty()) {
    LOG(INFO) << "Stopped copying the output of container " << t.id << ": "
              << reason;
  }
}

bool JsonLogTailer::Position(Tail& t) {
  const bool watching = Watch(t);
  absl::StatusOr<DockerLogResumePoint> point =
      watching ? FindDockerLogResumePoint(t.path, t.resume.Since())
               : absl::NotFoundError(absl::StrCat("no directory ", t.dir));
  if (!point.ok()) {
    if (!t.running || t.dir_gone) {
      Finish(t, absl::StrCat("its docker log is gone (",
                             point.status().message(), ")"));
      return false;
    }
    if (!t.missing_reported) {
      LOG(WARNING) << "Container " << t.id << ": " << point.status()
                   << "; trying again";
      t.missing_reported = true;
      on_writer_closed_(t.id);  // does the container still exist?
    }
    t.retry_at = absl::Now() + t.backoff;
    t.backoff = std::min(t.backoff * 2, options_.max_retry);
    return false;
  }
  if (lseek(point->fd.get(), static_cast<off_t>(point->offset), SEEK_SET) < 0) {
    LOG(WARNING) << "Container " << t.id
                 << ": seeking in docker's log: " << std::strerror(errno);
  }
  t.fd = std::move(point->fd);
  t.in_hand = point->file;
  t.seq = 0;
  t.creates = point->newer_files;
  t.filter.emplace(t.resume);
  t.positioned = true;
  t.backoff = options_.initial_retry;
  if (point->maybe_lost) {
    LOG(WARNING) << "Container " << t.id
                 << ": docker rotated away output written while the copy "
                    "was not running; the CRI log misses it";
    t.loss_logged = true;
    absl::MutexLock lock(&mu_);
    ++counters_.lost_files;
  }
  LOG(INFO) << "Copying the output of container " << t.id << " from "
            << DockerLogFilePath(t.path, t.in_hand.index) << " at byte "
            << point->offset << " to " << t.file->path();
  return true;
}

bool JsonLogTailer::Pump(Tail& t) {
  if (!t.positioned && !Position(t)) return false;
  size_t budget = options_.round_budget;
  while (budget > 0) {
    const ssize_t n =
        read(t.fd.get(), buf_.data(),
             std::min({buf_.size(), options_.read_chunk, budget}));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      LOG(WARNING) << "Container " << t.id
                   << ": reading docker's log: " << std::strerror(errno);
      t.retry_at = absl::Now() + options_.initial_retry;
      return false;
    }
    if (n > 0) {
      Decode(t, absl::string_view(buf_.data(), static_cast<size_t>(n)));
      budget -= static_cast<size_t>(n);
      continue;
    }
    if (Advance(t)) continue;
    if (!t.running || t.dir_gone) {
      Finish(t, t.dir_gone ? "the container is gone" : "the container exited");
    }
    return false;
  }
  return true;
}

bool JsonLogTailer::Advance(Tail& t) {
  // Nearly every turn ends here, at the end of docker's current file: a
  // stat tells it is still current, and the directory (docker's
  // container directory, a dozen entries) is listed only once it is not.
  if (IsCurrentDockerLogFile(t.path, t.in_hand)) {
    t.rotated = false;
    return false;
  }
  const std::vector<DockerLogFileId> files = StatDockerLogFiles(t.path);
  std::optional<size_t> pos;
  for (size_t i = 0; i < files.size(); ++i) {
    if (files[i].SameFile(t.in_hand)) pos = i;
  }
  if (pos && files[*pos].index == 0) {
    t.rotated = false;
    return false;  // still docker's current file
  }
  if (!t.rotated) {
    // Docker renamed it after closing it: what it wrote is there now.
    t.rotated = true;
    return true;
  }
  std::optional<DockerLogFileId> next;
  int64_t next_seq = t.seq + 1;
  if (pos) {
    if (*pos + 1 < files.size()) next = files[*pos + 1];
  } else if (!files.empty()) {
    // Ours was deleted: every file left is newer.
    next = files.front();
    next_seq =
        std::max(next_seq, t.creates - static_cast<int64_t>(files.size()) + 1);
  }
  if (!next) return false;  // the new file is not there yet
  absl::StatusOr<FdHandle> fd = OpenDockerLogFile(t.path, *next);
  if (!fd.ok()) {
    t.retry_at = absl::Now();  // rotated again meanwhile: look again
    return false;
  }
  if (const int64_t lost = next_seq - (t.seq + 1); lost > 0) {
    if (!t.loss_logged) {
      LOG(WARNING) << "Container " << t.id << ": docker deleted " << lost
                   << " rotated log file(s) before they were read; their "
                      "output is missing from "
                   << t.file->path();
      t.loss_logged = true;
    }
    absl::MutexLock lock(&mu_);
    counters_.lost_files += lost;
  }
  if (!t.pending.empty()) {
    LOG(WARNING) << "Container " << t.id << ": a rotated docker log ends in a "
                 << "torn line; dropped";
    t.pending.clear();
  }
  t.fd = std::move(*fd);
  t.in_hand = *next;
  t.seq = next_seq;
  t.rotated = false;
  return true;
}

void JsonLogTailer::Decode(Tail& t, absl::string_view data) {
  absl::string_view input = data;
  if (!t.pending.empty()) {
    t.pending.append(data.data(), data.size());
    input = t.pending;
  }
  int64_t entries = 0;
  const docker::JsonLogChunkResult r =
      docker::DecodeJsonLogLines(input, [&](docker::LogEntry&& e) {
        if (t.filter->Skip(e.timestamp)) return;
        AppendCriLogLines(e, &t.out);
        ++entries;
      });
  if (input.data() == t.pending.data()) {
    t.pending.erase(0, r.consumed);
  } else {
    t.pending.assign(input.data() + r.consumed, input.size() - r.consumed);
  }
  if (t.pending.size() > kMaxPending) {
    LOG(WARNING) << "Container " << t.id << ": " << t.pending.size()
                 << " bytes without a line end in docker's log; dropped";
    t.pending.clear();
  }
  int64_t dropped = 0;
  if (!t.out.empty()) {
    if (!t.file->WriteLogged(t.id, t.out, &t.write_failing)) {
      dropped = entries;
    }
    t.out.clear();
  }
  if (entries > 0 || r.malformed > 0) {
    absl::MutexLock lock(&mu_);
    counters_.entries += entries - dropped;
    counters_.dropped += dropped;
    counters_.malformed += static_cast<int64_t>(r.malformed);
  }
}

}  // namespace cri_dockerd::logs
