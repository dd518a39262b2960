// One WebSocket connection (RFC 6455) over a connected socket, after the
// opening handshake: message reads with fragment reassembly and automatic
// ping/pong/close handling, thread-safe message writes, the closing
// handshake, and a shutdown that unblocks a blocked reader. Extensions
// (permessage-deflate) are never negotiated, so none are supported.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <random>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/io/activity_clock.h"
#include "cri/streaming/websocket/ws_frame.h"

namespace cri_dockerd::streaming::websocket {

// Which end we are: servers require masked frames from the client and send
// unmasked ones; clients do the opposite.
enum class Role { kServer, kClient };

enum class MessageType { kText, kBinary };

struct Message {
  MessageType type = MessageType::kBinary;
  std::string data;
};

// Close codes (RFC 6455 section 7.4.1) we send.
inline constexpr uint16_t kCloseNormal = 1000;
inline constexpr uint16_t kCloseGoingAway = 1001;
inline constexpr uint16_t kCloseProtocolError = 1002;
inline constexpr uint16_t kCloseMessageTooBig = 1009;

struct ConnectionOptions {
  // Largest reassembled message (and so largest frame) accepted.
  uint64_t max_message_bytes = uint64_t{16} << 20;
  // ReadMessage fails with DeadlineExceeded when no byte arrives for this
  // long. Infinite: wait for ever (until Shutdown()).
  absl::Duration read_idle_timeout = absl::InfiniteDuration();
  // Touched on every successful read and write of the socket, for an idle
  // timeout kept elsewhere (counting traffic both ways). May be null.
  std::shared_ptr<io::ActivityClock> activity;
};

class Connection {
 public:
  // Takes ownership of `fd`, a connected stream socket (blocking or not).
  // `initial_bytes` are bytes already read from it past the HTTP head; they
  // are parsed before anything read from the socket.
  Connection(int fd, Role role, std::string initial_bytes = {},
             ConnectionOptions options = {});
  // Closes the fd without a closing handshake; call Close() first for a
  // clean close.
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Returns the next text or binary message. Only one thread may read at a
  // time. Pings are answered with pongs and pongs are ignored along the
  // way. Text payloads are not checked for valid UTF-8 (Kubernetes' channel
  // protocols put only ASCII there). Errors other than DeadlineExceeded are
  // sticky:
  //  - OutOfRange once the peer's close frame arrived (our close frame is
  //    sent back if we had not sent one; the socket is then shut down);
  //  - InvalidArgument for a protocol violation (we send close 1002 or 1009
  //    and shut the socket down);
  //  - Unavailable when the socket ends without a close frame, fails, or
  //    Shutdown() was called;
  //  - DeadlineExceeded after options.read_idle_timeout of silence.
  absl::StatusOr<Message> ReadMessage();

  // Sends `data` as one unfragmented message. Thread-safe; whole frames are
  // never interleaved. Blocks while the socket is congested (Shutdown()
  // ends that). Fails with FailedPrecondition after our close frame was
  // sent and with Unavailable when the socket fails.
  absl::Status WriteMessage(MessageType type, absl::string_view data);

  // Sends a ping (payload at most 125 bytes).
  absl::Status Ping(absl::string_view payload);

  // Starts the closing handshake: sends a close frame with `code` and
  // `reason` (cut to 123 bytes) unless one was sent already. Returns at
  // once; ReadMessage returns OutOfRange when the peer answers. Idempotent.
  absl::Status Close(uint16_t code, absl::string_view reason);

  // Shuts the socket down in both directions: a blocked ReadMessage or
  // WriteMessage returns Unavailable. Idempotent; the fd stays open until
  // destruction so it cannot be reused under a concurrent call.
  void Shutdown();

  Role role() const { return role_; }

 private:
  absl::Status ReadFrame(Frame* frame);
  absl::Status FillBuffer();
  absl::Status HandleClose(const Frame& frame);
  // Sends close `code` (if not yet sent), shuts down, returns `error`.
  absl::Status Fail(uint16_t code, absl::Status error);
  absl::Status SendFrame(Opcode opcode, absl::string_view payload)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  absl::Status SendAll(absl::string_view bytes);

  // Constant after construction.
  const int fd_;
  const Role role_;
  const ConnectionOptions options_;

  std::atomic<bool> shutdown_{false};

  // Reader state: touched only by the (single) reading thread.
  std::string buf_;
  size_t buf_pos_ = 0;
  absl::Status read_error_;
  bool in_message_ = false;
  Message partial_;

  absl::Mutex write_mu_;
  bool close_sent_ ABSL_GUARDED_BY(write_mu_) = false;
  std::mt19937 mask_rng_ ABSL_GUARDED_BY(write_mu_);
};

}  // namespace cri_dockerd::streaming::websocket
