// The cri-dockerd under test as a child process of a benchmark: started on
// a socket in a scratch directory with its root, CNI and log files there
// too, with gRPC clients for both CRI services; stopped, or killed and
// started again on the same socket and root directory.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bench/bench_util.h"
#include "grpcpp/grpcpp.h"
#include "proto/cri_api_grpc.h"

namespace cri_dockerd::bench {

// A ClientContext whose deadline is `timeout` from now.
std::unique_ptr<grpc::ClientContext> Deadline(absl::Duration timeout);

// OK, or `s` as an absl::Status whose message starts with `what`.
absl::Status FromGrpc(const char* what, const grpc::Status& s);

class ShimDaemon {
 public:
  struct Options {
    std::string binary;         // the cri-dockerd to run
    std::string docker_socket;  // the engine, e.g. /var/run/docker.sock
    std::string dir;            // scratch directory; must exist
    std::vector<std::string> extra_flags;
  };

  explicit ShimDaemon(Options options) : options_(std::move(options)) {}
  ~ShimDaemon() { Stop(); }
  ShimDaemon(const ShimDaemon&) = delete;
  ShimDaemon& operator=(const ShimDaemon&) = delete;

  // Starts the daemon on `dir`/cri.sock (root `dir`/root, an empty CNI
  // config dir `dir`/cni, CNI cache `dir`/cni-cache; its output in
  // `dir`/shim-<n>.log, n counting starts) and waits up to 30 s until it
  // answers Status. Again after Kill(): same socket and root directory.
  absl::Status Start();

  // OK while the daemon runs; else Internal with the end of its log
  // naming `during` (what the caller was doing). Thread-safe, unlike the
  // other methods, which one thread calls while no CheckRunning runs.
  absl::Status CheckRunning(const char* during);

  // SIGKILL, as a crash would end it.
  void Kill();

  // SIGTERM, SIGKILL after 10 s; reports a non-zero exit on stderr.
  // Idempotent.
  void Stop();

  pid_t pid() const { return process_ ? process_->pid() : -1; }
  runtime::v1::RuntimeService::Stub* runtime() const { return runtime_.get(); }
  runtime::v1::ImageService::Stub* images() const { return images_.get(); }
  const std::string& dir() const { return options_.dir; }

 private:
  const Options options_;
  absl::Mutex check_mu_;  // one waitpid at a time in CheckRunning
  int starts_ = 0;
  std::string log_path_;
  std::unique_ptr<ChildProcess> process_;
  std::unique_ptr<runtime::v1::RuntimeService::Stub> runtime_;
  std::unique_ptr<runtime::v1::ImageService::Stub> images_;
};

}  // namespace cri_dockerd::bench
