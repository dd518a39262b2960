// Where a container's log copy picks up again after its docker stream
// broke (dockerd restarted) or the shim restarted, so that no line is lost
// or written twice.
//
// Docker's `since` is inclusive and coarse for this: all pieces of a split
// line share one timestamp, and docker stores stdout and stderr lines a
// few milliseconds out of timestamp order (see
// tests/testdata/docker/logs_multiplexed.bin). So the copy asks for
// since = (last written timestamp - kResumeSlack) and skips the entries
// docker replays that it already wrote: those match, one for one and in
// order, the timestamps it wrote at or after that time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace cri_dockerd::logs {

// Larger than any reordering docker does between its stdout and stderr.
inline constexpr absl::Duration kResumeSlack = absl::Seconds(1);
// At most this many recent timestamps are kept per container (a container
// writing more lines than that per second may see duplicates on resume).
inline constexpr size_t kMaxTrackedEntries = 10000;

// The timestamps of the entries written last, in stream order.
class ResumeTracker {
 public:
  // Notes an entry written (or dropped on a write error) at `t`.
  void Record(absl::Time t);
  bool empty() const { return recent_.empty(); }
  // The `since` to ask docker for: the last recorded timestamp minus
  // kResumeSlack; InfinitePast when nothing was recorded.
  absl::Time Since() const;
  // The recorded timestamps at or after Since(), in order: docker replays
  // these entries first.
  std::vector<absl::Time> RecordedSince() const;

 private:
  std::deque<absl::Time> recent_;
};

// For one follow attempt: which entries docker replays were written
// before. Skips entries before `since` (docker sends none), then entries
// whose timestamps match the expected ones in order; after the first
// mismatch nothing more is skipped (a duplicate is better than a loss).
class ReplayFilter {
 public:
  explicit ReplayFilter(const ResumeTracker& tracker)
      : since_(tracker.Since()), expected_(tracker.RecordedSince()) {}
  bool Skip(absl::Time t);

 private:
  const absl::Time since_;
  const std::vector<absl::Time> expected_;
  size_t matched_ = 0;
  bool diverged_ = false;
};

// What the end of a CRI log file says.
struct LogFileTail {
  ResumeTracker resume;  // its last lines' timestamps
  // Bytes up to and including the last '\n'; a torn last line (the shim
  // died mid-write) lies beyond, up to `size`.
  uint64_t complete_size = 0;
  uint64_t size = 0;
};

// Reads the last lines of the CRI log file at `path` (up to 8 MiB back,
// stopping at lines older than the last one by 2 * kResumeSlack). Lines
// that do not parse are ignored. No symlink is followed in any component
// of `path` (common/fs/no_follow.h). NotFound if there is no such file;
// FailedPrecondition if it is not a regular file or a component of
// `path` is a symlink.
absl::StatusOr<LogFileTail> ReadLogFileTail(const std::string& path);

// Where to resume writing to `path` when it holds no line: where the
// newest file kubelet rotated it to ("<path>.<time>", not compressed)
// ends. After a rotation the shim did not see (it was down when kubelet
// asked to reopen the log), the file at `path` starts empty. Empty if
// there is no such file or it cannot be read (as ReadLogFileTail, the
// directory and the files are reached without following symlinks).
ResumeTracker ReadRotatedResumePoint(const std::string& path);

}  // namespace cri_dockerd::logs
