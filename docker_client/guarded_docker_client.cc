#include "docker_client/guarded_docker_client.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "common/thread.h"

namespace cri_dockerd::docker {

GuardedDockerClient::GuardedDockerClient(DockerClient* inner,
                                         EngineGuardOptions options)
    : inner_(inner), options_(std::move(options)) {}

GuardedDockerClient::~GuardedDockerClient() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (prober_.joinable()) prober_.join();
}

absl::Status GuardedDockerClient::StartProber() {
  absl::StatusOr<std::thread> prober =
      StartThread("engine-prober", [this] { ProbeLoop(); });
  if (!prober.ok()) return prober.status();
  prober_ = std::move(*prober);
  return absl::OkStatus();
}

void GuardedDockerClient::MarkAnswered() {
  absl::MutexLock lock(&mu_);
  MarkAnsweredLocked();
}

void GuardedDockerClient::MarkAnsweredLocked() {
  if (unresponsive_) {
    LOG(INFO) << "docker engine at " << options_.engine
              << " answers again after "
              << absl::Trunc(absl::Now() - failing_since_,
                             absl::Milliseconds(1));
  }
  unresponsive_ = false;
  failing_since_ = absl::InfiniteFuture();
  last_probe_ = absl::OkStatus();
}

void GuardedDockerClient::ProbeLoop() {
  for (;;) {
    const absl::Time start = absl::Now();
    const absl::Status s = inner_->Ping(start + options_.probe_timeout);
    absl::MutexLock lock(&mu_);
    if (s.ok()) {
      MarkAnsweredLocked();
    } else {
      last_probe_ = s;
      if (failing_since_ == absl::InfiniteFuture()) failing_since_ = start;
      if (!unresponsive_ &&
          absl::Now() - failing_since_ >= options_.unresponsive_after) {
        unresponsive_ = true;
        LOG(WARNING) << UnavailableLocked().message()
                     << "; calls that need it fail at once until it answers";
      }
    }
    const absl::Duration pause = failing_since_ == absl::InfiniteFuture()
                                     ? options_.probe_interval
                                     : options_.recovery_probe_interval;
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), pause)) return;
  }
}

absl::Status GuardedDockerClient::UnavailableLocked() const {
  return absl::UnavailableError(
      absl::StrCat("docker engine at ", options_.engine,
                   " is not responding (no answer to ", "/_ping for ",
                   absl::FormatDuration(absl::Trunc(
                       absl::Now() - failing_since_, absl::Milliseconds(100))),
                   ": ", last_probe_.message(), ")"));
}

absl::Status GuardedDockerClient::EngineState() const {
  absl::MutexLock lock(&mu_);
  return unresponsive_ ? UnavailableLocked() : absl::OkStatus();
}

int GuardedDockerClient::in_flight() const {
  absl::MutexLock lock(&mu_);
  return in_flight_;
}

absl::Status GuardedDockerClient::Admit(bool take_slot, absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  if (!take_slot) return unresponsive_ ? UnavailableLocked() : absl::OkStatus();
  if (!mu_.AwaitWithDeadline(
          absl::Condition(this, &GuardedDockerClient::MayGoLocked), deadline)) {
    return absl::DeadlineExceededError(
        absl::StrCat("waited until the deadline for one of the ",
                     options_.max_in_flight, " calls to docker engine at ",
                     options_.engine, " that may run at once"));
  }
  if (unresponsive_) return UnavailableLocked();
  ++in_flight_;
  return absl::OkStatus();
}

bool GuardedDockerClient::MayGoLocked() const {
  return unresponsive_ || in_flight_ < options_.max_in_flight;
}

void GuardedDockerClient::Release() {
  absl::MutexLock lock(&mu_);
  --in_flight_;
}

template <typename Fn>
auto GuardedDockerClient::Guarded(bool take_slot, absl::Time deadline, Fn call)
    -> decltype(call()) {
  if (absl::Status s = Admit(take_slot, deadline); !s.ok()) return s;
  auto result = call();
  if (take_slot) Release();
  return result;
}

// Short request/response calls take a slot.
#define CRID_GUARDED(deadline, expr) \
  return Guarded(true, deadline, [&] { return inner_->expr; })
// Long by nature, or streams: the gate only.
#define CRID_GATED(deadline, expr) \
  return Guarded(false, deadline, [&] { return inner_->expr; })

