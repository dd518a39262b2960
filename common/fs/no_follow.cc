#include "common/fs/no_follow.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace cri_dockerd::fs {
namespace {

constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;

absl::Status Invalid(absl::string_view path, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("path \"", absl::CHexEscape(path), "\" ", why));
}

// How messages name `entry`, a component of `path` or `path` itself.
std::string Where(absl::string_view path, absl::string_view entry) {
  return entry == path ? std::string(path) : absl::StrCat(path, ": ", entry);
}

// The error for `entry` (a component of `path`, or `path` itself) that
// could not be opened as wanted: `st` is what lstat says it is.
absl::Status WrongType(absl::string_view path, absl::string_view entry,
                       const struct stat& st, bool want_dir) {
  const std::string where = Where(path, entry);
  if (S_ISLNK(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(where, " is a symlink, which is not followed here"));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      where, want_dir ? " is not a directory" : " is not a regular file"));
}

// The error for `name` in `dir_fd` (the component `entry` of `path`),
// whose open failed with `err`.
absl::Status OpenError(int err, int dir_fd, const std::string& name,
                       absl::string_view path, absl::string_view entry,
                       bool want_dir) {
  struct stat st;
  if ((err == ELOOP || err == ENOTDIR || err == EISDIR || err == ENXIO) &&
      fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    return WrongType(path, entry, st, want_dir);
  }
  if (err == ENOENT) {
    return absl::NotFoundError(
        absl::StrCat(Where(path, entry), " does not exist"));
  }
  return absl::ErrnoToStatus(err,
                             absl::StrCat("cannot open ", Where(path, entry)));
}

// The component-wise walk from "/" (see no_follow.h) to the directory
// `path`; errors name `shown` (the path the caller was asked about) and
// the component at fault.
absl::StatusOr<UniqueFd> Walk(absl::string_view path,
                              std::optional<mode_t> create_mode,
                              absl::string_view shown) {
  RETURN_IF_ERROR(ValidateNormalPath(path));
  UniqueFd dir(open("/", kDirFlags));
  if (!dir.valid()) return absl::ErrnoToStatus(errno, "cannot open /");
  for (size_t pos = 1; pos < path.size();) {
    const size_t end = std::min(path.find('/', pos), path.size());
    const std::string name(path.substr(pos, end - pos));
    const absl::string_view entry = path.substr(0, end);
    int fd = openat(dir.get(), name.c_str(), kDirFlags | O_NOFOLLOW);
    if (fd < 0 && errno == ENOENT && create_mode.has_value()) {
      if (mkdirat(dir.get(), name.c_str(), *create_mode) != 0 &&
          errno != EEXIST) {
        const int err = errno;
        return absl::ErrnoToStatus(
            err, absl::StrCat(shown, ": cannot create directory ", entry));
      }
      fd = openat(dir.get(), name.c_str(), kDirFlags | O_NOFOLLOW);
    }
    if (fd < 0) {
      return OpenError(errno, dir.get(), name, shown, entry, /*want_dir=*/true);
    }
    dir = UniqueFd(fd);
    pos = end + 1;
  }
  return dir;
}

// OpenDirectory, its errors naming `shown`.
absl::StatusOr<UniqueFd> OpenDir(absl::string_view path,
                                 std::optional<mode_t> create_mode,
                                 absl::string_view shown) {
  RETURN_IF_ERROR(ValidateNormalPath(path));
  const std::string p(path);
  struct open_how how = {};
  how.flags = kDirFlags;
  how.resolve = RESOLVE_NO_SYMLINKS;
  const long fd = syscall(SYS_openat2, AT_FDCWD, p.c_str(), &how, sizeof(how));
  if (fd >= 0) return UniqueFd(static_cast<int>(fd));
  // ENOSYS (a kernel before 5.6), EPERM (a seccomp filter), or a real
  // error: the walk follows no symlink either, creates what is missing
  // and names the component at fault.
  return Walk(path, create_mode, shown);
}

}  // namespace

absl::Status ValidateNormalPath(absl::string_view path) {
  if (path.empty() || path[0] != '/') return Invalid(path, "is not absolute");
  if (path.find('\0') != absl::string_view::npos) {
    return Invalid(path, "contains a NUL byte");
  }
  if (path == "/") return absl::OkStatus();
  size_t pos = 1;
  while (true) {
    const size_t end = std::min(path.find('/', pos), path.size());
    const absl::string_view part = path.substr(pos, end - pos);
    if (part.empty() || part == "." || part == "..") {
      return Invalid(path,
                     "is not normalized (an empty, \".\" or \"..\" "
                     "component)");
    }
    if (end == path.size()) return absl::OkStatus();
    pos = end + 1;
  }
}

