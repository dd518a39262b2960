// The WebSocket side of an upgrade for the exec/attach and port-forward
// sessions: validates the handshake, picks a Kubernetes channel protocol,
// answers 101 and wraps the socket in a ChannelConnection. Refusals are
// answered on the connection (400/403/405) before returning nullptr.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cri/streaming/http_server.h"
#include "cri/streaming/websocket/ws_channels.h"

namespace cri_dockerd::streaming {

std::unique_ptr<websocket::ChannelConnection> AcceptWebSocket(
    HttpConnection& conn, const std::vector<std::string>& supported,
    int num_channels, std::string* protocol);

}  // namespace cri_dockerd::streaming
