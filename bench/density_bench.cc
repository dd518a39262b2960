// crid_density_bench: what N pods x M containers cost cri-dockerd and
// docker on one node: the daemon's threads, fds, memory and CPU (silent
// and with every container writing a line a second), dockerd's inotify
// instances, List/Status and CreateContainer latencies beside docker's own
// requests, docker requests per relist, log bytes on disk, and log lines
// lost or repeated across a SIGKILL restart of the daemon. Prints one
// table; asserts nothing. See bench/README.md.
#include <signal.h>

#include <atomic>
#include <iostream>
#include <map>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "bench/density_measure.h"
#include "bench/density_probes.h"
#include "bench/density_report.h"
#include "bench/density_workload.h"
#include "common/status_macros.h"
#include "docker_client/curl_docker_client.h"

namespace cri_dockerd::bench {
namespace {

std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};
void OnSignal(int sig) {
  g_signal = sig;
  g_stop = true;
}

struct Flags {
  std::string binary = CRID_BINARY;
  std::string docker_socket = "/var/run/docker.sock";
  std::string image = "localhost:5000/busybox:1.36";
  int pods = 60;
  int containers_per_pod = 5;
  int window_seconds = 30;  // each CPU window
  int settle_seconds = 5;   // before each CPU window
  int calls = 100;
  int relists = 20;
  int creates = 20;
  int restart_containers = 100;
  int restart_down_seconds = 5;
  int restart_settle_seconds = 10;
  int setup_threads = 4;
};

constexpr char kUsage[] =
    "usage: crid_density_bench [--quick] [--pods N] [--containers-per-pod M]\n"
    "  [--window-seconds S] [--settle-seconds S] [--calls N] [--relists N]\n"
    "  [--creates N] [--restart-containers N] [--restart-down-seconds S]\n"
    "  [--restart-settle-seconds S] [--setup-threads N]\n"
    "  [--cri-dockerd PATH] [--docker-socket PATH] [--image REF]\n"
    "Defaults: 60 pods x 5 containers, 30 s windows, 100 calls per figure.\n"
    "--quick: 4 x 5, 5 s windows, 20 calls, 5 relists, 5 creates, 3 s down\n"
    "and 5 s settle (flags after --quick override it). See bench/README.md.\n";

void Quick(Flags* f) {
  f->pods = 4;
  f->containers_per_pod = 5;
  f->window_seconds = 5;
  f->settle_seconds = 2;
  f->calls = 20;
  f->relists = 5;
  f->creates = 5;
  f->restart_down_seconds = 3;
  f->restart_settle_seconds = 5;
}

// "--name value" or "--name=value". Returns -1 to go on, else the exit
// code (--help, or a message on misuse).
int ParseFlags(int argc, char** argv, Flags* f) {
  const std::map<std::string, std::string*> text = {
      {"--cri-dockerd", &f->binary},
      {"--docker-socket", &f->docker_socket},
      {"--image", &f->image}};
  const std::map<std::string, int*> numbers = {
      {"--pods", &f->pods},
      {"--containers-per-pod", &f->containers_per_pod},
      {"--window-seconds", &f->window_seconds},
      {"--settle-seconds", &f->settle_seconds},
      {"--calls", &f->calls},
      {"--relists", &f->relists},
      {"--creates", &f->creates},
      {"--restart-containers", &f->restart_containers},
      {"--restart-down-seconds", &f->restart_down_seconds},
      {"--restart-settle-seconds", &f->restart_settle_seconds},
      {"--setup-threads", &f->setup_threads}};
  for (int i = 1; i < argc; ++i) {
    std::string name = argv[i];
    if (name == "--help" || name == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (name == "--quick") {
      Quick(f);
      continue;
    }
    std::string value;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    }
    bool ok = !value.empty();
    if (auto t = text.find(name); t != text.end()) {
      *t->second = value;
    } else if (auto n = numbers.find(name); n != numbers.end()) {
      ok = ok && absl::SimpleAtoi(value, n->second) && *n->second >= 0;
    } else {
      ok = false;
    }
    if (!ok) {
      std::cerr << "bad or unknown flag " << name << "\n" << kUsage;
      return 2;
    }
  }
  if (f->pods < 1 || f->containers_per_pod < 1 || f->window_seconds < 1 ||
      f->calls < 1 || f->relists < 1 || f->creates < 1 ||
      f->setup_threads < 1) {
    std::cerr << "--pods, --containers-per-pod, --window-seconds, --calls, "
                 "--relists, --creates and --setup-threads must be >= 1\n";
    return 2;
  }
  return -1;
}

// Sleeps `seconds` unless interrupted; false if interrupted.
bool Settle(int seconds) {
  const absl::Time end = absl::Now() + absl::Seconds(seconds);
  while (absl::Now() < end && !g_stop) absl::SleepFor(absl::Milliseconds(100));
  return !g_stop;
}

// Every measurement, in order; the workload is already populated.
absl::Status Measure(const Flags& f, DensityWorkload& w, pid_t dockerd,
                     int port, DensityReport* r) {
  std::cerr << "silent window: " << f.settle_seconds << " s settle, "
            << f.window_seconds << " s measured" << std::endl;
  if (!Settle(f.settle_seconds)) return absl::CancelledError("interrupted");
  RETURN_IF_ERROR(MeasureCpu(w, dockerd, f.window_seconds, g_stop, &r->silent));
  std::cerr << "writing window" << std::endl;
  RETURN_IF_ERROR(w.SetWriting(true));
  if (!Settle(f.settle_seconds)) return absl::CancelledError("interrupted");
  RETURN_IF_ERROR(
      MeasureCpu(w, dockerd, f.window_seconds, g_stop, &r->writing));
  r->shim = ReadFootprint(w.daemon().pid());
  r->dockerd_with = ReadFootprint(dockerd);
  MeasureOptions o;
  o.docker_socket = f.docker_socket;
  o.image = f.image;
  o.calls = f.calls;
  o.relists = f.relists;
  o.creates = f.creates;
  o.restart_containers = f.restart_containers;
  o.restart_down_seconds = f.restart_down_seconds;
  o.restart_settle_seconds = f.restart_settle_seconds;
  o.metrics_port = port;
  RETURN_IF_ERROR(MeasureLatencies(o, w, &r->latency));
  return MeasureLogs(o, w, g_stop, &r->logs);
}

int Run(const Flags& f) {
  auto docker = docker::CurlDockerClient::Create("unix://" + f.docker_socket);
  absl::StatusOr<docker::VersionInfo> version =
      docker.ok() ? (*docker)->Version(absl::Now() + absl::Seconds(10))
                  : absl::StatusOr<docker::VersionInfo>(docker.status());
  absl::StatusOr<pid_t> dockerd = DockerdPid(f.docker_socket);
  const int port = FreeLoopbackPort();
  if (!version.ok() || !dockerd.ok() || port < 0) {
    std::cerr << "needs a running dockerd on " << f.docker_socket
              << " and a free loopback port: "
              << (version.ok() ? dockerd.status() : version.status()) << "\n";
    return 1;
  }
  DensityReport r;
  r.pods = f.pods;
  r.containers_per_pod = f.containers_per_pod;
  r.window_seconds = f.window_seconds;
  r.docker_version = version->version + " (API " + version->api_version + ")";
  r.dockerd_before = ReadFootprint(*dockerd);
  DensityWorkload w({f.binary, f.docker_socket, f.image, f.pods,
                     f.containers_per_pod, port, f.setup_threads},
                    &g_stop);
  std::cerr << "starting " << f.binary << std::endl;
  absl::Status s = w.StartDaemon();
  if (s.ok()) {
    r.shim_empty = ReadFootprint(w.daemon().pid());
    std::cerr << "setting up " << f.pods << " pods x " << f.containers_per_pod
              << " containers" << std::endl;
    s = w.Populate();
  }
  if (s.ok()) s = Measure(f, w, *dockerd, port, &r);
  if (!s.ok()) {
    if (g_stop) {
      std::cerr << "interrupted by signal " << g_signal << "; cleaning up\n";
      return 130;
    }
    std::cerr << "failed: " << s << "\n";
    return 1;
  }
  return PrintDensityReport(r) ? 0 : 1;
}

}  // namespace
}  // namespace cri_dockerd::bench

int main(int argc, char** argv) {
  using namespace cri_dockerd::bench;
  Flags flags;
  if (int code = ParseFlags(argc, argv, &flags); code >= 0) return code;
  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  return Run(flags);  // the workload's destructor cleans up on every path
}
