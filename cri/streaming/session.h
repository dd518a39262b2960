// Shared by the exec/attach and port-forward sessions: the connection being
// served and the HTTP-level steps before it turns into SPDY or WebSocket.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cri/streaming/http_server.h"
#include "cri/streaming/runtime.h"

namespace cri_dockerd::streaming {

struct SessionContext {
  HttpConnection& conn;
  StreamingRuntime* runtime;
  absl::Duration stream_creation_timeout;
};

// An HTTP/1.1 Upgrade to WebSocket (Connection: upgrade, Upgrade:
// websocket).
bool IsWebSocketRequest(const HttpRequestHead& head);

// SPDY path, step 1: picks the first of the client's X-Stream-Protocol-
// Version values the server supports. On failure answers the client (400
// when it offered none, 403 listing what the server accepts) and returns
// nullopt.
std::optional<std::string> NegotiateStreamProtocol(
    HttpConnection& conn, const std::vector<std::string>& supported);

// SPDY path, step 2: checks the Upgrade: SPDY/3.1 request and sends the
// 101 reply naming `protocol`. False (after answering 400) if the request
// is not a SPDY upgrade.
bool AcceptSpdyUpgrade(HttpConnection& conn, const std::string& protocol);

}  // namespace cri_dockerd::streaming
