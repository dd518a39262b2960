#include "cri/docker_streaming/docker_streaming_runtime.h"

#include <functional>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/io/copy_stream.h"
#include "common/logging.h"
#include "common/thread.h"
#include "docker_client/mux_stream_decoder.h"

namespace cri_dockerd {
namespace {

// How long docker gets to record an exec's exit code after its output
// ended.
constexpr absl::Duration kExitWait = absl::Seconds(5);
// How long a TTY exec waits for the client's first terminal size before
// it starts without one (a client with no terminal sends none).
constexpr absl::Duration kFirstSizeWait = absl::Seconds(1);

// Carries the client's terminal sizes (TTY sessions with a resize stream)
// to docker on a thread of its own, from Read(). Sizes that come before
// Start() are held, the latest only; from Start() on each goes to `apply`
// in order.
class ResizeRelay {
 public:
  explicit ResizeRelay(const streaming::StreamIo& io)
      : source_(io.tty ? io.resize : nullptr) {}
  ~ResizeRelay() { Stop(); }

  // Starts reading sizes (if the session has a resize stream).
  // ResourceExhausted if the thread cannot be created.
  absl::Status Read() {
    if (source_ == nullptr) return absl::OkStatus();
    absl::StatusOr<std::thread> thread =
        StartThread("exec-resize", [this] { Run(); });
    if (!thread.ok()) return thread.status();
    thread_ = *std::move(thread);
    return absl::OkStatus();
  }
  ResizeRelay(const ResizeRelay&) = delete;
  ResizeRelay& operator=(const ResizeRelay&) = delete;

  // The first size, once the client has sent one, waiting up to `timeout`
  // for it; nullopt if none came (or the client sends none).
  std::optional<streaming::TerminalSize> WaitFirst(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(
        absl::Condition(
            +[](ResizeRelay* r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(r->mu_) {
              return r->first_.has_value() || r->ended_;
            },
            this),
        timeout);
    return first_;
  }

  // Sends the held size, then every later one, to `apply`.
  void Start(std::function<void(streaming::TerminalSize)> apply) {
    // apply_mu_ keeps a newer size from overtaking the held one.
    absl::MutexLock applying(&apply_mu_);
    apply_ = std::move(apply);
    std::optional<streaming::TerminalSize> held;
    {
      absl::MutexLock lock(&mu_);
      held.swap(held_);
    }
    if (held.has_value()) apply_(*held);
  }

  // Stops reading sizes (locally) and joins the thread. Idempotent.
  void Stop() {
    if (thread_.joinable()) {
      source_->Cancel();
      thread_.join();
    }
  }

 private:
  void Run() {
    while (std::optional<streaming::TerminalSize> size = source_->Next()) {
      absl::MutexLock applying(&apply_mu_);
      {
        absl::MutexLock lock(&mu_);
        if (!first_.has_value()) first_ = size;
        if (!apply_) {
          held_ = size;
          continue;
        }
      }
      apply_(*size);
    }
    absl::MutexLock lock(&mu_);
    ended_ = true;
  }

  streaming::ResizeSource* const source_;  // null: nothing to relay
  absl::Mutex apply_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  absl::Mutex mu_;
  std::optional<streaming::TerminalSize> first_ ABSL_GUARDED_BY(mu_);
  std::optional<streaming::TerminalSize> held_ ABSL_GUARDED_BY(mu_);
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  // Empty until Start().
  std::function<void(streaming::TerminalSize)> apply_
      ABSL_GUARDED_BY(apply_mu_);
  std::thread thread_;
};

// Docker's output as CopyStream's destination: the raw bytes of a TTY
// go to the client's stdout; otherwise docker's multiplexed frames are
// split into stdout and stderr (stdout when the client has no stderr).
// Streams the client did not ask for drop their share. CloseWrite() and
// Reset() do nothing: the client's streams are the session's, which ends
// them after it reported the outcome.
class ClientOutput : public io::ByteStream {
 public:
  explicit ClientOutput(const streaming::StreamIo& io) : io_(io) {}

  absl::StatusOr<size_t> Read(char*, size_t) override {
    return absl::FailedPreconditionError("the client's output is write-only");
  }
  absl::Status Write(absl::string_view chunk) override {
    if (io_.tty) return Deliver(io_.stdout, chunk);
    absl::Status write;
    absl::Status fed = decoder_.Feed(chunk, [&](docker::MuxStream stream,
                                                absl::string_view data) {
      if (!write.ok()) return;
      if (stream == docker::MuxStream::kStdout) {
        write = Deliver(io_.stdout, data);
      } else if (stream == docker::MuxStream::kStderr ||
                 stream == docker::MuxStream::kSystemErr) {
        write = Deliver(io_.stderr != nullptr ? io_.stderr : io_.stdout, data);
      }
    });
    return fed.ok() ? write : fed;
  }
  absl::Status CloseWrite() override { return absl::OkStatus(); }
  void Reset() override {}

