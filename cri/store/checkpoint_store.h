// The on-disk store of pod sandbox checkpoints: one file per sandbox at
// <root>/sandbox/<sandbox id>, laid out like the Go cri-dockerd's checkpoint
// manager so the two shims share the directory. Writes are atomic and
// durable; damaged files are dropped rather than trusted.
#pragma once

#include <sys/stat.h>
#include <time.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "cri/store/sandbox_checkpoint.h"

namespace cri_dockerd::store {

// Returns OK if `id` may name a checkpoint file: 1 to 128 characters from
// [A-Za-z0-9_.-], not starting with '.' (so never "." or ".." and never one
// of the hidden temp files). Otherwise InvalidArgument naming the id.
absl::Status ValidateSandboxId(const std::string& id);

// Thread-safe. Every method validates the sandbox id (InvalidArgument)
// before touching the filesystem, and nothing found on disk (directories,
// unreadable or huge files, garbage) crashes it.
class CheckpointStore {
 public:
  // `root_dir` is the --cri-dockerd-root-directory; nothing is created until
  // the first Write.
  explicit CheckpointStore(std::string root_dir);

  CheckpointStore(const CheckpointStore&) = delete;
  CheckpointStore& operator=(const CheckpointStore&) = delete;

  // Atomically replaces the sandbox's checkpoint: writes a hidden temp file
  // in the same directory, fsyncs it, renames it over the target and fsyncs
  // the directory. Creates <root>/sandbox (mode 0700, parents too) if needed.
  // On failure the old checkpoint, if any, is left intact.
  absl::Status Write(const std::string& sandbox_id,
                     const SandboxCheckpoint& checkpoint);

  // NotFound if there is no checkpoint. A file that cannot be decoded (bad
  // JSON, checksum mismatch, over 1 MiB, ...) is logged, removed, and
  // reported as DataLoss. Other I/O errors are returned and the file kept.
  absl::StatusOr<SandboxCheckpoint> Read(const std::string& sandbox_id);

  // Deletes the checkpoint; OK if it does not exist.
  absl::Status Remove(const std::string& sandbox_id);

  // Ids of all checkpoint files present, sorted; an absent
  // directory is an empty list. Hidden temp files are skipped, and the
  // first List or Write of a store deletes the ones left by a crash.
  // ListPodSandbox lists them every second: the directory is read again
  // only when its mtime says it changed (one stat otherwise), or when
  // this store changed it, or when its mtime is too recent to tell.
  absl::StatusOr<std::vector<std::string>> List();

  const std::string& dir() const { return dir_; }

 private:
  absl::Status EnsureDirLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RemoveStaleTempFilesLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string PathOf(const std::string& sandbox_id) const;
  absl::StatusOr<std::vector<std::string>> ReadDirLocked()
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // The last listing, good while the directory's identity and mtime are
  // those it was read at. Cleared by Write and Remove.
  struct Listing {
    std::vector<std::string> ids;
    dev_t dev = 0;
    ino_t ino = 0;
    timespec mtime = {};
  };

  // Constant after construction.
  const std::string dir_;  // <root>/sandbox

  absl::Mutex mu_;
  bool temp_files_cleaned_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<Listing> listing_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cri_dockerd::store
