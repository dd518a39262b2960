#include "cri/streaming/spdy/spdy_session.h"

#include <utility>

#include "common/thread.h"

namespace cri_dockerd::streaming::spdy {
namespace {
// How long Close() waits for a busy writer before skipping its GOAWAY.
constexpr absl::Duration kGoAwayWriteTimeout = absl::Seconds(1);
}  // namespace

Session::Session(int fd, Role role, std::string initial_bytes,
                 std::shared_ptr<io::ActivityClock> activity)
    : conn_(std::make_shared<Connection>(fd, role, std::move(activity))),
      initial_bytes_(std::move(initial_bytes)) {}

Session::~Session() { Close(); }

absl::Status Session::Start(StreamHandler on_stream) {
  absl::StatusOr<std::thread> reader;
  {
    absl::MutexLock lock(&mu_);
    if (started_) return absl::OkStatus();
    started_ = true;
    // The thread holds its own reference: it may outlive a Close() called
    // from on_stream, which cannot join it.
    reader = StartThread(
        "spdy-reader", [conn = conn_, pending = std::move(initial_bytes_),
                        handler = std::move(on_stream)]() mutable {
          conn->ReadLoop(std::move(pending), std::move(handler));
        });
    if (reader.ok()) {
      reader_ = *std::move(reader);
      return absl::OkStatus();
    }
  }
  conn_->Shutdown(reader.status());
  return reader.status();
}

absl::StatusOr<std::shared_ptr<Stream>> Session::OpenStream(
    const Headers& headers, bool fin, absl::Time deadline) {
  absl::StatusOr<std::shared_ptr<Stream>> stream =
      conn_->CreateStream(headers, fin);
  if (!stream.ok()) return stream.status();
  absl::Status s = (*stream)->AwaitReply(deadline);
  if (!s.ok()) {
    (*stream)->Reset();
    return s;
  }
  return stream;
}

absl::Status Session::Ping(absl::Time deadline) {
  return conn_->Ping(deadline);
}

void Session::Close() {
  conn_->SendGoAway(GoAwayStatus::kOk, absl::Now() + kGoAwayWriteTimeout);
  conn_->Shutdown(absl::UnavailableError("SPDY session closed"));
  std::thread reader;
  {
    absl::MutexLock lock(&mu_);
    reader = std::move(reader_);
  }
  if (!reader.joinable()) return;
  if (reader.get_id() == std::this_thread::get_id()) {
    reader.detach();  // called from on_stream; the loop ends by itself
  } else {
    reader.join();
  }
}

bool Session::Wait(absl::Time deadline) { return conn_->Wait(deadline); }

absl::Status Session::status() const { return conn_->status(); }

size_t Session::ActiveStreams() const { return conn_->ActiveStreams(); }

}  // namespace cri_dockerd::streaming::spdy
