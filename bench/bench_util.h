// Benchmark support that knows nothing of the CRI: scratch directories,
// child processes, CPU time of processes from /proc, raw HTTP to the
// Docker Engine socket, and latency summaries.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace cri_dockerd::bench {

// The docker label (key) on every pod and container a benchmark makes,
// with a value naming the run, so that leftovers can be found through
// docker alone.
inline constexpr char kRunLabel[] = "crid-bench.run";

// A fresh directory under /tmp, removed (recursively) at destruction.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A child process in its own process group, stdout and stderr to a file.
// The destructor kills it (the whole group) if it still runs.
class ChildProcess {
 public:
  // Starts argv (argv[0] is a path, searched on PATH if it has no '/').
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(
      const std::vector<std::string>& argv, const std::string& log_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool Running();
  // SIGTERM, then SIGKILL (to the group) if it has not exited after
  // `grace`. Returns the exit code (128+N when killed by signal N).
  int Stop(absl::Duration grace);
  // SIGKILL to the group at once (a crash, as far as the child can tell);
  // waits for the child and returns its exit code.
  int Kill();

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

// utime + stime of process `pid` (all its threads) in seconds, from
// /proc/<pid>/stat; -1 if the process is gone.
double CpuSeconds(pid_t pid);

// Sum of CpuSeconds over `pids`, skipping processes that are gone.
double CpuSeconds(const std::vector<pid_t>& pids);

// Processes whose /proc/<pid>/comm starts with `prefix`.
std::vector<pid_t> PidsWithCommPrefix(absl::string_view prefix);

// CPU seconds of the processes a stats path keeps busy.
struct Cpu {
  double shim = 0;        // the CRI shim
  double dockerd = 0;     // the engine
  double containerd = 0;  // containerd and its containerd-shim processes
};
Cpu operator-(const Cpu& a, const Cpu& b);

// Reads Cpu for given shim and dockerd pids and the containerd processes
// that ran when it was made.
class CpuMeter {
 public:
  CpuMeter(pid_t shim, pid_t dockerd);
  Cpu Read() const;

 private:
  pid_t shim_;
  pid_t dockerd_;
  std::vector<pid_t> containerd_;
};

// The pid of the Docker Engine serving `socket_path`: the listener's pid
// from SO_PEERCRED, checked to be a "dockerd"; else the only process named
// dockerd. NotFound if neither works.
absl::StatusOr<pid_t> DockerdPid(const std::string& socket_path);

struct HttpReply {
  int status = 0;
  std::string body;
};

// One HTTP/1.0 request on the engine's unix socket (a new connection each
// time, closed by the engine after the reply), with `json_body` as an
// application/json body if not empty. Unavailable if the socket cannot be
// reached or the reply cannot be read before `timeout`.
absl::StatusOr<HttpReply> DockerRequest(const std::string& socket_path,
                                        absl::string_view method,
                                        absl::string_view path,
                                        absl::Duration timeout,
                                        absl::string_view json_body = "");

// The same on a TCP port of 127.0.0.1 (e.g. the daemon's /metrics).
absl::StatusOr<HttpReply> LoopbackRequest(int port, absl::string_view method,
                                          absl::string_view path,
                                          absl::Duration timeout);

// The whole file at `path`; empty if it cannot be read.
std::string ReadWholeFile(const std::string& path);

// Docker's stats for each of `ids` as the Go shim asks for them (GET
// /containers/{id}/stats?stream=false: docker samples twice, a second
// apart), `parallel` requests in flight; stops early once `stop` is set.
// Returns the sweep's wall time in ms; counts failed requests in `errors`.
double SweepDockerStats(const std::string& socket_path,
                        const std::vector<std::string>& ids, int parallel,
                        const std::atomic<bool>& stop,
                        std::atomic<int>* errors);

// The p-th percentile (0..100, nearest rank) of `values`; 0 if empty.
double Percentile(std::vector<double> values, double p);

}  // namespace cri_dockerd::bench
