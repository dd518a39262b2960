// The shared core of a SPDY/3.1 session (internal to this folder): the
// socket, whole-frame writes serialized between threads, the header
// compression contexts, the stream table and the reader loop. Session owns
// one; every Stream holds a reference so it stays valid after the Session
// is gone.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/io/activity_clock.h"
#include "cri/streaming/spdy/spdy_frame.h"
#include "cri/streaming/spdy/spdy_header_block.h"

namespace cri_dockerd::streaming::spdy {

class Stream;

enum class Role { kClient, kServer };

// Largest DATA payload we send in one frame.
inline constexpr size_t kMaxDataFrameWrite = 32 * 1024;
// Streams the peer may have open at once; more are refused.
inline constexpr size_t kMaxPeerStreams = 1024;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using StreamHandler = std::function<void(std::shared_ptr<Stream>)>;

  // Takes ownership of `fd` (switched to blocking mode; closed by the
  // destructor, so no other thread can see the number reused).
  // `activity` (may be null) is touched on every read and write.
  Connection(int fd, Role role,
             std::shared_ptr<io::ActivityClock> activity = nullptr);
  ~Connection();

  // Reads and dispatches frames until the connection ends. `pending` holds
  // bytes already read from the socket.
  void ReadLoop(std::string pending, StreamHandler on_stream);

  // Writes `frame` whole. Fails with Unavailable once the connection is
  // closed or when the write fails (which closes the connection).
  absl::Status WriteFrame(const Frame& frame);
  // Writes DATA frames of at most kMaxDataFrameWrite bytes each; the FIN
  // flag, if asked for, goes on the last (possibly empty) frame.
  absl::Status WriteData(uint32_t stream_id, absl::string_view data, bool fin);
  // Compresses `headers` and writes a SYN_REPLY or HEADERS frame.
  absl::Status WriteHeaders(FrameType type, uint32_t stream_id, uint8_t flags,
                            const Headers& headers);
  // Allocates the next local stream id and writes its SYN_STREAM; returns
  // the stream, registered, or an error (Unavailable after GOAWAY/close).
  absl::StatusOr<std::shared_ptr<Stream>> CreateStream(const Headers& headers,
                                                       bool fin);
  // Sends a PING and waits for its echo.
  absl::Status Ping(absl::Time deadline);
  // Best effort GOAWAY: skipped if another writer holds the socket past
  // `deadline`, or if the connection is already closed.
  void SendGoAway(GoAwayStatus status, absl::Time deadline);

  // Removes a finished stream from the table.
  void Forget(uint32_t stream_id);
  // Ends the connection: shutdown(2) on the socket (waking a blocked read
  // or write), every stream reset with `reason`. Idempotent.
  void Shutdown(absl::Status reason);
  // Waits until Shutdown; false on timeout.
  bool Wait(absl::Time deadline);
  // OK while open; afterwards why it ended.
  absl::Status status() const;
  size_t ActiveStreams() const;

 private:
  // Handles one parsed frame; an error is a session-level protocol error.
  absl::Status HandleFrame(Frame& frame, const StreamHandler& on_stream);
  absl::Status HandleSynStream(Frame& frame, const StreamHandler& on_stream);
  absl::Status HandlePing(const Frame& frame);
  std::shared_ptr<Stream> Find(uint32_t stream_id);

  // Exclusive use of the socket's write side and of compressor_, or false
  // if the connection closed (or `deadline` passed) first.
  bool AcquireWriter(absl::Time deadline);
  void ReleaseWriter();
  // Sends `bytes` whole; requires the writer. Shuts down on failure.
  absl::Status SendAll(absl::string_view bytes);
  // Compresses `block` into `frame`'s header block and sends the frame;
  // requires the writer, so header blocks reach the peer's decompressor
  // in the order the frames go out.
  absl::Status SendHeaderFrame(Frame frame, const std::string& block);

  // Constant after construction.
  const int fd_;
  const Role role_;
  const std::shared_ptr<io::ActivityClock> activity_;  // may be null

  // Used only by the reader thread.
  HeaderDecompressor decompressor_;

  // Used only while holding the writer (see AcquireWriter).
  HeaderCompressor compressor_;

  mutable absl::Mutex mu_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool goaway_received_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status close_reason_ ABSL_GUARDED_BY(mu_);
  uint32_t next_stream_id_ ABSL_GUARDED_BY(mu_);
  uint32_t last_peer_stream_id_ ABSL_GUARDED_BY(mu_) = 0;
  uint32_t next_ping_id_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<uint32_t> pings_in_flight_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint32_t, std::shared_ptr<Stream>> streams_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace cri_dockerd::streaming::spdy
