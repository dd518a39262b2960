// CNI network configuration: loading a .conflist (or a single-plugin
// .conf/.json wrapped as a one-plugin list) with each plugin's own JSON, and
// building the stdin a plugin receives (name, cniVersion, prevResult and
// runtimeConfig injected as libcni does).
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace cri_dockerd::network {

// The CNI spec versions this driver speaks.
inline constexpr const char* kSupportedCniVersions[] = {
    "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"};

bool IsSupportedCniVersion(const std::string& version);

// True for versions whose DEL gets the cached result as prevResult (0.4.0+).
bool CniVersionHasDelPrevResult(const std::string& version);

// One plugin of a list.
struct CniPluginConfig {
  std::string type;
  std::string json;                       // its config object, as JSON
  std::vector<std::string> capabilities;  // declared true in "capabilities"
};

// A network configuration list.
struct CniConfig {
  std::string file;  // where it came from
  std::string name;
  std::string cni_version;
  std::vector<std::string> plugin_types;
  std::vector<CniPluginConfig> plugins;
  // The list as JSON, as libcni caches it (the file's text for a
  // .conflist; a synthesized one-plugin list for a .conf).
  std::string list_json;
};

// A file's text; InvalidArgument if it is over 1 MiB (no CNI document is).
absl::StatusOr<std::string> ReadSmallFile(const std::string& path);

// Parses one configuration file's text: a list when `file` ends in
// .conflist, else a single plugin. Errors name the file and what is wrong
// (including an unsupported or missing cniVersion).
absl::StatusOr<CniConfig> ParseCniConfig(const std::string& file,
                                         const std::string& text);

// Parses a configuration list's JSON (e.g. one read back from the cache).
absl::StatusOr<CniConfig> ParseCniConfList(const std::string& source,
                                           const std::string& text);

// The first valid configuration in `dir` in lexical file-name order, as
// libcni orders them; NotFound (saying why each file was skipped) when
// there is none. Reads the directory on every call, so new files count at
// once.
absl::StatusOr<CniConfig> FindCniConfig(const std::string& dir);

// The JSON a plugin reads on stdin: its own config with the list's "name"
// and "cniVersion", "prevResult" when `prev_result_json` is not empty, and
// "runtimeConfig" holding those entries of `capability_args_json` (a JSON
// object) that the plugin declares among its capabilities.
absl::StatusOr<std::string> BuildPluginStdin(
    const CniConfig& list, const CniPluginConfig& plugin,
    const std::string& capability_args_json,
    const std::string& prev_result_json);

}  // namespace cri_dockerd::network
