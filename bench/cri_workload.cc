#include "bench/cri_workload.h"

#include <unistd.h>

#include <iostream>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "docker_client/curl_docker_client.h"

namespace cri_dockerd::bench {
namespace {

namespace v1 = ::runtime::v1;

}  // namespace

CriWorkload::CriWorkload(Options options, const std::atomic<bool>* stop)
    : options_(std::move(options)), stop_(stop) {}

CriWorkload::~CriWorkload() { Teardown(); }

absl::Status CriWorkload::Check(const char* what) const {
  if (stop_->load()) return absl::CancelledError("interrupted");
  return daemon_ != nullptr ? daemon_->CheckRunning(what) : absl::OkStatus();
}

absl::Status CriWorkload::SetUp() {
  ASSIGN_OR_RETURN(docker_, docker::CurlDockerClient::Create(
                                "unix://" + options_.docker_socket));
  RETURN_IF_ERROR(StartDaemon());
  RETURN_IF_ERROR(PullImage());
  RETURN_IF_ERROR(RunPod());
  for (int i = 0; i < options_.containers; ++i) {
    RETURN_IF_ERROR(Check("container creation"));
    RETURN_IF_ERROR(StartContainer(i));
    if ((i + 1) % 20 == 0 || i + 1 == options_.containers) {
      std::cerr << "  started " << (i + 1) << "/" << options_.containers
                << " containers" << std::endl;
    }
  }
  return WaitAllRunning(absl::Minutes(2));
}

absl::Status CriWorkload::StartDaemon() {
  dir_ = std::make_unique<ScratchDir>();
  if (dir_->path().empty())
    return absl::InternalError("cannot create a temp dir");
  daemon_ = std::make_unique<ShimDaemon>(ShimDaemon::Options{
      options_.binary, options_.docker_socket, dir_->path(), {}});
  return daemon_->Start();
}

absl::Status CriWorkload::PullImage() {
  v1::PullImageRequest req;
  req.mutable_image()->set_image(options_.image);
  v1::PullImageResponse resp;
  return FromGrpc("PullImage",
                  daemon_->images()->PullImage(Deadline(absl::Minutes(3)).get(),
                                               req, &resp));
}

absl::Status CriWorkload::RunPod() {
  v1::PodSandboxMetadata* meta = pod_config_.mutable_metadata();
  meta->set_name("stats-bench");
  meta->set_namespace_("crid-bench");
  meta->set_uid(absl::StrCat("crid-bench-", getpid()));
  (*pod_config_.mutable_labels())[kRunLabel] = meta->uid();
  pod_config_.set_log_directory(dir_->path() + "/pods");
  pod_config_.mutable_linux()
      ->mutable_security_context()
      ->mutable_namespace_options()
      ->set_network(v1::NODE);
  v1::RunPodSandboxRequest req;
  *req.mutable_config() = pod_config_;
  v1::RunPodSandboxResponse resp;
  RETURN_IF_ERROR(FromGrpc("RunPodSandbox",
                           daemon_->runtime()->RunPodSandbox(
                               Deadline(absl::Minutes(3)).get(), req, &resp)));
  pod_id_ = resp.pod_sandbox_id();
  return absl::OkStatus();
}

absl::Status CriWorkload::StartContainer(int index) {
  v1::CreateContainerRequest create;
  create.set_pod_sandbox_id(pod_id_);
  v1::ContainerConfig* c = create.mutable_config();
  c->mutable_metadata()->set_name(absl::StrCat("sleep-", index));
  c->mutable_image()->set_image(options_.image);
  c->add_command("sleep");
  c->add_args("3600");
  c->set_log_path(absl::StrCat("sleep-", index, ".log"));
  (*c->mutable_labels())[kRunLabel] = pod_config_.metadata().uid();
  *create.mutable_sandbox_config() = pod_config_;
  v1::CreateContainerResponse created;
  RETURN_IF_ERROR(
      FromGrpc("CreateContainer",
               daemon_->runtime()->CreateContainer(
                   Deadline(absl::Minutes(1)).get(), create, &created)));
  ids_.push_back(created.container_id());
  v1::StartContainerRequest start;
  start.set_container_id(created.container_id());
  v1::StartContainerResponse started;
  return FromGrpc("StartContainer",
                  daemon_->runtime()->StartContainer(
                      Deadline(absl::Minutes(1)).get(), start, &started));
}

absl::Status CriWorkload::WaitAllRunning(absl::Duration timeout) {
  v1::ListContainersRequest req;
  req.mutable_filter()->set_pod_sandbox_id(pod_id_);
  req.mutable_filter()->mutable_state()->set_state(v1::CONTAINER_RUNNING);
  const absl::Time end = absl::Now() + timeout;
  int running = 0;
  while (absl::Now() < end) {
    RETURN_IF_ERROR(Check("the wait for running containers"));
    v1::ListContainersResponse resp;
    RETURN_IF_ERROR(FromGrpc(
        "ListContainers", daemon_->runtime()->ListContainers(
                              Deadline(absl::Seconds(30)).get(), req, &resp)));
    running = resp.containers_size();
    if (running == options_.containers) return absl::OkStatus();
    absl::SleepFor(absl::Milliseconds(500));
  }
  return absl::DeadlineExceededError(absl::StrCat(
      "only ", running, " of ", options_.containers, " containers run"));
}

absl::StatusOr<int> CriWorkload::ListContainerStats() {
  v1::ListContainerStatsRequest req;
  req.mutable_filter()->set_pod_sandbox_id(pod_id_);
  v1::ListContainerStatsResponse resp;
  RETURN_IF_ERROR(FromGrpc("ListContainerStats",
                           daemon_->runtime()->ListContainerStats(
                               Deadline(absl::Seconds(30)).get(), req, &resp)));
  int complete = 0;
  for (const v1::ContainerStats& s : resp.stats()) {
    if (s.cpu().has_usage_core_nano_seconds() &&
        s.memory().has_working_set_bytes()) {
      ++complete;
    }
  }
  return complete;
}

void CriWorkload::Teardown() {
  if (daemon_ != nullptr && daemon_->CheckRunning("teardown").ok()) {
    for (const std::string& id : ids_) {
      v1::RemoveContainerRequest req;
      req.set_container_id(id);
      v1::RemoveContainerResponse resp;
      daemon_->runtime()->RemoveContainer(Deadline(absl::Seconds(30)).get(),
                                          req, &resp);
    }
    if (!pod_id_.empty()) {
      v1::StopPodSandboxRequest stop;
      stop.set_pod_sandbox_id(pod_id_);
      v1::StopPodSandboxResponse stopped;
      daemon_->runtime()->StopPodSandbox(Deadline(absl::Minutes(1)).get(), stop,
                                         &stopped);
      v1::RemovePodSandboxRequest rm;
      rm.set_pod_sandbox_id(pod_id_);
      v1::RemovePodSandboxResponse removed;
      daemon_->runtime()->RemovePodSandbox(Deadline(absl::Minutes(1)).get(), rm,
                                           &removed);
    }
  }
  RemoveLeftoversViaDocker();
  ids_.clear();
  pod_id_.clear();
  daemon_.reset();  // stops it
  dir_.reset();
}

// Whatever the CRI could not remove (the daemon died, a call failed): the
// containers and pod it made, and anything else carrying this run's label.
void CriWorkload::RemoveLeftoversViaDocker() {
  if (docker_ == nullptr || !pod_config_.has_metadata()) return;
  std::set<std::string> left(ids_.begin(), ids_.end());
  if (!pod_id_.empty()) left.insert(pod_id_);
  docker::ListContainersOptions list;
  list.filters["label"] = {
      absl::StrCat(kRunLabel, "=", pod_config_.metadata().uid())};
  auto labelled =
      docker_->ListContainers(list, absl::Now() + absl::Seconds(30));
  if (labelled.ok()) {
    for (const docker::ContainerSummary& c : *labelled) left.insert(c.id);
  } else {
    std::cerr << "cannot list leftover containers: " << labelled.status()
              << "\n";
  }
  for (const std::string& id : left) {
    absl::Status s = docker_->RemoveContainer(id, /*force=*/true,
                                              /*remove_volumes=*/true,
                                              absl::Now() + absl::Seconds(30));
    if (!s.ok() && !absl::IsNotFound(s)) {
      std::cerr << "cannot remove container " << id << ": " << s << "\n";
    }
  }
}

}  // namespace cri_dockerd::bench
