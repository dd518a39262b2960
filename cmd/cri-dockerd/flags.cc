#include "cmd/cri-dockerd/flags.h"

#include <functional>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/go_duration.h"
#include "common/logging.h"
#include "common/metrics/bind_address.h"

namespace cri_dockerd {
namespace {

enum class Kind { kString, kBool, kInt32, kDuration };

struct FlagSpec {
  const char* name;
  Kind kind;
  const char* help;
  // Applies a value already checked against `kind`; may reject it.
  std::function<absl::Status(Flags&, const std::string&)> set;
  // The default as --help prints it.
  std::function<std::string(const Flags&)> show;
};

absl::Status BadValue(const char* flag, const std::string& value,
                      const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid value \"", value, "\" for flag --", flag, ": ", why));
}

// Docker's size syntax (go-units RAMInBytes): "10m", "1.5g", "512 KiB",
// "100" (bytes); positive.
bool IsDockerSize(absl::string_view v) {
  size_t i = 0;
  bool nonzero = false, digits = false;
  while (i < v.size() && (absl::ascii_isdigit(v[i]) || v[i] == '.')) {
    if (v[i] == '.' && !digits) return false;
    digits = digits || v[i] != '.';
    nonzero = nonzero || (v[i] >= '1' && v[i] <= '9');
    ++i;
  }
  if (!digits || !nonzero || v[i - 1] == '.') return false;
  if (i < v.size() && v[i] == ' ') ++i;
  if (i < v.size() && absl::StrContains("kKmMgGtTpP", v[i])) ++i;
  if (i < v.size() && (v[i] == 'i' || v[i] == 'I')) ++i;
  if (i < v.size() && (v[i] == 'b' || v[i] == 'B')) ++i;
  return i == v.size();
}

#define CRID_STRING_FLAG(flag, field, help)    \
  FlagSpec {                                   \
    flag, Kind::kString, help,                 \
        [](Flags& f, const std::string& v) {   \
          f.field = v;                         \
          return absl::OkStatus();             \
        },                                     \
        [](const Flags& f) { return f.field; } \
  }

