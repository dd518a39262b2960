// crid_stats_bench: the cost of container stats for N running containers,
// cri-dockerd's ListContainerStats (cgroup files read in-process) against
// docker's stats API for the same containers (what the Go shim asks for,
// one GET /containers/{id}/stats?stream=false per container), in one run.
// Prints latencies and the CPU seconds the shim, dockerd and containerd
// (with its shims) spend; asserts nothing. See bench/README.md.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench/bench_util.h"
#include "bench/cri_workload.h"
#include "docker_client/curl_docker_client.h"

namespace cri_dockerd::bench {
namespace {

std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};
std::atomic<pid_t> g_signal_sender{0};
void OnSignal(int sig, siginfo_t* info, void*) {
  g_signal = sig;
  g_signal_sender = info->si_pid;
  g_stop = true;
}

struct Flags {
  std::string binary = CRID_BINARY;
  std::string docker_socket = "/var/run/docker.sock";
  std::string image = "localhost:5000/busybox:1.36";
  int containers = 100;   // running in the pod
  int calls = 50;         // timed ListContainerStats calls
  int sweeps = 5;         // docker stats sweeps per variant
  int parallel = 10;      // requests in flight in the parallel sweeps
  int idle_seconds = 30;  // background window (0: skip)
};

constexpr char kUsage[] =
    "usage: crid_stats_bench [--cri-dockerd PATH] [--containers N] "
    "[--calls N] [--sweeps N] [--parallel N] [--idle-seconds N] "
    "[--image REF] [--docker-socket PATH]\n";

// "--name value" or "--name=value". Returns -1 to go on, else the exit
// code (--help, or a message on misuse).
int ParseFlags(int argc, char** argv, Flags* f) {
  const std::map<std::string, std::string*> text = {
      {"--cri-dockerd", &f->binary},
      {"--docker-socket", &f->docker_socket},
      {"--image", &f->image}};
  const std::map<std::string, int*> numbers = {
      {"--containers", &f->containers},
      {"--calls", &f->calls},
      {"--sweeps", &f->sweeps},
      {"--parallel", &f->parallel},
      {"--idle-seconds", &f->idle_seconds}};
  for (int i = 1; i < argc; ++i) {
    std::string name = argv[i];
    if (name == "--help" || name == "-h") {
      std::cout << kUsage;
      return 0;
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
  if (f->containers < 1 || f->calls < 1 || f->sweeps < 1 || f->parallel < 1) {
    std::cerr
        << "--containers, --calls, --sweeps and --parallel must be >= 1\n";
    return 2;
  }
  return -1;
}

// One row of the table: `n` calls (or sweeps) and the CPU they cost.
struct Row {
  std::string name;
  std::vector<double> ms;
  Cpu cpu;
  int errors = 0;
  bool shim_used = true;
  double PerCall(double total) const { return total / ms.size(); }
};

Row MeasureDocker(const Flags& f, const std::vector<std::string>& ids,
                  int parallel, const CpuMeter& meter) {
  Row row;
  row.name = parallel == 1
                 ? "docker stats sweep, sequential"
                 : absl::StrCat("docker stats sweep, ", parallel, " parallel");
  row.shim_used = false;
  std::atomic<int> errors{0};
  const Cpu before = meter.Read();
  for (int s = 0; s < f.sweeps && !g_stop; ++s) {
    row.ms.push_back(
        SweepDockerStats(f.docker_socket, ids, parallel, g_stop, &errors));
    std::cerr << "  " << row.name << " " << (s + 1) << "/" << f.sweeps << ": "
              << absl::StrFormat("%.0f ms", row.ms.back()) << std::endl;
  }
  row.cpu = meter.Read() - before;
  row.cpu.shim = 0;  // not on this path (its CPU is the idle row's)
  row.errors = errors;
  return row;
}

Row MeasureCri(CriWorkload& cri, int calls, int expected, const CpuMeter& m,
               const char* name) {
  Row row;
  row.name = name;
  const Cpu before = m.Read();
  for (int i = 0; i < calls && !g_stop; ++i) {
    const absl::Time start = absl::Now();
    absl::StatusOr<int> complete = cri.ListContainerStats();
    row.ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
    if (!complete.ok()) {
      std::cerr << complete.status() << std::endl;
      ++row.errors;
      break;  // most likely the daemon is gone: no figure to gain
    }
    if (*complete != expected) ++row.errors;
  }
  row.cpu = m.Read() - before;
  return row;
}

void PrintRow(const Row& r) {
  const std::string shim =
      r.shim_used ? absl::StrFormat("%.5f", r.PerCall(r.cpu.shim)) : "-";
  std::cout << absl::StrFormat(
      "%-36s %5d %11.1f %11.1f %11s %11.5f %11.5f %6d\n", r.name, r.ms.size(),
      Percentile(r.ms, 50), Percentile(r.ms, 90), shim,
      r.PerCall(r.cpu.dockerd), r.PerCall(r.cpu.containerd), r.errors);
}

// Shim + dockerd CPU per call, and the same with containerd.
double Cost(const Row& r) { return r.PerCall(r.cpu.shim + r.cpu.dockerd); }
double CostAll(const Row& r) { return Cost(r) + r.PerCall(r.cpu.containerd); }

std::string Ratio(double docker, double cri, double floor) {
  // CPU below the clock tick reads as 0: then the ratio is a lower bound.
  if (docker <= 0) return "n/a";
  if (cri <= 0) return absl::StrFormat(">%.0fx", docker / floor);
  return absl::StrFormat("%.0fx", docker / cri);
}

// Everything measured in one run.
struct Results {
  std::vector<Row> docker;  // sweeps: sequential, parallel, all at once
  Row cri_first;            // the first ListContainerStats
  Row cri;                  // the timed ListContainerStats calls
  Row idle;                 // a window without calls; "per call" = per s
};

// Docker's stats path first: the shim then has not been asked for stats
// yet, so its writable-layer refresher (GET /system/df every 30 s while
// stats are asked for) does not load dockerd during the docker sweeps.
Results Measure(const Flags& f, CriWorkload& cri, const CpuMeter& meter) {
  Results r;
  const std::vector<std::string>& ids = cri.container_ids();
  std::vector<int> variants = {1};  // requests in flight
  for (int p : {f.parallel, f.containers}) {
    if (p > variants.back()) variants.push_back(p);
  }
  for (int parallel : variants) {
    r.docker.push_back(MeasureDocker(f, ids, parallel, meter));
  }
  // The first call also inspects every container once to find its cgroup.
  r.cri_first = MeasureCri(cri, 1, f.containers, meter,
                           "CRI ListContainerStats, first call");
  absl::SleepFor(absl::Seconds(3));  // let the first layer refresh finish
  r.cri =
      MeasureCri(cri, f.calls, f.containers, meter, "CRI ListContainerStats");
  r.idle.name = "idle, per second (no calls)";
  const Cpu before = meter.Read();
  for (int i = 0; i < f.idle_seconds * 10 && !g_stop; ++i) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  r.idle.cpu = meter.Read() - before;
  r.idle.ms.assign(f.idle_seconds, 0.0);
  return r;
}

// Prints the table and, if no call failed, the comparison; false if some
// call failed.
bool Print(const Flags& f, const docker::VersionInfo& version,
           const Results& r) {
  std::cout << absl::StrFormat(
      "\ncrid_stats_bench: %d running containers, dockerd %s (API %s), %d "
      "CPUs; CPU from /proc/<pid>/stat (%.0f ms ticks)\n\n",
      f.containers, version.version, version.api_version,
      std::thread::hardware_concurrency(), 1000.0 / sysconf(_SC_CLK_TCK));
  std::cout << absl::StrFormat("%-36s %5s %11s %11s %11s %11s %11s %6s\n", "",
                               "n", "median ms", "p90 ms", "shim CPU s",
                               "dockerd s", "containerd", "errors");
  std::cout << absl::StrFormat("%-36s %5s %11s %11s %11s %11s %11s\n", "", "",
                               "", "", "per call", "per call", "s per call");
  for (const Row& row : r.docker) PrintRow(row);
  PrintRow(r.cri_first);
  PrintRow(r.cri);
  if (!r.idle.ms.empty()) {
    std::cout << absl::StrFormat("%-36s %5s %11s %11s %11.5f %11.5f %11.5f\n",
                                 r.idle.name, absl::StrCat(f.idle_seconds, "s"),
                                 "-", "-", r.idle.PerCall(r.idle.cpu.shim),
                                 r.idle.PerCall(r.idle.cpu.dockerd),
                                 r.idle.PerCall(r.idle.cpu.containerd));
  }
  int errors = r.cri_first.errors + r.cri.errors;
  for (const Row& row : r.docker) errors += row.errors;
  if (errors > 0) {
    std::cout << "\n" << errors << " calls failed: no comparison\n";
    return false;
  }
  const double tick = 1.0 / sysconf(_SC_CLK_TCK) / r.cri.ms.size();
  std::cout << "\none docker stats sweep / one ListContainerStats (same "
            << f.containers << " containers):\n";
  double cheapest = -1;
  for (const Row& d : r.docker) {
    std::cout << absl::StrFormat(
        "  %-14s latency %s, CPU shim+dockerd %s, incl. containerd %s\n",
        d.name.substr(20) + ":",
        Ratio(Percentile(d.ms, 50), Percentile(r.cri.ms, 50), 1),
        Ratio(Cost(d), Cost(r.cri), tick),
        Ratio(CostAll(d), CostAll(r.cri), tick));
    if (cheapest < 0 || Cost(d) < cheapest) cheapest = Cost(d);
  }
  const double median = Percentile(r.cri.ms, 50);
  std::cout << absl::StrFormat(
      "targets: median %.1f ms < 50 ms: %s; >= 10x cheaper in shim+dockerd "
      "CPU than the cheapest docker sweep: %s (%s)\n",
      median, median < 50 ? "met" : "NOT met",
      cheapest >= 10 * Cost(r.cri) ? "met" : "NOT met",
      Ratio(cheapest, Cost(r.cri), tick));
  return true;
}

int Interrupted() {
  std::cerr << "interrupted by signal " << g_signal << " from pid "
            << g_signal_sender << "; cleaning up\n";
  return 130;
}

int Run(const Flags& f) {
  auto docker = docker::CurlDockerClient::Create("unix://" + f.docker_socket);
  absl::StatusOr<docker::VersionInfo> version =
      docker.ok() ? (*docker)->Version(absl::Now() + absl::Seconds(10))
                  : absl::StatusOr<docker::VersionInfo>(docker.status());
  absl::StatusOr<pid_t> dockerd = DockerdPid(f.docker_socket);
  if (!version.ok() || !dockerd.ok()) {
    std::cerr << "needs a running dockerd on " << f.docker_socket << ": "
              << (version.ok() ? dockerd.status() : version.status()) << "\n";
    return 1;
  }
  CriWorkload cri({f.binary, f.docker_socket, f.image, f.containers}, &g_stop);
  std::cerr << "setting up " << f.containers << " containers through "
            << f.binary << std::endl;
  if (absl::Status s = cri.SetUp(); !s.ok()) {
    if (g_stop) return Interrupted();
    std::cerr << "setup failed: " << s << "\n";
    return 1;
  }
  const Results results = Measure(f, cri, CpuMeter(cri.shim_pid(), *dockerd));
  if (g_stop) return Interrupted();
  return Print(f, *version, results) ? 0 : 1;
}

}  // namespace
}  // namespace cri_dockerd::bench

int main(int argc, char** argv) {
  using namespace cri_dockerd::bench;
  Flags flags;
  if (int code = ParseFlags(argc, argv, &flags); code >= 0) return code;
  struct sigaction sa = {};
  sa.sa_sigaction = OnSignal;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  return Run(flags);  // the workload's destructor cleans up on every path
}