// Always asks the engine (Status's live check must see it come back at
// once), bounded by the caller's deadline; an answer reopens the gate.
absl::Status GuardedDockerClient::Ping(absl::Time deadline) {
  absl::Status s = inner_->Ping(deadline);
  if (s.ok()) MarkAnswered();
  return s;
}
absl::StatusOr<VersionInfo> GuardedDockerClient::Version(absl::Time deadline) {
  CRID_GUARDED(deadline, Version(deadline));
}
absl::StatusOr<SystemInfo> GuardedDockerClient::Info(absl::Time deadline) {
  CRID_GUARDED(deadline, Info(deadline));
}
absl::StatusOr<EngineCapabilities> GuardedDockerClient::Capabilities(
    absl::Time deadline) {
  CRID_GUARDED(deadline, Capabilities(deadline));
}
absl::StatusOr<EngineCapabilities> GuardedDockerClient::RefreshCapabilities(
    absl::Time deadline) {
  CRID_GUARDED(deadline, RefreshCapabilities(deadline));
}
absl::StatusOr<std::vector<ImageSummary>> GuardedDockerClient::ListImages(
    const std::string& reference, absl::Time deadline) {
  CRID_GUARDED(deadline, ListImages(reference, deadline));
}
absl::StatusOr<ImageInspect> GuardedDockerClient::InspectImage(
    const std::string& name, absl::Time deadline) {
  CRID_GUARDED(deadline, InspectImage(name, deadline));
}
absl::Status GuardedDockerClient::PullImage(const PullOptions& options,
                                            absl::Time deadline) {
  CRID_GATED(deadline, PullImage(options, deadline));
}
absl::StatusOr<RemovedImage> GuardedDockerClient::RemoveImage(
    const std::string& name, bool force, absl::Time deadline) {
  CRID_GUARDED(deadline, RemoveImage(name, force, deadline));
}
absl::StatusOr<DiskUsage> GuardedDockerClient::GetDiskUsage(
    absl::Time deadline) {
  CRID_GUARDED(deadline, GetDiskUsage(deadline));
}
absl::StatusOr<std::string> GuardedDockerClient::CreateContainer(
    const ContainerCreateConfig& config, absl::Time deadline) {
  CRID_GUARDED(deadline, CreateContainer(config, deadline));
}
absl::Status GuardedDockerClient::StartContainer(const std::string& id,
                                                 absl::Time deadline) {
  CRID_GUARDED(deadline, StartContainer(id, deadline));
}
absl::Status GuardedDockerClient::StopContainer(const std::string& id,
                                                absl::Duration grace,
                                                absl::Time deadline) {
  CRID_GATED(deadline, StopContainer(id, grace, deadline));
}
absl::Status GuardedDockerClient::RemoveContainer(const std::string& id,
                                                  bool force,
                                                  bool remove_volumes,
                                                  absl::Time deadline) {
  CRID_GUARDED(deadline, RemoveContainer(id, force, remove_volumes, deadline));
}
absl::StatusOr<ContainerInspect> GuardedDockerClient::InspectContainer(
    const std::string& id, absl::Time deadline) {
  CRID_GUARDED(deadline, InspectContainer(id, deadline));
}
absl::Status GuardedDockerClient::UpdateContainerResources(
    const std::string& id, const Resources& resources, absl::Time deadline) {
  CRID_GUARDED(deadline, UpdateContainerResources(id, resources, deadline));
}
absl::StatusOr<std::vector<ContainerSummary>>
GuardedDockerClient::ListContainers(const ListContainersOptions& options,
                                    absl::Time deadline) {
  CRID_GUARDED(deadline, ListContainers(options, deadline));
}
absl::Status GuardedDockerClient::FollowContainerLogs(
    const LogStreamOptions& options, absl::Time deadline) {
  CRID_GATED(deadline, FollowContainerLogs(options, deadline));
}
absl::StatusOr<std::unique_ptr<LogStreamMux>>
GuardedDockerClient::NewLogStreamMux() {
  return inner_->NewLogStreamMux();
}
absl::Status GuardedDockerClient::StreamEvents(
    const EventStreamOptions& options, absl::Time deadline) {
  CRID_GATED(deadline, StreamEvents(options, deadline));
}
absl::StatusOr<std::string> GuardedDockerClient::CreateExec(
    const ExecCreateConfig& config, absl::Time deadline) {
  CRID_GUARDED(deadline, CreateExec(config, deadline));
}
absl::Status GuardedDockerClient::StartExec(const std::string& exec_id,
                                            const ExecOutput& out,
                                            absl::Time deadline) {
  CRID_GATED(deadline, StartExec(exec_id, out, deadline));
}
absl::StatusOr<ExecInspect> GuardedDockerClient::InspectExec(
    const std::string& exec_id, absl::Time deadline) {
  CRID_GUARDED(deadline, InspectExec(exec_id, deadline));
}
absl::StatusOr<std::unique_ptr<HijackedConn>>
GuardedDockerClient::StartExecInteractive(const std::string& exec_id, bool tty,
                                          absl::Time setup_deadline) {
  CRID_GUARDED(setup_deadline,
               StartExecInteractive(exec_id, tty, setup_deadline));
}
absl::StatusOr<std::unique_ptr<HijackedConn>>
GuardedDockerClient::AttachContainer(const std::string& id,
                                     const AttachOptions& options,
                                     absl::Time setup_deadline) {
  CRID_GUARDED(setup_deadline, AttachContainer(id, options, setup_deadline));
}
absl::Status GuardedDockerClient::ResizeExec(const std::string& exec_id,
                                             int height, int width,
                                             absl::Time deadline) {
  CRID_GUARDED(deadline, ResizeExec(exec_id, height, width, deadline));
}
absl::Status GuardedDockerClient::ResizeContainer(const std::string& id,
                                                  int height, int width,
                                                  absl::Time deadline) {
  CRID_GUARDED(deadline, ResizeContainer(id, height, width, deadline));
}

#undef CRID_GUARDED
#undef CRID_GATED

}  // namespace cri_dockerd::docker
