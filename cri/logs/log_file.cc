#include "cri/logs/log_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/fs/no_follow.h"
#include "common/logging.h"

namespace cri_dockerd::logs {
namespace {

constexpr mode_t kFileMode = 0640;  // what kubelet's runtimes use
constexpr mode_t kDirMode = 0755;

absl::Status ErrnoStatus(int err, absl::string_view what) {
  const std::string msg = absl::StrCat(what, ": ", std::strerror(err));
  switch (err) {
    case ENOENT:
      return absl::NotFoundError(msg);
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::PermissionDeniedError(msg);
    case ENOSPC:
    case EDQUOT:
      return absl::ResourceExhaustedError(msg);
    default:
      return absl::InternalError(msg);
  }
}

}  // namespace

absl::Status ValidateLogPath(absl::string_view path) {
  if (!fs::ValidateNormalPath(path).ok() || path == "/" ||
      absl::StrContains(path, "..")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "container log path \"", absl::CHexEscape(path),
        "\" must be an absolute, normalized file path without \"..\""));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> LogFile::OpenPath(const std::string& path) {
  const auto [dir_path, name] = fs::SplitParent(path);
  absl::StatusOr<fs::UniqueFd> dir = fs::OpenDirectory(dir_path, kDirMode);
  if (!dir.ok()) {
    return absl::Status(dir.status().code(),
                        absl::StrCat("container log path ", path, ": ",
                                     dir.status().message()));
  }
  const std::string file(name);
  struct stat st;
  if (fstatat(dir->get(), file.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
      S_ISLNK(st.st_mode)) {
    char target[PATH_MAX];
    const ssize_t n =
        readlinkat(dir->get(), file.c_str(), target, sizeof(target) - 1);
    LOG(INFO) << "Replacing the symlink " << path << " -> "
              << absl::string_view(target, n > 0 ? n : 0)
              << " (left by the Go cri-dockerd) with a CRI log file";
    // The link itself goes, relative to the directory we hold: never
    // what it points to.
    if (unlinkat(dir->get(), file.c_str(), 0) != 0 && errno != ENOENT) {
      return ErrnoStatus(errno, absl::StrCat("removing the symlink ", path));
    }
  }
  // O_NOFOLLOW: a symlink put there meanwhile fails the open instead of
  // redirecting our writes; only a regular file is opened.
  absl::StatusOr<fs::UniqueFd> fd = fs::OpenFileAt(
      dir->get(), file, O_WRONLY | O_APPEND | O_CREAT, kFileMode, path);
  if (!fd.ok()) return fd.status();
  return fd->Release();
}

absl::StatusOr<std::unique_ptr<LogFile>> LogFile::Open(std::string path) {
  if (absl::Status s = ValidateLogPath(path); !s.ok()) return s;
  absl::StatusOr<int> fd = OpenPath(path);
  if (!fd.ok()) return fd.status();
  return std::unique_ptr<LogFile>(new LogFile(std::move(path), *fd));
}

LogFile::~LogFile() { Close(); }

absl::Status LogFile::Write(absl::string_view data) {
  absl::MutexLock lock(&mu_);
  if (fd_ < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("log file ", path_, " is closed"));
  }
  size_t written = 0;
  while (written < data.size()) {
    const ssize_t n = write(fd_, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      // Take back a torn line so that the next one starts cleanly.
      struct stat st;
      if (written > 0 && fstat(fd_, &st) == 0 &&
          static_cast<uint64_t>(st.st_size) >= written) {
        if (ftruncate(fd_, st.st_size - static_cast<off_t>(written)) != 0) {
          LOG(DEBUG) << "cannot cut a torn line off " << path_;
        }
      }
      return ErrnoStatus(err, absl::StrCat("writing ", path_));
    }
    written += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::Status LogFile::Reopen() {
  absl::StatusOr<int> fd = OpenPath(path_);
  if (!fd.ok()) return fd.status();
  absl::MutexLock lock(&mu_);
  if (fd_ < 0) {
    close(*fd);
    return absl::FailedPreconditionError(
        absl::StrCat("log file ", path_, " is closed"));
  }
  close(fd_);
  fd_ = *fd;
  return absl::OkStatus();
}

absl::Status LogFile::Truncate(uint64_t size) {
  absl::MutexLock lock(&mu_);
  if (fd_ >= 0 && ftruncate(fd_, static_cast<off_t>(size)) != 0) {
    return ErrnoStatus(errno, absl::StrCat("truncating ", path_));
  }
  return absl::OkStatus();
}

bool LogFile::WriteLogged(absl::string_view id, absl::string_view data,
                          bool* failing) {
  if (absl::Status s = Write(data); !s.ok()) {
    if (!*failing) {
      LOG(WARNING) << "Container " << id << ": " << s
                   << "; dropping its output until writes work again";
    }
    *failing = true;
    return false;
  }
  if (*failing) {
    LOG(INFO) << "Container " << id << ": writing " << path_ << " works again";
    *failing = false;
  }
  return true;
}

void LogFile::Close() {
  absl::MutexLock lock(&mu_);
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

}  // namespace cri_dockerd::logs
