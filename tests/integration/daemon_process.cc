#include "tests/integration/daemon_process.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/algorithm/container.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/integration/lab_engine.h"

namespace cri_dockerd::testing_support {
namespace {

pid_t Spawn(const std::vector<std::string>& argv, const std::string& out) {
  const pid_t pid = fork();
  if (pid != 0) return pid;
  // Child: own process group, so a kill reaches helpers it may exec.
  setpgid(0, 0);
  const int fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
  }
  const int devnull = open("/dev/null", O_RDONLY);
  if (devnull >= 0) dup2(devnull, STDIN_FILENO);
  std::vector<char*> args;
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  _exit(127);
}

int DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Polls waitpid until the child exits or the timeout passes.
absl::StatusOr<int> WaitPid(pid_t pid, absl::Duration timeout) {
  const absl::Time end = absl::Now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return DecodeWaitStatus(status);
    if (r < 0) return absl::InternalError("waitpid failed");
    if (absl::Now() > end) {
      return absl::DeadlineExceededError(absl::StrCat(
          "pid ", pid, " still running after ", absl::FormatDuration(timeout)));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
}

}  // namespace

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

ScratchDir::ScratchDir() {
  char tmpl[] = "/tmp/crid-it-XXXXXX";
  path_ = mkdtemp(tmpl);
}

ScratchDir::~ScratchDir() {
  const std::string cmd = absl::StrCat("rm -rf '", path_, "'");
  if (system(cmd.c_str()) != 0) {
    // Best effort: a leftover temp dir is not a test failure.
  }
}

ProcessResult RunToExit(const std::vector<std::string>& argv,
                        absl::Duration timeout) {
  ScratchDir dir;
  const std::string out = dir.path() + "/out";
  const pid_t pid = Spawn(argv, out);
  ProcessResult result;
  absl::StatusOr<int> code = WaitPid(pid, timeout);
  if (!code.ok()) {
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  } else {
    result.exit_code = *code;
  }
  result.output = ReadFile(out);
  return result;
}

DaemonProcess::DaemonProcess(std::vector<std::string> argv) {
  log_path_ = log_dir_.path() + "/output.log";
  pid_ = Spawn(argv, log_path_);
}

DaemonProcess::~DaemonProcess() {
  if (Running()) {
    kill(-pid_, SIGKILL);
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

std::unique_ptr<DaemonProcess> DaemonProcess::StartCriDockerd(
    const std::string& socket_path, std::vector<std::string> extra_flags) {
  std::vector<std::string> argv = {CRID_BINARY, "--container-runtime-endpoint",
                                   absl::StrCat("unix://", socket_path)};
  // The engine under test, unless the test chose one (a private dockerd).
  const bool own_engine = absl::c_any_of(extra_flags, [](const std::string& f) {
    return absl::StartsWith(f, "--docker-endpoint");
  });
  if (!own_engine) {
    argv.insert(argv.end(), {"--docker-endpoint", LabDockerEndpoint()});
  }
  argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
  return std::make_unique<DaemonProcess>(argv);
}

bool DaemonProcess::Running() {
  if (exit_code_ != -1 || pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    exit_code_ = DecodeWaitStatus(status);
    return false;
  }
  return true;
}

std::string DaemonProcess::Output() const { return ReadFile(log_path_); }

absl::StatusOr<int> DaemonProcess::Stop(int sig, absl::Duration timeout) {
  if (!Running()) return exit_code_;
  kill(pid_, sig);
  return Wait(timeout);
}

absl::StatusOr<int> DaemonProcess::Wait(absl::Duration timeout) {
  if (exit_code_ != -1) return exit_code_;
  absl::StatusOr<int> code = WaitPid(pid_, timeout);
  if (code.ok()) exit_code_ = *code;
  return code;
}

std::shared_ptr<grpc::Channel> Dial(const std::string& endpoint) {
  return grpc::CreateChannel(endpoint, grpc::InsecureChannelCredentials());
}

absl::Status WaitUntilServing(const std::string& endpoint,
                              absl::Duration timeout) {
  const absl::Time end = absl::Now() + timeout;
  grpc::Status last;
  while (absl::Now() < end) {
    auto stub = runtime::v1::RuntimeService::NewStub(Dial(endpoint));
    runtime::v1::StatusResponse resp;  // answers even while docker is down
    // Status bounds its docker ping at 1 s; 5 s leaves room for a loaded
    // machine, so a serving daemon is not mistaken for a dead one.
    last = stub->Status(Ctx(absl::Seconds(5)).get(),
                        runtime::v1::StatusRequest(), &resp);
    if (last.ok()) return absl::OkStatus();
    absl::SleepFor(absl::Milliseconds(100));
  }
  return absl::DeadlineExceededError(
      absl::StrCat(endpoint, " not serving: ", last.error_message()));
}

std::unique_ptr<grpc::ClientContext> Ctx(absl::Duration timeout) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  return ctx;
}

}  // namespace cri_dockerd::testing_support
