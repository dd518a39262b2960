// FakeDockerClient's execs: scripted commands, some backed by real child
// processes so that callers can kill them like docker's exec processes.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "docker_client/testing/fake_docker_client.h"

extern char** environ;

namespace cri_dockerd::docker {
namespace {

constexpr absl::Duration kPollInterval = absl::Milliseconds(5);
constexpr size_t kPieceSize = 64 * 1024;

std::string ExecId(int64_t serial) {
  return absl::StrFormat("%016x%048x", 0xe8ec000000000000ULL + serial, 0);
}

// `sleep` for `d` in a session of its own (runc setsid()s exec processes);
// -1 if it could not be started.
pid_t SpawnSleep(absl::Duration d) {
  const std::string seconds =
      absl::StrCat(std::max<int64_t>(1, absl::ToInt64Milliseconds(d)) / 1000.0);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
  std::string arg0 = "sleep";
  std::string arg1 = seconds;
  char* argv[] = {arg0.data(), arg1.data(), nullptr};
  pid_t pid = -1;
  if (posix_spawnp(&pid, "sleep", nullptr, &attr, argv, environ) != 0) {
    pid = -1;
  }
  posix_spawnattr_destroy(&attr);
  return pid;
}

void Deliver(const std::string& data,
             const std::function<void(absl::string_view)>& sink) {
  if (!sink) return;
  for (size_t i = 0; i < data.size(); i += kPieceSize) {
    sink(absl::string_view(data).substr(i, kPieceSize));
  }
}

}  // namespace

FakeDockerClient::ExecChildren::~ExecChildren() {
  for (const int pid : pids) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
}

void FakeDockerClient::SetExecScript(const std::string& cmd, FakeExec exec) {
  absl::MutexLock lock(&mu_);
  exec_scripts_[cmd] = std::move(exec);
}

std::vector<ExecCreateConfig> FakeDockerClient::ExecCreateCalls() const {
  absl::MutexLock lock(&mu_);
  return exec_create_calls_;
}

std::vector<std::string> FakeDockerClient::ExecIds() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> ids;
  for (const auto& [id, e] : execs_) ids.push_back(id);
  return ids;
}

int FakeDockerClient::LiveExecProcesses() const {
  absl::MutexLock lock(&mu_);
  int n = 0;
  for (const int pid : exec_children_.pids) {
    siginfo_t info = {};
    if (waitid(P_PID, static_cast<id_t>(pid), &info,
               WEXITED | WNOHANG | WNOWAIT) == 0 &&
        info.si_pid == 0) {
      ++n;  // has not exited
    }
  }
  return n;
}

absl::Status FakeDockerClient::StartLateExecLocked(FakeExecState& e) {
  if (!e.start_at.has_value() || absl::Now() < *e.start_at) {
    return absl::OkStatus();
  }
  e.start_at.reset();
  const pid_t pid =
      SpawnSleep(e.script.until_killed ? absl::Hours(1) : e.script.runs_for);
  if (pid < 0) return absl::InternalError("fake docker: cannot spawn sleep");
  e.pid = pid;
  exec_children_.pids.insert(pid);
  return absl::OkStatus();
}

void FakeDockerClient::ReapExecLocked(FakeExecState& e) {
  if (!e.running) return;
  (void)StartLateExecLocked(e);
  if (e.start_at.has_value()) return;                 // not started yet
  if (exec_children_.pids.count(e.pid) == 0) return;  // no process
  int status = 0;
  if (waitpid(e.pid, &status, WNOHANG) != e.pid) return;  // still alive
  exec_children_.pids.erase(e.pid);
  e.running = false;
  e.exit_code =
      WIFSIGNALED(status) ? 128 + WTERMSIG(status) : e.script.exit_code;
}

