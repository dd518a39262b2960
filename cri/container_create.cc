// CreateContainer: creates (does not start) the docker container
// k8s_<container>_<pod>_<ns>_<uid>_<attempt> in the pod's namespaces, with
// the Go shim's labels (type container, sandbox ID, log path) and the
// cgroup settings docker cannot express as labels of our own, from an
// image already on the node (never pulled here: absent is NotFound).
// Nothing is created when any check fails; docker's create is the only
// side effect, so there is nothing to roll back after it.
#include <string>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "cri/container_view/container_view.h"
#include "cri/convert/cgroup_files.h"
#include "cri/convert/container_mounts.h"
#include "cri/convert/container_resources.h"
#include "cri/convert/container_security.h"
#include "cri/convert/image_spec_labels.h"
#include "cri/convert/naming.h"
#include "cri/convert/stop_signal.h"
#include "cri/runtime_service.h"

namespace cri_dockerd {
namespace {

absl::Status ValidateCreate(const v1::CreateContainerRequest& req) {
  RETURN_IF_ERROR(ValidateId("pod_sandbox_id", req.pod_sandbox_id()));
  if (!req.has_config()) return absl::InvalidArgumentError("config is missing");
  const v1::ContainerConfig& c = req.config();
  if (!c.has_metadata()) {
    return absl::InvalidArgumentError("config.metadata is missing");
  }
  RETURN_IF_ERROR(
      ValidateNamePart("config.metadata.name", c.metadata().name()));
  if (c.image().image().empty()) {
    return absl::InvalidArgumentError("config.image.image is empty");
  }
  if (!req.has_sandbox_config() || !req.sandbox_config().has_metadata()) {
    return absl::InvalidArgumentError("sandbox_config.metadata is missing");
  }
  const v1::PodSandboxMetadata& pod = req.sandbox_config().metadata();
  RETURN_IF_ERROR(ValidateNamePart("sandbox_config.metadata.name", pod.name()));
  RETURN_IF_ERROR(
      ValidateNamePart("sandbox_config.metadata.namespace", pod.namespace_()));
  RETURN_IF_ERROR(ValidateNamePart("sandbox_config.metadata.uid", pod.uid()));
  if (c.log_path().find("..") != std::string::npos ||
      (!c.log_path().empty() && c.log_path()[0] == '/')) {
    return absl::InvalidArgumentError(absl::StrCat(
        "config.log_path \"", c.log_path(),
        "\" must be relative to the sandbox's log_directory, without .."));
  }
  for (const v1::KeyValue& env : c.envs()) {
    if (env.key().empty() || env.key().find('=') != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("config.envs: bad variable name \"", env.key(), "\""));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::CreateContainerResponse> RuntimeService::CreateContainer(
    const CallContext& ctx, const v1::CreateContainerRequest& req) {
  RETURN_IF_ERROR(ValidateCreate(req));
  const v1::ContainerConfig& config = req.config();
  const v1::PodSandboxConfig& sandbox_config = req.sandbox_config();
  const absl::Time deadline = DockerDeadline(ctx);

  ASSIGN_OR_RETURN(SandboxInfo sandbox, FindSandbox(ctx, req.pod_sandbox_id()));
  if (!sandbox.container) {
    return absl::NotFoundError(absl::StrCat(
        "pod sandbox ", sandbox.id, " has no infra container any more"));
  }
  // The image's ID: from the container view's image cache (kept current
  // by docker's image events) when docker knows the reference as given;
  // otherwise the image service resolves it, with its errors.
  std::string image_id;
  if (absl::StatusOr<container_view::ImagePtr> cached =
          view_->InspectImage(config.image().image(), deadline);
      cached.ok()) {
    image_id = (*cached)->id;
  } else {
    absl::StatusOr<docker::ImageInspect> image =
        images_->InspectImage(ctx, config.image().image());
    if (absl::IsNotFound(image.status())) {
      return absl::NotFoundError(absl::StrCat(
          "image \"", config.image().image(),
          "\" is not present on the node (CreateContainer does not pull)"));
    }
    if (!image.ok()) return image.status();
    image_id = image->id;
  }
  ASSIGN_OR_RETURN(docker::EngineCapabilities engine,
                   docker_->Capabilities(deadline));

  docker::ContainerCreateConfig c;
  const v1::PodSandboxMetadata& pod = sandbox_config.metadata();
  c.name =
      MakeContainerName(config.metadata().name(), pod.name(), pod.namespace_(),
                        pod.uid(), config.metadata().attempt());
  c.image = image_id;
  c.labels =
      MakeLabels({config.labels().begin(), config.labels().end()},
                 {config.annotations().begin(), config.annotations().end()});
  c.labels[kContainerTypeLabel] = kContainerTypeContainer;
  c.labels[kSandboxIdLabel] = sandbox.id;
  const std::string log_path =
      config.log_path().empty() || sandbox_config.log_directory().empty()
          ? ""
          : absl::StrCat(sandbox_config.log_directory(), "/",
                         config.log_path());
  c.labels[kLogPathLabel] = log_path;
  SetImageSpecLabels(config.image(), &c.labels);
  if (!config.command().empty()) {
    c.entrypoint = std::vector<std::string>(config.command().begin(),
                                            config.command().end());
  }
  if (!config.args().empty()) {
    c.cmd =
        std::vector<std::string>(config.args().begin(), config.args().end());
  }
  for (const v1::KeyValue& env : config.envs()) {
    c.env.push_back(absl::StrCat(env.key(), "=", env.value()));
  }
  c.working_dir = config.working_dir();
  c.tty = config.tty();
  // Docker keeps its own copy of the output, which the CRI log is copied
  // from: json-file (the copy can tail it), bounded.
  c.log_driver = "json-file";
  c.log_options = {{"max-size", options_.docker_log_max_size},
                   {"max-file", std::to_string(options_.docker_log_max_file)}};
  c.open_stdin = config.stdin();
  c.stdin_once = config.stdin_once();
  c.attach_stdin = config.stdin();
  c.disable_healthcheck = true;
  c.runtime =
      sandbox.container->runtime == "runc" ? "" : sandbox.container->runtime;
  ASSIGN_OR_RETURN(c.stop_signal, DockerStopSignal(config.stop_signal()));

  const v1::LinuxContainerConfig& linux = config.linux();
  RETURN_IF_ERROR(
      ApplyContainerSecurityContext(linux.security_context(), sandbox.id, &c));
  ASSIGN_OR_RETURN(c.resources, ToDockerResources(linux.resources()));
  // For StartContainer to write into the cgroup docker makes then.
  SetCgroupFileLabels(ToCgroupFileSettings(linux.resources()), &c.labels);
  c.oom_score_adj = static_cast<int>(linux.resources().oom_score_adj());
  c.cgroup_parent = DockerCgroupParent(sandbox_config.linux().cgroup_parent(),
                                       engine.cgroup_driver);
  ASSIGN_OR_RETURN(
      c.mounts,
      ToDockerMounts(config.mounts(), engine.recursive_read_only_mounts &&
                                          options_.kernel_recursive_read_only));
  ASSIGN_OR_RETURN(c.devices, ToDockerDevices(config.devices()));
  RETURN_IF_ERROR(CheckCdiDevices(config.cdi_devices(), engine.cdi_devices,
                                  &c.cdi_devices));
  RETURN_IF_ERROR(CheckAppArmorProfilesLoaded(c.security_opt, "/sys"));

  absl::StatusOr<std::string> id = docker_->CreateContainer(c, deadline);
  if (absl::IsAlreadyExists(id.status())) {
    return absl::AlreadyExistsError(
        absl::StrCat("container name ", c.name,
                     " is already in use: ", id.status().message()));
  }
  if (!id.ok()) return id.status();
  ContainerChanged(*id);
  options_.fault_point.Reached(fault_step::kCreateAfterDockerCreate);
  LOG(INFO) << "created container " << *id << " (" << c.name << ") in pod "
            << sandbox.id;
  v1::CreateContainerResponse resp;
  resp.set_container_id(*id);
  return resp;
}

}  // namespace cri_dockerd
