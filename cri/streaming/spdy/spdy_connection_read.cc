// Connection: the reader loop and per-frame dispatch.
//
// Flow control: SPDY/3.1 defines per-stream and session receive windows,
// but spdystream (the library every Kubernetes client uses) neither sends
// WINDOW_UPDATE nor honours ours. So SETTINGS and WINDOW_UPDATE are
// accepted and ignored: we enforce no receive window and never wait on a
// send window. Backpressure comes from the bounded per-stream receive
// buffer instead: when it is full the reader thread stops reading the
// socket and TCP pushes back on the peer.
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "cri/streaming/spdy/spdy_connection.h"
#include "cri/streaming/spdy/spdy_stream.h"

namespace cri_dockerd::streaming::spdy {
namespace {
constexpr size_t kReadChunk = 64 * 1024;
// Grace period for the GOAWAY sent on a protocol error.
constexpr absl::Duration kGoAwayWriteTimeout = absl::Seconds(1);
}  // namespace

void Connection::ReadLoop(std::string pending, StreamHandler on_stream) {
  std::string buf = std::move(pending);
  size_t pos = 0;
  absl::Status end;
  for (;;) {
    Frame frame;
    size_t used = 0;
    absl::Status s = ParseFrame(absl::string_view(buf).substr(pos),
                                kMaxFramePayload, &frame, &used);
    if (s.ok() && used > 0) {
      pos += used;
      s = HandleFrame(frame, on_stream);
      if (s.ok()) continue;
    }
    if (!s.ok()) {
      LOG(WARNING) << "SPDY protocol error, closing the connection: "
                   << s.message();
      SendGoAway(GoAwayStatus::kProtocolError,
                 absl::Now() + kGoAwayWriteTimeout);
      end = std::move(s);
      break;
    }
    // Need more bytes: keep only the unparsed tail, then read.
    buf.erase(0, pos);
    pos = 0;
    if (buf.capacity() > 4 * kReadChunk && buf.size() < kReadChunk) {
      buf.shrink_to_fit();  // after a very large frame
    }
    size_t old = buf.size();
    buf.resize(old + kReadChunk);
    ssize_t n = recv(fd_, buf.data() + old, kReadChunk, 0);
    if (n < 0 && errno == EINTR) {
      buf.resize(old);
      continue;
    }
    if (n <= 0) {
      end = absl::UnavailableError(
          n == 0
              ? "SPDY peer closed the connection"
              : absl::StrCat("SPDY connection read failed: ", strerror(errno)));
      break;
    }
    if (activity_ != nullptr) activity_->Touch();
    buf.resize(old + static_cast<size_t>(n));
  }
  Shutdown(std::move(end));
}

absl::Status Connection::HandleFrame(Frame& frame,
                                     const StreamHandler& on_stream) {
  bool fin = (frame.flags & kFlagFin) != 0;
  switch (frame.type) {
    case FrameType::kData: {
      // DATA for a stream we no longer know (reset, or finished) is
      // dropped: it may simply have crossed our RST_STREAM on the wire.
      std::shared_ptr<Stream> stream = Find(frame.stream_id);
      if (stream != nullptr && stream->OnData(frame.payload, fin)) {
        Forget(frame.stream_id);
      }
      return absl::OkStatus();
    }
    case FrameType::kSynStream:
      return HandleSynStream(frame, on_stream);
    case FrameType::kSynReply:
    case FrameType::kHeaders: {
      // Always inflate: the zlib context must see every block.
      absl::StatusOr<Headers> headers =
          DecompressHeaders(decompressor_, frame.payload);
      if (!headers.ok()) return headers.status();
      std::shared_ptr<Stream> stream = Find(frame.stream_id);
      if (stream == nullptr) return absl::OkStatus();
      bool done = frame.type == FrameType::kSynReply ? stream->OnReply(fin)
                  : fin                              ? stream->OnRemoteFin()
                                                     : false;
      if (done) Forget(frame.stream_id);
      return absl::OkStatus();
    }
    case FrameType::kRstStream: {
      std::shared_ptr<Stream> stream = Find(frame.stream_id);
      if (stream != nullptr) {
        Forget(frame.stream_id);
        stream->OnPeerReset();
      }
      return absl::OkStatus();
    }
    case FrameType::kPing:
      return HandlePing(frame);
    case FrameType::kGoAway: {
      absl::MutexLock lock(&mu_);
      goaway_received_ = true;
      return absl::OkStatus();
    }
    case FrameType::kSettings:
    case FrameType::kWindowUpdate:
    case FrameType::kUnknown:
      return absl::OkStatus();  // see the flow control note at the top
  }
  return absl::OkStatus();
}

absl::Status Connection::HandleSynStream(Frame& frame,
                                         const StreamHandler& on_stream) {
  absl::StatusOr<Headers> headers =
      DecompressHeaders(decompressor_, frame.payload);
  if (!headers.ok()) return headers.status();
  uint32_t id = frame.stream_id;
  bool peer_parity = (id % 2 == 1) == (role_ == Role::kServer);
  bool refuse = false;
  std::shared_ptr<Stream> stream;
  {
    absl::MutexLock lock(&mu_);
    if (!peer_parity || id <= last_peer_stream_id_) {
      return absl::InvalidArgumentError(
          absl::StrCat("SYN_STREAM with invalid stream id ", id, " (last was ",
                       last_peer_stream_id_, ")"));
    }
    last_peer_stream_id_ = id;
    refuse = closed_ || goaway_received_ || streams_.size() >= kMaxPeerStreams;
    if (!refuse) {
      stream =
          std::make_shared<Stream>(shared_from_this(), id, *std::move(headers));
      streams_[id] = stream;
    }
  }
  if (refuse) {
    // A failed write has already shut the connection down.
    WriteFrame(RstStreamFrame(id, RstStatus::kRefusedStream)).IgnoreError();
    return absl::OkStatus();
  }
  bool remote_closed = (frame.flags & kFlagFin) != 0;
  bool local_closed = (frame.flags & kFlagUnidirectional) != 0;
  if (remote_closed) stream->MarkRemoteClosed();
  if (local_closed) stream->MarkLocalClosed();
  if (remote_closed && local_closed) Forget(id);
  // Like Kubernetes' SPDY server, accept every stream with an empty reply
  // before handing it out, so the peer may send right away.
  if (!WriteHeaders(FrameType::kSynReply, id, 0, {}).ok()) {
    return absl::OkStatus();  // the connection is gone; the loop ends
  }
  if (on_stream) {
    on_stream(std::move(stream));
  } else {
    stream->Reset();
  }
  return absl::OkStatus();
}

absl::Status Connection::HandlePing(const Frame& frame) {
  if (frame.ping_id == 0) return absl::OkStatus();
  bool ours = (frame.ping_id % 2 == 1) == (role_ == Role::kClient);
  if (!ours) {
    // The peer's ping: echo it. A failed write already shut down.
    WriteFrame(PingFrame(frame.ping_id)).IgnoreError();
    return absl::OkStatus();
  }
  absl::MutexLock lock(&mu_);
  pings_in_flight_.erase(frame.ping_id);
  return absl::OkStatus();
}

}  // namespace cri_dockerd::streaming::spdy
