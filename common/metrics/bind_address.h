// "IP:port" listen addresses for the metrics endpoint: 127.0.0.1:9101,
// 0.0.0.0:9101, [::1]:9101, [::]:9101. Host names are not accepted (the
// daemon must not depend on name resolution to start).
#pragma once

#include <sys/socket.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cri_dockerd::metrics {

struct BindAddress {
  sockaddr_storage addr{};
  socklen_t len = 0;
};

// Parses `text`. InvalidArgument, with the reason, for anything but an IP
// literal and a port; the port must be 1-65535 unless `allow_port_zero`
// (an ephemeral port, for tests).
absl::StatusOr<BindAddress> ParseBindAddress(absl::string_view text,
                                             bool allow_port_zero = false);

// Whether only this machine can reach `a`: 127.0.0.0/8, ::1, or an
// IPv4-mapped loopback (::ffff:127.x.y.z).
bool IsLoopback(const BindAddress& a);

}  // namespace cri_dockerd::metrics
