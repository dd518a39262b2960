#include "cri/streaming/session.h"

#include <sys/socket.h>

#include <cerrno>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace cri_dockerd::streaming {

bool IsWebSocketRequest(const HttpRequestHead& head) {
  return head.HeaderHasToken("connection", "upgrade") &&
         head.HeaderHasToken("upgrade", "websocket");
}

std::optional<std::string> NegotiateStreamProtocol(
    HttpConnection& conn, const std::vector<std::string>& supported) {
  std::vector<std::string> offered =
      conn.head.HeaderValues("x-stream-protocol-version");
  if (offered.empty()) {
    SendAllTo(conn.fd,
              PlainResponse(400,
                            "unable to upgrade: X-Stream-Protocol-Version is "
                            "required"));
    return std::nullopt;
  }
  for (const std::string& want : offered) {
    for (const std::string& have : supported) {
      if (want == have) return have;
    }
  }
  std::vector<std::pair<std::string, std::string>> headers;
  for (const std::string& have : supported) {
    headers.emplace_back("X-Accepted-Stream-Protocol-Versions", have);
  }
  SendAllTo(conn.fd,
            PlainResponse(
                403,
                absl::StrCat("unable to upgrade: unable to negotiate "
                             "protocol: client supports [",
                             absl::StrJoin(offered, " "), "], server accepts [",
                             absl::StrJoin(supported, " "), "]"),
                headers));
  return std::nullopt;
}

bool AcceptSpdyUpgrade(HttpConnection& conn, const std::string& protocol) {
  if (!conn.head.HeaderHasToken("connection", "upgrade") ||
      !conn.head.HeaderHasToken("upgrade", "SPDY/3.1")) {
    SendAllTo(conn.fd,
              PlainResponse(400,
                            "unable to upgrade: missing upgrade headers in "
                            "request (want Connection: Upgrade, Upgrade: "
                            "SPDY/3.1)"));
    return false;
  }
  return SendAllTo(conn.fd, absl::StrCat("HTTP/1.1 101 Switching Protocols\r\n"
                                         "Connection: Upgrade\r\n"
                                         "Upgrade: SPDY/3.1\r\n"
                                         "X-Stream-Protocol-Version: ",
                                         protocol, "\r\n\r\n"));
}

}  // namespace cri_dockerd::streaming
