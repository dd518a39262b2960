#include "bench/density_workload.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "docker_client/curl_docker_client.h"

namespace cri_dockerd::bench {
namespace {

namespace v1 = ::runtime::v1;

// Prints the counter while /gate/quiet is absent. It waits its second
// with the shell's own `read -t 1` on a FIFO no one writes, not with
// `sleep 1`: 300 containers forking sleep every second kept the 2-core
// run queue near 200 and put scheduling delay into every figure. The
// TERM trap makes a stop prompt (sh as PID 1 ignores signals it has no
// handler for).
constexpr char kScript[] =
    "trap 'exit 0' TERM; mkfifo /tmp/tick; exec 3<>/tmp/tick; i=0; "
    "while :; do "
    "if [ ! -e /gate/quiet ]; then echo \"$i\"; i=$((i+1)); fi; "
    "read -t 1 x <&3; done";

// Runs fn(0) .. fn(n-1) on `threads` threads; the first error (after
// which no new index starts).
absl::Status ParallelFor(int n, int threads,
                         const std::function<absl::Status(int)>& fn) {
  std::atomic<int> next{0};
  absl::Mutex mu;
  absl::Status first;
  std::atomic<bool> failed{false};
  auto work = [&] {
    for (int i = next++; i < n && !failed; i = next++) {
      absl::Status s = fn(i);
      if (s.ok()) continue;
      absl::MutexLock lock(&mu);
      if (first.ok()) first = s;
      failed = true;
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  return first;
}

}  // namespace

DensityWorkload::DensityWorkload(Options options, const std::atomic<bool>* stop)
    : options_(std::move(options)),
      stop_(stop),
      run_id_(absl::StrCat("crid-density-", getpid())) {}

DensityWorkload::~DensityWorkload() { Teardown(); }

absl::Status DensityWorkload::Check(const char* during) {
  if (stop_->load()) return absl::CancelledError("interrupted");
  return daemon_ != nullptr ? daemon_->CheckRunning(during) : absl::OkStatus();
}

absl::Status DensityWorkload::StartDaemon() {
  ASSIGN_OR_RETURN(docker_, docker::CurlDockerClient::Create(
                                "unix://" + options_.docker_socket));
  dir_ = std::make_unique<ScratchDir>();
  const std::string& d = dir_->path();
  if (d.empty()) return absl::InternalError("cannot create a temp dir");
  std::error_code ec;
  std::filesystem::create_directories(d + "/gate", ec);
  if (ec) return absl::InternalError("cannot create " + d + "/gate");
  RETURN_IF_ERROR(SetWriting(false));
  std::vector<std::string> extra;
  if (options_.metrics_port > 0) {
    extra = {"--metrics-bind-addr",
             absl::StrCat("127.0.0.1:", options_.metrics_port)};
  }
  daemon_ = std::make_unique<ShimDaemon>(ShimDaemon::Options{
      options_.binary, options_.docker_socket, d, std::move(extra)});
  RETURN_IF_ERROR(daemon_->Start());
  v1::PullImageRequest req;
  req.mutable_image()->set_image(options_.image);
  v1::PullImageResponse resp;
  return FromGrpc("PullImage",
                  daemon_->images()->PullImage(Deadline(absl::Minutes(3)).get(),
                                               req, &resp));
}

v1::PodSandboxConfig DensityWorkload::MakePodConfig(int pod) const {
  v1::PodSandboxConfig config;
  v1::PodSandboxMetadata* meta = config.mutable_metadata();
  meta->set_name(absl::StrCat("density-", pod));
  meta->set_namespace_("crid-bench");
  meta->set_uid(absl::StrCat(run_id_, "-", pod));
  (*config.mutable_labels())[kRunLabel] = run_id_;
  config.set_log_directory(absl::StrCat(dir_->path(), "/logs/pod-", pod));
  config.mutable_linux()
      ->mutable_security_context()
      ->mutable_namespace_options()
      ->set_network(v1::NODE);
  return config;
}

v1::ContainerConfig DensityWorkload::MakeContainerConfig(
    const std::string& name) const {
  v1::ContainerConfig c;
  c.mutable_metadata()->set_name(name);
  c.mutable_image()->set_image(options_.image);
  c.add_command("sh");
  c.add_args("-c");
  c.add_args(kScript);
  c.set_log_path(name + ".log");
  (*c.mutable_labels())[kRunLabel] = run_id_;
  v1::Mount* gate = c.add_mounts();
  gate->set_host_path(dir_->path() + "/gate");
  gate->set_container_path("/gate");
  gate->set_readonly(true);
  return c;
}

v1::CreateContainerRequest DensityWorkload::CreateRequest(
    int pod, const std::string& name) {
  v1::CreateContainerRequest req;
  req.set_pod_sandbox_id(pod_ids_[pod]);
  *req.mutable_config() = MakeContainerConfig(name);
  *req.mutable_sandbox_config() = MakePodConfig(pod);
  return req;
}

absl::Status DensityWorkload::RunPodWithContainers(int pod) {
  RETURN_IF_ERROR(Check("pod set-up"));
  v1::RunPodSandboxRequest run;
  *run.mutable_config() = MakePodConfig(pod);
  v1::RunPodSandboxResponse ran;
  RETURN_IF_ERROR(FromGrpc("RunPodSandbox",
                           daemon_->runtime()->RunPodSandbox(
                               Deadline(absl::Minutes(3)).get(), run, &ran)));
  pod_ids_[pod] = ran.pod_sandbox_id();
  for (int c = 0; c < options_.containers_per_pod; ++c) {
    RETURN_IF_ERROR(Check("container set-up"));
    const std::string name = absl::StrCat("w-", c);
    v1::CreateContainerRequest create = CreateRequest(pod, name);
    v1::CreateContainerResponse created;
    RETURN_IF_ERROR(
        FromGrpc("CreateContainer",
                 daemon_->runtime()->CreateContainer(
                     Deadline(absl::Minutes(1)).get(), create, &created)));
    Container& slot = containers_[pod * options_.containers_per_pod + c];
    slot.id = created.container_id();
    slot.log_path =
        absl::StrCat(run.config().log_directory(), "/", name, ".log");
    v1::StartContainerRequest start;
    start.set_container_id(slot.id);
    v1::StartContainerResponse started;
    RETURN_IF_ERROR(
        FromGrpc("StartContainer",
                 daemon_->runtime()->StartContainer(
                     Deadline(absl::Minutes(1)).get(), start, &started)));
  }
  if ((pod + 1) % 10 == 0) {
    std::cerr << "  pod " << (pod + 1) << "/" << options_.pods << " up"
              << std::endl;
  }
  return absl::OkStatus();
}

absl::Status DensityWorkload::Populate() {
  pod_ids_.assign(options_.pods, "");
  containers_.assign(total(), Container());
  RETURN_IF_ERROR(
      ParallelFor(options_.pods, options_.setup_threads,
                  [this](int pod) { return RunPodWithContainers(pod); }));
  return WaitAllRunning(absl::Minutes(3));
}

absl::Status DensityWorkload::WaitAllRunning(absl::Duration timeout) {
  v1::ListContainersRequest req;
  req.mutable_filter()->mutable_state()->set_state(v1::CONTAINER_RUNNING);
  (*req.mutable_filter()->mutable_label_selector())[kRunLabel] = run_id_;
  const absl::Time end = absl::Now() + timeout;
  int running = 0;
  while (absl::Now() < end) {
    RETURN_IF_ERROR(Check("the wait for running containers"));
    v1::ListContainersResponse resp;
    RETURN_IF_ERROR(FromGrpc(
        "ListContainers", daemon_->runtime()->ListContainers(
                              Deadline(absl::Minutes(1)).get(), req, &resp)));
    running = resp.containers_size();
    if (running == total()) return absl::OkStatus();
    absl::SleepFor(absl::Milliseconds(500));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("only ", running, " of ", total(), " containers run"));
}

absl::Status DensityWorkload::SetWriting(bool writing) {
  const std::string quiet = dir_->path() + "/gate/quiet";
  if (writing) {
    std::error_code ec;
    std::filesystem::remove(quiet, ec);
    if (ec) return absl::InternalError("cannot remove " + quiet);
    return absl::OkStatus();
  }
  std::ofstream out(quiet);
  out << "\n";
  return out ? absl::OkStatus() : absl::InternalError("cannot create " + quiet);
}

absl::Status DensityWorkload::CrashAndRestart(absl::Duration down) {
  RETURN_IF_ERROR(Check("the crash"));
  daemon_->Kill();
  const absl::Time end = absl::Now() + down;
  while (absl::Now() < end && !stop_->load()) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  if (stop_->load()) return absl::CancelledError("interrupted");
  return daemon_->Start();
}

void DensityWorkload::Teardown() {
  if (daemon_ != nullptr && daemon_->CheckRunning("teardown").ok() &&
      !pod_ids_.empty()) {
    std::cerr << "removing " << total() << " containers and " << options_.pods
              << " pods" << std::endl;
    const int m = options_.containers_per_pod;
    ParallelFor(options_.pods, options_.setup_threads, [&](int pod) {
      v1::RuntimeService::Stub* cri = daemon_->runtime();
      for (int c = pod * m; c < (pod + 1) * m; ++c) {
        if (containers_[c].id.empty()) continue;
        v1::RemoveContainerRequest req;
        req.set_container_id(containers_[c].id);
        v1::RemoveContainerResponse resp;
        cri->RemoveContainer(Deadline(absl::Seconds(30)).get(), req, &resp);
      }
      if (pod_ids_[pod].empty()) return absl::OkStatus();
      v1::StopPodSandboxRequest stop;
      stop.set_pod_sandbox_id(pod_ids_[pod]);
      v1::StopPodSandboxResponse stopped;
      cri->StopPodSandbox(Deadline(absl::Minutes(1)).get(), stop, &stopped);
      v1::RemovePodSandboxRequest rm;
      rm.set_pod_sandbox_id(pod_ids_[pod]);
      v1::RemovePodSandboxResponse removed;
      cri->RemovePodSandbox(Deadline(absl::Minutes(1)).get(), rm, &removed);
      return absl::OkStatus();
    }).IgnoreError();
  }
  RemoveLeftoversViaDocker();
  pod_ids_.clear();
  containers_.clear();
  daemon_.reset();  // stops it
  dir_.reset();
}

// Whatever the CRI could not remove (the daemon died, a call failed, a
// docker create of the measurement was left): everything labelled with
// this run, and the IDs the workload knows of.
void DensityWorkload::RemoveLeftoversViaDocker() {
  if (docker_ == nullptr) return;
  std::set<std::string> left;
  for (const std::string& id : pod_ids_) left.insert(id);
  for (const Container& c : containers_) left.insert(c.id);
  left.erase("");
  docker::ListContainersOptions list;
  list.all = true;
  list.filters["label"] = {absl::StrCat(kRunLabel, "=", run_id_)};
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
