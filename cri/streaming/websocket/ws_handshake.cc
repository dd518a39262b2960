#include "cri/streaming/websocket/ws_handshake.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdint>
#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace cri_dockerd::streaming::websocket {
namespace {

// Every value of header `name`, in order.
std::vector<std::string> HeaderValues(const HeaderList& headers,
                                      absl::string_view name) {
  std::vector<std::string> values;
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) values.push_back(value);
  }
  return values;
}

// True if some comma-separated token of some value of `name` equals
// `token` (case-insensitively), e.g. "Connection: keep-alive, Upgrade".
bool HeaderHasToken(const HeaderList& headers, absl::string_view name,
                    absl::string_view token) {
  for (const std::string& value : HeaderValues(headers, name)) {
    for (absl::string_view item : absl::StrSplit(value, ',')) {
      if (absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(item), token)) {
        return true;
      }
    }
  }
  return false;
}

void RandomBytes(unsigned char* out, int len) {
  if (RAND_bytes(out, len) == 1) return;
  // OpenSSL's generator failing is close to impossible; the key only needs
  // to be unpredictable enough for a test client.
  std::random_device rd;
  for (int i = 0; i < len; ++i) out[i] = static_cast<unsigned char>(rd());
}

}  // namespace

std::string ComputeAcceptKey(absl::string_view client_key) {
  std::string input = absl::StrCat(client_key, kAcceptGuid);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  EVP_Digest(input.data(), input.size(), digest, &digest_len, EVP_sha1(),
             nullptr);
  return absl::Base64Escape(
      absl::string_view(reinterpret_cast<const char*>(digest), digest_len));
}

bool IsWebSocketUpgrade(const HeaderList& headers) {
  return HeaderHasToken(headers, "Upgrade", "websocket") &&
         HeaderHasToken(headers, "Connection", "upgrade");
}

absl::StatusOr<UpgradeRequest> ValidateUpgradeRequest(
    absl::string_view method, const HeaderList& headers) {
  if (method != "GET") {
    return absl::InvalidArgumentError(
        absl::StrCat("websocket upgrade needs method GET, not ", method));
  }
  if (!HeaderHasToken(headers, "Connection", "upgrade")) {
    return absl::InvalidArgumentError(
        "websocket upgrade needs a Connection header with the upgrade token");
  }
  if (!HeaderHasToken(headers, "Upgrade", "websocket")) {
    return absl::InvalidArgumentError(
        "websocket upgrade needs \"Upgrade: websocket\"");
  }
  std::vector<std::string> versions =
      HeaderValues(headers, "Sec-WebSocket-Version");
  if (versions.size() != 1 || absl::StripAsciiWhitespace(versions[0]) != "13") {
    return absl::InvalidArgumentError(
        "websocket upgrade needs \"Sec-WebSocket-Version: 13\"");
  }
  std::vector<std::string> keys = HeaderValues(headers, "Sec-WebSocket-Key");
  if (keys.size() != 1) {
    return absl::InvalidArgumentError(
        "websocket upgrade needs exactly one Sec-WebSocket-Key");
  }
  std::string key(absl::StripAsciiWhitespace(keys[0]));
  std::string nonce;
  if (key.size() != 24 || !absl::Base64Unescape(key, &nonce) ||
      nonce.size() != 16) {
    return absl::InvalidArgumentError(
        "Sec-WebSocket-Key is not 16 base64-encoded bytes");
  }
  UpgradeRequest request;
  request.key = std::move(key);
  request.protocol_offers = HeaderValues(headers, "Sec-WebSocket-Protocol");
  return request;
}

std::vector<std::string> SplitProtocolOffers(
    const std::vector<std::string>& header_values) {
  std::vector<std::string> offers;
  for (const std::string& value : header_values) {
    for (absl::string_view item : absl::StrSplit(value, ',')) {
      item = absl::StripAsciiWhitespace(item);
      if (!item.empty()) offers.emplace_back(item);
    }
  }
  return offers;
}