const std::vector<FlagSpec>& Specs() {
  static const auto* specs = new std::vector<FlagSpec>{
      CRID_STRING_FLAG("container-runtime-endpoint", container_runtime_endpoint,
                       "The endpoint to serve the CRI on: unix:///path or "
                       "fd:// (a socket passed by systemd)."),
      CRID_STRING_FLAG("docker-endpoint", docker_endpoint,
                       "Docker Engine endpoint: unix:///path or "
                       "tcp://host:port."),
      CRID_STRING_FLAG("cri-dockerd-root-directory", cri_dockerd_root_directory,
                       "Path to the cri-dockerd root directory."),
      CRID_STRING_FLAG("pod-infra-container-image", pod_infra_container_image,
                       "The image whose network/ipc namespaces containers in "
                       "each pod will use."),
      FlagSpec{"image-pull-progress-deadline", Kind::kDuration,
               "If no pulling progress is made before this deadline, the "
               "image pulling will be cancelled.",
               [](Flags& f, const std::string& v) {
                 auto d = ParseGoDuration(v);
                 if (!d.ok() || *d <= absl::ZeroDuration()) {
                   return BadValue("image-pull-progress-deadline", v,
                                   "want a positive Go duration such as 1m0s");
                 }
                 f.image_pull_progress_deadline = *d;
                 return absl::OkStatus();
               },
               [](const Flags& f) {
                 return FormatGoDuration(f.image_pull_progress_deadline);
               }},
      FlagSpec{"runtime-request-timeout", Kind::kDuration,
               "Upper bound on a single runtime request to docker (0 means "
               "the 2m0s default).",
               [](Flags& f, const std::string& v) {
                 auto d = ParseGoDuration(v);
                 if (!d.ok() || *d < absl::ZeroDuration()) {
                   return BadValue("runtime-request-timeout", v,
                                   "want a Go duration such as 2m0s");
                 }
                 f.runtime_request_timeout = *d;
                 return absl::OkStatus();
               },
               [](const Flags& f) {
                 return FormatGoDuration(f.runtime_request_timeout);
               }},
      CRID_STRING_FLAG("streaming-bind-addr", streaming_bind_addr,
                       "Address (IP or IP:port) of the exec/attach/port-"
                       "forward streaming server; default loopback on a "
                       "random port."),
      FlagSpec{"streaming-connection-idle-timeout", Kind::kDuration,
               "Maximum time a streaming connection (exec, attach, "
               "port-forward) can be idle before it is closed, as kubelet's "
               "flag of that name; 0 means no timeout.",
               [](Flags& f, const std::string& v) {
                 auto d = ParseGoDuration(v);
                 if (!d.ok() || *d < absl::ZeroDuration()) {
                   return BadValue("streaming-connection-idle-timeout", v,
                                   "want a Go duration such as 4h0m0s");
                 }
                 f.streaming_connection_idle_timeout = *d;
                 return absl::OkStatus();
               },
               [](const Flags& f) {
                 return FormatGoDuration(f.streaming_connection_idle_timeout);
               }},
      CRID_STRING_FLAG("pod-cidr", pod_cidr,
                       "The CIDR to use for pod IP addresses, only used in "
                       "standalone mode; in a cluster kubelet supplies it."),
      FlagSpec{"ipv6-dual-stack", Kind::kBool,
               "Accepted for compatibility: IPv4 and IPv6 pod addresses are "
               "always reported when present.",
               [](Flags& f, const std::string& v) {
                 f.ipv6_dual_stack = v == "true";
                 return absl::OkStatus();
               },
               [](const Flags& f) {
                 return std::string(f.ipv6_dual_stack ? "true" : "false");
               }},
      FlagSpec{"network-plugin", Kind::kString,
               "The network plugin: cni, or empty for docker's bridge.",
               [](Flags& f, const std::string& v) {
                 if (v == "kubenet") {
                   return BadValue("network-plugin", v,
                                   "kubenet is not supported; use cni with "
                                   "the bridge and host-local plugins");
                 }
                 if (!v.empty() && v != "cni" && v != "no-op" && v != "noop") {
                   return BadValue("network-plugin", v,
                                   "want cni or an empty value");
                 }
                 f.network_plugin = v;
                 return absl::OkStatus();
               },
               [](const Flags& f) { return f.network_plugin; }},
      CRID_STRING_FLAG("cni-conf-dir", cni_conf_dir,
                       "The directory searched for CNI config files."),
      CRID_STRING_FLAG("cni-bin-dir", cni_bin_dir,
                       "A comma-separated list of directories searched for "
                       "CNI plugin binaries."),
      CRID_STRING_FLAG("cni-cache-dir", cni_cache_dir,
                       "The directory where CNI stores cache files."),
      FlagSpec{
          "network-plugin-mtu", Kind::kInt32,
          "Accepted for the Go cri-dockerd's command lines; only its "
          "kubenet used it. Set \"mtu\" in the CNI network config "
          "instead (a warning says so when set).",
          [](Flags& f, const std::string& v) {
            int mtu = 0;
            if (!absl::SimpleAtoi(v, &mtu) || mtu < 0) {
              return BadValue("network-plugin-mtu", v,
                              "want a non-negative integer");
            }
            f.network_plugin_mtu = mtu;
            return absl::OkStatus();
          },
          [](const Flags& f) { return std::to_string(f.network_plugin_mtu); }},
      FlagSpec{"hairpin-mode", Kind::kString,
               "promiscuous-bridge, hairpin-veth or none. Accepted for the "
               "Go cri-dockerd's command lines; only its kubenet used it. "
               "Set \"hairpinMode\" in the CNI bridge config instead (a "
               "warning says so when not none).",
               [](Flags& f, const std::string& v) {
                 if (v != "promiscuous-bridge" && v != "hairpin-veth" &&
                     v != "none") {
                   return BadValue(
                       "hairpin-mode", v,
                       "want promiscuous-bridge, hairpin-veth or none");
                 }
                 f.hairpin_mode = v;
                 return absl::OkStatus();
               },
               [](const Flags& f) { return f.hairpin_mode; }},
      FlagSpec{"runtime-cgroups", Kind::kString,
               "Optional absolute name of the cgroup to keep dockerd (the "
               "container runtime) in.",
               [](Flags& f, const std::string& v) {
                 if (!v.empty() &&
                     (v[0] != '/' || v.find("..") != std::string::npos)) {
                   return BadValue("runtime-cgroups", v,
                                   "want an absolute cgroup path without ..");
                 }
                 f.runtime_cgroups = v;
                 return absl::OkStatus();
               },
               [](const Flags& f) { return f.runtime_cgroups; }},
      FlagSpec{"metrics-bind-addr", Kind::kString,
               "IP:port to serve Prometheus metrics on at /metrics, e.g. "
               "127.0.0.1:9101; empty disables the endpoint.",
               [](Flags& f, const std::string& v) {
                 if (!v.empty()) {
                   auto addr = metrics::ParseBindAddress(v);
                   if (!addr.ok()) {
                     return BadValue("metrics-bind-addr", v,
                                     std::string(addr.status().message()));
                   }
                 }
                 f.metrics_bind_addr = v;
                 return absl::OkStatus();
               },
               [](const Flags& f) { return f.metrics_bind_addr; }},
      FlagSpec{"docker-log-max-size", Kind::kString,
               "Docker's json-file log of each container is rotated at this "
               "size (docker's max-size: 10m, 512k, 1g); the CRI log is "
               "copied from it.",
               [](Flags& f, const std::string& v) {
                 if (!IsDockerSize(v)) {
                   return BadValue("docker-log-max-size", v,
                                   "want a positive size such as 10m or 512k");
                 }
                 f.docker_log_max_size = v;
                 return absl::OkStatus();
               },
               [](const Flags& f) { return f.docker_log_max_size; }},
      FlagSpec{
          "docker-log-max-file", Kind::kInt32,
          "How many json-file logs docker keeps per container (docker's "
          "max-file); at least 2, so that the copy into the CRI log "
          "can finish a file docker rotated.",
          [](Flags& f, const std::string& v) {
            int n = 0;
            if (!absl::SimpleAtoi(v, &n) || n < 2) {
              return BadValue("docker-log-max-file", v,
                              "want an integer of at least 2");
            }
            f.docker_log_max_file = n;
            return absl::OkStatus();
          },
          [](const Flags& f) { return std::to_string(f.docker_log_max_file); }},
      FlagSpec{"log-level", Kind::kString,
               "Log level: trace, debug, info, warn, error (fatal and panic "
               "are accepted as error).",
               [](Flags& f, const std::string& v) {
                 LogSeverity ignored;
                 if (!ParseLogLevel(v, &ignored)) {
                   return BadValue("log-level", v,
                                   "want trace, debug, info, warn or error");
                 }
                 f.log_level = v;
                 return absl::OkStatus();
               },
               [](const Flags& f) { return f.log_level; }},
      FlagSpec{"version", Kind::kBool, "Print the version and exit.",
               [](Flags& f, const std::string& v) {
                 f.version = v == "true";
                 return absl::OkStatus();
               },
               [](const Flags&) { return std::string("false"); }},
      FlagSpec{"buildinfo", Kind::kBool, "Print build information and exit.",
               [](Flags& f, const std::string& v) {
                 f.buildinfo = v == "true";
                 return absl::OkStatus();
               },
               [](const Flags&) { return std::string("false"); }},
      FlagSpec{"help", Kind::kBool, "Print this help and exit (also -h).",
               [](Flags& f, const std::string& v) {
                 f.help = v == "true";
                 return absl::OkStatus();
               },
               [](const Flags&) { return std::string("false"); }},
  };
  return *specs;
}
#undef CRID_STRING_FLAG

