// ExecSync: runs a command in a running container and returns its stdout,
// stderr and exit code. Docker: POST /containers/{id}/exec, then POST
// /exec/{id}/start (attached; its output streamed back), then GET
// /exec/{id}/json for the exit code. Nothing is rolled back on failure:
// docker keeps no state for a finished exec worth removing.
//
// Timeout (req.timeout seconds; 0: none beyond the call's deadline): on
// expiry, or when the client goes away, the exec's processes are killed
// (see exec_process.h: docker would leave them running) and the call
// fails with DeadlineExceeded -- kubelet turns exactly that code into a
// probe timeout -- or Cancelled. An exec docker has not started 2 s after
// that is handed to LateExecReaper, which kills it once it starts.
//
// Output: each stream keeps its first 16 MiB; the rest is read and dropped
// (the process must not block on a full pipe) with a warning. That is the
// truncation containerd (cappedWriter) and CRI-O (since CVE-2022-1708) do
// and the Go cri-dockerd's LimitWriter did. kubelet reads at most 10 KiB
// of a probe's output, so truncating costs it nothing, while an error
// would fail a probe whose command succeeded. (kubelet's gRPC client takes
// replies of up to 16 MiB in all, so it never sees both streams full.)
#include <algorithm>
#include <functional>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "cri/docker_streaming/exec_process.h"
#include "cri/docker_streaming/exec_reaper.h"
#include "cri/runtime_service.h"

namespace cri_dockerd {
namespace {

constexpr size_t kMaxExecOutput = size_t{16} << 20;
// How long a timed-out exec gets to be killed and seen exited by docker.
constexpr absl::Duration kKillWait = absl::Seconds(2);

// Keeps the first kMaxExecOutput bytes, counting the rest.
class CappedOutput {
 public:
  void Append(absl::string_view chunk) {
    const size_t room = kMaxExecOutput - data_.size();
    data_.append(chunk.data(), std::min(room, chunk.size()));
    dropped_ += chunk.size() - std::min(room, chunk.size());
  }
  std::string Take() { return std::move(data_); }
  void WarnIfTruncated(const char* stream, const std::string& container) {
    if (dropped_ == 0) return;
    LOG(WARNING) << "ExecSync in container " << container << ": " << stream
                 << " truncated to its first " << kMaxExecOutput << " bytes ("
                 << dropped_ << " more dropped)";
  }

