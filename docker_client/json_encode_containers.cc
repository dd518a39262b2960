#include "docker_client/json_encode_containers.h"

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "docker_client/api_version.h"
#include "nlohmann/json.hpp"

namespace cri_dockerd::docker {
namespace {

using nlohmann::json;

json StringArray(const std::vector<std::string>& values) {
  json out = json::array();
  for (const std::string& v : values) out.push_back(v);
  return out;
}

json StringMap(const std::map<std::string, std::string>& values) {
  json out = json::object();
  for (const auto& [k, v] : values) out[k] = v;
  return out;
}

// Invalid UTF-8 (from a CRI request) is replaced rather than thrown on.
std::string Dump(const json& doc) {
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

absl::Status CheckMount(const BindMount& m, bool api_has_rro) {
  if (m.recursive_read_only && m.selinux_relabel) {
    return absl::InvalidArgumentError(absl::StrCat(
        "mount ", m.source, " -> ", m.target,
        ": Docker Engine cannot make a mount both recursively read-only and "
        "SELinux-relabelled"));
  }
  if (m.recursive_read_only && !api_has_rro) {
    return absl::FailedPreconditionError(absl::StrCat(
        "mount ", m.source, " -> ", m.target,
        ": recursive read-only mounts need Docker Engine 25 (API 1.44)"));
  }
  if (m.selinux_relabel && (m.source.find(':') != std::string::npos ||
                            m.target.find(':') != std::string::npos)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "mount ", m.source, " -> ", m.target,
        ": an SELinux-relabelled mount goes to docker as a \"src:dst:opts\" "
        "bind, which cannot hold ':' in its paths"));
  }
  return absl::OkStatus();
}

// "src:dst:ro,Z,rslave": the only way to ask docker for a relabel.
std::string BindString(const BindMount& m) {
  std::vector<std::string> options;
  if (m.read_only) options.push_back("ro");
  options.push_back("Z");
  if (!m.propagation.empty()) options.push_back(m.propagation);
  return absl::StrCat(m.source, ":", m.target, ":",
                      absl::StrJoin(options, ","));
}

json MountEntry(const BindMount& m, bool api_has_rro) {
  json entry = {{"Type", "bind"},
                {"Source", m.source},
                {"Target", m.target},
                {"ReadOnly", m.read_only || m.recursive_read_only}};
  json options = json::object();
  if (!m.propagation.empty()) options["Propagation"] = m.propagation;
  if (api_has_rro && m.recursive_read_only) {
    options["ReadOnlyForceRecursive"] = true;
  } else if (api_has_rro && m.read_only) {
    // Docker 25 would otherwise make it recursively read-only.
    options["ReadOnlyNonRecursive"] = true;
  }
  if (!options.empty()) entry["BindOptions"] = std::move(options);
  return entry;
}

json PortBindings(const std::vector<PortBinding>& bindings) {
  json out = json::object();
  for (const PortBinding& b : bindings) {
    out[b.container_port].push_back(
        {{"HostIp", b.host_ip}, {"HostPort", b.host_port}});
  }
  return out;
}

json Devices(const std::vector<DeviceMapping>& devices) {
  json out = json::array();
  for (const DeviceMapping& d : devices) {
    out.push_back({{"PathOnHost", d.path_on_host},
                   {"PathInContainer", d.path_in_container},
                   {"CgroupPermissions", d.cgroup_permissions}});
  }
  return out;
}

void AddResources(const Resources& r, json& host) {
  host["CpuShares"] = r.cpu_shares;
  host["CpuPeriod"] = r.cpu_period;
  host["CpuQuota"] = r.cpu_quota;
  host["CpusetCpus"] = r.cpuset_cpus;
  host["CpusetMems"] = r.cpuset_mems;
  host["Memory"] = r.memory;
  host["MemorySwap"] = r.memory_swap;
  if (r.pids_limit.has_value()) host["PidsLimit"] = *r.pids_limit;
  // r.hugepage_limits: docker's API has no hugepage limit to send.
}

absl::StatusOr<json> HostConfig(const ContainerCreateConfig& c,
                                bool api_has_rro) {
  json host = {{"NetworkMode", c.network_mode},
               {"IpcMode", c.ipc_mode},
               {"PidMode", c.pid_mode},
               {"UTSMode", c.uts_mode},
               {"PortBindings", PortBindings(c.port_bindings)},
               {"OomScoreAdj", c.oom_score_adj},
               {"CgroupParent", c.cgroup_parent},
               {"Privileged", c.privileged},
               {"ReadonlyRootfs", c.readonly_rootfs},
               {"SecurityOpt", StringArray(c.security_opt)},
               {"Sysctls", StringMap(c.sysctls)},
               {"CapAdd", StringArray(c.cap_add)},
               {"CapDrop", StringArray(c.cap_drop)},
               {"GroupAdd", StringArray(c.group_add)},
               {"Devices", Devices(c.devices)},
               {"ExtraHosts", StringArray(c.extra_hosts)}};
  if (c.shm_size != 0) host["ShmSize"] = c.shm_size;
  if (!c.runtime.empty()) host["Runtime"] = c.runtime;
  json mounts = json::array();
  json binds = json::array();
  for (const BindMount& m : c.mounts) {
    if (absl::Status s = CheckMount(m, api_has_rro); !s.ok()) return s;
    if (m.selinux_relabel) {
      binds.push_back(BindString(m));
    } else {
      mounts.push_back(MountEntry(m, api_has_rro));
    }
  }
  host["Mounts"] = std::move(mounts);
  if (!binds.empty()) host["Binds"] = std::move(binds);
  if (c.masked_paths) host["MaskedPaths"] = StringArray(*c.masked_paths);
  if (c.readonly_paths) host["ReadonlyPaths"] = StringArray(*c.readonly_paths);
  AddResources(c.resources, host);
  if (!c.cdi_devices.empty()) {
    json requests = json::array();
    for (const std::string& name : c.cdi_devices) {
      requests.push_back({{"Driver", "cdi"}, {"DeviceIDs", {name}}});
    }
    host["DeviceRequests"] = std::move(requests);
  }
  // Options without a driver are the daemon's default driver's options.
  if (!c.log_driver.empty() || !c.log_options.empty()) {
    host["LogConfig"] = {{"Type", c.log_driver},
                         {"Config", StringMap(c.log_options)}};
  }
  return host;
}

}  // namespace