absl::StatusOr<std::string> SelectSubprotocol(
    const std::vector<std::string>& client_offer_header_values,
    const std::vector<std::string>& server_supported) {
  std::vector<std::string> offers =
      SplitProtocolOffers(client_offer_header_values);
  if (offers.empty()) offers.emplace_back();
  for (const std::string& offer : offers) {
    for (const std::string& supported : server_supported) {
      if (offer == supported) return offer;
    }
  }
  return absl::NotFoundError(absl::StrCat(
      "requested protocol(s) are not supported: [", absl::StrJoin(offers, " "),
      "]; supports [", absl::StrJoin(server_supported, " "), "]"));
}

std::string BuildUpgradeResponse(absl::string_view client_key,
                                 absl::string_view protocol) {
  std::string out = absl::StrCat(
      "HTTP/1.1 101 Switching Protocols\r\n"
      "Upgrade: websocket\r\n"
      "Connection: Upgrade\r\n"
      "Sec-WebSocket-Accept: ",
      ComputeAcceptKey(client_key), "\r\n");
  if (!protocol.empty()) {
    absl::StrAppend(&out, "Sec-WebSocket-Protocol: ", protocol, "\r\n");
  }
  out += "\r\n";
  return out;
}

std::string GenerateClientKey() {
  unsigned char nonce[16];
  RandomBytes(nonce, sizeof(nonce));
  return absl::Base64Escape(
      absl::string_view(reinterpret_cast<const char*>(nonce), sizeof(nonce)));
}

std::string BuildClientRequest(absl::string_view host, absl::string_view path,
                               absl::string_view key,
                               const std::vector<std::string>& protocols) {
  std::string out = absl::StrCat("GET ", path,
                                 " HTTP/1.1\r\n"
                                 "Host: ",
                                 host,
                                 "\r\n"
                                 "Upgrade: websocket\r\n"
                                 "Connection: Upgrade\r\n"
                                 "Sec-WebSocket-Key: ",
                                 key,
                                 "\r\n"
                                 "Sec-WebSocket-Version: 13\r\n");
  if (!protocols.empty()) {
    absl::StrAppend(&out,
                    "Sec-WebSocket-Protocol: ", absl::StrJoin(protocols, ", "),
                    "\r\n");
  }
  out += "\r\n";
  return out;
}

absl::StatusOr<std::string> CheckServerResponse(absl::string_view head,
                                                absl::string_view key) {
  std::vector<absl::string_view> lines = absl::StrSplit(head, "\r\n");
  if (lines.empty()) return absl::InvalidArgumentError("empty response");
  std::vector<absl::string_view> status =
      absl::StrSplit(lines[0], absl::MaxSplits(' ', 2));
  int code = 0;
  if (status.size() < 2 || !absl::StartsWith(status[0], "HTTP/1.") ||
      !absl::SimpleAtoi(status[1], &code)) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad status line: ", lines[0]));
  }
  if (code != 101) {
    return absl::FailedPreconditionError(
        absl::StrCat("websocket upgrade refused: ", lines[0]));
  }
  HeaderList headers;
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) break;
    size_t colon = lines[i].find(':');
    if (colon == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad header line: ", lines[i]));
    }
    headers.emplace_back(
        std::string(absl::StripAsciiWhitespace(lines[i].substr(0, colon))),
        std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1))));
  }
  if (!IsWebSocketUpgrade(headers)) {
    return absl::InvalidArgumentError(
        "response lacks Upgrade: websocket / Connection: Upgrade");
  }
  std::vector<std::string> accept =
      HeaderValues(headers, "Sec-WebSocket-Accept");
  if (accept.size() != 1 || accept[0] != ComputeAcceptKey(key)) {
    return absl::InvalidArgumentError("wrong Sec-WebSocket-Accept");
  }
  std::vector<std::string> protocol =
      HeaderValues(headers, "Sec-WebSocket-Protocol");
  if (protocol.size() > 1) {
    return absl::InvalidArgumentError("several Sec-WebSocket-Protocol headers");
  }
  return protocol.empty() ? std::string() : protocol[0];
}

}  // namespace cri_dockerd::streaming::websocket
