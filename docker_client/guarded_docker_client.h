// A DockerClient in front of another that keeps a hung engine from
// piling up work in the daemon:
//  - a prober thread pings the engine every `probe_interval`; once pings
//    have failed for `unresponsive_after`, every call fails at once with
//    Unavailable naming the engine, until a ping succeeds again (the
//    prober pings more often meanwhile, so calls pass again well within
//    a second of the engine's return). Ping itself is never refused: it
//    is the live check behind CRI Status, and its success also reopens;
//  - at most `max_in_flight` request/response calls wait on the engine at
//    once; more wait for a slot until their deadline (or until the engine
//    is declared unresponsive). Calls that are long by nature take no
//    slot (streams of events, logs and exec output; stops, which wait
//    out a grace period; pulls): the callers' own pools bound those.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "docker_client/docker_client.h"

namespace cri_dockerd::docker {

struct EngineGuardOptions {
  std::string engine;  // as the operator named it: "unix:///var/run/..."
  absl::Duration probe_interval = absl::Seconds(1);
  // While the engine is unresponsive.
  absl::Duration recovery_probe_interval = absl::Milliseconds(200);
  absl::Duration probe_timeout = absl::Seconds(1);
  absl::Duration unresponsive_after = absl::Seconds(2);
  int max_in_flight = 24;
};

class GuardedDockerClient final : public DockerClient {
 public:
  // `inner` is not owned and must outlive this object.
  GuardedDockerClient(DockerClient* inner, EngineGuardOptions options);
  ~GuardedDockerClient() override;  // stops the prober
  GuardedDockerClient(const GuardedDockerClient&) = delete;
  GuardedDockerClient& operator=(const GuardedDockerClient&) = delete;

  // Starts the prober. Without it the gate stays open (calls still take
  // in-flight slots). Fails only if its thread cannot be made.
  absl::Status StartProber();

  // OK while the engine is considered responsive; else the Unavailable
  // status calls fail with.
  absl::Status EngineState() const;
  // Calls waiting on the engine now (for tests and metrics).
  int in_flight() const;

  absl::Status Ping(absl::Time deadline) override;
  absl::StatusOr<VersionInfo> Version(absl::Time deadline) override;
  absl::StatusOr<SystemInfo> Info(absl::Time deadline) override;
  absl::StatusOr<EngineCapabilities> Capabilities(absl::Time deadline) override;
  absl::StatusOr<EngineCapabilities> RefreshCapabilities(
      absl::Time deadline) override;
  absl::StatusOr<std::vector<ImageSummary>> ListImages(
      const std::string& reference, absl::Time deadline) override;
  absl::StatusOr<ImageInspect> InspectImage(const std::string& name,
                                            absl::Time deadline) override;
  absl::Status PullImage(const PullOptions& options,
                         absl::Time deadline) override;
  absl::StatusOr<RemovedImage> RemoveImage(const std::string& name, bool force,
                                           absl::Time deadline) override;
  absl::StatusOr<DiskUsage> GetDiskUsage(absl::Time deadline) override;
  absl::StatusOr<std::string> CreateContainer(
      const ContainerCreateConfig& config, absl::Time deadline) override;
  absl::Status StartContainer(const std::string& id,
                              absl::Time deadline) override;
  absl::Status StopContainer(const std::string& id, absl::Duration grace,
                             absl::Time deadline) override;
  absl::Status RemoveContainer(const std::string& id, bool force,
                               bool remove_volumes,
                               absl::Time deadline) override;
  absl::StatusOr<ContainerInspect> InspectContainer(
      const std::string& id, absl::Time deadline) override;
  absl::Status UpdateContainerResources(const std::string& id,
                                        const Resources& resources,
                                        absl::Time deadline) override;
  absl::StatusOr<std::vector<ContainerSummary>> ListContainers(
      const ListContainersOptions& options, absl::Time deadline) override;
  absl::Status FollowContainerLogs(const LogStreamOptions& options,
                                   absl::Time deadline) override;
  absl::StatusOr<std::unique_ptr<LogStreamMux>> NewLogStreamMux() override;
  absl::Status StreamEvents(const EventStreamOptions& options,
                            absl::Time deadline) override;
  absl::StatusOr<std::string> CreateExec(const ExecCreateConfig& config,
                                         absl::Time deadline) override;
  absl::Status StartExec(const std::string& exec_id, const ExecOutput& out,
                         absl::Time deadline) override;
  absl::StatusOr<ExecInspect> InspectExec(const std::string& exec_id,
                                          absl::Time deadline) override;
  absl::StatusOr<std::unique_ptr<HijackedConn>> StartExecInteractive(
      const std::string& exec_id, bool tty, absl::Time setup_deadline) override;
  absl::StatusOr<std::unique_ptr<HijackedConn>> AttachContainer(
      const std::string& id, const AttachOptions& options,
      absl::Time setup_deadline) override;
  absl::Status ResizeExec(const std::string& exec_id, int height, int width,
                          absl::Time deadline) override;
  absl::Status ResizeContainer(const std::string& id, int height, int width,
                               absl::Time deadline) override;

 private:
  // Checks the gate and, if `take_slot`, waits for an in-flight slot.
  absl::Status Admit(bool take_slot, absl::Time deadline);
  void Release();
  // A slot is free, or waiting is pointless.
  bool MayGoLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs `call` once admitted; its result, or why it was not admitted.
  template <typename Fn>
  auto Guarded(bool take_slot, absl::Time deadline, Fn call)
      -> decltype(call());
  absl::Status UnavailableLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ProbeLoop();
  // The engine answered: the gate opens.
  void MarkAnswered();
  void MarkAnsweredLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  DockerClient* const inner_;
  const EngineGuardOptions options_;

  mutable absl::Mutex mu_;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  // First failed ping of the current run of failures; InfiniteFuture
  // while pings succeed.
  absl::Time failing_since_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  bool unresponsive_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status last_probe_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread prober_;
};

}  // namespace cri_dockerd::docker
