#include "cri/streaming/session_io.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "common/io/copy_stream.h"
#include "common/thread.h"

namespace cri_dockerd::streaming {
namespace {
constexpr size_t kMaxQueued = 1 << 20;
}  // namespace

// CopyStream's destination on the pump's thread: Write() queues, then
// waits while the queue is full (backpressure); after a local Reset() of
// the pump it drops what comes. CloseWrite() marks the end of input.
// Reset() does nothing: Run() records why the source failed.
class InputPump::QueueWriter : public io::ByteStream {
 public:
  explicit QueueWriter(InputPump* pump) : pump_(pump) {}

  absl::StatusOr<size_t> Read(char*, size_t) override {
    return absl::FailedPreconditionError("write-only");
  }
  absl::Status Write(absl::string_view data) override {
    absl::MutexLock lock(&pump_->mu_);
    if (pump_->cancelled_) return absl::OkStatus();
    pump_->chunks_.emplace_back(data);
    pump_->queued_ += data.size();
    pump_->mu_.Await(absl::Condition(
        +[](InputPump* p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(p->mu_) {
          return p->queued_ < kMaxQueued || p->cancelled_;
        },
        pump_));
    if (pump_->cancelled_) {
      pump_->chunks_.clear();
      pump_->queued_ = 0;
    }
    return absl::OkStatus();
  }
  absl::Status CloseWrite() override {
    absl::MutexLock lock(&pump_->mu_);
    pump_->eof_ = true;
    return absl::OkStatus();
  }
  void Reset() override {}

 private:
  InputPump* const pump_;
};

InputPump::InputPump(io::ByteStream* source) : source_(source) {}

absl::Status InputPump::Start() {
  absl::StatusOr<std::thread> thread =
      StartThread("stream-input", [this] { Run(); });
  if (!thread.ok()) return thread.status();
  thread_ = *std::move(thread);
  return absl::OkStatus();
}

InputPump::~InputPump() {
  Reset();
  if (thread_.joinable()) thread_.join();
}

void InputPump::Run() {
  QueueWriter queue(this);
  const io::CopyResult copied = io::CopyStream(*source_, queue);
  absl::MutexLock lock(&mu_);
  error_ = copied.read;
}

absl::StatusOr<size_t> InputPump::Read(char* buf, size_t len) {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](InputPump* p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(p->mu_) {
        return !p->chunks_.empty() || p->eof_ || !p->error_.ok() ||
               p->cancelled_;
      },
      this));
  if (cancelled_) return absl::CancelledError("input abandoned");
  if (!chunks_.empty()) {
    std::string& front = chunks_.front();
    size_t n = std::min(len, front.size());
    std::memcpy(buf, front.data(), n);
    front.erase(0, n);
    queued_ -= n;
    if (front.empty()) chunks_.pop_front();
    return n;
  }
  if (!error_.ok()) return error_;
  return 0;
}

absl::Status InputPump::Write(absl::string_view) {
  return absl::FailedPreconditionError("stdin is read-only");
}

absl::Status InputPump::CloseWrite() { return absl::OkStatus(); }

void InputPump::Reset() {
  absl::MutexLock lock(&mu_);
  cancelled_ = true;
}

std::optional<TerminalSize> ResizeReader::Next() {
  char buf[1024];
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (cancelled_) return std::nullopt;
    }
    if (std::optional<TerminalSize> size = parser_.Next()) return size;
    absl::StatusOr<size_t> n = stream_->Read(buf, sizeof(buf));
    if (!n.ok() || *n == 0) return std::nullopt;
    parser_.Feed(absl::string_view(buf, *n));
  }
}

void ResizeReader::Cancel() {
  {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
  }
  stream_->Reset();
}

ClientWatch::ClientWatch(std::function<void()> wait_gone)
    : wait_gone_(std::move(wait_gone)) {}

absl::Status ClientWatch::Start() {
  absl::StatusOr<std::thread> thread =
      StartThread("stream-watch", [this] { Run(); });
  if (!thread.ok()) return thread.status();
  thread_ = *std::move(thread);
  return absl::OkStatus();
}

void ClientWatch::Run() {
  wait_gone_();
  absl::MutexLock run(&run_mu_);
  std::map<int, std::function<void()>> callbacks;
  {
    absl::MutexLock lock(&mu_);
    gone_ = true;
    callbacks.swap(callbacks_);
  }
  for (auto& [id, fn] : callbacks) fn();
}

ClientWatch::~ClientWatch() {
  if (thread_.joinable()) thread_.join();
}

int ClientWatch::OnGone(std::function<void()> fn) {
  {
    absl::MutexLock lock(&mu_);
    if (!gone_) {
      int id = ++next_id_;
      callbacks_[id] = std::move(fn);
      return id;
    }
  }
  absl::MutexLock run(&run_mu_);
  fn();
  return 0;
}

void ClientWatch::Remove(int id) {
  absl::MutexLock run(&run_mu_);
  absl::MutexLock lock(&mu_);
  callbacks_.erase(id);
}

bool ClientWatch::gone() {
  absl::MutexLock lock(&mu_);
  return gone_;
}

}  // namespace cri_dockerd::streaming
