#include "cri/streaming/websocket/ws_connection.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace cri_dockerd::streaming::websocket {
namespace {

constexpr size_t kReadChunk = 64 * 1024;

absl::Status ErrnoStatus(absl::string_view what, int err) {
  return absl::UnavailableError(
      absl::StrCat("websocket ", what, ": ", std::strerror(err)));
}

// Close codes a peer may put on the wire (RFC 6455 section 7.4).
bool ValidCloseCode(uint16_t code) {
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1014 && code != 1004 && code != 1005 &&
         code != 1006;
}

int PollTimeoutMs(absl::Duration timeout) {
  if (timeout == absl::InfiniteDuration()) return -1;
  int64_t ms = absl::ToInt64Milliseconds(timeout);
  return static_cast<int>(std::clamp<int64_t>(ms, 0, 1 << 30));
}

}  // namespace

Connection::Connection(int fd, Role role, std::string initial_bytes,
                       ConnectionOptions options)
    : fd_(fd),
      role_(role),
      options_(options),
      buf_(std::move(initial_bytes)),
      mask_rng_(std::random_device{}()) {}

Connection::~Connection() { ::close(fd_); }

void Connection::Shutdown() {
  if (shutdown_.exchange(true)) return;
  ::shutdown(fd_, SHUT_RDWR);
}

absl::Status Connection::SendAll(absl::string_view bytes) {
  while (!bytes.empty()) {
    if (shutdown_.load()) {
      return absl::UnavailableError("websocket connection shut down");
    }
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        pollfd pfd{fd_, POLLOUT, 0};
        if (::poll(&pfd, 1, -1) < 0 && errno != EINTR) {
          return ErrnoStatus("poll", errno);
        }
        continue;
      }
      return ErrnoStatus("send", errno);
    }
    if (options_.activity != nullptr) options_.activity->Touch();
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status Connection::SendFrame(Opcode opcode, absl::string_view payload) {
  std::optional<MaskKey> mask;
  if (role_ == Role::kClient) {
    uint32_t r = mask_rng_();
    mask =
        MaskKey{static_cast<uint8_t>(r), static_cast<uint8_t>(r >> 8),
                static_cast<uint8_t>(r >> 16), static_cast<uint8_t>(r >> 24)};
  }
  return SendAll(SerializeFrame(opcode, payload, /*fin=*/true, mask));
}

absl::Status Connection::WriteMessage(MessageType type,
                                      absl::string_view data) {
  absl::MutexLock lock(&write_mu_);
  if (close_sent_) {
    return absl::FailedPreconditionError("websocket close frame already sent");
  }
  return SendFrame(type == MessageType::kText ? Opcode::kText : Opcode::kBinary,
                   data);
}

absl::Status Connection::Ping(absl::string_view payload) {
  if (payload.size() > kMaxControlPayload) {
    return absl::InvalidArgumentError("ping payload longer than 125 bytes");
  }
  absl::MutexLock lock(&write_mu_);
  if (close_sent_) {
    return absl::FailedPreconditionError("websocket close frame already sent");
  }
  return SendFrame(Opcode::kPing, payload);
}

absl::Status Connection::Close(uint16_t code, absl::string_view reason) {
  absl::MutexLock lock(&write_mu_);
  if (close_sent_) return absl::OkStatus();
  close_sent_ = true;
  std::string payload;
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xFF));
  absl::string_view cut = reason.substr(0, kMaxControlPayload - 2);
  payload.append(cut.data(), cut.size());
  return SendFrame(Opcode::kClose, payload);
}

absl::Status Connection::Fail(uint16_t code, absl::Status error) {
  Close(code, error.message()).IgnoreError();
  Shutdown();
  read_error_ = error;
  return error;
}

absl::Status Connection::FillBuffer() {
  if (buf_pos_ > 0) {
    buf_.erase(0, buf_pos_);
    buf_pos_ = 0;
  }
  const int timeout_ms = PollTimeoutMs(options_.read_idle_timeout);
  for (;;) {
    if (shutdown_.load()) {
      return absl::UnavailableError("websocket connection shut down");
    }
    pollfd pfd{fd_, POLLIN, 0};
    int ready = ::poll(&pfd, 1, timeout_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("poll", errno);
    }
    if (ready == 0) {
      return absl::DeadlineExceededError(
          absl::StrCat("websocket idle for ",
                       absl::FormatDuration(options_.read_idle_timeout)));
    }
    size_t old = buf_.size();
    buf_.resize(old + kReadChunk);
    ssize_t n = ::recv(fd_, buf_.data() + old, kReadChunk, 0);
    buf_.resize(old + static_cast<size_t>(std::max<ssize_t>(n, 0)));
    if (n > 0) {
      if (options_.activity != nullptr) options_.activity->Touch();
      return absl::OkStatus();
    }
    if (n == 0) {
      if (shutdown_.load()) {
        return absl::UnavailableError("websocket connection shut down");
      }
      return absl::UnavailableError("websocket peer went away without closing");
    }
    if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
    return ErrnoStatus("recv", errno);
  }
}