 private:
  std::string data_;
  size_t dropped_ = 0;
};

absl::Duration Backoff(absl::Duration d) {
  return std::min(d * 2, absl::Milliseconds(200));
}

// Kills what is left of a timed-out exec and waits (kKillWait) for docker
// to report it exited. The process may not even have started yet when the
// stream was given up (docker goes on starting it), so the pid is awaited
// too. Best effort: failures are logged; the caller fails the call anyway.
void KillExec(docker::DockerClient* docker, LateExecReaper* late,
              const std::string& exec_id, const docker::ContainerInspect& c,
              absl::Duration created_after) {
  const absl::Time give_up = absl::Now() + kKillWait;
  bool signalled = false;
  int killed = 0;
  absl::Duration pause = absl::Milliseconds(10);
  for (;;) {
    absl::StatusOr<docker::ExecInspect> e =
        docker->InspectExec(exec_id, give_up);
    if (absl::IsNotFound(e.status())) return;  // its container is gone
    if (!e.ok()) {
      LOG(WARNING) << "exec " << exec_id << " in container " << c.name
                   << " timed out and cannot be inspected to kill it: "
                   << e.status();
      return;
    }
    if (!signalled && e->pid > 0) {
      signalled = true;
      absl::StatusOr<int> n =
          KillExecProcesses({e->pid, c.state.pid, created_after});
      if (!n.ok()) {
        LOG(WARNING) << "cannot kill timed-out exec " << exec_id << " (pid "
                     << e->pid << ") in container " << c.name << ": "
                     << n.status();
        return;
      }
      killed = *n;
      LOG(DEBUG) << "timed-out exec " << exec_id << " (pid " << e->pid
                 << "): " << killed << " process(es) killed";
      continue;  // see at once whether docker noticed
    }
    if (!e->running && e->exit_code.has_value()) return;
    if (!signalled && absl::Now() + pause > give_up) {
      // Docker is still starting it; it must not run unkilled once it has.
      LOG(INFO) << "timed-out exec " << exec_id << " in container " << c.name
                << " not started after " << absl::FormatDuration(kKillWait)
                << "; it is killed once docker starts it";
      late->Watch(exec_id, c.name, {0, c.state.pid, created_after});
      return;
    }
    if (absl::Now() + pause > give_up) {
      LOG(WARNING) << "timed-out exec " << exec_id << " (pid " << e->pid
                   << ") in container " << c.name << " still running after "
                   << absl::FormatDuration(kKillWait) << " (" << killed
                   << " process(es) killed)";
      return;
    }
    absl::SleepFor(pause);
    pause = Backoff(pause);
  }
}

// After the output stream ended: the exit code, once docker has seen the
// exit (a process that closed its output may still run). nullopt when
// `stop` says to give up first.
absl::StatusOr<std::optional<int>> AwaitExit(
    docker::DockerClient* docker, const std::string& exec_id,
    const std::function<absl::Time()>& docker_deadline,
    const std::function<absl::Status()>& stop) {
  absl::Duration pause = absl::Milliseconds(5);
  for (;;) {
    ASSIGN_OR_RETURN(docker::ExecInspect e,
                     docker->InspectExec(exec_id, docker_deadline()));
    if (!e.running && e.exit_code.has_value()) return e.exit_code;
    if (!stop().ok()) return std::nullopt;
    absl::SleepFor(pause);
    pause = Backoff(pause);
  }
}

}  // namespace

absl::StatusOr<v1::ExecSyncResponse> RuntimeService::ExecSync(
    const CallContext& ctx, const v1::ExecSyncRequest& req) {
  if (req.cmd().empty()) return absl::InvalidArgumentError("cmd is empty");
  if (req.timeout() < 0) {
    return absl::InvalidArgumentError("timeout must not be negative");
  }
  ASSIGN_OR_RETURN(docker::ContainerInspect c,
                   FindContainer(ctx, req.container_id()));
  if (!c.state.running) {
    return absl::FailedPreconditionError(
        absl::StrCat("container ", req.container_id(), " is not running (",
                     c.state.status, ")"));
  }
  const absl::Time timeout_at = req.timeout() > 0
                                    ? absl::Now() + absl::Seconds(req.timeout())
                                    : absl::InfiniteFuture();
  const absl::Time deadline = std::min(ctx.deadline, timeout_at);
  docker::ExecCreateConfig config;
  config.container_id = c.id;
  config.cmd.assign(req.cmd().begin(), req.cmd().end());
  const absl::Duration created_after = BootTimeNow();
  absl::StatusOr<std::string> exec_id =
      docker_->CreateExec(config, std::min(deadline, DockerDeadline(ctx)));
  if (!exec_id.ok()) {
    return absl::Status(exec_id.status().code(),
                        absl::StrCat("creating exec in container ", c.name,
                                     ": ", exec_id.status().message()));
  }

  CappedOutput out, err;
  docker::ExecOutput sinks;
  sinks.on_stdout = [&out](absl::string_view d) { out.Append(d); };
  sinks.on_stderr = [&err](absl::string_view d) { err.Append(d); };
  sinks.check = [&ctx, deadline]() -> absl::Status {
    if (ctx.IsCancelled()) return absl::CancelledError("client went away");
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError("exec timed out");
    }
    return absl::OkStatus();
  };
  absl::Status run = docker_->StartExec(*exec_id, sinks, deadline);
  std::optional<int> exit_code;
  if (run.ok()) {
    absl::StatusOr<std::optional<int>> code = AwaitExit(
        docker_, *exec_id, [&] { return DockerDeadline(ctx); }, sinks.check);
    if (!code.ok() && !absl::IsDeadlineExceeded(code.status())) {
      return code.status();
    }
    if (code.ok()) exit_code = *code;
  } else if (!absl::IsDeadlineExceeded(run) && !absl::IsCancelled(run)) {
    // The stream broke (docker restarted, garbage on the wire): whatever
    // runs is left to nobody. NotFound: the exec never started.
    if (!absl::IsNotFound(run))
      KillExec(docker_, late_execs_.get(), *exec_id, c, created_after);
    return absl::Status(run.code(), absl::StrCat("running exec in container ",
                                                 c.name, ": ", run.message()));
  }
  if (!exit_code.has_value()) {
    KillExec(docker_, late_execs_.get(), *exec_id, c, created_after);
    if (ctx.IsCancelled()) {
      return absl::CancelledError(
          "ExecSync cancelled by the client; the command was killed");
    }
    return absl::DeadlineExceededError(
        timeout_at <= ctx.deadline
            ? absl::StrCat("command timed out after ", req.timeout(), "s")
            : "command did not finish before the call's deadline");
  }
  out.WarnIfTruncated("stdout", c.name);
  err.WarnIfTruncated("stderr", c.name);
  v1::ExecSyncResponse resp;
  resp.set_stdout(out.Take());
  resp.set_stderr(err.Take());
  resp.set_exit_code(*exit_code);
  return resp;
}

}  // namespace cri_dockerd
