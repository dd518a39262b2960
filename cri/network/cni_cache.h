// The CNI result cache, in libcni's layout and format, so DEL repeats what
// ADD did (same config, same capability args, prevResult) even after the
// configuration directory changed, and so a node can switch between this
// shim and the Go one: <cache dir>/results/<network>-<container id>-<ifname>
// holding {"kind":"cniCacheV1","containerId","config" (base64 of the list
// config),"ifName","networkName","netns","cniArgs","capabilityArgs",
// "result"}.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cri/network/cni_capabilities.h"

namespace cri_dockerd::network {

struct CniCacheEntry {
  std::string path;  // the file (set when read back)
  std::string container_id;
  std::string if_name;
  std::string network_name;
  std::string netns;
  std::string config_json;  // the network list config
  CniArgs cni_args;
  std::string capability_args_json;  // a JSON object, or ""
  std::string result_json;           // a JSON object, or ""
};

std::string CniCachePath(const std::string& cache_dir,
                         const std::string& network_name,
                         const std::string& container_id,
                         const std::string& if_name);

// Writes `entry` atomically (temp file, fsync, rename, fsync of the
// directory), creating the directories (mode 0700, files 0600).
absl::Status WriteCniCache(const std::string& cache_dir,
                           const CniCacheEntry& entry);

// Every readable entry for `container_id` and `if_name`, whatever its
// network name. Unreadable or foreign files are skipped.
std::vector<CniCacheEntry> FindCniCache(const std::string& cache_dir,
                                        const std::string& container_id,
                                        const std::string& if_name);

// Removes an entry's file; already gone is success.
absl::Status RemoveCniCache(const std::string& path);

}  // namespace cri_dockerd::network