absl::Status Connection::ReadFrame(Frame* frame) {
  for (;;) {
    size_t consumed = 0;
    absl::Status s = ParseFrame(absl::string_view(buf_).substr(buf_pos_),
                                options_.max_message_bytes, frame, &consumed);
    if (!s.ok()) {
      const bool too_big = frame->declared_length > options_.max_message_bytes;
      return Fail(too_big ? kCloseMessageTooBig : kCloseProtocolError, s);
    }
    if (consumed > 0) {
      buf_pos_ += consumed;
      return absl::OkStatus();
    }
    absl::Status filled = FillBuffer();
    if (!filled.ok()) {
      if (!absl::IsDeadlineExceeded(filled)) read_error_ = filled;
      return filled;
    }
  }
}

absl::Status Connection::HandleClose(const Frame& frame) {
  uint16_t code = 1005;  // "no status received", never sent on the wire
  absl::string_view reason;
  if (frame.payload.size() == 1) {
    return Fail(kCloseProtocolError,
                absl::InvalidArgumentError("websocket close frame of 1 byte"));
  }
  if (frame.payload.size() >= 2) {
    code = static_cast<uint16_t>((static_cast<uint8_t>(frame.payload[0]) << 8) |
                                 static_cast<uint8_t>(frame.payload[1]));
    reason = absl::string_view(frame.payload).substr(2);
  }
  {
    absl::MutexLock lock(&write_mu_);
    if (!close_sent_) {
      close_sent_ = true;
      std::string echo;
      if (frame.payload.size() >= 2) {
        uint16_t reply = ValidCloseCode(code) ? code : kCloseProtocolError;
        echo.push_back(static_cast<char>(reply >> 8));
        echo.push_back(static_cast<char>(reply & 0xFF));
      }
      SendFrame(Opcode::kClose, echo).IgnoreError();
    }
  }
  // Both close frames have now crossed: the handshake is complete.
  Shutdown();
  read_error_ = absl::OutOfRangeError(
      absl::StrCat("websocket closed by peer (code ", code, ")",
                   reason.empty() ? "" : ": ", reason));
  return read_error_;
}

absl::StatusOr<Message> Connection::ReadMessage() {
  if (!read_error_.ok()) return read_error_;
  for (;;) {
    Frame frame;
    RETURN_IF_ERROR(ReadFrame(&frame));
    if (frame.masked != (role_ == Role::kServer)) {
      return Fail(
          kCloseProtocolError,
          absl::InvalidArgumentError(
              role_ == Role::kServer ? "websocket client sent an unmasked frame"
                                     : "websocket server sent a masked frame"));
    }
    switch (frame.opcode) {
      case Opcode::kPing: {
        absl::MutexLock lock(&write_mu_);
        if (!close_sent_) {
          SendFrame(Opcode::kPong, frame.payload).IgnoreError();
        }
        continue;
      }
      case Opcode::kPong:
        continue;
      case Opcode::kClose:
        return HandleClose(frame);
      case Opcode::kText:
      case Opcode::kBinary:
        if (in_message_) {
          return Fail(kCloseProtocolError,
                      absl::InvalidArgumentError(
                          "websocket data frame inside a fragmented message"));
        }
        partial_.type = frame.opcode == Opcode::kText ? MessageType::kText
                                                      : MessageType::kBinary;
        partial_.data = std::move(frame.payload);
        break;
      case Opcode::kContinuation:
        if (!in_message_) {
          return Fail(kCloseProtocolError,
                      absl::InvalidArgumentError(
                          "websocket continuation frame without a message"));
        }
        if (frame.payload.size() >
            options_.max_message_bytes - partial_.data.size()) {
          return Fail(kCloseMessageTooBig,
                      absl::InvalidArgumentError(absl::StrCat(
                          "websocket message exceeds the limit of ",
                          options_.max_message_bytes, " bytes")));
        }
        partial_.data += frame.payload;
        break;
    }
    if (frame.fin) {
      in_message_ = false;
      Message done = std::move(partial_);
      partial_ = Message();
      return done;
    }
    in_message_ = true;
  }
}

}  // namespace cri_dockerd::streaming::websocket
