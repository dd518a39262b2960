// The WebSocket path of exec/attach: channels 0 stdin, 1 stdout, 2 stderr,
// 3 error, 4 resize, for every channel protocol. As kubelet does, an empty
// message on the lowest writable channel tells the client the session is
// up, and the error channel carries v4 Status JSON for the v4 and v5
// protocols, plain text before.
#include "absl/strings/match.h"
#include "cri/streaming/remotecommand.h"
#include "cri/streaming/ws_accept.h"

namespace cri_dockerd::streaming {
namespace {

constexpr int kStdin = 0, kStdout = 1, kStderr = 2, kError = 3, kResize = 4;

}  // namespace

void ServeRemoteCommandWebSocket(SessionContext& ctx,
                                 const RemoteCommand& command) {
  std::string protocol;
  std::unique_ptr<websocket::ChannelConnection> ws = AcceptWebSocket(
      ctx.conn, websocket::ExecAttachSubprotocols(), 5, &protocol);
  if (ws == nullptr) return;
  // Input nobody reads must not stall the connection.
  if (!command.stdin) ws->channel(kStdin)->Reset();
  if (!command.tty) ws->channel(kResize)->Reset();
  io::ByteStream* first = command.stdout   ? ws->channel(kStdout)
                          : command.stderr ? ws->channel(kStderr)
                                           : ws->channel(kError);
  (void)first->Write("");

  websocket::ChannelConnection* raw = ws.get();
  {
    ClientSide side(command.stdin ? ws->channel(kStdin) : nullptr,
                    command.tty ? ws->channel(kResize) : nullptr,
                    [raw] { (void)raw->Wait(); });
    RemoteOutcome outcome =
        side.Run(ctx, command, command.stdout ? ws->channel(kStdout) : nullptr,
                 command.stderr ? ws->channel(kStderr) : nullptr);
    const bool v4 =
        absl::StartsWith(protocol, "v4.") || absl::StartsWith(protocol, "v5.");
    std::string report = v4 ? V4StatusJson(outcome) : LegacyStatusText(outcome);
    if (!report.empty()) (void)ws->channel(kError)->Write(report);
    // No per-channel close signals (client-go before v5 logs them as
    // unknown streams): closing the connection ends every channel.
    ws->Close();
  }
}

}  // namespace cri_dockerd::streaming
