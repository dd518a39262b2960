// Files and directories reached without following a symlink in any
// component of their path, for paths where a symlink would let someone
// else choose what the daemon (root) creates, appends to or removes:
// kubelet's container log directories, which a pod with a writable
// hostPath under /var/log can reach.
//
// A directory is opened with openat2(RESOLVE_NO_SYMLINKS) in one call;
// where that is missing (a kernel before 5.6, a seccomp filter) or fails,
// by a walk from "/" opening one component at a time with
// O_NOFOLLOW|O_DIRECTORY, which also names the offending component and
// creates missing ones with mkdirat relative to the parent's fd. A file
// is then opened with openat relative to its directory's fd with
// O_NOFOLLOW. Mount points are crossed as usual: an operator who wants
// the logs on another disk bind-mounts it, a symlink is refused.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/fs/unique_fd.h"

namespace cri_dockerd::fs {

// InvalidArgument unless `path` is absolute and normalized: no empty
// ("//", a trailing '/'), "." or ".." component and no NUL. "/" is valid.
absl::Status ValidateNormalPath(absl::string_view path);

// Splits a valid path other than "/" into its parent directory and its
// last component: "/a/b/c" -> ("/a/b", "c"), "/c" -> ("/", "c").
std::pair<absl::string_view, absl::string_view> SplitParent(
    absl::string_view path);

// Opens the directory `path` (O_RDONLY|O_DIRECTORY|O_CLOEXEC) without
// following a symlink in any component. With `create_mode`, missing
// directories are made one at a time (mkdirat with that mode; the umask
// applies). Errors: InvalidArgument for a path ValidateNormalPath refuses;
// FailedPrecondition naming the component that is a symlink or not a
// directory; NotFound naming the first missing component (no
// `create_mode`); otherwise errno's code (absl::ErrnoToStatus).
absl::StatusOr<UniqueFd> OpenDirectory(
    absl::string_view path, std::optional<mode_t> create_mode = std::nullopt);

// Opens `name`, one component, in the directory `dir_fd` with `flags`
// (O_RDONLY, O_WRONLY|O_APPEND|O_CREAT, ...) plus O_NOFOLLOW, O_CLOEXEC
// and O_NOCTTY; `mode` is for O_CREAT. Only a regular file is opened: a
// symlink (dangling or not), a directory, a FIFO or a device is
// FailedPrecondition, and the open never blocks on a FIFO (O_NONBLOCK
// while opening; it is cleared again on the returned fd). NotFound if
// absent (without O_CREAT). `path` (the file's full path) is for messages.
absl::StatusOr<UniqueFd> OpenFileAt(int dir_fd, absl::string_view name,
                                    int flags, mode_t mode,
                                    absl::string_view path);

// OpenDirectory(parent of `path`, create_dirs_mode), then OpenFileAt.
absl::StatusOr<UniqueFd> OpenFile(
    absl::string_view path, int flags, mode_t mode = 0,
    std::optional<mode_t> create_dirs_mode = std::nullopt);

// The entry at `path` itself, as lstat(2) sees it (a symlink as the last
// component is reported, not followed), its parent reached as
// OpenDirectory does. Errors as OpenDirectory's; NotFound if absent.
absl::StatusOr<struct stat> StatNoFollow(absl::string_view path);

// Removes the entry at `path` (a file, or a symlink itself: never what it
// points to) with unlinkat relative to its parent, opened as
// OpenDirectory does. NotFound if absent; FailedPrecondition for a
// directory; errors as OpenDirectory's for the parent.
absl::Status Unlink(absl::string_view path);

namespace internal {
// OpenDirectory's component-wise walk, used when openat2 is missing or
// fails; exposed so that tests cover both ways.
absl::StatusOr<UniqueFd> WalkDirectory(absl::string_view path,
                                       std::optional<mode_t> create_mode);
}  // namespace internal

}  // namespace cri_dockerd::fs
