// DaemonMetrics: what the CRI and docker observers put in the exposition.
#include "cmd/cri-dockerd/daemon_metrics.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace cri_dockerd {
namespace {

TEST(DaemonMetricsTest, CountsRpcsByMethodAndGoCodeName) {
  metrics::Registry registry;
  DaemonMetrics m(&registry);
  m.OnRpcDone("Version", absl::StatusCode::kOk, absl::Microseconds(300));
  m.OnRpcDone("Version", absl::StatusCode::kOk, absl::Milliseconds(2));
  m.OnRpcDone("ContainerStatus", absl::StatusCode::kNotFound,
              absl::Milliseconds(1));
  const std::string text = registry.Render();
  EXPECT_TRUE(absl::StrContains(
      text,
      "cri_dockerd_grpc_requests_total{method=\"Version\",code=\"OK\"} "
      "2\n"))
      << text;
  EXPECT_TRUE(absl::StrContains(
      text,
      "cri_dockerd_grpc_requests_total{method=\"ContainerStatus\","
      "code=\"NotFound\"} 1\n"));
  EXPECT_TRUE(absl::StrContains(
      text,
      "cri_dockerd_grpc_request_duration_seconds_bucket{method=\"Version\","
      "le=\"0.0005\"} 1\n"));
  EXPECT_TRUE(absl::StrContains(
      text,
      "cri_dockerd_grpc_request_duration_seconds_count{method=\"Version\"} "
      "2\n"));
  EXPECT_TRUE(absl::StrContains(text,
                                "# TYPE process_resident_memory_bytes "
                                "gauge\n"));
}

TEST(DaemonMetricsTest, CountsDockerRequestsByStatusOrError) {
  metrics::Registry registry;
  DaemonMetrics m(&registry);
  m.OnDockerRequest("GET /containers/{id}/json", 404, absl::Milliseconds(1));
  m.OnDockerRequest("GET /_ping", 0, absl::Seconds(1));
  const std::string text = registry.Render();
  EXPECT_TRUE(
      absl::StrContains(text,
                        "cri_dockerd_docker_requests_total{operation=\"GET "
                        "/containers/{id}/json\",code=\"404\"} 1\n"))
      << text;
  EXPECT_TRUE(absl::StrContains(
      text,
      "cri_dockerd_docker_requests_total{operation=\"GET /_ping\","
      "code=\"error\"} 1\n"));
  EXPECT_TRUE(absl::StrContains(
      text,
      "cri_dockerd_docker_request_duration_seconds_sum{operation=\"GET "
      "/_ping\"} 1\n"));
}

TEST(DaemonMetricsTest, GrpcCodeNames) {
  EXPECT_EQ(GrpcCodeName(absl::StatusCode::kOk), "OK");
  EXPECT_EQ(GrpcCodeName(absl::StatusCode::kCancelled), "Canceled");
  EXPECT_EQ(GrpcCodeName(absl::StatusCode::kUnauthenticated),
            "Unauthenticated");
  EXPECT_EQ(GrpcCodeName(static_cast<absl::StatusCode>(99)), "Unknown");
}

}  // namespace
}  // namespace cri_dockerd
