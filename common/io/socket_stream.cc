#include "common/io/socket_stream.h"

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

namespace cri_dockerd::io {
namespace {

class SocketStream : public ByteStream {
 public:
  SocketStream(int fd, std::string already_read, std::string peer)
      : fd_(fd), peer_(std::move(peer)), pending_(std::move(already_read)) {}
  ~SocketStream() override { close(fd_); }
  SocketStream(const SocketStream&) = delete;
  SocketStream& operator=(const SocketStream&) = delete;

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
      // A shutdown() from Reset() makes a blocked recv return 0 or an
      // error: either way the stream was ended here, not by the peer.
      if (shut_.load()) return ShutDown();
      if (n >= 0) return static_cast<size_t>(n);
      if (errno == EINTR) continue;
      return Broken("reading from it", errno);
    }
  }

  absl::Status Write(absl::string_view data) override {
    absl::MutexLock lock(&write_mu_);
    if (shut_.load()) return ShutDown();
    if (write_closed_) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the connection to ", peer_, " is already closed for writing"));
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
      return Broken("closing our side", errno);
    }
    return absl::OkStatus();
  }

  void Reset() override {
    if (shut_.exchange(true)) return;
    // Not close(): another thread may be inside recv/send on fd_, and the
    // number could be reused. shutdown() wakes them; the fd closes later.
    shutdown(fd_, SHUT_RDWR);
  }

 private:
  absl::Status Broken(absl::string_view what, int err) const {
    return absl::UnavailableError(absl::StrCat(
        "connection to ", peer_, " broke off while ", what, " (",
        strerrorname_np(err) != nullptr ? strerrorname_np(err) : "errno", ": ",
        std::strerror(err), ")"));
  }
  absl::Status ShutDown() const {
    return absl::CancelledError(
        absl::StrCat("the connection to ", peer_, " was shut down here"));
  }

  // Constant after construction.
  const int fd_;
  const std::string peer_;

  std::atomic<bool> shut_{false};
  absl::Mutex read_mu_;
  std::string pending_ ABSL_GUARDED_BY(read_mu_);  // read before us
  size_t pending_pos_ ABSL_GUARDED_BY(read_mu_) = 0;
  absl::Mutex write_mu_;
  bool write_closed_ ABSL_GUARDED_BY(write_mu_) = false;
};

}  // namespace

std::unique_ptr<ByteStream> MakeSocketStream(int fd, std::string already_read,
                                             std::string peer) {
  return std::make_unique<SocketStream>(fd, std::move(already_read),
                                        std::move(peer));
}

}  // namespace cri_dockerd::io
