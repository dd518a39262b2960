#include "docker_client/hijacked_conn.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace cri_dockerd::docker {
namespace {

absl::Status Broken(absl::string_view what, int err) {
  return absl::UnavailableError(absl::StrCat(
      "connection to the Docker daemon broke off while ", what, " (",
      strerrorname_np(err) != nullptr ? strerrorname_np(err) : "errno", ": ",
      std::strerror(err), ")"));
}

absl::Status ShutDown() {
  return absl::CancelledError("the docker stream was shut down");
}

class SocketHijackedConn : public HijackedConn {
 public:
  SocketHijackedConn(int fd, std::string already_read)
      : fd_(fd), pending_(std::move(already_read)) {}
  ~SocketHijackedConn() override { close(fd_); }
  SocketHijackedConn(const SocketHijackedConn&) = delete;
  SocketHijackedConn& operator=(const SocketHijackedConn&) = delete;

  absl::StatusOr<size_t> Read(char* buf, size_t len) override {
    if (shut_.load()) return ShutDown();
    if (len == 0) return 0;
    {
      absl::MutexLock lock(&read_mu_);
      if (pending_pos_ < pending_.size()) {
        const size_t n = std::min(len, pending_.size() - pending_pos_);
        std::memcpy(buf, pending_.data() + pending_pos_, n);
        pending_pos_ += n;
        if (pending_pos_ == pending_.size()) {
          pending_.clear();
          pending_.shrink_to_fit();
          pending_pos_ = 0;
        }
        return n;
      }
    }
    for (;;) {
      const ssize_t n = recv(fd_, buf, len, 0);
      // A shutdown() from Shutdown() makes a blocked recv return 0 or an
      // error: either way the stream was ended here, not by docker.
      if (shut_.load()) return ShutDown();
      if (n >= 0) return static_cast<size_t>(n);
      if (errno == EINTR) continue;
      return Broken("reading from it", errno);
    }
  }

  absl::Status WriteAll(absl::string_view data) override {
    absl::MutexLock lock(&write_mu_);
    if (shut_.load()) return ShutDown();
    if (write_closed_) {
      return absl::FailedPreconditionError(
          "the docker stream's stdin is already closed");
    }
    while (!data.empty()) {
      const ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (shut_.load()) return ShutDown();
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Broken("writing to it", errno);
      data.remove_prefix(static_cast<size_t>(n));
    }
    return absl::OkStatus();
  }

  absl::Status CloseWrite() override {
    absl::MutexLock lock(&write_mu_);
    if (write_closed_) return absl::OkStatus();
    write_closed_ = true;
    if (shut_.load()) return absl::OkStatus();  // both sides are closed
    if (shutdown(fd_, SHUT_WR) != 0 && errno != ENOTCONN) {
      return Broken("closing stdin", errno);
    }
    return absl::OkStatus();
  }

  void Shutdown() override {
    if (shut_.exchange(true)) return;
    // Not close(): another thread may be inside recv/send on fd_, and the
    // number could be reused. shutdown() wakes them; the fd closes later.
    shutdown(fd_, SHUT_RDWR);
  }

 private:
  // Constant after construction.
  const int fd_;

  std::atomic<bool> shut_{false};
  absl::Mutex read_mu_;
  std::string pending_ ABSL_GUARDED_BY(read_mu_);  // read with the head
  size_t pending_pos_ ABSL_GUARDED_BY(read_mu_) = 0;
  absl::Mutex write_mu_;
  bool write_closed_ ABSL_GUARDED_BY(write_mu_) = false;
};

}  // namespace

std::unique_ptr<HijackedConn> MakeSocketHijackedConn(int fd,
                                                     std::string already_read) {
  return std::make_unique<SocketHijackedConn>(fd, std::move(already_read));
}

}  // namespace cri_dockerd::docker