const FlagSpec* FindSpec(absl::string_view name) {
  for (const FlagSpec& spec : Specs()) {
    if (name == spec.name) return &spec;
  }
  return nullptr;
}

// Go's strconv.ParseBool spellings.
std::optional<bool> ParseBool(absl::string_view v) {
  if (v == "1" || v == "t" || v == "T" || v == "true" || v == "TRUE" ||
      v == "True") {
    return true;
  }
  if (v == "0" || v == "f" || v == "F" || v == "false" || v == "FALSE" ||
      v == "False") {
    return false;
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<Flags> ParseFlags(const std::vector<std::string>& args) {
  Flags flags;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h") {
      flags.help = true;
      continue;
    }
    absl::string_view body = arg;
    if (!absl::ConsumePrefix(&body, "--") || body.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unexpected argument \"", arg, "\": cri-dockerd takes only --flags"));
    }
    std::string name(body);
    std::optional<std::string> value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    const FlagSpec* spec = FindSpec(name);
    if (spec == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag: --", name));
    }
    if (spec->kind == Kind::kBool) {
      const std::optional<bool> b = value ? ParseBool(*value) : true;
      if (!b) {
        return BadValue(spec->name, *value, "want true or false");
      }
      if (absl::Status s = spec->set(flags, *b ? "true" : "false"); !s.ok())
        return s;
      continue;
    }
    if (!value) {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("flag needs an argument: --", name));
      }
      value = args[++i];
    }
    if (absl::Status s = spec->set(flags, *value); !s.ok()) return s;
  }
  return flags;
}

