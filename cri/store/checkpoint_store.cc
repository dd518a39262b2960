#include "cri/store/checkpoint_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/fs/sync_dir.h"
#include "common/logging.h"
#include "common/status_macros.h"

namespace cri_dockerd::store {
namespace {

// Checkpoints are a few hundred bytes; anything this large is not one.
constexpr size_t kMaxCheckpointBytes = 1 << 20;
constexpr size_t kMaxIdLength = 128;

absl::Status ErrnoError(int err, absl::string_view what,
                        absl::string_view path) {
  return absl::ErrnoToStatus(err, absl::StrCat(what, " ", path));
}

// mkdir -p with mode 0700 for every directory it creates.
absl::Status MakeDirs(const std::string& path) {
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    const std::string prefix = path.substr(0, pos);
    if (mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
      return ErrnoError(errno, "cannot create directory", prefix);
    }
  }
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return ErrnoError(errno, "cannot stat", path);
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " exists and is not a directory"));
  }
  return absl::OkStatus();
}

absl::Status WriteAll(int fd, absl::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "cannot write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

// Reads at most kMaxCheckpointBytes + 1 bytes, so an oversized file shows.
absl::StatusOr<std::string> ReadCapped(int fd, const std::string& path) {
  std::string text(kMaxCheckpointBytes + 1, '\0');
  size_t len = 0;
  while (len < text.size()) {
    const ssize_t n = read(fd, text.data() + len, text.size() - len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "cannot read", path);
    }
    if (n == 0) break;
    len += static_cast<size_t>(n);
  }
  text.resize(len);
  return text;
}

bool IsRegularFile(int dir_fd, const char* name, int flags) {
  struct stat st;
  return fstatat(dir_fd, name, &st, flags) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

absl::Status ValidateSandboxId(const std::string& id) {
  const bool ok = !id.empty() && id.size() <= kMaxIdLength && id[0] != '.' &&
                  std::all_of(id.begin(), id.end(), [](char c) {
                    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                           (c >= '0' && c <= '9') || c == '_' || c == '.' ||
                           c == '-';
                  });
  if (ok) return absl::OkStatus();
  // Quote only a bounded, escaped prefix: the id comes from the caller.
  const std::string shown = id.substr(0, 2 * kMaxIdLength);
  return absl::InvalidArgumentError(
      absl::StrCat("invalid sandbox id \"", absl::CHexEscape(shown), "\"",
                   id.size() > shown.size() ? "..." : "",
                   ": want 1-128 characters from [A-Za-z0-9_.-], not "
                   "starting with '.'"));
}

CheckpointStore::CheckpointStore(std::string root_dir)
    : dir_(std::move(root_dir) + "/sandbox") {}

std::string CheckpointStore::PathOf(const std::string& sandbox_id) const {
  return absl::StrCat(dir_, "/", sandbox_id);
}

absl::Status CheckpointStore::EnsureDirLocked() {
  if (absl::Status st = MakeDirs(dir_); !st.ok()) return st;
  RemoveStaleTempFilesLocked();
  return absl::OkStatus();
}

void CheckpointStore::RemoveStaleTempFilesLocked() {
  // Only a crash leaves temp files behind (both shims name them ".*"), and
  // all writes go through this store, so on first use they are all stale.
  if (temp_files_cleaned_) return;
  DIR* d = opendir(dir_.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) temp_files_cleaned_ = true;
    return;
  }
  temp_files_cleaned_ = true;
  const int dir_fd = dirfd(d);
  while (const dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name[0] != '.' || name == "." || name == "..") continue;
    if (!IsRegularFile(dir_fd, e->d_name, AT_SYMLINK_NOFOLLOW)) continue;
    if (unlinkat(dir_fd, e->d_name, 0) == 0) {
      LOG(INFO) << "Removed leftover checkpoint temp file " << dir_ << "/"
                << name;
    }
  }
  closedir(d);
}

absl::Status CheckpointStore::Write(const std::string& sandbox_id,
                                    const SandboxCheckpoint& checkpoint) {
  if (absl::Status st = ValidateSandboxId(sandbox_id); !st.ok()) return st;
  const std::string data = EncodeCheckpoint(checkpoint);
  const std::string path = PathOf(sandbox_id);
  absl::MutexLock lock(&mu_);
  listing_.reset();
  if (absl::Status st = EnsureDirLocked(); !st.ok()) return st;

  std::string tmp = absl::StrCat(dir_, "/.", sandbox_id, ".tmp-XXXXXX");
  const int fd = mkostemp(tmp.data(), O_CLOEXEC);  // mode 0600
  if (fd < 0) return ErrnoError(errno, "cannot create temp file in", dir_);
  bool fd_open = true;
  absl::Cleanup discard = [&] {
    if (fd_open) close(fd);
    unlink(tmp.c_str());
  };
  if (absl::Status st = WriteAll(fd, data, tmp); !st.ok()) return st;
  if (fsync(fd) != 0) return ErrnoError(errno, "cannot fsync", tmp);
  fd_open = false;
  if (close(fd) != 0) return ErrnoError(errno, "cannot close", tmp);
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    return ErrnoError(errno, "cannot rename temp file to", path);
  }
  std::move(discard).Cancel();
  return fs::SyncDir(dir_);
}

