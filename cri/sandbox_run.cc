// RunPodSandbox: makes sure the pod infra image is present (pulled with
// the node's credentials if not), creates the infra container
// k8s_POD_<pod>_<ns>_<uid>_<attempt> with the Go shim's labels, writes the
// checkpoint, starts the container, rewrites its resolv.conf from the DNS
// config and attaches the pod network. Any failure rolls back what was
// done, in reverse: network torn down, container removed, checkpoint
// removed, so nothing half-made is left. The rollback gets a fresh
// --runtime-request-timeout (the call's deadline may be what failed); if
// its CNI DEL fails the checkpoint stays, so the pod is still listed and
// kubelet's StopPodSandbox/RemovePodSandbox run DEL again.
//
// From the infra container's creation to the end of the rollback the
// sandbox is locked (LockSandbox): a StopPodSandbox or RemovePodSandbox
// of it (kubelet's, after this call timed out) waits, so its CNI DEL
// never races this call's ADD.
//
// A crash at any step leaves what a restarted daemon's Stop and Remove
// clean up: the infra container and checkpoint are listed, and DEL runs
// without a cached result (from the configuration and the checkpoint's
// port mappings) when the ADD never finished.
#include <optional>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "cri/convert/naming.h"
#include "cri/convert/resolv_conf.h"
#include "cri/convert/sandbox_config.h"
#include "cri/runtime_service.h"

namespace cri_dockerd {
namespace {

absl::Status ValidateSandboxConfig(const v1::PodSandboxConfig& config) {
  const v1::PodSandboxMetadata& meta = config.metadata();
  if (!config.has_metadata()) {
    return absl::InvalidArgumentError("config.metadata is missing");
  }
  RETURN_IF_ERROR(ValidateNamePart("config.metadata.name", meta.name()));
  RETURN_IF_ERROR(
      ValidateNamePart("config.metadata.namespace", meta.namespace_()));
  RETURN_IF_ERROR(ValidateNamePart("config.metadata.uid", meta.uid()));
  for (const v1::PortMapping& p : config.port_mappings()) {
    if (p.container_port() <= 0 || p.container_port() > 65535 ||
        p.host_port() < 0 || p.host_port() > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("config.port_mappings: port out of range (container ",
                       p.container_port(), ", host ", p.host_port(), ")"));
    }
  }
  return absl::OkStatus();
}

store::SandboxCheckpoint MakeCheckpoint(const v1::PodSandboxConfig& config,
                                        bool host_network) {
  store::SandboxCheckpoint cp;
  cp.name = config.metadata().name();
  cp.ns = config.metadata().namespace_();
  cp.host_network = host_network;
  for (const v1::PortMapping& p : config.port_mappings()) {
    store::CheckpointPortMapping m;
    m.protocol = p.protocol() == v1::UDP    ? "udp"
                 : p.protocol() == v1::SCTP ? "sctp"
                                            : "tcp";
    m.container_port = p.container_port();
    m.host_port = p.host_port();
    m.host_ip = p.host_ip();
    cp.port_mappings.push_back(std::move(m));
  }
  return cp;
}

}  // namespace