std::vector<std::string> InertFlagWarnings(const Flags& flags) {
  std::vector<std::string> out;
  if (flags.network_plugin_mtu != 0) {
    out.push_back(absl::StrCat(
        "--network-plugin-mtu=", flags.network_plugin_mtu,
        " has no effect: only kubenet used it, and this daemon's pods get "
        "their network from CNI; set \"mtu\" in the CNI network config"));
  }
  if (flags.hairpin_mode != "none") {
    out.push_back(absl::StrCat(
        "--hairpin-mode=", flags.hairpin_mode,
        " has no effect: only kubenet used it, and this daemon's pods get "
        "their network from CNI; set \"hairpinMode\": true in the CNI "
        "bridge plugin's config"));
  }
  return out;
}

std::string Usage() {
  const Flags defaults;
  std::string out =
      "cri-dockerd serves the Kubernetes Container Runtime Interface "
      "(runtime.v1)\nfor Docker Engine.\n\nUsage:\n  cri-dockerd "
      "[flags]\n\nFlags:\n";
  for (const FlagSpec& spec : Specs()) {
    std::string left = absl::StrCat("      --", spec.name);
    switch (spec.kind) {
      case Kind::kString:
        absl::StrAppend(&left, " string");
        break;
      case Kind::kDuration:
        absl::StrAppend(&left, " duration");
        break;
      case Kind::kInt32:
        absl::StrAppend(&left, " int32");
        break;
      case Kind::kBool:
        break;
    }
    if (absl::string_view(spec.name) == "help") left = "  -h, --help";
    std::string help = spec.help;
    const std::string def = spec.show(defaults);
    if (spec.kind != Kind::kBool && !def.empty()) {
      absl::StrAppend(
          &help, " (default ",
          spec.kind == Kind::kString ? absl::StrCat("\"", def, "\"") : def,
          ")");
    }
    if (left.size() < 40) left.resize(40, ' ');
    absl::StrAppend(&out, left, " ", help, "\n");
  }
  return out;
}

}  // namespace cri_dockerd
