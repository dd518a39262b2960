// Plain structs for what cri/ reads from Docker Engine. No JSON here: the
// curl client decodes replies into these, the fake fills them directly.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace cri_dockerd::docker {

// GET /version
struct VersionInfo {
  std::string version;          // "20.10.24"
  std::string api_version;      // highest API the daemon speaks, "1.41"
  std::string min_api_version;  // lowest API the daemon accepts, "1.12"
  std::string git_commit;
  std::string go_version;
  std::string os;
  std::string arch;
  std::string kernel_version;
};

// GET /info (the fields cri/ uses)
struct SystemInfo {
  std::string id;
  std::string name;
  std::string server_version;
  std::string operating_system;
  std::string kernel_version;
  std::string architecture;
  std::string cgroup_driver;   // "cgroupfs" or "systemd"
  std::string cgroup_version;  // "1" or "2"
  std::string docker_root_dir;
  std::string driver;  // "overlay2", or "overlayfs" on the containerd store
  // True when images live in containerd's content store and snapshotter
  // (DriverStatus "driver-type" io.containerd.snapshotter.v1; Docker 29's
  // default) rather than in docker's own graph driver under the data root.
  bool containerd_image_store = false;
  std::string logging_driver;
  std::string default_runtime;
  std::vector<std::string> runtimes;  // names of configured OCI runtimes
  std::vector<std::string> security_options;
  int64_t containers = 0;
  int64_t containers_running = 0;
  int64_t images = 0;
  int64_t ncpu = 0;
  int64_t mem_total = 0;
};

// GET /images/json (one entry per image)
struct ImageSummary {
  std::string id;  // "sha256:<hex>"
  std::vector<std::string> repo_tags;
  std::vector<std::string> repo_digests;
  int64_t size = 0;
  int64_t shared_size = -1;  // -1 when the engine did not compute it
  int64_t created = 0;       // unix seconds
  // The OCI descriptor's annotations (Descriptor.annotations; engines with
  // the containerd image store, API 1.46+), empty otherwise.
  std::map<std::string, std::string> annotations;
};

// GET /images/{name}/json
struct ImageInspect {
  std::string id;
  std::vector<std::string> repo_tags;
  std::vector<std::string> repo_digests;
  int64_t size = 0;
  std::string created;  // RFC 3339
  std::string os;
  std::string architecture;
  // From the image's Config.
  std::string user;  // "", "1002", "www-data", "1003:1003", ...
  std::vector<std::string> env;
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::string working_dir;
  std::string stop_signal;
  std::map<std::string, std::string> labels;
  std::vector<std::string> volumes;        // keys of Config.Volumes
  std::vector<std::string> exposed_ports;  // keys of Config.ExposedPorts
  // The OCI descriptor's annotations, as in ImageSummary.
  std::map<std::string, std::string> annotations;
  std::string raw_json;  // the engine's reply, for verbose output
};

// Registry credentials, sent base64url-encoded as X-Registry-Auth. Secrets:
// never log any field but server_address.
struct RegistryAuth {
  std::string username;
  std::string password;
  std::string auth;  // base64 "username:password"
  std::string server_address;
  std::string identity_token;
  std::string registry_token;
  bool empty() const {
    return username.empty() && password.empty() && auth.empty() &&
           identity_token.empty() && registry_token.empty();
  }
};

// One message of docker's pull progress stream.
struct PullProgress {
  std::string id;       // layer ID; empty for whole-image messages
  std::string status;   // "Downloading", "Extracting", "Pull complete", ...
  int64_t current = 0;  // progressDetail.current (bytes)
  int64_t total = 0;    // progressDetail.total (bytes)
};

// POST /images/create
struct PullOptions {
  std::string image;  // repository: "localhost:5000/busybox", "busybox"
  std::string tag;    // tag or digest: "1.36", "sha256:<hex>"
  RegistryAuth auth;  // empty: no X-Registry-Auth header
  // Called for each progress message; may be empty.
  std::function<void(const PullProgress&)> on_progress;
  // Polled at least every 250 ms while the pull runs, whether or not data
  // arrives; a non-OK status aborts the pull with that status (closing the
  // connection, which makes dockerd cancel its pull). May be empty.
  std::function<absl::Status()> check;
};

// DELETE /images/{name}
struct RemovedImage {
  std::vector<std::string> untagged;
  std::vector<std::string> deleted;
};

// GET /system/df
struct DiskUsage {
  int64_t layers_size = 0;  // all image layers, shared ones counted once
  struct Container {
    std::string id;
    int64_t size_rw = 0;  // writable layer bytes
  };
  std::vector<Container> containers;
};

}  // namespace cri_dockerd::docker
