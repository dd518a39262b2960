#include "cri/network/cni_plugin.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace cri_dockerd::network {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

// Config files larger than this are not CNI configurations.
constexpr std::streamsize kMaxConfigBytes = 1 << 20;

std::string StringField(const Struct& s, const std::string& key) {
  auto it = s.fields().find(key);
  if (it == s.fields().end() || it->second.kind_case() != Value::kStringValue)
    return "";
  return it->second.string_value();
}

bool HasConfigSuffix(const std::string& name) {
  return absl::EndsWith(name, ".conf") || absl::EndsWith(name, ".conflist") ||
         absl::EndsWith(name, ".json");
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

}  // namespace

absl::StatusOr<CniConfig> ParseCniConfig(const std::string& file,
                                         const std::string& text) {
  Struct root;
  if (!google::protobuf::util::JsonStringToMessage(text, &root).ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(file, ": not a JSON object"));
  }
  CniConfig config;
  config.file = file;
  config.name = StringField(root, "name");
  config.cni_version = StringField(root, "cniVersion");
  if (config.name.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": no \"name\""));
  }
  auto plugins = root.fields().find("plugins");
  if (absl::EndsWith(file, ".conflist")) {
    if (plugins == root.fields().end() ||
        plugins->second.kind_case() != Value::kListValue ||
        plugins->second.list_value().values_size() == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(file, ": no \"plugins\" list"));
    }
    for (const Value& p : plugins->second.list_value().values()) {
      const std::string type = p.kind_case() == Value::kStructValue
                                   ? StringField(p.struct_value(), "type")
                                   : "";
      if (type.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(file, ": a plugin has no \"type\""));
      }
      config.plugin_types.push_back(type);
    }
  } else {
    const std::string type = StringField(root, "type");
    if (type.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(file, ": no \"type\""));
    }
    config.plugin_types.push_back(type);
  }
  return config;
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

CniNetworkPlugin::CniNetworkPlugin(NetworkSettings settings)
    : settings_(std::move(settings)),
      bin_dirs_(absl::StrSplit(settings_.cni_bin_dirs, ',',
                               absl::SkipWhitespace())) {}

absl::Status CniNetworkPlugin::Ready() {
  absl::StatusOr<CniConfig> config = FindCniConfig(settings_.cni_conf_dir);
  if (!config.ok()) return config.status();
  for (const std::string& type : config->plugin_types) {
    bool found = false;
    for (const std::string& dir : bin_dirs_) {
      const std::string path =
          absl::StrCat(absl::StripAsciiWhitespace(dir), "/", type);
      if (access(path.c_str(), X_OK) == 0) {
        found = true;
        break;
      }
    }
    if (!found) {
      return absl::FailedPreconditionError(
          absl::StrCat("CNI plugin \"", type, "\" used by ", config->file,
                       " not found in --cni-bin-dir ", settings_.cni_bin_dirs));
    }
  }
  return absl::OkStatus();
}

void CniNetworkPlugin::SetPodCidr(const std::string& cidr) {
  absl::MutexLock lock(&mu_);
  pod_cidr_ = cidr;
}

std::string CniNetworkPlugin::PodCidr() const {
  absl::MutexLock lock(&mu_);
  return pod_cidr_;
}

}  // namespace cri_dockerd::network