std::pair<absl::string_view, absl::string_view> SplitParent(
    absl::string_view path) {
  const size_t slash = path.rfind('/');
  return {slash == 0 ? path.substr(0, 1) : path.substr(0, slash),
          path.substr(slash + 1)};
}

namespace internal {

absl::StatusOr<UniqueFd> WalkDirectory(absl::string_view path,
                                       std::optional<mode_t> create_mode) {
  return Walk(path, create_mode, path);
}

}  // namespace internal

absl::StatusOr<UniqueFd> OpenDirectory(absl::string_view path,
                                       std::optional<mode_t> create_mode) {
  return OpenDir(path, create_mode, path);
}

absl::StatusOr<UniqueFd> OpenFileAt(int dir_fd, absl::string_view name,
                                    int flags, mode_t mode,
                                    absl::string_view path) {
  if (name.empty() || name == "." || name == ".." ||
      name.find('/') != absl::string_view::npos ||
      name.find('\0') != absl::string_view::npos) {
    return Invalid(name, "is not one path component");
  }
  const std::string n(name);
  // O_NONBLOCK: opening a FIFO with no writer (or, write-only, no reader)
  // would block, or fail with ENXIO; fstat below refuses it either way.
  UniqueFd fd(openat(dir_fd, n.c_str(),
                     flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
                     mode));
  if (!fd.valid()) {
    return OpenError(errno, dir_fd, n, path, path, /*want_dir=*/false);
  }
  struct stat st;
  if (fstat(fd.get(), &st) != 0) {
    const int err = errno;
    return absl::ErrnoToStatus(err, absl::StrCat("cannot stat ", path));
  }
  if (!S_ISREG(st.st_mode)) return WrongType(path, path, st, false);
  if ((flags & O_NONBLOCK) == 0) {
    const int fl = fcntl(fd.get(), F_GETFL);
    if (fl < 0 || fcntl(fd.get(), F_SETFL, fl & ~O_NONBLOCK) != 0) {
      const int err = errno;
      return absl::ErrnoToStatus(err, absl::StrCat("fcntl of ", path));
    }
  }
  return fd;
}

absl::StatusOr<UniqueFd> OpenFile(absl::string_view path, int flags,
                                  mode_t mode,
                                  std::optional<mode_t> create_dirs_mode) {
  RETURN_IF_ERROR(ValidateNormalPath(path));
  if (path == "/") return Invalid(path, "is not a file");
  const auto [parent, name] = SplitParent(path);
  ASSIGN_OR_RETURN(UniqueFd dir, OpenDir(parent, create_dirs_mode, path));
  return OpenFileAt(dir.get(), name, flags, mode, path);
}

absl::StatusOr<struct stat> StatNoFollow(absl::string_view path) {
  RETURN_IF_ERROR(ValidateNormalPath(path));
  struct stat st;
  if (path == "/") {
    if (lstat("/", &st) != 0) return absl::ErrnoToStatus(errno, "lstat /");
    return st;
  }
  const auto [parent, name] = SplitParent(path);
  ASSIGN_OR_RETURN(UniqueFd dir, OpenDir(parent, std::nullopt, path));
  const std::string n(name);
  if (fstatat(dir.get(), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    const int err = errno;
    if (err == ENOENT) {
      return absl::NotFoundError(absl::StrCat(path, " does not exist"));
    }
    return absl::ErrnoToStatus(err, absl::StrCat("cannot stat ", path));
  }
  return st;
}

absl::Status Unlink(absl::string_view path) {
  RETURN_IF_ERROR(ValidateNormalPath(path));
  if (path == "/") return Invalid(path, "cannot be removed");
  const auto [parent, name] = SplitParent(path);
  ASSIGN_OR_RETURN(UniqueFd dir, OpenDir(parent, std::nullopt, path));
  const std::string n(name);
  if (unlinkat(dir.get(), n.c_str(), 0) == 0) return absl::OkStatus();
  const int err = errno;
  switch (err) {
    case ENOENT:
      return absl::NotFoundError(absl::StrCat(path, " does not exist"));
    case EISDIR:
      return absl::FailedPreconditionError(
          absl::StrCat(path, " is a directory, not removed"));
    default:
      return absl::ErrnoToStatus(err, absl::StrCat("cannot remove ", path));
  }
}

}  // namespace cri_dockerd::fs
