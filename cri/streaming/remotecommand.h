// Exec and attach sessions (Kubernetes' remotecommand protocols): collects
// the client's stdin/stdout/stderr/error/resize streams -- SPDY streams
// named by their streamType header, or fixed WebSocket channels 0-4 --,
// runs the command through the StreamingRuntime and reports the outcome
// on the error stream (v4: metav1.Status JSON with the exit code).
#pragma once

#include <functional>
#include <optional>

#include "cri/streaming/request_cache.h"
#include "cri/streaming/session.h"
#include "cri/streaming/session_io.h"

namespace cri_dockerd::streaming {

struct RemoteCommand {
  std::optional<ExecRequest> exec;  // exactly one of exec, attach
  std::optional<AttachRequest> attach;
  bool tty = false;
  bool stdin = false;
  bool stdout = false;
  bool stderr = false;
};

// Serves one exec/attach connection to its end.
void ServeRemoteCommand(SessionContext& ctx, RemoteCommand command);

// The runtime-facing half, shared by the SPDY and WebSocket paths. The
// protocol code declares it after its session object and closes the
// session before it goes out of scope: its threads end once the client's
// streams are torn down. Its threads: one watching the connection, one
// per input stream (stdin, resize) -- at most 3.
class ClientSide {
 public:
  // `stdin`/`resize` may be null; `wait_gone` blocks until the client's
  // connection has ended.
  ClientSide(io::ByteStream* stdin, io::ByteStream* resize,
             std::function<void()> wait_gone);

  // Starts the threads, then runs the command with the client's output
  // streams and returns how it ended. A thread that cannot be created
  // fails the session (an internal error, logged) without running it.
  RemoteOutcome Run(SessionContext& ctx, const RemoteCommand& command,
                    io::ByteStream* stdout, io::ByteStream* stderr);

 private:
  std::optional<InputPump> stdin_;
  std::optional<InputPump> resize_pump_;
  std::optional<ResizeReader> resize_;
  ClientWatch watch_;
};

// What a session is about, for log lines: "exec in container <id>".
std::string Describe(const RemoteCommand& command);

// Cleans up a RemoteCommand as kubelet does (tty drops stderr). False if
// it asks for no stream at all.
bool NormalizeRemoteCommand(RemoteCommand* command);

// The WebSocket path of ServeRemoteCommand (remotecommand_ws.cc).
void ServeRemoteCommandWebSocket(SessionContext& ctx,
                                 const RemoteCommand& command);

}  // namespace cri_dockerd::streaming
