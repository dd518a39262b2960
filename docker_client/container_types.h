// Plain structs for docker's container API, as cri/ needs them: what to
// create (a subset of docker's Config + HostConfig), what inspect and list
// report. No JSON here; the curl client encodes and decodes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cri_dockerd::docker {

// One published port: container_port is "80/tcp" style.
struct PortBinding {
  std::string container_port;  // "<port>/<tcp|udp|sctp>"
  std::string host_ip;         // "" = all addresses
  std::string host_port;       // "" = docker picks
};

struct DeviceMapping {
  std::string path_on_host;
  std::string path_in_container;
  std::string cgroup_permissions;  // "rwm"
};

// A bind mount, as HostConfig.Mounts takes it.
struct BindMount {
  std::string source;
  std::string target;
  bool read_only = false;
  std::string propagation;  // "", "rprivate", "rslave", "rshared"
  // Docker 25+ (API 1.44): read-only recursively.
  bool recursive_read_only = false;
  // Relabel for SELinux (":Z"-like); carried as a bind string option.
  bool selinux_relabel = false;
};

struct Resources {
  int64_t cpu_shares = 0;
  int64_t cpu_period = 0;  // microseconds
  int64_t cpu_quota = 0;   // microseconds
  std::string cpuset_cpus;
  std::string cpuset_mems;
  int64_t memory = 0;                              // bytes; 0 = unlimited
  int64_t memory_swap = 0;                         // bytes; -1 = unlimited swap
  std::map<std::string, int64_t> hugepage_limits;  // page size -> bytes
  std::optional<int64_t> pids_limit;
};

// POST /containers/create
struct ContainerCreateConfig {
  std::string name;  // docker container name (without '/')

  // Config
  std::string image;
  std::string hostname;
  std::string user;
  std::vector<std::string> env;                        // "K=V"
  std::optional<std::vector<std::string>> entrypoint;  // unset: image's
  std::optional<std::vector<std::string>> cmd;         // unset: image's
  std::string working_dir;
  std::map<std::string, std::string> labels;
  bool tty = false;
  bool open_stdin = false;
  bool stdin_once = false;
  bool attach_stdin = false;
  std::vector<std::string> exposed_ports;  // "80/tcp"
  std::string stop_signal;
  // Disable any HEALTHCHECK the image defines (kubelet runs the probes).
  bool disable_healthcheck = false;

  // HostConfig
  std::string network_mode;  // "none", "host", "container:<id>", "" = default
  std::string ipc_mode;      // "shareable", "host", "container:<id>", ...
  std::string pid_mode;      // "", "host", "container:<id>"
  std::string uts_mode;      // "", "host"
  std::vector<PortBinding> port_bindings;
  int oom_score_adj = 0;
  int64_t shm_size = 0;  // bytes; 0 = docker's default
  std::string cgroup_parent;
  std::string runtime;  // OCI runtime name; "" = docker's default
  bool privileged = false;
  bool readonly_rootfs = false;
  std::vector<std::string> security_opt;  // "seccomp=...", "no-new-privileges"
  std::map<std::string, std::string> sysctls;
  std::vector<std::string> cap_add;
  std::vector<std::string> cap_drop;
  std::vector<std::string> group_add;
  std::vector<BindMount> mounts;
  std::vector<DeviceMapping> devices;
  // Fully qualified CDI device names ("vendor.com/class=name"), sent as
  // DeviceRequests with Driver "cdi" (Docker 25+, API 1.44).
  std::vector<std::string> cdi_devices;
  // Unset: docker's defaults. Set (even empty): exactly these.
  std::optional<std::vector<std::string>> masked_paths;
  std::optional<std::vector<std::string>> readonly_paths;
  std::vector<std::string> extra_hosts;  // "host:ip"
  Resources resources;
  std::map<std::string, std::string> log_options;  // LogConfig.Config
  std::string log_driver;                          // "" = docker's default
};

// State of an inspected container.
struct ContainerState {
  std::string status;  // "created", "running", "exited", "dead", ...
  bool running = false;
  bool paused = false;
  bool restarting = false;
  bool oom_killed = false;
  int pid = 0;
  int exit_code = 0;
  std::string error;
  std::string started_at;   // RFC 3339; "0001-01-01T00:00:00Z" if never
  std::string finished_at;  // RFC 3339; "0001-01-01T00:00:00Z" if never
};

// One entry of NetworkSettings.Networks.
struct EndpointSettings {
  std::string ip_address;
  std::string global_ipv6_address;
};

struct MountPoint {
  std::string type;
  std::string source;
  std::string destination;
  bool rw = true;
  std::string propagation;
};

// GET /containers/{id}/json
struct ContainerInspect {
  std::string id;
  std::string name;     // without the leading '/'
  std::string created;  // RFC 3339
  std::string image;    // image ID
  std::string resolv_conf_path;
  std::string hostname_path;
  std::string hosts_path;
  std::string log_path;
  int restart_count = 0;
  ContainerState state;
  // Config
  std::string config_image;  // the image as given at create
  std::string hostname;
  std::map<std::string, std::string> labels;
  std::vector<std::string> env;
  bool tty = false;
  std::string stop_signal;  // as given at create, or the image's; "" if none
  // HostConfig
  std::string network_mode;
  std::string ipc_mode;
  std::string pid_mode;
  std::string uts_mode;
  std::string runtime;
  std::string cgroup_parent;
  bool privileged = false;
  std::vector<PortBinding> port_bindings;
  // The limits in force: as created, then as UpdateContainerResources
  // changed them. memory_swap is -1 for unlimited swap; hugepage_limits
  // stays empty (docker has no such field).
  Resources resources;
  int oom_score_adj = 0;
  // NetworkSettings
  std::map<std::string, EndpointSettings> networks;
  std::string sandbox_key;  // netns path docker made, if any
  std::vector<MountPoint> mounts;
  std::string raw_json;  // the engine's reply, for verbose output
};

// GET /containers/json (one entry)
struct ContainerSummary {
  std::string id;
  std::vector<std::string> names;  // without the leading '/'
  std::string image;
  std::string image_id;
  int64_t created = 0;  // unix seconds
  std::string state;    // "created", "running", "exited", ...
  std::string status;   // human text ("Up 2 minutes")
  std::map<std::string, std::string> labels;
};

struct ListContainersOptions {
  bool all = true;  // include stopped containers
  // docker's filters, e.g. {"label", {"a=b", "c"}}, {"id", {...}},
  // {"name", {...}}, {"status", {"running"}}.
  std::map<std::string, std::vector<std::string>> filters;
};

}  // namespace cri_dockerd::docker
