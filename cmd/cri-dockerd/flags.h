// Command-line flags of cri-dockerd: the Go cri-dockerd's names, meanings
// and defaults, parsed as pflag does (--flag value, --flag=value, bools as
// --flag or --flag=false, durations in Go syntax).
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace cri_dockerd {

struct Flags {
  std::string container_runtime_endpoint = "unix:///var/run/cri-dockerd.sock";
  std::string docker_endpoint = "unix:///var/run/docker.sock";
  std::string cri_dockerd_root_directory = "/var/lib/cri-dockerd";
  std::string network_plugin = "cni";
  std::string cni_bin_dir = "/opt/cni/bin";
  std::string cni_conf_dir = "/etc/cni/net.d";
  std::string cni_cache_dir = "/var/lib/cni/cache";
  int network_plugin_mtu = 0;
  std::string hairpin_mode = "none";
  std::string pod_cidr;
  bool ipv6_dual_stack = false;
  std::string pod_infra_container_image = "registry.k8s.io/pause:3.10";
  absl::Duration image_pull_progress_deadline = absl::Minutes(1);
  absl::Duration runtime_request_timeout = absl::ZeroDuration();
  std::string streaming_bind_addr;
  // kubelet's streamingConnectionIdleTimeout default; zero: none.
  absl::Duration streaming_connection_idle_timeout = absl::Hours(4);
  std::string runtime_cgroups;
  // "IP:port" of the Prometheus /metrics endpoint; empty: not served.
  std::string metrics_bind_addr;
  // LogConfig of every CRI container: json-file with these max-size and
  // max-file, so docker's own copy of the output stays bounded.
  std::string docker_log_max_size = "10m";
  int docker_log_max_file = 2;
  std::string log_level = "info";
  bool version = false;
  bool buildinfo = false;
  bool help = false;
};

// Parses argv[1..]. Any error (unknown flag, missing or bad value, stray
// argument) is InvalidArgument with one line naming the flag.
absl::StatusOr<Flags> ParseFlags(const std::vector<std::string>& args);

// The --help text.
std::string Usage();

// One line per flag that was given a value it cannot act on: the Go
// cri-dockerd's --network-plugin-mtu and --hairpin-mode, which only its
// kubenet used. Accepted so that its command lines still start this
// daemon; main logs these at WARNING.
std::vector<std::string> InertFlagWarnings(const Flags& flags);

}  // namespace cri_dockerd
