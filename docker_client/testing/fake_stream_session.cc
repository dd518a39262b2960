#include "docker_client/testing/fake_stream_session.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "docker_client/mux_stream_decoder.h"
#include "docker_client/testing/fake_docker_client.h"

namespace cri_dockerd::docker {

absl::StatusOr<size_t> FakeStreamSession::ReadStdin(char* buf, size_t len) {
  if (!stdin_attached_) return 0;
  if (!line_buf_.empty()) {
    const size_t n = std::min(len, line_buf_.size());
    std::memcpy(buf, line_buf_.data(), n);
    line_buf_.erase(0, n);
    return n;
  }
  for (;;) {
    const ssize_t n = recv(fd_, buf, len, 0);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EINTR) continue;
    if (errno == ECONNRESET || errno == EPIPE) return 0;
    return absl::UnavailableError(
        absl::StrCat("fake docker: reading stdin: ", std::strerror(errno)));
  }
}

std::optional<std::string> FakeStreamSession::ReadStdinLine() {
  for (;;) {
    const size_t nl = line_buf_.find('\n');
    if (nl != std::string::npos) {
      std::string line = line_buf_.substr(0, nl + 1);
      line_buf_.erase(0, nl + 1);
      return line;
    }
    if (!stdin_attached_) break;
    char chunk[4096];
    ssize_t n;
    do {
      n = recv(fd_, chunk, sizeof(chunk), 0);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) break;
    line_buf_.append(chunk, static_cast<size_t>(n));
  }
  if (line_buf_.empty()) return std::nullopt;
  std::string rest = std::move(line_buf_);
  line_buf_.clear();
  return rest;
}

void FakeStreamSession::AwaitHangUp() {
  char chunk[4096];
  for (;;) {
    const ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
    if (n == 0 || (n < 0 && errno != EINTR)) return;
  }
}

absl::Status FakeStreamSession::WriteRaw(absl::string_view data) {
  while (!data.empty()) {
    const ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return absl::UnavailableError(
          absl::StrCat("fake docker: writing output: ", std::strerror(errno)));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status FakeStreamSession::WriteStdout(absl::string_view data) {
  if (tty_) return WriteRaw(data);
  return WriteRaw(EncodeMuxFrame(MuxStream::kStdout, data));
}

absl::Status FakeStreamSession::WriteStderr(absl::string_view data) {
  if (tty_) return WriteRaw(data);
  return WriteRaw(EncodeMuxFrame(MuxStream::kStderr, data));
}

std::vector<FakeResize> FakeStreamSession::Resizes() const {
  std::vector<FakeResize> mine;
  for (FakeResize& r : fake_->ResizeCalls()) {
    if (r.id == id_ && r.exec == exec_) mine.push_back(std::move(r));
  }
  return mine;
}

bool FakeStreamSession::AwaitResizes(size_t n, absl::Time deadline) const {
  for (;;) {
    if (Resizes().size() >= n) return true;
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
}

}  // namespace cri_dockerd::docker
