#include "cri/streaming/ws_accept.h"

#include <unistd.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/logging.h"
#include "cri/streaming/session.h"
#include "cri/streaming/websocket/ws_handshake.h"

namespace cri_dockerd::streaming {

std::unique_ptr<websocket::ChannelConnection> AcceptWebSocket(
    HttpConnection& conn, const std::vector<std::string>& supported,
    int num_channels, std::string* protocol) {
  if (conn.head.method != "GET") {
    SendAllTo(conn.fd, PlainResponse(405, "WebSocket upgrades use GET",
                                     {{"Allow", "GET"}}));
    return nullptr;
  }
  absl::StatusOr<websocket::UpgradeRequest> upgrade =
      websocket::ValidateUpgradeRequest(conn.head.method, conn.head.headers);
  if (!upgrade.ok()) {
    SendAllTo(conn.fd, PlainResponse(400, upgrade.status().message(),
                                     {{"Sec-WebSocket-Version", "13"}}));
    return nullptr;
  }
  absl::StatusOr<std::string> chosen =
      websocket::SelectSubprotocol(upgrade->protocol_offers, supported);
  if (!chosen.ok()) {
    SendAllTo(
        conn.fd,
        PlainResponse(403, absl::StrCat("requested protocol(s) are not "
                                        "supported; supports [",
                                        absl::StrJoin(supported, " "), "]")));
    return nullptr;
  }
  absl::StatusOr<websocket::ChannelProtocol> framing =
      websocket::ParseChannelProtocol(*chosen);
  if (!framing.ok()) {
    SendAllTo(conn.fd, PlainResponse(500, framing.status().message()));
    return nullptr;
  }
  if (!SendAllTo(conn.fd,
                 websocket::BuildUpgradeResponse(upgrade->key, *chosen))) {
    return nullptr;
  }
  websocket::ConnectionOptions options;
  options.activity = conn.activity;
  auto ws = std::make_unique<websocket::Connection>(
      dup(conn.fd), websocket::Role::kServer, std::move(conn.extra), options);
  auto channels = websocket::ChannelConnection::Create(std::move(ws), *framing,
                                                       num_channels);
  if (!channels.ok()) {
    LOG(WARNING) << "streaming: websocket: " << channels.status();
    return nullptr;
  }
  *protocol = *chosen;
  return std::move(*channels);
}

}  // namespace cri_dockerd::streaming
