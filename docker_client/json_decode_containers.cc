#include "docker_client/json_decode_containers.h"

#include <map>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/strip.h"
#include "docker_client/json_util.h"

namespace cri_dockerd::docker {
namespace {

using json_util::Field;
using json_util::GetInt;
using json_util::GetString;
using json_util::GetStringArray;
using json_util::json;
using json_util::ObjectField;

bool GetBool(const json& obj, const char* key, bool fallback = false) {
  const json* v = Field(obj, key);
  return v != nullptr && v->is_boolean() ? v->get<bool>() : fallback;
}

std::map<std::string, std::string> GetStringMap(const json& obj,
                                                const char* key) {
  std::map<std::string, std::string> out;
  const json* v = ObjectField(obj, key);
  if (v == nullptr) return out;
  for (auto it = v->begin(); it != v->end(); ++it) {
    if (it->is_string()) out[it.key()] = it->get_ref<const std::string&>();
  }
  return out;
}

std::string StripSlash(const std::string& name) {
  return std::string(absl::StripPrefix(name, "/"));
}

void DecodeState(const json& s, ContainerState& state) {
  state.status = GetString(s, "Status");
  state.running = GetBool(s, "Running");
  state.paused = GetBool(s, "Paused");
  state.restarting = GetBool(s, "Restarting");
  state.oom_killed = GetBool(s, "OOMKilled");
  state.pid = static_cast<int>(GetInt(s, "Pid"));
  state.exit_code = static_cast<int>(GetInt(s, "ExitCode"));
  state.error = GetString(s, "Error");
  state.started_at = GetString(s, "StartedAt");
  state.finished_at = GetString(s, "FinishedAt");
}

// {"80/tcp": [{"HostIp": "", "HostPort": "8080"}], "81/tcp": null}
std::vector<PortBinding> DecodePortBindings(const json& host) {
  std::vector<PortBinding> out;
  const json* ports = ObjectField(host, "PortBindings");
  if (ports == nullptr) return out;
  for (auto it = ports->begin(); it != ports->end(); ++it) {
    if (!it->is_array()) continue;
    for (const json& b : *it) {
      if (!b.is_object()) continue;
      out.push_back({.container_port = it.key(),
                     .host_ip = GetString(b, "HostIp"),
                     .host_port = GetString(b, "HostPort")});
    }
  }
  return out;
}

void DecodeHostConfig(const json& h, ContainerInspect& c) {
  c.network_mode = GetString(h, "NetworkMode");
  c.ipc_mode = GetString(h, "IpcMode");
  c.pid_mode = GetString(h, "PidMode");
  c.uts_mode = GetString(h, "UTSMode");
  c.runtime = GetString(h, "Runtime");
  c.cgroup_parent = GetString(h, "CgroupParent");
  c.privileged = GetBool(h, "Privileged");
  c.port_bindings = DecodePortBindings(h);
  Resources& r = c.resources;
  r.cpu_shares = GetInt(h, "CpuShares");
  r.cpu_period = GetInt(h, "CpuPeriod");
  r.cpu_quota = GetInt(h, "CpuQuota");
  r.cpuset_cpus = GetString(h, "CpusetCpus");
  r.cpuset_mems = GetString(h, "CpusetMems");
  r.memory = GetInt(h, "Memory");
  r.memory_swap = GetInt(h, "MemorySwap");
  // null or 0: no limit (docker reports either, by version).
  if (const int64_t pids = GetInt(h, "PidsLimit"); pids != 0) {
    r.pids_limit = pids;
  }
  c.oom_score_adj = static_cast<int>(GetInt(h, "OomScoreAdj"));
}

void DecodeNetworkSettings(const json& n, ContainerInspect& c) {
  c.sandbox_key = GetString(n, "SandboxKey");
  const json* networks = ObjectField(n, "Networks");
  if (networks == nullptr) return;
  for (auto it = networks->begin(); it != networks->end(); ++it) {
    if (!it->is_object()) continue;
    c.networks[it.key()] = {
        .ip_address = GetString(*it, "IPAddress"),
        .global_ipv6_address = GetString(*it, "GlobalIPv6Address")};
  }
}

std::vector<MountPoint> DecodeMounts(const json& doc) {
  std::vector<MountPoint> out;
  const json* mounts = Field(doc, "Mounts");
  if (mounts == nullptr || !mounts->is_array()) return out;
  for (const json& m : *mounts) {
    if (!m.is_object()) continue;
    out.push_back({.type = GetString(m, "Type"),
                   .source = GetString(m, "Source"),
                   .destination = GetString(m, "Destination"),
                   .rw = GetBool(m, "RW", true),
                   .propagation = GetString(m, "Propagation")});
  }
  return out;
}

}  // namespace

absl::StatusOr<CreatedContainer> DecodeContainerCreated(
    absl::string_view body) {
  absl::StatusOr<json> doc =
      json_util::ParseObject(body, "POST /containers/create");
  if (!doc.ok()) return doc.status();
  CreatedContainer created;
  created.id = GetString(*doc, "Id");
  created.warnings = GetStringArray(*doc, "Warnings");
  if (created.id.empty()) {
    return absl::InternalError(
        "malformed reply from docker for POST /containers/create: no Id");
  }
  return created;
}

absl::StatusOr<ContainerInspect> DecodeContainerInspect(
    absl::string_view body) {
  absl::StatusOr<json> doc =
      json_util::ParseObject(body, "GET /containers/{id}/json");
  if (!doc.ok()) return doc.status();
  const json& d = *doc;
  ContainerInspect c;
  c.id = GetString(d, "Id");
  c.name = StripSlash(GetString(d, "Name"));
  c.created = GetString(d, "Created");
  c.image = GetString(d, "Image");
  c.resolv_conf_path = GetString(d, "ResolvConfPath");
  c.hostname_path = GetString(d, "HostnamePath");
  c.hosts_path = GetString(d, "HostsPath");
  c.log_path = GetString(d, "LogPath");
  c.restart_count = static_cast<int>(GetInt(d, "RestartCount"));
  if (const json* state = ObjectField(d, "State")) DecodeState(*state, c.state);
  if (const json* config = ObjectField(d, "Config")) {
    c.config_image = GetString(*config, "Image");
    c.hostname = GetString(*config, "Hostname");
    c.labels = GetStringMap(*config, "Labels");
    c.env = GetStringArray(*config, "Env");
    c.tty = GetBool(*config, "Tty");
    c.stop_signal = GetString(*config, "StopSignal");
  }
  if (const json* host = ObjectField(d, "HostConfig")) {
    DecodeHostConfig(*host, c);
  }
  if (const json* net = ObjectField(d, "NetworkSettings")) {
    DecodeNetworkSettings(*net, c);
  }
  c.mounts = DecodeMounts(d);
  c.raw_json = std::string(body);
  return c;
}

absl::StatusOr<std::vector<ContainerSummary>> DecodeContainerList(
    absl::string_view body) {
  absl::StatusOr<json> doc =
      json_util::ParseArray(body, "GET /containers/json");
  if (!doc.ok()) return doc.status();
  std::vector<ContainerSummary> out;
  out.reserve(doc->size());
  for (const json& item : *doc) {
    if (!item.is_object()) continue;
    ContainerSummary s;
    s.id = GetString(item, "Id");
    for (const std::string& name : GetStringArray(item, "Names")) {
      s.names.push_back(StripSlash(name));
    }
    s.image = GetString(item, "Image");
    s.image_id = GetString(item, "ImageID");
    s.created = GetInt(item, "Created");
    s.state = GetString(item, "State");
    s.status = GetString(item, "Status");
    s.labels = GetStringMap(item, "Labels");
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace cri_dockerd::docker