absl::StatusOr<v1::RunPodSandboxResponse> RuntimeService::RunPodSandbox(
    const CallContext& ctx, const v1::RunPodSandboxRequest& req) {
  const v1::PodSandboxConfig& config = req.config();
  RETURN_IF_ERROR(ValidateSandboxConfig(config));
  const absl::Time deadline = DockerDeadline(ctx);
  const std::string& pod = config.metadata().name();

  RETURN_IF_ERROR(images_->EnsureImage(ctx, options_.pod_infra_image).status());
  ASSIGN_OR_RETURN(docker::EngineCapabilities engine,
                   docker_->Capabilities(deadline));
  if (!EngineHasRuntimeHandler(engine, req.runtime_handler())) {
    // dockerd may have gained the runtime by a config reload (SIGHUP)
    // since the capabilities were read: look again before refusing.
    ASSIGN_OR_RETURN(engine, docker_->RefreshCapabilities(deadline));
  }
  ASSIGN_OR_RETURN(docker::ContainerCreateConfig create,
                   SandboxCreateConfig(req, options_.pod_infra_image, engine,
                                       network_->Name() == "cni"));
  const bool host_network = create.network_mode == "host";

  absl::StatusOr<std::string> created =
      docker_->CreateContainer(create, deadline);
  if (absl::IsAlreadyExists(created.status())) {
    return absl::AlreadyExistsError(
        absl::StrCat("pod sandbox name ", create.name,
                     " is already in use: ", created.status().message()));
  }
  if (!created.ok()) {
    return absl::Status(created.status().code(),
                        absl::StrCat("creating the infra container of pod ",
                                     pod, ": ", created.status().message()));
  }
  const std::string id = *created;
  LOG(INFO) << "created pod sandbox " << id << " (" << create.name << ")";
  options_.fault_point.Reached(fault_step::kRunAfterCreate);
  // Released last, so a Stop that waited for it finds the view told.
  std::optional<KeyedMutex::Lock> lock;
  // Created, started or rolled back: the next read asks docker.
  absl::Cleanup tell_view = [&] { ContainerChanged(id); };
  // Only a Stop or Remove of this new sandbox can hold it: it will clean
  // the sandbox up, so giving up here leaves nothing behind.
  ASSIGN_OR_RETURN(lock, LockSandbox(ctx, id));

  SandboxInfo sandbox;
  sandbox.id = id;
  sandbox.host_network = host_network;
  bool network_attached = false;
  absl::Cleanup rollback = [&] {
    // Fresh bounds: the caller's deadline may be what failed.
    const absl::Time undo = absl::Now() + options_.request_timeout;
    bool detached = true;
    if (network_attached) {
      absl::Status torn = network_->TearDownPod(NetworkRequest(sandbox), undo);
      if (!torn.ok()) {
        detached = false;
        LOG(ERROR) << "rollback of pod " << pod << ": detaching the network of "
                   << id << ": " << torn
                   << "; the checkpoint stays so that StopPodSandbox and "
                      "RemovePodSandbox detach it";
      }
    }
    absl::Status removed = docker_->RemoveContainer(
        id, /*force=*/true, /*remove_volumes=*/true, undo);
    if (!removed.ok() && !absl::IsNotFound(removed)) {
      LOG(ERROR) << "rollback of pod " << pod << ": cannot remove " << id
                 << ": " << removed;
    }
    if (detached) checkpoints_->Remove(id).IgnoreError();
    LOG(WARNING) << "rolled back pod sandbox " << id << " of pod " << pod;
  };

  sandbox.checkpoint = MakeCheckpoint(config, host_network);
  RETURN_IF_ERROR(checkpoints_->Write(id, *sandbox.checkpoint));
  options_.fault_point.Reached(fault_step::kRunAfterCheckpoint);
  if (absl::Status s = docker_->StartContainer(id, deadline); !s.ok()) {
    return absl::Status(
        s.code(), absl::StrCat("starting the infra container of pod ", pod,
                               ": ", s.message()));
  }
  options_.fault_point.Reached(fault_step::kRunAfterStart);
  ASSIGN_OR_RETURN(docker::ContainerInspect inspect,
                   docker_->InspectContainer(id, deadline));
  sandbox.container = inspect;
  if (config.has_dns_config()) {
    RETURN_IF_ERROR(
        RewriteResolvConf(inspect.resolv_conf_path, config.dns_config()));
  }
  if (!host_network) {
    network_attached = true;  // a failed set-up may leave state to undo
    network::PodNetworkRequest pod_network = NetworkRequest(sandbox);
    const v1::DNSConfig& dns = config.dns_config();
    pod_network.dns.servers = {dns.servers().begin(), dns.servers().end()};
    pod_network.dns.searches = {dns.searches().begin(), dns.searches().end()};
    pod_network.dns.options = {dns.options().begin(), dns.options().end()};
    absl::StatusOr<network::PodNetworkStatus> net =
        network_->SetUpPod(pod_network, deadline);
    if (!net.ok()) {
      return absl::Status(
          net.status().code(),
          absl::StrCat("setting up the network of pod ", pod, " (sandbox ", id,
                       "): ", net.status().message()));
    }
    LOG(INFO) << "pod " << pod
              << " network ready: " << absl::StrJoin(net->ips, ", ");
    options_.fault_point.Reached(fault_step::kRunAfterCniAdd);
  }
  std::move(rollback).Cancel();
  v1::RunPodSandboxResponse resp;
  resp.set_pod_sandbox_id(id);
  return resp;
}

}  // namespace cri_dockerd
