// The CRI listening socket: a unix socket we create (mode 0660, group
// docker when that group exists, parents made, a stale file replaced, a
// live one refused), or the one systemd passes for fd://.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cri_dockerd {

class Listener {
 public:
  // `endpoint` is unix:///abs/path or fd:// (LISTEN_FDS). Errors:
  // InvalidArgument for a malformed endpoint, AlreadyExists when another
  // live process serves the path, FailedPrecondition/Internal otherwise.
  static absl::StatusOr<std::unique_ptr<Listener>> Open(
      absl::string_view endpoint);

  // Takes ownership of listening socket `fd`; removes `path` (if not
  // empty) on destruction.
  Listener(int fd, std::string path, std::string endpoint)
      : fd_(fd), path_(std::move(path)), endpoint_(std::move(endpoint)) {}

  // Closes the socket and removes the file if this process created it.
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  int fd() const { return fd_; }
  // Filesystem path of a socket we created; empty for fd://.
  const std::string& path() const { return path_; }
  const std::string& endpoint() const { return endpoint_; }

 private:
  const int fd_;
  const std::string path_;
  const std::string endpoint_;
};

}  // namespace cri_dockerd
