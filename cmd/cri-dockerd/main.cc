// cri-dockerd: assembles the daemon. Parses flags, builds the docker
// client, network plugin and CRI services, serves them on the CRI socket
// and shuts down cleanly on SIGTERM/SIGINT. The only place objects are
// wired together; exit codes: 0 clean stop, 1 start-up failure, 2 usage.
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>

#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "cmd/cri-dockerd/build_info.h"
#include "cmd/cri-dockerd/crash_at.h"
#include "cmd/cri-dockerd/daemon_metrics.h"
#include "cmd/cri-dockerd/flags.h"
#include "cmd/cri-dockerd/grpc_server.h"
#include "cmd/cri-dockerd/listener.h"
#include "cmd/cri-dockerd/runtime_cgroups.h"
#include "cmd/cri-dockerd/sd_daemon.h"
#include "common/go_duration.h"
#include "common/kernel_features.h"
#include "common/logging.h"
#include "common/metrics/bind_address.h"
#include "common/metrics/http_server.h"
#include "common/metrics/registry.h"
#include "cri/docker_streaming/docker_streaming_runtime.h"
#include "cri/grpc_services.h"
#include "cri/image/image_service.h"
#include "cri/image/registry_credentials.h"
#include "cri/logs/background_retry.h"
#include "cri/logs/container_log_manager.h"
#include "cri/network/network_plugin.h"
#include "cri/runtime_service.h"
#include "cri/store/checkpoint_store.h"
#include "cri/streaming/server.h"
#include "docker_client/curl_docker_client.h"
#include "docker_client/endpoint.h"
#include "docker_client/guarded_docker_client.h"
#include "docker_client/operation_name.h"

namespace cri_dockerd {
namespace {

// In-flight calls get this long to finish at shutdown.
constexpr absl::Duration kShutdownGrace = absl::Seconds(5);
// How long the start-up probe of dockerd may take (it only logs).
constexpr absl::Duration kStartupProbeTimeout = absl::Seconds(2);

int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "cri-dockerd: %s\n", message.c_str());
  if (code == 2) {
    std::fprintf(stderr, "Run 'cri-dockerd --help' for usage.\n");
  }
  return code;
}

RuntimeOptions MakeRuntimeOptions(const Flags& flags, FaultPoint fault) {
  RuntimeOptions options;
  options.fault_point = std::move(fault);
  options.pod_infra_image = flags.pod_infra_container_image;
  options.root_directory = flags.cri_dockerd_root_directory;
  if (flags.runtime_request_timeout > absl::ZeroDuration()) {
    options.request_timeout = flags.runtime_request_timeout;
  }
  options.image_pull_progress_deadline = flags.image_pull_progress_deadline;
  options.docker_log_max_size = flags.docker_log_max_size;
  options.docker_log_max_file = flags.docker_log_max_file;
  options.kernel_recursive_read_only = KernelHasMountSetattr();
  return options;
}

network::NetworkSettings MakeNetworkSettings(const Flags& flags,
                                             FaultPoint fault) {
  network::NetworkSettings settings;
  settings.fault_point = std::move(fault);
  settings.plugin_name = flags.network_plugin;
  settings.cni_conf_dir = flags.cni_conf_dir;
  settings.cni_bin_dirs = flags.cni_bin_dir;
  settings.cni_cache_dir = flags.cni_cache_dir;
  settings.pod_cidr = flags.pod_cidr;
  return settings;
}

// Logs whether dockerd answers; the daemon serves either way and Status
// reports RuntimeReady=false with the reason until docker is reachable.
void ProbeDocker(docker::DockerClient* docker, const std::string& endpoint) {
  absl::StatusOr<docker::VersionInfo> version =
      docker->Version(absl::Now() + kStartupProbeTimeout);
  if (version.ok()) {
    LOG(INFO) << "connected to Docker Engine " << version->version << " (API "
              << version->api_version << ") at " << endpoint;
  } else {
    LOG(WARNING) << "Docker Engine at " << endpoint
                 << " is not reachable yet: " << version.status()
                 << "; serving anyway, Status reports RuntimeReady=false";
  }
}

bool IsLoopbackUrl(const std::string& url) {
  return absl::StartsWith(url, "http://127.") ||
         absl::StartsWith(url, "http://[::1]");
}

// Blocks until SIGTERM or SIGINT (already blocked in every thread).
int WaitForStopSignal(const sigset_t& stop_signals) {
  int sig = 0;
  while (sigwait(&stop_signals, &sig) != 0) {
  }
  return sig;
}

