#include "cri/logs/log_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"

namespace cri_dockerd::logs {
namespace {

constexpr mode_t kFileMode = 0640;  // what kubelet's runtimes use

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
  if (!absl::StartsWith(path, "/") || absl::EndsWith(path, "/") ||
      absl::StrContains(path, "..") ||
      path.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("container log path \"", path,
                     "\" must be an absolute file path without \"..\""));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> LogFile::OpenPath(const std::string& path) {
  const std::filesystem::path p(path);
  std::error_code ec;
  std::filesystem::create_directories(p.parent_path(), ec);
  if (ec) {
    return ErrnoStatus(ec.value(),
                       absl::StrCat("creating the directory of ", path));
  }
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) {
    if (S_ISLNK(st.st_mode)) {
      std::error_code ignored;
      LOG(INFO) << "Replacing the symlink " << path << " -> "
                << std::filesystem::read_symlink(p, ignored).string()
                << " (left by the Go cri-dockerd) with a CRI log file";
      if (unlink(path.c_str()) != 0 && errno != ENOENT) {
        return ErrnoStatus(errno, absl::StrCat("removing the symlink ", path));
      }
    } else if (!S_ISREG(st.st_mode)) {
      return absl::FailedPreconditionError(
          absl::StrCat("container log path ", path, " is not a file"));
    }
  }
  // O_NOFOLLOW: a symlink put there meanwhile fails the open instead of
  // redirecting our writes.
  const int fd =
      open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
           kFileMode);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("opening ", path));
  return fd;
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
