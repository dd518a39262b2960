// Connection: writes, the stream table and shutdown. The reader side is in
// spdy_connection_read.cc.
#include "cri/streaming/spdy/spdy_connection.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cri/streaming/spdy/spdy_stream.h"

namespace cri_dockerd::streaming::spdy {

Connection::Connection(int fd, Role role,
                       std::shared_ptr<io::ActivityClock> activity)
    : fd_(fd),
      role_(role),
      activity_(std::move(activity)),
      next_stream_id_(role == Role::kClient ? 1 : 2),
      next_ping_id_(role == Role::kClient ? 1 : 2) {
  // Writes rely on blocking sends; Shutdown() is what unblocks them.
  int flags = fcntl(fd_, F_GETFL);
  if (flags >= 0 && (flags & O_NONBLOCK) != 0) {
    fcntl(fd_, F_SETFL, flags & ~O_NONBLOCK);
  }
}

Connection::~Connection() {
  if (fd_ >= 0) close(fd_);
}

bool Connection::AcquireWriter(absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return closed_ || !writing_;
  };
  mu_.AwaitWithDeadline(absl::Condition(&ready), deadline);
  if (closed_ || writing_) return false;
  writing_ = true;
  return true;
}

void Connection::ReleaseWriter() {
  absl::MutexLock lock(&mu_);
  writing_ = false;
}

absl::Status Connection::SendAll(absl::string_view bytes) {
  while (!bytes.empty()) {
    // MSG_NOSIGNAL: a vanished peer must give EPIPE, not kill the daemon.
    ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      absl::Status s = absl::UnavailableError(absl::StrCat(
          "SPDY connection write failed: ", n < 0 ? strerror(errno) : "EOF"));
      Shutdown(s);
      return s;
    }
    if (activity_ != nullptr) activity_->Touch();
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status Connection::WriteFrame(const Frame& frame) {
  std::string wire;
  if (absl::Status s = AppendFrame(frame, &wire); !s.ok()) return s;
  if (!AcquireWriter(absl::InfiniteFuture())) {
    return absl::UnavailableError("SPDY connection closed");
  }
  absl::Status s = SendAll(wire);
  ReleaseWriter();
  return s;
}

absl::Status Connection::WriteData(uint32_t stream_id, absl::string_view data,
                                   bool fin) {
  do {
    absl::string_view chunk = data.substr(0, kMaxDataFrameWrite);
    data.remove_prefix(chunk.size());
    absl::Status s =
        WriteFrame(DataFrame(stream_id, chunk, fin && data.empty()));
    if (!s.ok()) return s;
  } while (!data.empty());
  return absl::OkStatus();
}

absl::Status Connection::WriteHeaders(FrameType type, uint32_t stream_id,
                                      uint8_t flags, const Headers& headers) {
  absl::StatusOr<std::string> block = EncodeHeaderBlock(headers);
  if (!block.ok()) return block.status();
  Frame frame;
  frame.type = type;
  frame.stream_id = stream_id;
  frame.flags = flags;
  if (!AcquireWriter(absl::InfiniteFuture())) {
    return absl::UnavailableError("SPDY connection closed");
  }
  absl::Status s = SendHeaderFrame(std::move(frame), *block);
  ReleaseWriter();
  return s;
}

absl::Status Connection::SendHeaderFrame(Frame frame,
                                         const std::string& block) {
  absl::StatusOr<std::string> compressed = compressor_.Compress(block);
  if (!compressed.ok()) return compressed.status();
  frame.payload = *std::move(compressed);
  std::string wire;
  absl::Status s = AppendFrame(frame, &wire);
  if (s.ok()) s = SendAll(wire);
  return s;
}

absl::StatusOr<std::shared_ptr<Stream>> Connection::CreateStream(
    const Headers& headers, bool fin) {
  absl::StatusOr<std::string> block = EncodeHeaderBlock(headers);
  if (!block.ok()) return block.status();
  if (!AcquireWriter(absl::InfiniteFuture())) {
    return absl::UnavailableError("SPDY connection closed");
  }
  // The id is taken while holding the writer so that SYN_STREAMs go out in
  // increasing id order, as the peer requires.
  std::shared_ptr<Stream> stream;
  {
    absl::MutexLock lock(&mu_);
    if (goaway_received_ || next_stream_id_ > kMaxStreamId) {
      writing_ = false;
      return absl::UnavailableError("SPDY connection accepts no new streams");
    }
    stream =
        std::make_shared<Stream>(shared_from_this(), next_stream_id_, headers);
    next_stream_id_ += 2;
    if (fin) stream->MarkLocalClosed();
    streams_[stream->id()] = stream;
  }
  Frame frame;
  frame.type = FrameType::kSynStream;
  frame.stream_id = stream->id();
  frame.flags = fin ? kFlagFin : 0;
  absl::Status s = SendHeaderFrame(std::move(frame), *block);
  ReleaseWriter();
  if (!s.ok()) {
    Forget(stream->id());
    return s;
  }
  return stream;
}

absl::Status Connection::Ping(absl::Time deadline) {
  uint32_t id;
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return absl::UnavailableError("SPDY connection closed");
    id = next_ping_id_;
    // Ours are odd (client) or even (server); wrap within 31 bits.
    next_ping_id_ = next_ping_id_ > 0x7ffffffd ? next_ping_id_ - 0x7ffffffc
                                               : next_ping_id_ + 2;
    pings_in_flight_.insert(id);
  }
  absl::Status s = WriteFrame(PingFrame(id));
  absl::MutexLock lock(&mu_);
  if (s.ok()) {
    auto done = [this, id]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return closed_ || !pings_in_flight_.contains(id);
    };
    mu_.AwaitWithDeadline(absl::Condition(&done), deadline);
    if (!pings_in_flight_.contains(id)) return absl::OkStatus();
    s = closed_ ? absl::UnavailableError("SPDY connection closed")
                : absl::DeadlineExceededError("no PING reply");
  }
  pings_in_flight_.erase(id);
  return s;
}

