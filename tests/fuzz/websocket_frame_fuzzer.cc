// Fuzzes the WebSocket frame parser, the Connection's message assembly
// (fragments, control frames, masking rules, limits) and the Kubernetes
// channel demultiplexer. The first input byte picks the role, the channel
// protocol and the channel count; the rest is what the peer sent.
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "common/logging.h"
#include "cri/streaming/websocket/ws_channels.h"
#include "cri/streaming/websocket/ws_connection.h"
#include "cri/streaming/websocket/ws_frame.h"

namespace ws = cri_dockerd::streaming::websocket;

namespace {

// A Connection whose peer already hung up: it reads `wire` and then EOF;
// its replies (pong, close) fail harmlessly.
std::unique_ptr<ws::Connection> DeadEndConnection(ws::Role role,
                                                  absl::string_view wire) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    return nullptr;
  }
  ::close(fds[1]);
  ws::ConnectionOptions options;
  options.max_message_bytes = 1 << 16;
  return std::make_unique<ws::Connection>(fds[0], role, std::string(wire),
                                          options);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  cri_dockerd::SetMinLogSeverity(cri_dockerd::LogSeverity::kError);
  const uint8_t selector = data[0];
  const absl::string_view wire(reinterpret_cast<const char*>(data) + 1,
                               size - 1);
  const ws::Role role = (selector & 1) ? ws::Role::kClient : ws::Role::kServer;
  const auto protocol = static_cast<ws::ChannelProtocol>((selector >> 1) % 5);
  const int channels = 1 + ((selector >> 4) & 7);

  // 1. The bare parser, frame after frame.
  absl::string_view rest = wire;
  for (;;) {
    ws::Frame frame;
    size_t consumed = 0;
    if (!ws::ParseFrame(rest, 1 << 16, &frame, &consumed).ok() ||
        consumed == 0) {
      break;
    }
    if (consumed > rest.size()) __builtin_trap();
    rest.remove_prefix(consumed);
  }

  // 2. Message assembly until the connection ends.
  if (auto conn = DeadEndConnection(role, wire)) {
    while (conn->ReadMessage().ok()) {
    }
  }

  // 3. The channel demultiplexer, then drain every channel.
  if (auto conn = DeadEndConnection(role, wire)) {
    auto cc =
        ws::ChannelConnection::Create(std::move(conn), protocol, channels);
    if (!cc.ok()) __builtin_trap();
    (*cc)->Wait().IgnoreError();
    char buf[512];
    for (int i = 0; i < channels; ++i) {
      for (;;) {
        auto n = (*cc)->channel(i)->Read(buf, sizeof(buf));
        if (!n.ok() || *n == 0) break;
      }
    }
  }
  return 0;
}
