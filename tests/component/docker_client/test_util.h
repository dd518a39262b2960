// Shared helpers for the docker_client component tests: golden files
// (tests/docker_testdata.h), deadlines, and a fixture that connects a
// CurlDockerClient to a fake engine speaking a given API version.
#pragma once

#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "docker_client/curl_docker_client.h"
#include "gtest/gtest.h"
#include "tests/component/fake_docker_server.h"
#include "tests/docker_testdata.h"

namespace cri_dockerd::docker {

// A deadline `d` from now.
inline absl::Time In(absl::Duration d) { return absl::Now() + d; }

// A fake engine plus a client that has already negotiated with it, and
// an empty request record.
class NegotiatedClientTest : public ::testing::Test {
 protected:
  void SetUp() override { StartDaemon("1.41"); }

  void StartDaemon(const std::string& api) {
    absl::StatusOr<std::unique_ptr<FakeDockerServer>> server =
        FakeDockerServer::StartUnix();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    server_->SetDaemonVersion(api, "1.12");
    absl::StatusOr<std::unique_ptr<CurlDockerClient>> client =
        CurlDockerClient::Create(server_->endpoint());
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = std::move(*client);
    ASSERT_TRUE(client_->Version(In(absl::Seconds(5))).ok());
    server_->ClearRequests();
  }

  std::unique_ptr<FakeDockerServer> server_;
  std::unique_ptr<CurlDockerClient> client_;
};

}  // namespace cri_dockerd::docker
