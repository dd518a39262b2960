// Plain structs for what cri/ reads from Docker Engine. No JSON here: the
// curl client decodes replies into these, the fake fills them directly.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

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

}  // namespace cri_dockerd::docker
