#include "cri/docker_streaming_runtime.h"

#include <thread>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "docker_client/mux_stream_decoder.h"

namespace cri_dockerd {
namespace {

constexpr size_t kChunk = 32 * 1024;
// How long docker gets to record an exec's exit code after its output
// ended.
constexpr absl::Duration kExitWait = absl::Seconds(5);

}  // namespace

DockerStreamingRuntime::DockerStreamingRuntime(docker::DockerClient* docker,
                                               absl::Duration setup_timeout)
    : docker_(docker), setup_timeout_(setup_timeout) {}

absl::Status PumpHijacked(
    docker::HijackedConn* conn, const streaming::StreamIo& io,
    const std::function<void(streaming::TerminalSize)>& resize) {
  int watch = io.client_gone->OnGone([conn] { conn->Shutdown(); });
  std::thread input;
  if (io.stdin != nullptr) {
    input = std::thread([&io, conn] {
      std::string buf(kChunk, '\0');
      while (true) {
        absl::StatusOr<size_t> n = io.stdin->Read(buf.data(), buf.size());
        if (!n.ok()) return;
        if (*n == 0) {
          (void)conn->CloseWrite();
          return;
        }
        if (!conn->WriteAll(absl::string_view(buf.data(), *n)).ok()) return;
      }
    });
  }
  std::thread resizer;
  if (io.resize != nullptr && io.tty) {
    resizer = std::thread([&io, &resize] {
      while (std::optional<streaming::TerminalSize> size = io.resize->Next()) {
        resize(*size);
      }
    });
  }

  absl::Status result;
  docker::MuxStreamDecoder decoder;
  std::string buf(kChunk, '\0');
  auto deliver = [](streaming::ByteStream* to, absl::string_view data) {
    return to == nullptr || data.empty() ? absl::OkStatus() : to->Write(data);
  };
  while (result.ok()) {
    absl::StatusOr<size_t> n = conn->Read(buf.data(), buf.size());
    if (!n.ok()) {
      result = absl::IsCancelled(n.status())
                   ? absl::CancelledError("the client went away")
                   : n.status();
      break;
    }
    if (*n == 0) break;
    absl::string_view chunk(buf.data(), *n);
    if (io.tty) {
      result = deliver(io.stdout, chunk);
      continue;
    }
    absl::Status write;
    absl::Status fed = decoder.Feed(
        chunk, [&](docker::MuxStream stream, absl::string_view data) {
          if (!write.ok()) return;
          if (stream == docker::MuxStream::kStdout) {
            write = deliver(io.stdout, data);
          } else if (stream == docker::MuxStream::kStderr ||
                     stream == docker::MuxStream::kSystemErr) {
            write = deliver(io.stderr != nullptr ? io.stderr : io.stdout, data);
          }
        });
    result = fed.ok() ? write : fed;
  }
  // Done: stop reading the client's input and resizes (locally), drop the
  // docker connection, and wait for both threads.
  if (io.stdin != nullptr) io.stdin->Reset();
  if (io.resize != nullptr) io.resize->Cancel();
  conn->Shutdown();
  if (input.joinable()) input.join();
  if (resizer.joinable()) resizer.join();
  io.client_gone->Remove(watch);
  return result;
}

absl::StatusOr<int> DockerStreamingRuntime::Exec(
    const streaming::ExecRequest& request, const streaming::StreamIo& io) {
  docker::ExecCreateConfig config;
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
  absl::Status pumped = PumpHijacked(
      conn->get(), io, [this, id = *exec_id](streaming::TerminalSize size) {
        absl::Status s =
            docker_->ResizeExec(id, size.height, size.width, SetupDeadline());
        if (!s.ok()) LOG(DEBUG) << "resize exec " << id << ": " << s;
      });
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
  absl::Status pumped = PumpHijacked(
      conn->get(), io,
      [this, id = request.container_id](streaming::TerminalSize size) {
        absl::Status s = docker_->ResizeContainer(id, size.height, size.width,
                                                  SetupDeadline());
        if (!s.ok()) LOG(DEBUG) << "resize container " << id << ": " << s;
      });
  return pumped;
}

}  // namespace cri_dockerd
