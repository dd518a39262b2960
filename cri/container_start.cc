// StartContainer: starts the created container, writes the cgroup
// settings docker cannot express into its cgroup (a refused one stops it
// again and fails the call) and begins copying its output into the CRI
// log file. Already running is success.
#include <set>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "cri/convert/cgroup_files.h"
#include "cri/convert/naming.h"
#include "cri/logs/container_log_manager.h"
#include "cri/runtime_service.h"

namespace cri_dockerd {

absl::StatusOr<v1::StartContainerResponse> RuntimeService::StartContainer(
    const CallContext& ctx, const v1::StartContainerRequest& req) {
  ASSIGN_OR_RETURN(docker::ContainerInspect c,
                   FindContainer(ctx, req.container_id()));
  absl::Cleanup tell_view = [&] { ContainerChanged(c.id); };
  if (absl::Status s = docker_->StartContainer(c.id, DockerDeadline(ctx));
      !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("starting container ", c.name,
                                               ": ", s.message()));
  }
  // Before the call returns, so kubelet never sees the container running
  // without them (the process has started, though: the kernel cannot set
  // a cgroup file before docker has made the cgroup). A setting the kernel
  // refuses fails the start and the container is stopped, as runc refuses
  // such a container under containerd: running it without, say, its
  // memory.high or memory.oom.group would be a silent change of what the
  // pod asked for, while a failed start shows in the pod's events with
  // the kernel's reason and kubelet retries with back-off.
  if (absl::Status s =
          WriteCgroupFiles(ctx, c.id, CgroupFileSettingsFromLabels(c.labels));
      !s.ok()) {
    if (absl::Status stop = docker_->StopContainer(c.id, absl::ZeroDuration(),
                                                   DockerDeadline(ctx));
        !stop.ok()) {
      LOG(WARNING) << "container " << c.id
                   << ": stopping it after its cgroup settings failed: "
                   << stop;
    }
    return absl::Status(s.code(), absl::StrCat("starting container ", c.name,
                                               ": ", s.message()));
  }
  // The inspect above predates the start: docker sets LogPath when it
  // starts the container, so the log manager looks it up.
  c.log_path.clear();
  c.state.running = true;
  options_.fault_point.Reached(fault_step::kStartAfterDockerStart);
  StartLogCopy(c);
  options_.fault_point.Reached(fault_step::kStartAfterLogAttach);
  LOG(INFO) << "started container " << c.id << " (" << c.name << ")";
  return v1::StartContainerResponse();
}

absl::Status RuntimeService::ResumeLogCopies(const CallContext& ctx,
                                             std::set<std::string>* done) {
  // Every container, not only running ones: one that exited while the
  // shim was down still gets the output it wrote meanwhile.
  ASSIGN_OR_RETURN(std::vector<v1::Container> containers,
                   ListCriContainers(ctx, v1::ContainerFilter()));
  int failed = 0;
  absl::Status last;
  for (const v1::Container& listed : containers) {
    if (done != nullptr && done->count(listed.id()) > 0) continue;
    absl::StatusOr<docker::ContainerInspect> c =
        docker_->InspectContainer(listed.id(), DockerDeadline(ctx));
    if (!c.ok() && !absl::IsNotFound(c.status())) {
      ++failed;
      last = c.status();
      continue;
    }
    if (c.ok()) StartLogCopy(*c);
    if (done != nullptr) done->insert(listed.id());
  }
  if (failed > 0) {
    return absl::Status(
        last.code(),
        absl::StrCat(failed, " of ", containers.size(),
                     " containers not inspected, e.g.: ", last.message()));
  }
  return absl::OkStatus();
}

void RuntimeService::StartLogCopy(const docker::ContainerInspect& c) {
  if (logs_ == nullptr) return;
  auto path = c.labels.find(kLogPathLabel);
  if (path == c.labels.end() || path->second.empty()) return;
  // Never started: no output, no file.
  if (!c.state.running && c.state.status == "created") return;
  logs::DockerLogSource source;
  source.log_path = c.log_path;
  source.running = c.state.running;
  if (absl::Status s = logs_->Start(c.id, path->second, c.tty, source);
      !s.ok()) {
    LOG(WARNING) << "container " << c.id << ": no CRI log: " << s;
  }
}

}  // namespace cri_dockerd
