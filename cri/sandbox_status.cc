// PodSandboxStatus: READY while the infra container runs, its creation
// time, addresses (read in-process from the pod's netns; no helper
// processes), namespace modes, labels and annotations. A sandbox known
// only from its checkpoint (container gone) is NOTREADY. Read-only.
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "cri/convert/naming.h"
#include "cri/runtime_service.h"

namespace cri_dockerd {
namespace {

int64_t ParseNanos(const std::string& rfc3339) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &err)) return 0;
  return absl::ToUnixNanos(t);
}

// docker records the default runtime by name; CRI reports it as "".
std::string RuntimeHandler(const docker::ContainerInspect& c) {
  return c.runtime == "runc" ? "" : c.runtime;
}

}  // namespace

absl::StatusOr<v1::PodSandboxStatusResponse> RuntimeService::PodSandboxStatus(
    const CallContext& ctx, const v1::PodSandboxStatusRequest& req) {
  ASSIGN_OR_RETURN(SandboxInfo sandbox, FindSandbox(ctx, req.pod_sandbox_id()));
  v1::PodSandboxStatusResponse resp;
  resp.set_timestamp(absl::ToUnixNanos(absl::Now()));
  v1::PodSandboxStatus* st = resp.mutable_status();
  st->set_id(sandbox.id);
  v1::PodSandboxMetadata* meta = st->mutable_metadata();
  if (sandbox.checkpoint) {
    meta->set_name(sandbox.checkpoint->name);
    meta->set_namespace_(sandbox.checkpoint->ns);
  }
  st->set_state(v1::SANDBOX_NOTREADY);
  v1::NamespaceOption* ns =
      st->mutable_linux()->mutable_namespaces()->mutable_options();
  ns->set_network(sandbox.host_network ? v1::NODE : v1::POD);
  ns->set_pid(v1::CONTAINER);
  ns->set_ipc(v1::POD);
  if (sandbox.container) {
    const docker::ContainerInspect& c = *sandbox.container;
    if (absl::StatusOr<NameParts> parts = ParseName(c.name); parts.ok()) {
      meta->set_name(parts->pod);
      meta->set_namespace_(parts->ns);
      meta->set_uid(parts->uid);
      meta->set_attempt(parts->attempt);
    }
    if (c.state.running) st->set_state(v1::SANDBOX_READY);
    st->set_created_at(ParseNanos(c.created));
    if (c.pid_mode == "host") ns->set_pid(v1::NODE);
    if (c.ipc_mode == "host") ns->set_ipc(v1::NODE);
    auto [labels, annotations] = ExtractLabels(c.labels);
    st->mutable_labels()->insert(labels.begin(), labels.end());
    st->mutable_annotations()->insert(annotations.begin(), annotations.end());
    st->set_runtime_handler(RuntimeHandler(c));
    if (req.verbose()) (*resp.mutable_info())["info"] = VerboseInfo(ctx, c);
  }
  const std::vector<std::string> ips = SandboxIps(ctx, sandbox);
  if (!ips.empty()) {
    st->mutable_network()->set_ip(ips[0]);
    for (size_t i = 1; i < ips.size(); ++i) {
      st->mutable_network()->add_additional_ips()->set_ip(ips[i]);
    }
  }
  return resp;
}

}  // namespace cri_dockerd
