// Test support: runs the real cri-dockerd binary as a child process with
// its stderr captured, and dials its CRI socket with the generated client.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "proto/cri_api_grpc.h"

namespace cri_dockerd::testing_support {

// Exit code and output of a process run to completion.
struct ProcessResult {
  int exit_code = -1;  // 128+N when killed by signal N
  std::string output;  // stdout and stderr interleaved
};

// Runs `argv` (argv[0] is the program path) to completion or `timeout`
// (then SIGKILL and exit_code -1).
ProcessResult RunToExit(const std::vector<std::string>& argv,
                        absl::Duration timeout);

// A scratch directory removed (recursively) at destruction.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class DaemonProcess {
 public:
  // Starts `argv`; its output goes to a file read by Output().
  explicit DaemonProcess(std::vector<std::string> argv);
  // Kills the process if still running.
  ~DaemonProcess();

  // Starts cri-dockerd serving `socket_path` with the given extra flags;
  // on the lab's engine (LabDockerEndpoint) unless they name another
  // with --docker-endpoint.
  static std::unique_ptr<DaemonProcess> StartCriDockerd(
      const std::string& socket_path, std::vector<std::string> extra_flags);

  pid_t pid() const { return pid_; }
  bool Running();
  std::string Output() const;

  // Sends `sig` and waits up to `timeout` for the exit; returns its code.
  absl::StatusOr<int> Stop(int sig, absl::Duration timeout);
  // Waits for exit without signalling.
  absl::StatusOr<int> Wait(absl::Duration timeout);

 private:
  pid_t pid_ = -1;
  int exit_code_ = -1;
  ScratchDir log_dir_;
  std::string log_path_;
};

// The whole content of a file; "" if it cannot be read.
std::string ReadFile(const std::string& path);

// Channel to a unix socket endpoint ("unix:///path").
std::shared_ptr<grpc::Channel> Dial(const std::string& endpoint);

// Calls Status until it answers or `timeout` passes.
absl::Status WaitUntilServing(const std::string& endpoint,
                              absl::Duration timeout);

// A ClientContext with a deadline `timeout` from now. The default is
// generous: a unary call that docker makes slow on a loaded machine must
// not fail the test for being slow.
std::unique_ptr<grpc::ClientContext> Ctx(
    absl::Duration timeout = absl::Seconds(30));

}  // namespace cri_dockerd::testing_support
