#include "docker_client/endpoint.h"

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace cri_dockerd::docker {
namespace {

// Debian's Abseil keeps its own string_view type: everything below works
// on absl::string_view, converted once at the public entry point.
constexpr absl::string_view kUnixScheme = "unix://";
constexpr absl::string_view kTcpScheme = "tcp://";
constexpr absl::string_view kHttpScheme = "http://";

absl::Status Invalid(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid docker endpoint \"", text, "\": ", why,
                   " (accepted forms: unix:///absolute/path/to/docker.sock, "
                   "tcp://host:port, http://host:port)"));
}

// Validates "host:port" / "[v6]:port".
absl::Status CheckHostPort(absl::string_view text, absl::string_view hostport) {
  size_t colon;
  if (absl::StartsWith(hostport, "[")) {
    const size_t close = hostport.find(']');
    if (close == absl::string_view::npos || close == 1) {
      return Invalid(text, "malformed IPv6 host");
    }
    if (close + 1 >= hostport.size() || hostport[close + 1] != ':') {
      return Invalid(text, "missing port");
    }
    colon = close + 1;
  } else {
    colon = hostport.rfind(':');
    if (colon == absl::string_view::npos) return Invalid(text, "missing port");
    if (colon == 0) return Invalid(text, "missing host");
    if (hostport.substr(0, colon).find(':') != absl::string_view::npos) {
      return Invalid(text, "IPv6 hosts must be written in brackets");
    }
  }
  uint32_t port = 0;
  const absl::string_view port_text = hostport.substr(colon + 1);
  if (port_text.empty()) return Invalid(text, "missing port");
  if (!absl::SimpleAtoi(port_text, &port) || port == 0 || port > 65535 ||
      port_text.find_first_not_of("0123456789") != absl::string_view::npos) {
    return Invalid(text, "port must be a number in 1..65535");
  }
  return absl::OkStatus();
}

}  // namespace

std::string Endpoint::ToString() const {
  return absl::StrCat(kind == Kind::kUnix ? kUnixScheme : kTcpScheme, address);
}

absl::StatusOr<Endpoint> ParseEndpoint(std::string_view text_in) {
  const absl::string_view text(text_in.data(), text_in.size());
  if (text.empty()) return Invalid(text, "empty value");
  Endpoint ep;
  if (absl::StartsWith(text, kUnixScheme)) {
    const absl::string_view path = text.substr(kUnixScheme.size());
    if (path.empty()) return Invalid(text, "missing socket path");
    if (path.front() != '/') {
      return Invalid(text, "the socket path must be absolute");
    }
    ep.kind = Endpoint::Kind::kUnix;
    ep.address = std::string(path);
    return ep;
  }
  absl::string_view rest;
  if (absl::StartsWith(text, kTcpScheme)) {
    rest = text.substr(kTcpScheme.size());
  } else if (absl::StartsWith(text, kHttpScheme)) {
    rest = text.substr(kHttpScheme.size());
  } else {
    return Invalid(text, "unsupported scheme");
  }
  if (absl::EndsWith(rest, "/")) rest.remove_suffix(1);
  if (rest.find_first_of("/?#@ ") != absl::string_view::npos) {
    return Invalid(text, "only host:port may follow the scheme");
  }
  if (absl::Status s = CheckHostPort(text, rest); !s.ok()) return s;
  ep.kind = Endpoint::Kind::kTcp;
  ep.address = std::string(rest);
  return ep;
}

}  // namespace cri_dockerd::docker
