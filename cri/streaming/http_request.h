// The HTTP/1.1 request heads the streaming server accepts: a parser for the
// request line and headers (bounded, strict enough that malformed input is
// refused rather than guessed at), query-string access, and the few plain
// replies the server sends before a connection is upgraded.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace cri_dockerd::streaming {

struct HttpRequestHead {
  std::string method;
  std::string path;   // before '?', percent-decoded
  std::string query;  // after '?', raw
  // Names lowercased, values trimmed, in arrival order (repeats kept).
  std::vector<std::pair<std::string, std::string>> headers;

  // Every value of header `name` (lowercase): repeated headers and
  // comma-separated lists both split into items, trimmed, empty ones
  // dropped.
  std::vector<std::string> HeaderValues(absl::string_view name) const;
  // The first value of header `name`, or "".
  std::string Header(absl::string_view name) const;
  // True if some value of `name` equals `token` case-insensitively.
  bool HeaderHasToken(absl::string_view name, absl::string_view token) const;
  // Every value of query parameter `name`, percent-decoded.
  std::vector<std::string> QueryValues(absl::string_view name) const;
};

// Longest request head accepted.
inline constexpr size_t kMaxRequestHead = 16 * 1024;

// Parses `head` (up to and including the blank line). InvalidArgument for
// anything that is not a well-formed HTTP/1.1 (or 1.0) request head.
absl::Status ParseRequestHead(absl::string_view head, HttpRequestHead* out);

// Where the head ends in `buf` (the index just past "\r\n\r\n"), or 0 if
// it is not complete yet.
size_t FindHeadEnd(absl::string_view buf);

// Writes all of `data` to a socket (no SIGPIPE); false if the peer is
// gone.
bool SendAllTo(int fd, absl::string_view data);

// A complete, connection-closing plain-text reply.
std::string PlainResponse(
    int code, absl::string_view body,
    const std::vector<std::pair<std::string, std::string>>& extra_headers = {});

}  // namespace cri_dockerd::streaming