void Connection::SendGoAway(GoAwayStatus status, absl::Time deadline) {
  uint32_t last_good;
  {
    absl::MutexLock lock(&mu_);
    last_good = last_peer_stream_id_;
  }
  std::string wire;
  if (!AppendFrame(GoAwayFrame(last_good, status), &wire).ok()) return;
  if (!AcquireWriter(deadline)) return;
  SendAll(wire).IgnoreError();
  ReleaseWriter();
}

std::shared_ptr<Stream> Connection::Find(uint32_t stream_id) {
  absl::MutexLock lock(&mu_);
  auto it = streams_.find(stream_id);
  return it == streams_.end() ? nullptr : it->second;
}

void Connection::Forget(uint32_t stream_id) {
  std::shared_ptr<Stream> dropped;  // destroyed after the lock is released
  absl::MutexLock lock(&mu_);
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) return;
  dropped = std::move(it->second);
  streams_.erase(it);
}

void Connection::Shutdown(absl::Status reason) {
  std::vector<std::shared_ptr<Stream>> streams;
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return;
    closed_ = true;
    close_reason_ = std::move(reason);
    streams.reserve(streams_.size());
    for (auto& [id, stream] : streams_) streams.push_back(std::move(stream));
    streams_.clear();
    shutdown(fd_, SHUT_RDWR);
  }
  for (auto& stream : streams) stream->OnConnectionGone();
}

bool Connection::Wait(absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithDeadline(absl::Condition(&closed_), deadline);
}

size_t Connection::ActiveStreams() const {
  absl::MutexLock lock(&mu_);
  return streams_.size();
}

absl::Status Connection::status() const {
  absl::MutexLock lock(&mu_);
  return close_reason_;
}

}  // namespace cri_dockerd::streaming::spdy