absl::StatusOr<std::string> FakeDockerClient::CreateExec(
    const ExecCreateConfig& config, absl::Time deadline) {
  if (absl::Status s = Enter("CreateExec", deadline); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  exec_create_calls_.push_back(config);
  absl::StatusOr<std::string> cid = ResolveContainerLocked(config.container_id);
  if (!cid.ok()) return cid.status();
  if (!containers_[*cid].state.running) {
    return absl::FailedPreconditionError(
        absl::StrCat("Container ", *cid, " is not running"));
  }
  if (config.cmd.empty()) {
    return absl::InvalidArgumentError("No exec command specified");
  }
  FakeExecState e;
  e.id = ExecId(++exec_serial_);
  e.container_id = *cid;
  e.config = config;
  const std::string key = absl::StrJoin(config.cmd, " ");
  if (auto it = exec_scripts_.find(key); it != exec_scripts_.end()) {
    e.script = it->second;
  } else {
    e.script.stdout_data = absl::StrCat(
        "OCI runtime exec failed: exec failed: unable to start container "
        "process: exec: \"",
        config.cmd[0], "\": executable file not found in $PATH: unknown\r\n");
    e.script.exit_code = 126;
  }
  std::string id = e.id;
  execs_[id] = std::move(e);
  return id;
}

absl::Status FakeDockerClient::StartExec(const std::string& exec_id,
                                         const ExecOutput& out,
                                         absl::Time deadline) {
  if (absl::Status s = Enter("StartExec", deadline); !s.ok()) return s;
  FakeExec script;
  bool already_run = false;
  {
    absl::MutexLock lock(&mu_);
    auto it = execs_.find(exec_id);
    if (it != execs_.end()) {
      auto c = containers_.find(it->second.container_id);
      if (c == containers_.end() || !c->second.state.running) {
        execs_.erase(it);  // docker drops the execs of a stopped container
        it = execs_.end();
      }
    }
    if (it == execs_.end()) {
      return absl::NotFoundError(
          absl::StrCat("No such exec instance: ", exec_id));
    }
    FakeExecState& e = it->second;
    already_run = e.started;
    if (!already_run) {
      script = e.script;
      e.started = true;
      e.running = true;
      if (script.starts_after > absl::ZeroDuration()) {
        e.start_at = absl::Now() + script.starts_after;
      } else if (script.until_killed ||
                 script.runs_for > absl::ZeroDuration()) {
        const pid_t pid =
            SpawnSleep(script.until_killed ? absl::Hours(1) : script.runs_for);
        if (pid < 0) {
          return absl::InternalError("fake docker: cannot spawn sleep");
        }
        e.pid = pid;
        exec_children_.pids.insert(pid);
      }
    }
  }
  if (already_run) {
    Deliver(
        absl::StrCat("Error: Exec command ", exec_id, " has already run\r\n"),
        out.on_stdout);
    return absl::OkStatus();
  }
  Deliver(script.stdout_data, out.on_stdout);
  Deliver(script.stderr_data, out.tty ? out.on_stdout : out.on_stderr);
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      auto it = execs_.find(exec_id);
      if (it == execs_.end()) return absl::OkStatus();
      FakeExecState& e = it->second;
      ReapExecLocked(e);
      if (e.running && !e.start_at.has_value() &&
          exec_children_.pids.count(e.pid) == 0) {
        e.running = false;  // no process: done once its output is out
        e.exit_code = e.script.exit_code;
      }
      if (!e.running) return absl::OkStatus();
    }
    if (out.check) {
      if (absl::Status s = out.check(); !s.ok()) return s;
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          "fake docker: deadline passed while the exec ran");
    }
    absl::SleepFor(kPollInterval);
  }
}

absl::StatusOr<ExecInspect> FakeDockerClient::InspectExec(
    const std::string& exec_id, absl::Time deadline) {
  if (absl::Status s = Enter("InspectExec", deadline); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  auto it = execs_.find(exec_id);
  if (it == execs_.end()) {
    return absl::NotFoundError(
        absl::StrCat("No such exec instance: ", exec_id));
  }
  FakeExecState& e = it->second;
  ReapExecLocked(e);
  ExecInspect inspect;
  inspect.id = e.id;
  inspect.container_id = e.container_id;
  inspect.running = e.running;
  inspect.exit_code = e.exit_code;
  inspect.pid = e.script.reported_pid != 0 ? e.script.reported_pid : e.pid;
  return inspect;
}

}  // namespace cri_dockerd::docker
