#include "cri/network/cni_config.h"

#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cri/network/cni_json.h"

namespace cri_dockerd::network {
namespace {

// Config files larger than this are not CNI configurations.
constexpr std::streamsize kMaxConfigBytes = 1 << 20;

// The decoded string at `key`, or "" when absent or not a string.
std::string StringMember(const std::vector<JsonMember>& members,
                         absl::string_view key) {
  absl::StatusOr<std::string> s = JsonUnquote(FindMember(members, key));
  return s.ok() ? *s : "";
}

bool HasConfigSuffix(const std::string& name) {
  return absl::EndsWith(name, ".conf") || absl::EndsWith(name, ".conflist") ||
         absl::EndsWith(name, ".json");
}

// One plugin's config object; `where` prefixes errors.
absl::StatusOr<CniPluginConfig> ParsePlugin(const std::string& where,
                                            const std::string& json) {
  absl::StatusOr<std::vector<JsonMember>> members = SplitJsonObject(json);
  CniPluginConfig plugin;
  plugin.json = json;
  if (members.ok()) plugin.type = StringMember(*members, "type");
  if (plugin.type.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": a plugin has no \"type\""));
  }
  absl::StatusOr<std::vector<JsonMember>> caps =
      SplitJsonObject(FindMember(*members, "capabilities"));
  if (caps.ok()) {
    for (const JsonMember& c : *caps) {
      if (c.second == "true") plugin.capabilities.push_back(c.first);
    }
  }
  return plugin;
}

absl::StatusOr<CniConfig> Parse(const std::string& file,
                                const std::string& text, bool is_list) {
  absl::StatusOr<std::vector<JsonMember>> root = SplitJsonObject(text);
  if (!root.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(file, ": not a JSON object"));
  }
  CniConfig config;
  config.file = file;
  config.name = StringMember(*root, "name");
  config.cni_version = StringMember(*root, "cniVersion");
  if (config.name.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": no \"name\""));
  }
  if (is_list) {
    absl::StatusOr<std::vector<std::string>> plugins =
        SplitJsonArray(FindMember(*root, "plugins"));
    if (!plugins.ok() || plugins->empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(file, ": no \"plugins\" list"));
    }
    for (const std::string& p : *plugins) {
      absl::StatusOr<CniPluginConfig> plugin = ParsePlugin(file, p);
      if (!plugin.ok()) return plugin.status();
      config.plugins.push_back(*std::move(plugin));
    }
    config.list_json = text;
  } else {
    if (StringMember(*root, "type").empty()) {
      return absl::InvalidArgumentError(absl::StrCat(file, ": no \"type\""));
    }
    absl::StatusOr<CniPluginConfig> plugin = ParsePlugin(file, text);
    if (!plugin.ok()) return plugin.status();
    config.plugins.push_back(*std::move(plugin));
    // The one-plugin list libcni makes of a .conf (and caches).
    config.list_json =
        JoinJsonObject({{"cniVersion", JsonQuote(config.cni_version)},
                        {"name", JsonQuote(config.name)},
                        {"plugins", JoinJsonArray({text})}});
  }
  if (!IsSupportedCniVersion(config.cni_version)) {
    const std::string problem =
        config.cni_version.empty()
            ? "no \"cniVersion\""
            : absl::StrCat("cniVersion \"", config.cni_version,
                           "\" is not supported");
    return absl::InvalidArgumentError(absl::StrCat(
        file, ": ", problem,
        " (supported: ", absl::StrJoin(kSupportedCniVersions, ", "), ")"));
  }
  for (const CniPluginConfig& p : config.plugins) {
    config.plugin_types.push_back(p.type);
  }
  return config;
}

}  // namespace

bool IsSupportedCniVersion(const std::string& version) {
  for (const char* v : kSupportedCniVersions) {
    if (version == v) return true;
  }
  return false;
}

bool CniVersionHasDelPrevResult(const std::string& version) {
  return IsSupportedCniVersion(version) && !absl::StartsWith(version, "0.3.");
}

absl::StatusOr<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::string text(kMaxConfigBytes + 1, '\0');
  in.read(text.data(), kMaxConfigBytes + 1);
  if (in.gcount() > kMaxConfigBytes) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is over 1 MiB"));
  }
  text.resize(static_cast<size_t>(in.gcount()));
  return text;
}

absl::StatusOr<CniConfig> ParseCniConfig(const std::string& file,
                                         const std::string& text) {
  return Parse(file, text, absl::EndsWith(file, ".conflist"));
}

absl::StatusOr<CniConfig> ParseCniConfList(const std::string& source,
                                           const std::string& text) {
  return Parse(source, text, /*is_list=*/true);
}

absl::StatusOr<CniConfig> FindCniConfig(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (HasConfigSuffix(name)) names.push_back(std::move(name));
    }
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  std::vector<std::string> problems;
  for (const std::string& name : names) {
    const std::string path = absl::StrCat(dir, "/", name);
    absl::StatusOr<std::string> text = ReadSmallFile(path);
    if (!text.ok()) continue;  // vanished or unreadable: try the next one
    absl::StatusOr<CniConfig> config = ParseCniConfig(path, *text);
    if (config.ok()) return config;
    problems.push_back(std::string(config.status().message()));
  }
  std::string message = absl::StrCat(
      "cni config uninitialized: no valid network configuration "
      "(.conf, .conflist, .json) in ",
      dir);
  if (!problems.empty()) {
    absl::StrAppend(&message, " (", absl::StrJoin(problems, "; "), ")");
  }
  return absl::NotFoundError(message);
}

absl::StatusOr<std::string> BuildPluginStdin(
    const CniConfig& list, const CniPluginConfig& plugin,
    const std::string& capability_args_json,
    const std::string& prev_result_json) {
  absl::StatusOr<std::vector<JsonMember>> own = SplitJsonObject(plugin.json);
  if (!own.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(list.file, ": plugin \"", plugin.type,
                     "\" config is not a JSON object"));
  }
  std::vector<JsonMember> runtime_config;
  if (!capability_args_json.empty()) {
    absl::StatusOr<std::vector<JsonMember>> args =
        SplitJsonObject(capability_args_json);
    if (!args.ok()) return args.status();
    for (const std::string& cap : plugin.capabilities) {
      const std::string value = FindMember(*args, cap);
      if (!value.empty()) runtime_config.emplace_back(cap, value);
    }
  }
  std::vector<JsonMember> out = {{"cniVersion", JsonQuote(list.cni_version)},
                                 {"name", JsonQuote(list.name)}};
  for (JsonMember& m : *own) {
    if (m.first == "cniVersion" || m.first == "name" ||
        m.first == "prevResult" ||
        (m.first == "runtimeConfig" && !runtime_config.empty())) {
      continue;
    }
    out.push_back(std::move(m));
  }
  if (!prev_result_json.empty())
    out.emplace_back("prevResult", prev_result_json);
  if (!runtime_config.empty()) {
    out.emplace_back("runtimeConfig", JoinJsonObject(runtime_config));
  }
  return JoinJsonObject(out);
}

}  // namespace cri_dockerd::network
