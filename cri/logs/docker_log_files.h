// Docker's json-file log of one container as files on this machine: the
// file docker writes ("<id>-json.log", at the container's LogPath) and
// the ones it rotated it to (max-size/max-file: "<path>.1" the newest
// ... "<path>.N" the oldest; on rotation docker closes the file, renames
// ".k" to ".k+1" from the oldest down, the file to ".1", and creates a
// new file). Listing, opening, and finding where to resume reading.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/fs/unique_fd.h"

namespace cri_dockerd::logs {

// An owned file descriptor (closed at destruction); movable.
using FdHandle = fs::UniqueFd;

// Which file of the set: 0 is the file docker writes, k is "<path>.k".
struct DockerLogFileId {
  dev_t dev = 0;
  ino_t ino = 0;
  int index = 0;
  bool SameFile(const DockerLogFileId& o) const {
    return dev == o.dev && ino == o.ino;
  }
};

// The path of file `index` of the set at `path`.
std::string DockerLogFilePath(const std::string& path, int index);

// The files of the set present now, in write order (oldest first: ".N",
// ..., ".1", then `path`). Compressed files are not part of it.
std::vector<DockerLogFileId> StatDockerLogFiles(const std::string& path);

// Whether `id` is still the file docker writes (at `path` itself): one
// stat, where StatDockerLogFiles lists the directory.
bool IsCurrentDockerLogFile(const std::string& path, const DockerLogFileId& id);

// Opens file `want` of the set read-only; NotFound if it is gone or
// another file has its name now (docker rotated again meanwhile).
absl::StatusOr<FdHandle> OpenDockerLogFile(const std::string& path,
                                           const DockerLogFileId& want);

// The time of the first complete entry in `fd` (looking at most 1 MiB
// in); nullopt if there is none.
std::optional<absl::Time> FirstEntryTime(int fd);

// A line start in `fd` (of `size` bytes) before every entry stamped at
// or after `t`, close to the last entry before `t`: found by binary
// search over byte offsets (seek, skip to the next line, read its time),
// not by reading the file. Assumes times grow along the file, as docker
// writes them (a few milliseconds of disorder between stdout and stderr
// only make the result a little earlier or later than exact).
uint64_t FindOffsetBefore(int fd, uint64_t size, absl::Time t);

// Where to start reading docker's files so that no entry at or after
// `since` is missed: the newest file whose first entry is older than
// `since`, at FindOffsetBefore(since); the oldest file from its start if
// every file starts later (or `since` is InfinitePast).
struct DockerLogResumePoint {
  FdHandle fd;
  DockerLogFileId file;
  uint64_t offset = 0;
  // Files of the set newer than the chosen one.
  int newer_files = 0;
  // `since` lies before the oldest entry docker still has and docker
  // rotated files away: output between them may be lost.
  bool maybe_lost = false;
};
absl::StatusOr<DockerLogResumePoint> FindDockerLogResumePoint(
    const std::string& path, absl::Time since);

}  // namespace cri_dockerd::logs
