// Status: RuntimeReady follows a live ping of dockerd (bounded by
// status_ping_timeout, 0.8 s, so a hung or stopped dockerd shows within
// ~1 s);
// NetworkReady follows the network plugin. Runtime handlers are docker's
// configured OCI runtimes, with "" for the default one. Never fails because
// docker is down: that is what the conditions report.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "cri/runtime_service.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace cri_dockerd {
namespace {

constexpr char kRuntimeReady[] = "RuntimeReady";
constexpr char kNetworkReady[] = "NetworkReady";

void AddCondition(v1::RuntimeStatus* status, const char* type,
                  const absl::Status& state, const char* reason,
                  const std::string& prefix) {
  v1::RuntimeCondition* c = status->add_conditions();
  c->set_type(type);
  c->set_status(state.ok());
  if (!state.ok()) {
    c->set_reason(reason);
    c->set_message(absl::StrCat(prefix, state.message()));
  }
}

// Handler names sorted, the default runtime also offered as "". Every
// handler is runc-like under docker: the same features for each.
void AddRuntimeHandlers(const docker::SystemInfo& info,
                        bool recursive_read_only, v1::StatusResponse* resp) {
  std::vector<std::string> names = info.runtimes;
  if (std::find(names.begin(), names.end(), info.default_runtime) !=
      names.end()) {
    names.push_back("");
  }
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    v1::RuntimeHandler* h = resp->add_runtime_handlers();
    h->set_name(name);
    // Docker has no user-namespaced pods: user_namespaces stays false.
    h->mutable_features()->set_recursive_read_only_mounts(recursive_read_only);
  }
}

std::string ToJson(const google::protobuf::Struct& s) {
  std::string out;
  if (!google::protobuf::util::MessageToJsonString(s, &out).ok()) return "{}";
  return out;
}

void SetString(google::protobuf::Struct* s, const std::string& key,
               const std::string& value) {
  (*s->mutable_fields())[key].set_string_value(value);
}

}  // namespace

absl::StatusOr<v1::StatusResponse> RuntimeService::Status(
    const CallContext& ctx, const v1::StatusRequest& req) {
  const absl::Time deadline =
      std::min(DockerDeadline(ctx), absl::Now() + options_.status_ping_timeout);
  v1::StatusResponse resp;
  v1::RuntimeStatus* status = resp.mutable_status();

  const absl::Status docker_state = docker_->Ping(deadline);
  AddCondition(status, kRuntimeReady, docker_state, "DockerDaemonNotReady",
               "docker: ");
  const absl::Status network_state = network_->Ready();
  AddCondition(status, kNetworkReady, network_state, "NetworkPluginNotReady",
               "docker: network plugin is not ready: ");

  absl::StatusOr<docker::SystemInfo> info =
      docker_state.ok() ? docker_->Info(deadline) : docker_state;
  if (info.ok()) {
    absl::StatusOr<docker::EngineCapabilities> engine =
        docker_->Capabilities(deadline);
    const bool rro = engine.ok() && engine->recursive_read_only_mounts &&
                     options_.kernel_recursive_read_only;
    AddRuntimeHandlers(*info, rro, &resp);
  } else {
    LOG(DEBUG) << "status: no runtime handlers: " << info.status();
  }
  // supplemental_groups_policy: docker always adds the image's groups of
  // the user, so the Strict policy cannot be offered.
  resp.mutable_features();

  if (req.verbose()) {
    google::protobuf::Struct config;
    SetString(&config, "sandboxImage", options_.pod_infra_image);
    SetString(&config, "networkPlugin", network_->Name());
    SetString(&config, "podCIDR", network_->PodCidr());
    SetString(&config, "rootDirectory", options_.root_directory);
    (*resp.mutable_info())["config"] = ToJson(config);
    if (info.ok()) {
      google::protobuf::Struct d;
      SetString(&d, "serverVersion", info->server_version);
      SetString(&d, "operatingSystem", info->operating_system);
      SetString(&d, "kernelVersion", info->kernel_version);
      SetString(&d, "cgroupDriver", info->cgroup_driver);
      SetString(&d, "cgroupVersion", info->cgroup_version);
      SetString(&d, "dockerRootDir", info->docker_root_dir);
      SetString(&d, "defaultRuntime", info->default_runtime);
      (*resp.mutable_info())["docker"] = ToJson(d);
    }
  }
  return resp;
}

}  // namespace cri_dockerd
