// The daemon's Prometheus metrics: CRI call counts and latencies, Docker
// Engine API call counts and latencies, and the process_* metrics. Fed by
// the gRPC boundary (as its RpcObserver) and by the docker client's
// transport (OnDockerRequest, from main.cc's observer).
#pragma once

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/metrics/registry.h"
#include "cri/base/rpc_observer.h"

namespace cri_dockerd {

// Families registered in `registry` at construction:
//   cri_dockerd_grpc_requests_total{method,code}           counter
//   cri_dockerd_grpc_request_duration_seconds{method}      histogram
//   cri_dockerd_docker_requests_total{operation,code}      counter
//   cri_dockerd_docker_request_duration_seconds{operation} histogram
//   process_* (see common/metrics/process_metrics.h)
// `code` is the gRPC code as Go spells it ("OK", "NotFound") for CRI
// calls, and docker's HTTP status ("200", "404") or "error" (no reply)
// for docker calls. Thread-safe.
class DaemonMetrics final : public RpcObserver {
 public:
  explicit DaemonMetrics(metrics::Registry* registry);

  void OnRpcDone(absl::string_view method, absl::StatusCode code,
                 absl::Duration took) override;

  // `operation` as docker::OperationName makes it ("GET /containers/{id}
  // /json"); `http_status` 0 when no reply came.
  void OnDockerRequest(absl::string_view operation, int http_status,
                       absl::Duration took);

 private:
  metrics::CounterFamily* const grpc_requests_;
  metrics::HistogramFamily* const grpc_duration_;
  metrics::CounterFamily* const docker_requests_;
  metrics::HistogramFamily* const docker_duration_;
};

// The gRPC code name the Go gRPC library prints ("NotFound").
absl::string_view GrpcCodeName(absl::StatusCode code);

}  // namespace cri_dockerd
