#include "cri/streaming/http_request.h"

#include <sys/socket.h>

#include <cerrno>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace cri_dockerd::streaming {
namespace {

bool IsTokenChar(char c) {
  if (absl::ascii_isalnum(static_cast<unsigned char>(c))) return true;
  return absl::string_view("!#$%&'*+-.^_`|~").find(c) !=
         absl::string_view::npos;
}

// Percent-decodes `in`; `plus_is_space` for query strings. False on a
// malformed escape.
bool PercentDecode(absl::string_view in, bool plus_is_space, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = absl::ascii_isxdigit(static_cast<unsigned char>(in[i + 1]));
      int lo = absl::ascii_isxdigit(static_cast<unsigned char>(in[i + 2]));
      if (!hi || !lo) return false;
      auto hex = [](char h) {
        return h <= '9' ? h - '0' : (absl::ascii_tolower(h) - 'a' + 10);
      };
      out->push_back(static_cast<char>(hex(in[i + 1]) * 16 + hex(in[i + 2])));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

const char* ReasonPhrase(int code) {
  switch (code) {
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

}  // namespace

bool SendAllTo(int fd, absl::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

size_t FindHeadEnd(absl::string_view buf) {
  size_t pos = buf.find("\r\n\r\n");
  return pos == absl::string_view::npos ? 0 : pos + 4;
}

absl::Status ParseRequestHead(absl::string_view head, HttpRequestHead* out) {
  *out = HttpRequestHead();
  if (head.size() > kMaxRequestHead) {
    return absl::InvalidArgumentError("request head too large");
  }
  if (!absl::ConsumeSuffix(&head, "\r\n\r\n")) {
    return absl::InvalidArgumentError("request head not terminated");
  }
  std::vector<absl::string_view> lines = absl::StrSplit(head, "\r\n");
  std::vector<absl::string_view> parts = absl::StrSplit(lines[0], ' ');
  if (parts.size() != 3 || parts[0].empty() || parts[1].empty()) {
    return absl::InvalidArgumentError("malformed request line");
  }
  for (char c : parts[0]) {
    if (!IsTokenChar(c)) return absl::InvalidArgumentError("malformed method");
  }
  if (parts[2] != "HTTP/1.1" && parts[2] != "HTTP/1.0") {
    return absl::InvalidArgumentError("unsupported HTTP version");
  }
  absl::string_view target = parts[1];
  if (target[0] != '/') {
    return absl::InvalidArgumentError("request target must be a path");
  }
  out->method = std::string(parts[0]);
  size_t q = target.find('?');
  if (!PercentDecode(target.substr(0, q), false, &out->path)) {
    return absl::InvalidArgumentError("malformed percent-escape in path");
  }
  if (q != absl::string_view::npos)
    out->query = std::string(target.substr(q + 1));
  for (size_t i = 1; i < lines.size(); ++i) {
    absl::string_view line = lines[i];
    size_t colon = line.find(':');
    if (colon == absl::string_view::npos || colon == 0) {
      return absl::InvalidArgumentError("malformed header line");
    }
    absl::string_view name = line.substr(0, colon);
    for (char c : name) {
      if (!IsTokenChar(c)) {
        return absl::InvalidArgumentError("malformed header name");
      }
    }
    absl::string_view value =
        absl::StripAsciiWhitespace(line.substr(colon + 1));
    for (char c : value) {
      if (c == '\0' || c == '\r' || c == '\n') {
        return absl::InvalidArgumentError("control character in header");
      }
    }
    out->headers.emplace_back(absl::AsciiStrToLower(name), std::string(value));
  }
  return absl::OkStatus();
}

std::vector<std::string> HttpRequestHead::HeaderValues(
    absl::string_view name) const {
  std::vector<std::string> values;
  for (const auto& [n, v] : headers) {
    if (n != name) continue;
    for (absl::string_view item : absl::StrSplit(v, ',')) {
      item = absl::StripAsciiWhitespace(item);
      if (!item.empty()) values.emplace_back(item);
    }
  }
  return values;
}

std::string HttpRequestHead::Header(absl::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return v;
  }
  return "";
}

bool HttpRequestHead::HeaderHasToken(absl::string_view name,
                                     absl::string_view token) const {
  for (const std::string& v : HeaderValues(name)) {
    if (absl::EqualsIgnoreCase(v, token)) return true;
  }
  return false;
}

std::vector<std::string> HttpRequestHead::QueryValues(
    absl::string_view name) const {
  std::vector<std::string> values;
  for (absl::string_view pair : absl::StrSplit(query, '&')) {
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string key, value;
    if (!PercentDecode(pair.substr(0, eq), true, &key)) continue;
    if (key != name) continue;
    if (eq != absl::string_view::npos &&
        !PercentDecode(pair.substr(eq + 1), true, &value)) {
      continue;
    }
    values.push_back(std::move(value));
  }
  return values;
}

std::string PlainResponse(
    int code, absl::string_view body,
    const std::vector<std::pair<std::string, std::string>>& extra_headers) {
  std::string out = absl::StrCat("HTTP/1.1 ", code, " ", ReasonPhrase(code),
                                 "\r\nContent-Type: text/plain; charset=utf-8"
                                 "\r\nX-Content-Type-Options: nosniff"
                                 "\r\nConnection: close\r\nContent-Length: ",
                                 body.size() + 1, "\r\n");
  for (const auto& [name, value] : extra_headers) {
    absl::StrAppend(&out, name, ": ", value, "\r\n");
  }
  absl::StrAppend(&out, "\r\n", body, "\n");
  return out;
}

}  // namespace cri_dockerd::streaming
