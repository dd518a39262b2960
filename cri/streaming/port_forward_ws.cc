// The WebSocket path of port-forward: for each port of the request, a
// data channel (2i) and an error channel (2i+1), each opened with the port
// as two little-endian bytes, as kubelet does; all ports are forwarded
// concurrently and the session ends when every one is done.
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/thread.h"
#include "cri/streaming/limits.h"
#include "cri/streaming/port_forward.h"
#include "cri/streaming/ws_accept.h"

namespace cri_dockerd::streaming {

void ServePortForwardWebSocket(SessionContext& ctx,
                               const PortForwardRequest& request) {
  if (request.ports.empty()) {
    SendAllTo(ctx.conn.fd,
              PlainResponse(400,
                            "port-forward over WebSocket needs the "
                            "ports in the PortForward request"));
    return;
  }
  const int pairs = static_cast<int>(request.ports.size());
  if (pairs > kMaxForwardedConnections) {
    SendAllTo(ctx.conn.fd,
              PlainResponse(400, absl::StrCat("too many ports (at most ",
                                              kMaxForwardedConnections, ")")));
    return;
  }
  std::string protocol;
  std::unique_ptr<websocket::ChannelConnection> ws = AcceptWebSocket(
      ctx.conn, websocket::PortForwardSubprotocols(), 2 * pairs, &protocol);
  if (ws == nullptr) return;
  std::vector<std::thread> forwards;
  for (int i = 0; i < pairs; ++i) {
    const int32_t port = request.ports[i];
    const char le[2] = {static_cast<char>(port & 0xff),
                        static_cast<char>((port >> 8) & 0xff)};
    io::ByteStream* data = ws->channel(2 * i);
    io::ByteStream* error = ws->channel(2 * i + 1);
    (void)data->Write(absl::string_view(le, 2));
    (void)error->Write(absl::string_view(le, 2));
    absl::StatusOr<std::thread> forward =
        StartThread("port-forward", [&ctx, &request, port, data, error] {
          ForwardPort(ctx.runtime, request.pod_sandbox_id, port, data, error);
        });
    if (forward.ok()) {
      forwards.push_back(*std::move(forward));
      continue;
    }
    // This port fails; the others are forwarded.
    LOG(WARNING) << "streaming: port-forward to pod " << request.pod_sandbox_id
                 << ": " << forward.status();
    (void)error->Write(absl::StrCat("error forwarding port ", port, ": ",
                                    forward.status().message()));
    (void)data->CloseWrite();
    (void)error->CloseWrite();
  }
  for (std::thread& t : forwards) t.join();
  ws->Close();
}

}  // namespace cri_dockerd::streaming
