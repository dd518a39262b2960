#include "docker_client/json_decode.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "docker_client/json_util.h"

namespace cri_dockerd::docker {
namespace {

using json_util::GetInt;
using json_util::GetObjectKeys;
using json_util::GetString;
using json_util::GetStringArray;
using json_util::json;
using json_util::Parse;
using json_util::ParseObject;

constexpr size_t kMaxMessageBytes = 1024;

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
  info.driver = GetString(d, "Driver");
  // [["driver-type", "io.containerd.snapshotter.v1"], ...]
  if (const json* status = json_util::Field(d, "DriverStatus");
      status != nullptr && status->is_array()) {
    for (const json& pair : *status) {
      if (pair.is_array() && pair.size() == 2 && pair[0] == "driver-type" &&
          pair[1] == "io.containerd.snapshotter.v1") {
        info.containerd_image_store = true;
      }
    }
  }
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
