// Where the Docker Engine listens: the --docker-endpoint flag parsed into a
// unix socket path or a tcp host:port that HttpTransport can dial.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace cri_dockerd::docker {

struct Endpoint {
  enum class Kind { kUnix, kTcp };
  Kind kind = Kind::kUnix;
  // Absolute socket path for kUnix; "host:port" (IPv6 hosts in brackets)
  // for kTcp.
  std::string address;

  // The canonical form: "unix:///var/run/docker.sock", "tcp://host:2375".
  std::string ToString() const;
};

// Accepts "unix:///absolute/path", "tcp://host:port" and "http://host:port"
// (the latter two are the same plain-HTTP transport; a trailing "/" is
// allowed). Anything else -- npipe://, a relative unix path, an empty
// value, a missing or non-numeric port -- is InvalidArgument naming the
// value and the accepted forms.
absl::StatusOr<Endpoint> ParseEndpoint(std::string_view text);

}  // namespace cri_dockerd::docker