absl::StatusOr<SandboxCheckpoint> CheckpointStore::Read(
    const std::string& sandbox_id) {
  if (absl::Status st = ValidateSandboxId(sandbox_id); !st.ok()) return st;
  const std::string path = PathOf(sandbox_id);
  absl::MutexLock lock(&mu_);
  // O_NONBLOCK: a FIFO planted under an id's name must not hang us.
  const int fd =
      open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) {
      return absl::NotFoundError(
          absl::StrCat("no checkpoint for sandbox ", sandbox_id));
    }
    return ErrnoError(errno, "cannot open checkpoint", path);
  }
  absl::Cleanup closer = [fd] { close(fd); };
  struct stat st;
  if (fstat(fd, &st) != 0) return ErrnoError(errno, "cannot stat", path);
  if (!S_ISREG(st.st_mode)) {
    // Not ours to delete (it may be a directory someone made); just refuse.
    LOG(WARNING) << "Sandbox checkpoint " << path << " is not a regular file";
    return absl::DataLossError(
        absl::StrCat("sandbox checkpoint ", path, " is not a regular file"));
  }
  absl::StatusOr<std::string> text = ReadCapped(fd, path);
  if (!text.ok()) return text.status();

  absl::StatusOr<SandboxCheckpoint> checkpoint =
      text->size() > kMaxCheckpointBytes
          ? absl::DataLossError("corrupt sandbox checkpoint: over 1 MiB")
          : DecodeCheckpoint(*text);
  if (checkpoint.ok()) return checkpoint;
  LOG(WARNING) << "Removing sandbox checkpoint " << path << ": "
               << checkpoint.status().message();
  listing_.reset();
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    LOG(WARNING) << "Cannot remove " << path << ": " << strerror(errno);
  }
  return absl::DataLossError(
      absl::StrCat(path, ": ", checkpoint.status().message()));
}

absl::Status CheckpointStore::Remove(const std::string& sandbox_id) {
  if (absl::Status st = ValidateSandboxId(sandbox_id); !st.ok()) return st;
  const std::string path = PathOf(sandbox_id);
  absl::MutexLock lock(&mu_);
  listing_.reset();
  if (unlink(path.c_str()) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return absl::OkStatus();
    return ErrnoError(errno, "cannot remove checkpoint", path);
  }
  return fs::SyncDir(dir_);
}

absl::StatusOr<std::vector<std::string>> CheckpointStore::List() {
  absl::MutexLock lock(&mu_);
  RemoveStaleTempFilesLocked();
  struct stat st;
  if (stat(dir_.c_str(), &st) != 0) {
    listing_.reset();
    if (errno == ENOENT) return std::vector<std::string>{};
    return ErrnoError(errno, "cannot list", dir_);
  }
  if (listing_.has_value() && listing_->dev == st.st_dev &&
      listing_->ino == st.st_ino &&
      listing_->mtime.tv_sec == st.st_mtim.tv_sec &&
      listing_->mtime.tv_nsec == st.st_mtim.tv_nsec) {
    return listing_->ids;
  }
  ASSIGN_OR_RETURN(std::vector<std::string> ids, ReadDirLocked());
  // File times come from a coarse clock: a change made in the same tick
  // as the mtime seen here could leave it as it is. Only an mtime from
  // a second before the read vouches for the listing.
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  if (now.tv_sec - st.st_mtim.tv_sec >= 2) {
    listing_ = Listing{ids, st.st_dev, st.st_ino, st.st_mtim};
  } else {
    listing_.reset();
  }
  return ids;
}

absl::StatusOr<std::vector<std::string>> CheckpointStore::ReadDirLocked() {
  std::vector<std::string> ids;
  DIR* d = opendir(dir_.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return ids;
    return ErrnoError(errno, "cannot list", dir_);
  }
  const int dir_fd = dirfd(d);
  while (const dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    // Skips temp files ("." prefix), "." and "..", and stray names that
    // Read would refuse anyway; a symlink counts if it leads to a file.
    if (!ValidateSandboxId(name).ok()) continue;
    // readdir's type spares a stat per checkpoint; links and unknown
    // types are looked at.
    const bool maybe_file = e->d_type == DT_LNK || e->d_type == DT_UNKNOWN;
    if (e->d_type == DT_REG ||
        (maybe_file && IsRegularFile(dir_fd, e->d_name, 0))) {
      ids.push_back(name);
    }
  }
  closedir(d);
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace cri_dockerd::store
