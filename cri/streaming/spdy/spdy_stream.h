// One SPDY/3.1 stream of a Session, as an io::ByteStream: received DATA waits
// in a bounded buffer (a full buffer stalls the connection's reader thread,
// which is the only backpressure spdystream peers respond to), writes go
// straight to the connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/io/byte_stream.h"
#include "cri/streaming/spdy/spdy_header_block.h"

namespace cri_dockerd::streaming::spdy {

class Connection;
class Session;

// Received bytes buffered per stream before the reader thread waits.
inline constexpr size_t kStreamReceiveBuffer = 1 << 20;

// Drop a Stream only once it has ended (EOF read and CloseWrite done) or
// after Reset(): a stream that is still open keeps receiving, and once its
// buffer is full the whole session waits for it to be read.
class Stream : public io::ByteStream {
 public:
  // Streams are made by Session (for SYN_STREAMs from the peer) and by
  // Session::OpenStream.
  Stream(std::shared_ptr<Connection> conn, uint32_t id, Headers headers);
  ~Stream() override;

  uint32_t id() const { return id_; }
  // The headers of the SYN_STREAM that opened the stream.
  const Headers& headers() const { return headers_; }
  // The first value of header `name` (case-insensitive), "" if absent.
  std::string Header(absl::string_view name) const;

  // io::ByteStream. Write splits data into DATA frames of at most 32 KiB;
  // Reset sends RST_STREAM CANCEL unless the stream already ended.
  absl::StatusOr<size_t> Read(char* buf, size_t len) override;
  absl::Status Write(absl::string_view data) override;
  absl::Status CloseWrite() override;
  void Reset() override;

 private:
  friend class Connection;
  friend class Session;

  // --- Called by the connection's reader thread. ---
  // Queues a DATA payload, waiting while the buffer is full; drops it if
  // the stream was reset or the connection is gone. Returns true when the
  // stream is now closed in both directions.
  bool OnData(absl::string_view data, bool fin);
  // SYN_REPLY for a stream we opened. Returns true when both sides closed.
  bool OnReply(bool fin);
  // FIN on a HEADERS frame. Returns true when both sides closed.
  bool OnRemoteFin();
  // RST_STREAM from the peer.
  void OnPeerReset();
  // The connection ended: wakes every waiter.
  void OnConnectionGone();
  // Marks our side closed before any frame goes out (SYN_STREAM with FIN,
  // or a peer's unidirectional stream).
  void MarkLocalClosed();
  void MarkRemoteClosed();
  // Waits for the peer's SYN_REPLY (streams we opened).
  absl::Status AwaitReply(absl::Time deadline);

  // Why the stream is unusable, or OK.
  absl::Status DeadStatus() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DropBuffered() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Constant after construction.
  const std::shared_ptr<Connection> conn_;
  const uint32_t id_;
  const Headers headers_;

  mutable absl::Mutex mu_;
  // Received payloads; the first `front_pos_` bytes of the front one were
  // already read. `held_` counts the unread bytes.
  std::deque<std::string> chunks_ ABSL_GUARDED_BY(mu_);
  size_t front_pos_ ABSL_GUARDED_BY(mu_) = 0;
  size_t held_ ABSL_GUARDED_BY(mu_) = 0;
  bool remote_closed_ ABSL_GUARDED_BY(mu_) = false;
  bool local_closed_ ABSL_GUARDED_BY(mu_) = false;
  bool replied_ ABSL_GUARDED_BY(mu_) = false;
  bool reset_ ABSL_GUARDED_BY(mu_) = false;
  bool gone_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace cri_dockerd::streaming::spdy
