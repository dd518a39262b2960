// The CRI log file one container's output is copied into: created with
// its directory if missing, appended to, reopened at the same path after
// kubelet renamed it for rotation.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace cri_dockerd::logs {

// InvalidArgument unless `path` is absolute, normalized (no empty or "."
// component, no NUL), names a file (no trailing '/') and contains no
// "..": only the path kubelet gave is ever written. Checked again for
// paths read back from docker labels.
absl::Status ValidateLogPath(absl::string_view path);

// Thread-safe: Write and Reopen may race (the copier writes while a CRI
// call reopens); a write goes wholly to the old or the new file.
class LogFile {
 public:
  // Opens `path` for appending (O_APPEND, mode 0640 when created),
  // creating missing parent directories (0755). No symlink is followed in
  // any component (common/fs/no_follow.h): a pod that can write under
  // /var/log must not redirect the daemon's writes. A symlink as the last
  // component -- the Go cri-dockerd linked the CRI log path to docker's
  // json-file log -- is replaced by a regular file, never written
  // through; a symlink as a directory component is FailedPrecondition
  // naming it, as is anything else than a regular file at `path` (a
  // directory, a FIFO: the open never blocks).
  static absl::StatusOr<std::unique_ptr<LogFile>> Open(std::string path);
  ~LogFile();
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;

  // Appends all of `data` with one write(2) where possible. Errors (disk
  // full) are returned, and what was written of `data` is cut off again
  // so that no torn line stays; later writes are tried afresh.
  absl::Status Write(absl::string_view data);
  // Opens the path again (creating the file) and directs later writes
  // there, then closes the old file. On failure the old file stays in use.
  absl::Status Reopen();
  // Cuts the file to `size` bytes (a torn last line).
  absl::Status Truncate(uint64_t size);
  // Closes the file; later writes fail.
  void Close();

  const std::string& path() const { return path_; }

  // Write(data) for the copy of container `id`, logging the first failure
  // and the recovery rather than every failure in between; *failing
  // carries that state from one call to the next. False if it failed.
  bool WriteLogged(absl::string_view id, absl::string_view data, bool* failing);

 private:
  explicit LogFile(std::string path, int fd)
      : path_(std::move(path)), fd_(fd) {}
  // Opens path_ as Open describes; returns the fd.
  static absl::StatusOr<int> OpenPath(const std::string& path);

  const std::string path_;
  absl::Mutex mu_;
  int fd_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cri_dockerd::logs
