#include "docker_client/json_decode.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace cri_dockerd::docker {
namespace {

using nlohmann::json;

constexpr size_t kMaxMessageBytes = 1024;

// Parses without exceptions; a discarded value means malformed input.
json Parse(std::string_view body) {
  return json::parse(body.begin(), body.end(), /*cb=*/nullptr,
                     /*allow_exceptions=*/false);
}

absl::StatusOr<json> ParseObject(std::string_view body,
                                 absl::string_view what) {
  json doc = Parse(body);
  if (doc.is_discarded()) {
    return absl::InternalError(absl::StrCat("malformed reply from docker for ",
                                            what, ": not valid JSON (",
                                            body.size(), " bytes)"));
  }
  if (!doc.is_object()) {
    return absl::InternalError(
        absl::StrCat("malformed reply from docker for ", what,
                     ": expected a JSON object, got ", doc.type_name()));
  }
  return doc;
}

// The field helpers below never call get<>() on a value of the wrong type,
// so a reply with surprising types decodes to defaults instead of throwing.

const json* Field(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

std::string GetString(const json& obj, const char* key) {
  const json* v = Field(obj, key);
  if (v == nullptr || !v->is_string()) return "";
  return v->get_ref<const std::string&>();
}

int64_t GetInt(const json& obj, const char* key) {
  const json* v = Field(obj, key);
  if (v == nullptr) return 0;
  if (v->is_number_unsigned()) {
    const uint64_t u = v->get<uint64_t>();
    return u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
               ? std::numeric_limits<int64_t>::max()
               : static_cast<int64_t>(u);
  }
  if (v->is_number_integer()) return v->get<int64_t>();
  if (v->is_number_float()) {
    const double d = v->get<double>();
    // Only integral values in range; anything else is not a count.
    if (std::isfinite(d) && d == std::trunc(d) && d >= -9.2e18 && d <= 9.2e18) {
      return static_cast<int64_t>(d);
    }
  }
  return 0;
}

std::vector<std::string> GetStringArray(const json& obj, const char* key) {
  std::vector<std::string> out;
  const json* v = Field(obj, key);
  if (v == nullptr || !v->is_array()) return out;
  for (const json& item : *v) {
    if (item.is_string()) out.push_back(item.get_ref<const std::string&>());
  }
  return out;
}

std::vector<std::string> GetObjectKeys(const json& obj, const char* key) {
  std::vector<std::string> out;
  const json* v = Field(obj, key);
  if (v == nullptr || !v->is_object()) return out;
  for (auto it = v->begin(); it != v->end(); ++it) out.push_back(it.key());
  return out;
}

}  // namespace

absl::StatusOr<VersionInfo> DecodeVersion(std::string_view body) {
  absl::StatusOr<json> doc = ParseObject(body, "GET /version");
  if (!doc.ok()) return doc.status();
  VersionInfo v;
  v.version = GetString(*doc, "Version");
  v.api_version = GetString(*doc, "ApiVersion");
  v.min_api_version = GetString(*doc, "MinAPIVersion");
  v.git_commit = GetString(*doc, "GitCommit");
  v.go_version = GetString(*doc, "GoVersion");
  v.os = GetString(*doc, "Os");
  v.arch = GetString(*doc, "Arch");
  v.kernel_version = GetString(*doc, "KernelVersion");
  return v;
}

absl::StatusOr<SystemInfo> DecodeInfo(std::string_view body) {
  absl::StatusOr<json> doc = ParseObject(body, "GET /info");
  if (!doc.ok()) return doc.status();
  const json& d = *doc;
  SystemInfo info;
  info.id = GetString(d, "ID");
  info.name = GetString(d, "Name");
  info.server_version = GetString(d, "ServerVersion");
  info.operating_system = GetString(d, "OperatingSystem");
  info.kernel_version = GetString(d, "KernelVersion");
  info.architecture = GetString(d, "Architecture");
  info.cgroup_driver = GetString(d, "CgroupDriver");
  info.cgroup_version = GetString(d, "CgroupVersion");
  info.docker_root_dir = GetString(d, "DockerRootDir");
  info.logging_driver = GetString(d, "LoggingDriver");
  info.default_runtime = GetString(d, "DefaultRuntime");
  info.runtimes = GetObjectKeys(d, "Runtimes");
  info.security_options = GetStringArray(d, "SecurityOptions");
  info.containers = GetInt(d, "Containers");
  info.containers_running = GetInt(d, "ContainersRunning");
  info.images = GetInt(d, "Images");
  info.ncpu = GetInt(d, "NCPU");
  info.mem_total = GetInt(d, "MemTotal");
  return info;
}

std::string DecodeErrorMessage(std::string_view body) {
  std::string message;
  json doc = Parse(body);
  if (!doc.is_discarded() && doc.is_object()) {
    message = GetString(doc, "message");
  }
  if (message.empty()) {
    message = std::string(absl::StripAsciiWhitespace(
        absl::string_view(body.data(), body.size())));
  }
  if (message.size() > kMaxMessageBytes) {
    message.resize(kMaxMessageBytes);
    message += "...";
  }
  return message;
}

}  // namespace cri_dockerd::docker
