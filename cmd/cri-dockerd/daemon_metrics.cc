#include "cmd/cri-dockerd/daemon_metrics.h"

#include <charconv>
#include <iterator>
#include <string>
#include <vector>

#include "common/metrics/process_metrics.h"

namespace cri_dockerd {
namespace {

// From 0.5 ms (a cached List) to 2 min (a large image pull).
std::vector<double> LatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
          0.5,    1,     2.5,    5,     10,   30,    60,   120};
}

}  // namespace

absl::string_view GrpcCodeName(absl::StatusCode code) {
  static constexpr absl::string_view kNames[] = {"OK",
                                                 "Canceled",
                                                 "Unknown",
                                                 "InvalidArgument",
                                                 "DeadlineExceeded",
                                                 "NotFound",
                                                 "AlreadyExists",
                                                 "PermissionDenied",
                                                 "ResourceExhausted",
                                                 "FailedPrecondition",
                                                 "Aborted",
                                                 "OutOfRange",
                                                 "Unimplemented",
                                                 "Internal",
                                                 "Unavailable",
                                                 "DataLoss",
                                                 "Unauthenticated"};
  const int i = static_cast<int>(code);
  if (i < 0 || i >= static_cast<int>(std::size(kNames))) return "Unknown";
  return kNames[i];
}

DaemonMetrics::DaemonMetrics(metrics::Registry* registry)
    : grpc_requests_(registry->AddCounter(
          "cri_dockerd_grpc_requests_total",
          "CRI calls handled, by RPC name and gRPC status code.",
          {"method", "code"})),
      grpc_duration_(
          registry->AddHistogram("cri_dockerd_grpc_request_duration_seconds",
                                 "Time taken to handle CRI calls, by RPC name.",
                                 {"method"}, LatencyBuckets())),
      docker_requests_(registry->AddCounter(
          "cri_dockerd_docker_requests_total",
          "Docker Engine API requests, by operation and HTTP status code "
          "(\"error\" when no reply came).",
          {"operation", "code"})),
      docker_duration_(registry->AddHistogram(
          "cri_dockerd_docker_request_duration_seconds",
          "Time taken by Docker Engine API requests, by operation.",
          {"operation"}, LatencyBuckets())) {
  registry->AddCollector(metrics::ProcessCollector());
}

void DaemonMetrics::OnRpcDone(absl::string_view method, absl::StatusCode code,
                              absl::Duration took) {
  grpc_requests_->WithLabels({method, GrpcCodeName(code)})->Increment();
  grpc_duration_->WithLabels({method})->Observe(absl::ToDoubleSeconds(took));
}

void DaemonMetrics::OnDockerRequest(absl::string_view operation,
                                    int http_status, absl::Duration took) {
  char buf[16];
  absl::string_view code = "error";
  if (http_status > 0) {
    const auto end = std::to_chars(buf, buf + sizeof buf, http_status).ptr;
    code = absl::string_view(buf, static_cast<size_t>(end - buf));
  }
  docker_requests_->WithLabels({operation, code})->Increment();
  docker_duration_->WithLabels({operation})
      ->Observe(absl::ToDoubleSeconds(took));
}

}  // namespace cri_dockerd
