#include "cri/streaming/remotecommand.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "cri/streaming/spdy/spdy_session.h"
#include "cri/streaming/stream_queue.h"

namespace cri_dockerd::streaming {
namespace {

constexpr char kV4[] = "v4.channel.k8s.io";
constexpr char kV3[] = "v3.channel.k8s.io";
constexpr char kV2[] = "v2.channel.k8s.io";
constexpr char kV1[] = "channel.k8s.io";
// How long the client gets to hang up after the session's end was sent.
constexpr absl::Duration kLinger = absl::Seconds(5);

void ServeSpdy(SessionContext& ctx, const RemoteCommand& command) {
  const std::vector<std::string> supported = {kV4, kV3, kV2, kV1};
  std::optional<std::string> protocol =
      NegotiateStreamProtocol(ctx.conn, supported);
  if (!protocol || !AcceptSpdyUpgrade(ctx.conn, *protocol)) return;
  const bool resizable = *protocol == kV4 || *protocol == kV3;
  int expected = 1 + command.stdin + command.stdout + command.stderr +
                 (command.tty && resizable);

  auto session = std::make_unique<spdy::Session>(
      dup(ctx.conn.fd), spdy::Role::kServer, std::move(ctx.conn.extra),
      ctx.conn.activity);
  StreamQueue<spdy::Stream> queue;
  if (absl::Status s =
          session->Start([&queue](std::shared_ptr<spdy::Stream> stream) {
            queue.Push(std::move(stream));
          });
      !s.ok()) {
    LOG(WARNING) << "streaming: " << Describe(command) << ": " << s;
    return;  // the session is closed: the client sees the connection end
  }

  std::shared_ptr<spdy::Stream> error, stdin, stdout, stderr, resize;
  const absl::Time deadline = absl::Now() + ctx.stream_creation_timeout;
  for (int received = 0; received < expected;) {
    std::shared_ptr<spdy::Stream> s =
        queue.Pop(std::min(deadline, absl::Now() + absl::Milliseconds(200)));
    if (s == nullptr) {
      if (absl::Now() >= deadline || session->Wait(absl::Now())) {
        LOG(WARNING) << "streaming: client opened " << received << " of "
                     << expected << " streams; giving up";
        session->Close();
        return;
      }
      continue;
    }
    std::string type = s->Header("streamtype");
    std::shared_ptr<spdy::Stream>* slot = nullptr;
    if (type == "error") slot = &error;
    if (type == "stdin") slot = &stdin;
    if (type == "stdout") slot = &stdout;
    if (type == "stderr") slot = &stderr;
    if (type == "resize" && resizable) slot = &resize;
    if (slot == nullptr) {
      LOG(WARNING) << "streaming: unexpected stream type \"" << type << "\"";
      continue;
    }
    *slot = std::move(s);
    ++received;
  }

  spdy::Session* raw = session.get();
  RemoteOutcome outcome;
  {
    ClientSide side(command.stdin ? stdin.get() : nullptr,
                    command.tty ? resize.get() : nullptr,
                    [raw] { raw->Wait(absl::InfiniteFuture()); });
    outcome = side.Run(ctx, command, stdout.get(), stderr.get());
    if (error != nullptr) {
      std::string report =
          *protocol == kV4 ? V4StatusJson(outcome) : LegacyStatusText(outcome);
      if (!report.empty()) (void)error->Write(report);
    }
    for (auto* s : {&stdout, &stderr, &error}) {
      if (*s != nullptr) (void)(*s)->CloseWrite();
    }
    // Let the client read everything and hang up first, so that closing
    // our end cannot turn into a reset that drops unread output.
    session->Wait(absl::Now() + kLinger);
    session->Close();
  }
}

}  // namespace

bool NormalizeRemoteCommand(RemoteCommand* command) {
  if (command->tty) command->stderr = false;
  return command->stdin || command->stdout || command->stderr;
}

ClientSide::ClientSide(io::ByteStream* stdin, io::ByteStream* resize,
                       std::function<void()> wait_gone)
    : watch_(std::move(wait_gone)) {
  if (stdin != nullptr) stdin_.emplace(stdin);
  if (resize != nullptr) {
    resize_pump_.emplace(resize);
    resize_.emplace(&*resize_pump_);
  }
}

std::string Describe(const RemoteCommand& command) {
  return command.exec
             ? absl::StrCat("exec in container ", command.exec->container_id)
             : absl::StrCat("attach to container ",
                            command.attach->container_id);
}

RemoteOutcome ClientSide::Run(SessionContext& ctx, const RemoteCommand& command,
                              io::ByteStream* stdout, io::ByteStream* stderr) {
  absl::Status started = watch_.Start();
  if (started.ok() && stdin_) started = stdin_->Start();
  if (started.ok() && resize_pump_) started = resize_pump_->Start();
  if (!started.ok()) {
    LOG(WARNING) << "streaming: " << Describe(command) << ": " << started;
    RemoteOutcome outcome;
    outcome.error = absl::Status(
        started.code(),
        absl::StrCat("cannot start the session: ", started.message()));
    return outcome;
  }
  StreamIo io;
  io.stdin = stdin_ ? &*stdin_ : nullptr;
  io.stdout = stdout;
  io.stderr = command.tty ? nullptr : stderr;
  io.tty = command.tty;
  io.resize = resize_ ? &*resize_ : nullptr;
  io.client_gone = &watch_;
  RemoteOutcome outcome;
  if (command.exec) {
    absl::StatusOr<int> code = ctx.runtime->Exec(*command.exec, io);
    if (code.ok()) {
      outcome.exit_code = *code;
    } else {
      outcome.error =
          absl::Status(code.status().code(),
                       absl::StrCat("error executing command in container: ",
                                    code.status().message()));
    }
  } else {
    absl::Status s = ctx.runtime->Attach(*command.attach, io);
    if (s.ok()) {
      outcome.exit_code = 0;
    } else {
      outcome.error = absl::Status(
          s.code(),
          absl::StrCat("error attaching to container: ", s.message()));
    }
  }
  if (!outcome.error.ok()) LOG(WARNING) << "streaming: " << outcome.error;
  if (io.stdin != nullptr) io.stdin->Reset();
  if (io.resize != nullptr) io.resize->Cancel();
  return outcome;
}

void ServeRemoteCommand(SessionContext& ctx, RemoteCommand command) {
  if (!NormalizeRemoteCommand(&command)) {
    SendAllTo(ctx.conn.fd,
              PlainResponse(400,
                            "you must specify at least 1 of stdin, stdout, "
                            "stderr"));
    return;
  }
  if (IsWebSocketRequest(ctx.conn.head)) {
    ServeRemoteCommandWebSocket(ctx, command);
  } else {
    ServeSpdy(ctx, command);
  }
}

}  // namespace cri_dockerd::streaming
