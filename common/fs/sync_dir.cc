#include "common/fs/sync_dir.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/fs/unique_fd.h"

namespace cri_dockerd::fs {

absl::Status SyncDir(const std::string& dir) {
  UniqueFd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) {
    const int err = errno;
    return absl::ErrnoToStatus(err,
                               absl::StrCat("cannot open directory ", dir));
  }
  if (fsync(fd.get()) != 0) {
    const int err = errno;
    return absl::ErrnoToStatus(err,
                               absl::StrCat("cannot fsync directory ", dir));
  }
  return absl::OkStatus();
}

}  // namespace cri_dockerd::fs