 private:
  static absl::Status Deliver(io::ByteStream* to, absl::string_view data) {
    return to == nullptr || data.empty() ? absl::OkStatus() : to->Write(data);
  }

  const streaming::StreamIo& io_;
  docker::MuxStreamDecoder decoder_;
};

}  // namespace

DockerStreamingRuntime::DockerStreamingRuntime(docker::DockerClient* docker,
                                               absl::Duration setup_timeout)
    : docker_(docker), setup_timeout_(setup_timeout) {}

absl::Status PumpHijacked(docker::HijackedConn* conn,
                          const streaming::StreamIo& io) {
  int watch = io.client_gone->OnGone([conn] { conn->Reset(); });
  std::thread input;
  if (io.stdin != nullptr) {
    absl::StatusOr<std::thread> started = StartThread(
        "exec-stdin", [&io, conn] { (void)io::CopyStream(*io.stdin, *conn); });
    if (!started.ok()) {
      conn->Reset();
      io.client_gone->Remove(watch);
      return started.status();
    }
    input = *std::move(started);
  }
  ClientOutput output(io);
  const io::CopyResult copied = io::CopyStream(*conn, output);
  // Done: stop reading the client's input (locally), drop the docker
  // connection, and wait for the input thread.
  if (io.stdin != nullptr) io.stdin->Reset();
  conn->Reset();
  if (input.joinable()) input.join();
  io.client_gone->Remove(watch);
  if (absl::IsCancelled(copied.read)) {
    return absl::CancelledError("the client went away");
  }
  return copied.read.ok() ? copied.write : copied.read;
}

absl::StatusOr<int> DockerStreamingRuntime::Exec(
    const streaming::ExecRequest& request, const streaming::StreamIo& io) {
  // The client sends its terminal's size as soon as its streams are up;
  // waiting briefly for it lets docker (API 1.42+) start the command at
  // that size instead of at 0x0 with a resize racing the command's start.
  ResizeRelay resizes(io);
  if (absl::Status s = resizes.Read(); !s.ok()) return s;
  docker::ExecCreateConfig config;
  if (std::optional<streaming::TerminalSize> first =
          resizes.WaitFirst(kFirstSizeWait)) {
    config.console_size = docker::TerminalBox{first->height, first->width};
  }
  config.container_id = request.container_id;
  config.cmd = request.cmd;
  config.tty = io.tty;
  config.attach_stdin = io.stdin != nullptr;
  config.attach_stdout = io.stdout != nullptr;
  config.attach_stderr = io.stderr != nullptr;
  absl::StatusOr<std::string> exec_id =
      docker_->CreateExec(config, SetupDeadline());
  if (!exec_id.ok()) return exec_id.status();
  auto conn = docker_->StartExecInteractive(*exec_id, io.tty, SetupDeadline());
  if (!conn.ok()) return conn.status();
  // Every size goes to docker after the start too, the first included: an
  // engine older than API 1.42 took no ConsoleSize.
  resizes.Start([this, id = *exec_id](streaming::TerminalSize size) {
    absl::Status s =
        docker_->ResizeExec(id, size.height, size.width, SetupDeadline());
    if (!s.ok()) LOG(DEBUG) << "resize exec " << id << ": " << s;
  });
  absl::Status pumped = PumpHijacked(conn->get(), io);
  resizes.Stop();
  conn->reset();
  if (!pumped.ok()) return pumped;
  const absl::Time give_up = absl::Now() + kExitWait;
  while (true) {
    absl::StatusOr<docker::ExecInspect> inspected =
        docker_->InspectExec(*exec_id, SetupDeadline());
    if (!inspected.ok()) return inspected.status();
    if (!inspected->running && inspected->exit_code.has_value()) {
      return *inspected->exit_code;
    }
    if (absl::Now() > give_up) {
      return absl::DeadlineExceededError(absl::StrCat(
          "exec ", *exec_id, " still running after its output ended"));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
}

absl::Status DockerStreamingRuntime::Attach(
    const streaming::AttachRequest& request, const streaming::StreamIo& io) {
  docker::AttachOptions options;
  options.stdin = io.stdin != nullptr;
  options.stdout = io.stdout != nullptr;
  options.stderr = io.stderr != nullptr;
  auto conn =
      docker_->AttachContainer(request.container_id, options, SetupDeadline());
  if (!conn.ok()) return conn.status();
  ResizeRelay resizes(io);
  if (absl::Status s = resizes.Read(); !s.ok()) return s;
  resizes.Start([this,
                 id = request.container_id](streaming::TerminalSize size) {
    absl::Status s =
        docker_->ResizeContainer(id, size.height, size.width, SetupDeadline());
    if (!s.ok()) LOG(DEBUG) << "resize container " << id << ": " << s;
  });
  absl::Status pumped = PumpHijacked(conn->get(), io);
  resizes.Stop();
  return pumped;
}

}  // namespace cri_dockerd