int Run(int argc, char** argv) {
  absl::StatusOr<Flags> parsed =
      ParseFlags(std::vector<std::string>(argv + 1, argv + argc));
  if (!parsed.ok()) return Fail(2, std::string(parsed.status().message()));
  const Flags& flags = *parsed;
  if (flags.help) {
    std::fputs(Usage().c_str(), stdout);
    return 0;
  }
  if (flags.version) {
    std::printf("cri-dockerd %s (%s)\n", kVersion, kGitDescribe);
    return 0;
  }
  if (flags.buildinfo) {
    std::printf(
        "Program:    cri-dockerd\nVersion:    %s\nGitCommit:  %s\n"
        "Compiler:   %s\nBuildType:  %s\nCRI:        runtime.v1 (cri-api "
        "v0.36)\n",
        kVersion, kGitDescribe, kCompiler, kBuildType);
    return 0;
  }
  LogSeverity severity = LogSeverity::kInfo;
  ParseLogLevel(flags.log_level, &severity);
  SetMinLogSeverity(severity);
  for (const std::string& warning : InertFlagWarnings(flags)) {
    LOG(WARNING) << warning;
  }
  // Test-only; read once, here.
  const char* crash_at = getenv(kCrashAtEnv);
  absl::StatusOr<FaultPoint> fault = CrashAt(crash_at ? crash_at : "");
  if (!fault.ok()) return Fail(2, std::string(fault.status().message()));

  // Handle stop signals synchronously; threads created later inherit the
  // mask. A peer closing a socket must not kill the daemon.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  // Metrics are collected only when they are served. Declared before
  // everything that reports to them, so destroyed after.
  metrics::Registry registry;
  std::unique_ptr<DaemonMetrics> daemon_metrics;
  if (!flags.metrics_bind_addr.empty()) {
    daemon_metrics = std::make_unique<DaemonMetrics>(&registry);
  }

  auto docker = docker::CurlDockerClient::Create(flags.docker_endpoint);
  if (!docker.ok()) return Fail(2, std::string(docker.status().message()));
  auto network =
      network::CreateNetworkPlugin(MakeNetworkSettings(flags, *fault));
  if (!network.ok()) return Fail(2, std::string(network.status().message()));

  if (daemon_metrics) {
    (*docker)->SetHttpObserver(
        [m = daemon_metrics.get()](const docker::HttpExchange& e) {
          m->OnDockerRequest(docker::OperationName(e.method, e.path), e.status,
                             e.duration);
        });
  }

  LOG(INFO) << "starting cri-dockerd " << kVersion << " (" << kGitDescribe
            << "), docker " << flags.docker_endpoint << ", network plugin "
            << (*network)->Name();
  ProbeDocker(docker->get(), flags.docker_endpoint);
  // Everything below reaches the engine through the guard: calls in flight
  // capped, and failing at once while the engine does not answer.
  docker::EngineGuardOptions guard_options;
  guard_options.engine = flags.docker_endpoint;
  docker::GuardedDockerClient engine(docker->get(), guard_options);
  if (absl::Status s = engine.StartProber(); !s.ok()) {
    return Fail(1, std::string(s.message()));
  }

  std::unique_ptr<RuntimeCgroupManager> runtime_cgroups;
  if (!flags.runtime_cgroups.empty()) {
    RuntimeCgroupSettings settings;
    settings.cgroup = flags.runtime_cgroups;
    if (auto endpoint = docker::ParseEndpoint(flags.docker_endpoint);
        endpoint.ok() && endpoint->kind == docker::Endpoint::Kind::kUnix) {
      settings.docker_socket = endpoint->address;
    }
    runtime_cgroups = std::make_unique<RuntimeCgroupManager>(settings);
    // Like the Go shim: a cgroup problem is logged, the CRI still served.
    if (absl::Status s = runtime_cgroups->Start(); !s.ok()) {
      LOG(ERROR) << "--runtime-cgroups " << flags.runtime_cgroups << ": " << s;
    }
  }

  ImageService images(&engine, MakeRuntimeOptions(flags, *fault),
                      image::RegistryCredentials::LoadFromDisk(
                          image::RegistryCredentials::DefaultSearchDirs()));
  store::CheckpointStore checkpoints(flags.cri_dockerd_root_directory);
  logs::LogManagerOptions log_options;
  // Docker's json-file logs are on this machine when docker is.
  if (auto endpoint = docker::ParseEndpoint(flags.docker_endpoint);
      endpoint.ok() && endpoint->kind == docker::Endpoint::Kind::kUnix) {
    log_options.tail_local_files = true;
  }
  logs::ContainerLogManager container_logs(&engine, log_options);
  RuntimeService runtime(&engine, network->get(), &images, &checkpoints,
                         MakeRuntimeOptions(flags, *fault), &container_logs);
  // Until every container's copy resumed, however long docker is busy;
  // destroyed before `runtime`.
  std::set<std::string> resumed_log_copies;
  auto resume_log_copies = logs::BackgroundRetry::Start(
      "resuming container log copies",
      [&runtime, &resumed_log_copies](absl::Time deadline) {
        return runtime.ResumeLogCopies(CallContext::WithDeadline(deadline),
                                       &resumed_log_copies);
      });
  if (!resume_log_copies.ok()) {
    return Fail(1, std::string(resume_log_copies.status().message()));
  }
  // One docker event watch from now on: GetContainerEvents and the
  // container view that answers kubelet's List/Status polls follow it.
  if (absl::Status s = runtime.StartDockerWatch(); !s.ok()) {
    return Fail(1, absl::StrCat("watching docker events: ", s.message()));
  }
  DockerStreamingRuntime streaming_runtime(&engine);
  streaming::StreamingServerOptions streaming_options;
  streaming_options.bind_address = flags.streaming_bind_addr;
  streaming_options.idle_timeout = flags.streaming_connection_idle_timeout;
  auto streaming =
      streaming::StreamingServer::Start(streaming_options, &streaming_runtime);
  if (!streaming.ok()) {
    return Fail(1, std::string(streaming.status().message()));
  }
  runtime.SetStreamingServer(streaming->get());
  LOG(INFO) << "streaming server (exec, attach, port-forward) on "
            << (*streaming)->base_url();
  if (!IsLoopbackUrl((*streaming)->base_url()) ||
      absl::StartsWith(flags.streaming_bind_addr, ":") ||
      absl::StartsWith(flags.streaming_bind_addr, "0.0.0.0") ||
      absl::StartsWith(flags.streaming_bind_addr, "[::]")) {
    LOG(WARNING) << "--streaming-bind-addr " << flags.streaming_bind_addr
                 << " is reachable from the network: anyone who gets an "
                    "exec URL can use it within a minute";
  }
  // Destroyed after the gRPC server (which waits for the calls on them)
  // and before the services the calls use.
  CallLanes lanes;
  std::unique_ptr<v1::RuntimeService::Service> runtime_grpc =
      NewRuntimeServiceGrpc(&runtime, &lanes, daemon_metrics.get());
  std::unique_ptr<v1::ImageService::Service> image_grpc =
      NewImageServiceGrpc(&images, &lanes, daemon_metrics.get());

  auto listener = Listener::Open(flags.container_runtime_endpoint);
  if (!listener.ok()) return Fail(1, std::string(listener.status().message()));
  auto server = GrpcServer::Start(std::move(*listener),
                                  {runtime_grpc.get(), image_grpc.get()});
  if (!server.ok()) return Fail(1, std::string(server.status().message()));
  LOG(INFO) << "serving the CRI on " << flags.container_runtime_endpoint;

  std::unique_ptr<metrics::MetricsHttpServer> metrics_server;
  if (!flags.metrics_bind_addr.empty()) {
    // Checked by ParseFlags already.
    auto addr = metrics::ParseBindAddress(flags.metrics_bind_addr);
    absl::Status status = addr.status();
    if (addr.ok()) {
      auto started = metrics::MetricsHttpServer::Start(
          *addr, [&registry] { return registry.Render(); });
      status = started.status();
      if (started.ok()) metrics_server = std::move(*started);
    }
    if (!status.ok()) {
      (*server)->Shutdown(kShutdownGrace);
      return Fail(
          1, absl::StrCat("--metrics-bind-addr ", flags.metrics_bind_addr, ": ",
                          status.message()));
    }
    LOG(INFO) << "serving metrics on http://" << flags.metrics_bind_addr
              << "/metrics";
    if (!metrics::IsLoopback(*addr)) {
      LOG(WARNING) << "--metrics-bind-addr " << flags.metrics_bind_addr
                   << " is reachable from the network: the metrics name "
                      "every pod and container on this node";
    }
  }
  daemon::Notify("READY=1");

  const int sig = WaitForStopSignal(stop_signals);
  LOG(INFO) << "received " << strsignal(sig) << ", shutting down";
  daemon::Notify("STOPPING=1");
  // Event streams never end by themselves: end them before draining.
  runtime.StopContainerEvents();
  (*server)->Shutdown(kShutdownGrace);
  (*streaming)->Stop();
  if (metrics_server) metrics_server->Stop();
  LOG(INFO) << "stopped";
  return 0;
}

}  // namespace
}  // namespace cri_dockerd

int main(int argc, char** argv) {
  // Two malloc arenas, not glibc's eight per core: the daemon's threads
  // are few and mostly idle, and memory freed into one thread's arena is
  // out of the others' reach, which grows RSS for nothing. Before any
  // thread exists.
  mallopt(M_ARENA_MAX, 2);
  // Debian's Abseil is built with its debug-mode deadlock detection on:
  // every lock then updates a global lock-order graph (four times the
  // cost of a lock pair, measured). The tests keep it; the daemon does
  // not pay for it on every call.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return cri_dockerd::Run(argc, argv);
}
