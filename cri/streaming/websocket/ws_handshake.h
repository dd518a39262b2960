// The WebSocket opening handshake (RFC 6455 section 4): validating a
// client's upgrade request, choosing a subprotocol the way Kubernetes'
// wsstream does, and the 101 answer. The HTTP server parses the request;
// this file only looks at the parsed method and headers. The client side
// (request + check of the answer) exists for tests and tools.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cri_dockerd::streaming::websocket {

// The GUID every server appends to the client's key (RFC 6455 section 1.3).
inline constexpr absl::string_view kAcceptGuid =
    "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

// Header name/value pairs in arrival order; names compare case-insensitively
// and may repeat.
using HeaderList = std::vector<std::pair<std::string, std::string>>;

// base64(SHA-1(client_key + kAcceptGuid)): the Sec-WebSocket-Accept value.
std::string ComputeAcceptKey(absl::string_view client_key);

// What a valid upgrade request carried.
struct UpgradeRequest {
  std::string key;  // Sec-WebSocket-Key, as sent
  // Every Sec-WebSocket-Protocol header value, in order (not yet split).
  std::vector<std::string> protocol_offers;
};

// Checks a WebSocket upgrade request: method GET, a Connection header with
// an "upgrade" token, "Upgrade: websocket", "Sec-WebSocket-Version: 13" and
// a Sec-WebSocket-Key that base64-decodes to 16 bytes (all names and the
// Upgrade/Connection tokens case-insensitive). Returns InvalidArgument
// naming the first problem; the HTTP server answers 405 for a wrong method
// and 400 (with "Sec-WebSocket-Version: 13" for a version mismatch)
// otherwise.
absl::StatusOr<UpgradeRequest> ValidateUpgradeRequest(
    absl::string_view method, const HeaderList& headers);

// True if the request asks for a WebSocket upgrade at all (Upgrade:
// websocket and Connection: upgrade), used to route it to this code rather
// than to SPDY.
bool IsWebSocketUpgrade(const HeaderList& headers);

// Splits Sec-WebSocket-Protocol header values on commas and trims blanks,
// keeping the client's order and dropping empty items.
std::vector<std::string> SplitProtocolOffers(
    const std::vector<std::string>& header_values);

// Picks the subprotocol like wsstream: the first protocol in the client's
// order that the server supports; a client offering nothing counts as
// offering "" (plain channel.k8s.io framing), which matches only if
// `server_supported` contains "". Returns NotFound when nothing matches
// (wsstream answers 403 Forbidden then).
absl::StatusOr<std::string> SelectSubprotocol(
    const std::vector<std::string>& client_offer_header_values,
    const std::vector<std::string>& server_supported);

// The complete "101 Switching Protocols" response head, ending in an empty
// line. Sec-WebSocket-Protocol is sent only for a non-empty `protocol`.
std::string BuildUpgradeResponse(absl::string_view client_key,
                                 absl::string_view protocol);

// Client side. A random 16-byte key, base64-encoded.
std::string GenerateClientKey();

// A GET upgrade request head for `path` on `host` offering `protocols`
// (none: no Sec-WebSocket-Protocol header), using `key`.
std::string BuildClientRequest(absl::string_view host, absl::string_view path,
                               absl::string_view key,
                               const std::vector<std::string>& protocols);

// Checks the server's response head (status line + headers, the blank line
// optional): status 101, Upgrade/Connection, and Sec-WebSocket-Accept
// matching `key`. Returns the chosen subprotocol ("" if none);
// FailedPrecondition for a non-101 status, InvalidArgument for anything else
// wrong.
absl::StatusOr<std::string> CheckServerResponse(absl::string_view head,
                                                absl::string_view key);

}  // namespace cri_dockerd::streaming::websocket