bool NeedsRecursiveReadOnly(const ContainerCreateConfig& config) {
  for (const BindMount& m : config.mounts) {
    if (m.recursive_read_only) return true;
  }
  return false;
}

absl::StatusOr<std::string> EncodeContainerCreate(
    const ContainerCreateConfig& c, std::string_view api_version) {
  const bool api_has_rro =
      CompareApiVersions(api_version, kRecursiveReadOnlyApiVersion) >= 0;
  absl::StatusOr<json> host = HostConfig(c, api_has_rro);
  if (!host.ok()) return host.status();
  // Like the docker CLI, published ports are exposed too.
  std::set<std::string> exposed(c.exposed_ports.begin(), c.exposed_ports.end());
  for (const PortBinding& b : c.port_bindings) exposed.insert(b.container_port);
  json exposed_ports = json::object();
  for (const std::string& port : exposed) exposed_ports[port] = json::object();

  json doc = {{"Image", c.image},
              {"Hostname", c.hostname},
              {"User", c.user},
              {"Env", StringArray(c.env)},
              {"WorkingDir", c.working_dir},
              {"Labels", StringMap(c.labels)},
              {"Tty", c.tty},
              {"OpenStdin", c.open_stdin},
              {"StdinOnce", c.stdin_once},
              {"AttachStdin", c.attach_stdin},
              {"AttachStdout", true},
              {"AttachStderr", true},
              {"ExposedPorts", std::move(exposed_ports)},
              {"HostConfig", *std::move(host)}};
  if (c.entrypoint) doc["Entrypoint"] = StringArray(*c.entrypoint);
  if (c.cmd) doc["Cmd"] = StringArray(*c.cmd);
  if (!c.stop_signal.empty()) doc["StopSignal"] = c.stop_signal;
  if (c.disable_healthcheck) doc["Healthcheck"] = {{"Test", {"NONE"}}};
  return Dump(doc);
}

std::string EncodeContainerUpdate(const Resources& r) {
  json doc = json::object();
  AddResources(r, doc);
  return Dump(doc);
}

std::string EncodeContainerFilters(
    const std::map<std::string, std::vector<std::string>>& filters) {
  json doc = json::object();
  for (const auto& [key, values] : filters) {
    for (const std::string& v : values) doc[key][v] = true;
  }
  return doc.empty() ? "" : Dump(doc);
}

}  // namespace cri_dockerd::docker
