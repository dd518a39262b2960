#include "cri/streaming/spdy/spdy_stream.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cri/streaming/spdy/spdy_connection.h"

namespace cri_dockerd::streaming::spdy {

Stream::Stream(std::shared_ptr<Connection> conn, uint32_t id, Headers headers)
    : conn_(std::move(conn)), id_(id), headers_(std::move(headers)) {}

Stream::~Stream() = default;

std::string Stream::Header(absl::string_view name) const {
  return FirstHeaderValue(headers_, name);
}

absl::Status Stream::DeadStatus() const {
  if (reset_) {
    return absl::CancelledError(absl::StrCat("SPDY stream ", id_, " reset"));
  }
  if (gone_) {
    return absl::UnavailableError(
        absl::StrCat("SPDY connection of stream ", id_, " is gone"));
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> Stream::Read(char* buf, size_t len) {
  if (len == 0) return absl::InvalidArgumentError("Read with len 0");
  absl::MutexLock lock(&mu_);
  auto readable = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return reset_ || gone_ || remote_closed_ || held_ > 0;
  };
  mu_.Await(absl::Condition(&readable));
  if (reset_) return DeadStatus();
  // Bytes that arrived before the peer closed or the connection ended are
  // still delivered.
  if (held_ > 0) {
    size_t n = 0;
    while (n < len && !chunks_.empty()) {
      const std::string& front = chunks_.front();
      size_t take = std::min(len - n, front.size() - front_pos_);
      std::memcpy(buf + n, front.data() + front_pos_, take);
      n += take;
      front_pos_ += take;
      if (front_pos_ == front.size()) {
        chunks_.pop_front();
        front_pos_ = 0;
      }
    }
    held_ -= n;
    return n;
  }
  if (remote_closed_) return size_t{0};
  return DeadStatus();
}

absl::Status Stream::Write(absl::string_view data) {
  while (!data.empty()) {
    {
      absl::MutexLock lock(&mu_);
      if (absl::Status s = DeadStatus(); !s.ok()) return s;
      if (local_closed_) {
        return absl::FailedPreconditionError(
            absl::StrCat("write on half-closed SPDY stream ", id_));
      }
    }
    absl::string_view chunk = data.substr(0, kMaxDataFrameWrite);
    if (absl::Status s = conn_->WriteData(id_, chunk, false); !s.ok()) {
      return s;
    }
    data.remove_prefix(chunk.size());
  }
  return absl::OkStatus();
}

absl::Status Stream::CloseWrite() {
  bool forget;
  {
    absl::MutexLock lock(&mu_);
    if (local_closed_ || reset_) return absl::OkStatus();
    if (gone_) return DeadStatus();
    local_closed_ = true;
    forget = remote_closed_;
  }
  absl::Status s = conn_->WriteData(id_, "", true);
  if (forget) conn_->Forget(id_);
  return s;
}

void Stream::Reset() {
  bool send;
  {
    absl::MutexLock lock(&mu_);
    if (reset_) return;
    // A stream that ended both ways, or whose connection is gone, has
    // nothing left to cancel on the wire.
    send = !gone_ && !(local_closed_ && remote_closed_);
    reset_ = true;
    DropBuffered();
  }
  if (send) {
    conn_->WriteFrame(RstStreamFrame(id_, RstStatus::kCancel)).IgnoreError();
  }
  conn_->Forget(id_);
}

bool Stream::OnData(absl::string_view data, bool fin) {
  absl::MutexLock lock(&mu_);
  if (!data.empty()) {
    // One frame larger than the whole buffer is still taken when the
    // buffer is empty; otherwise wait for the consumer. DATA after the
    // peer's FIN is dropped without waiting.
    auto room = [this, n = data.size()]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return reset_ || gone_ || remote_closed_ || held_ == 0 ||
             held_ + n <= kStreamReceiveBuffer;
    };
    mu_.Await(absl::Condition(&room));
    if (reset_ || gone_ || remote_closed_) return false;
    chunks_.emplace_back(data);
    held_ += data.size();
  }
  if (fin) remote_closed_ = true;
  return remote_closed_ && local_closed_;
}

bool Stream::OnReply(bool fin) {
  absl::MutexLock lock(&mu_);
  replied_ = true;
  if (fin) remote_closed_ = true;
  return remote_closed_ && local_closed_;
}

bool Stream::OnRemoteFin() {
  absl::MutexLock lock(&mu_);
  remote_closed_ = true;
  return local_closed_;
}

void Stream::OnPeerReset() {
  absl::MutexLock lock(&mu_);
  reset_ = true;
  DropBuffered();
}

void Stream::DropBuffered() {
  chunks_.clear();
  front_pos_ = 0;
  held_ = 0;
}

void Stream::OnConnectionGone() {
  absl::MutexLock lock(&mu_);
  gone_ = true;
}

void Stream::MarkLocalClosed() {
  absl::MutexLock lock(&mu_);
  local_closed_ = true;
}

void Stream::MarkRemoteClosed() {
  absl::MutexLock lock(&mu_);
  remote_closed_ = true;
}

absl::Status Stream::AwaitReply(absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return replied_ || reset_ || gone_;
  };
  mu_.AwaitWithDeadline(absl::Condition(&done), deadline);
  if (replied_) return absl::OkStatus();
  if (absl::Status s = DeadStatus(); !s.ok()) {
    return absl::UnavailableError(
        absl::StrCat("SPDY stream ", id_, " refused: ", s.message()));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("no SYN_REPLY for SPDY stream ", id_));
}

}  // namespace cri_dockerd::streaming::spdy
