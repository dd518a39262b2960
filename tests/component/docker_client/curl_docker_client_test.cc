// CurlDockerClient against the fake Docker server: ping, decode, API
// version negotiation, deadlines, broken replies, docker errors and
// concurrency.
#include "docker_client/curl_docker_client.h"

#include <atomic>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "docker_client/api_version.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/component/docker_client/test_util.h"
#include "tests/component/fake_docker_server.h"

namespace cri_dockerd::docker {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class CurlDockerClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<FakeDockerServer>> server =
        FakeDockerServer::StartUnix();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    client_ = NewClient();
  }

  std::unique_ptr<CurlDockerClient> NewClient() {
    absl::StatusOr<std::unique_ptr<CurlDockerClient>> client =
        CurlDockerClient::Create(server_->endpoint());
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? std::move(*client) : nullptr;
  }

  std::unique_ptr<FakeDockerServer> server_;
  std::unique_ptr<CurlDockerClient> client_;
};

TEST(CompareApiVersionsTest, Numeric) {
  EXPECT_LT(CompareApiVersions("1.9", "1.41"), 0);
  EXPECT_GT(CompareApiVersions("1.41", "1.9"), 0);
  EXPECT_EQ(CompareApiVersions("1.41", "1.41"), 0);
  EXPECT_LT(CompareApiVersions("1.51", "2.0"), 0);
  EXPECT_LT(CompareApiVersions("", "1.0"), 0);
  EXPECT_LT(CompareApiVersions("x.y", "1.0"), 0);
  EXPECT_EQ(CompareApiVersions("bogus", ""), 0);
}

TEST(ChooseApiVersionTest, Table) {
  struct Case {
    std::string api, min, want;  // want "" means FailedPrecondition
  } cases[] = {
      {"1.41", "1.12", "1.41"}, {"1.43", "1.12", "1.43"},
      {"1.50", "1.24", "1.50"}, {"1.51", "1.24", "1.51"},
      {"1.52", "1.24", "1.51"}, {"2.0", "1.24", "1.51"},
      {"1.40", "1.12", ""},     {"1.9", "1.0", ""},
      {"1.60", "1.52", ""},     {"", "", ""},
      {"1.41", "", "1.41"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.api + " min " + c.min);
    VersionInfo v;
    v.api_version = c.api;
    v.min_api_version = c.min;
    absl::StatusOr<std::string> got = ChooseApiVersion(v);
    if (c.want.empty()) {
      EXPECT_EQ(got.status().code(), absl::StatusCode::kFailedPrecondition);
    } else {
      ASSERT_TRUE(got.ok()) << got.status();
      EXPECT_EQ(*got, c.want);
    }
  }
}

TEST(CurlDockerClientCreateTest, RejectsBadEndpointsWithoutConnecting) {
  EXPECT_EQ(CurlDockerClient::Create("npipe:////./pipe/docker").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(CurlDockerClient::Create("unix:///nonexistent.sock").ok());
}

TEST_F(CurlDockerClientTest, PingOk) {
  server_->SetDaemonVersion("1.41", "1.12");
  EXPECT_TRUE(client_->Ping(In(absl::Seconds(5))).ok());
  EXPECT_THAT(server_->Paths(), ElementsAre("/_ping"));
  EXPECT_EQ(client_->NegotiatedApiVersion(), "");
}

TEST_F(CurlDockerClientTest, PingFailureKeepsDockersMessage) {
  server_->SetResponse("GET", "/_ping",
                       {.status = 500, .body = "{\"message\":\"sick\"}"});
  absl::Status s = client_->Ping(In(absl::Seconds(5)));
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(s.message(), "GET /_ping: sick");
}

TEST_F(CurlDockerClientTest, VersionAndInfoFromDocker2010Goldens) {
  server_->SetResponse("GET", "/version",
                       {.body = ReadTestdata("version_20.10.json")});
  server_->SetResponse("GET", "/v1.41/info",
                       {.body = ReadTestdata("info_20.10.json")});
  absl::StatusOr<VersionInfo> v = client_->Version(In(absl::Seconds(5)));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->version, "20.10.24+dfsg1");
  EXPECT_EQ(v->api_version, "1.41");
  // Version() doubles as negotiation.
  EXPECT_EQ(client_->NegotiatedApiVersion(), "1.41");
  absl::StatusOr<SystemInfo> info = client_->Info(In(absl::Seconds(5)));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->cgroup_driver, "cgroupfs");
  EXPECT_EQ(info->default_runtime, "runc");
  EXPECT_THAT(info->runtimes, Contains("runc"));
  EXPECT_THAT(server_->Paths(), ElementsAre("/version", "/v1.41/info"));
}

TEST_F(CurlDockerClientTest, Docker28GoldenNegotiates150) {
  server_->SetResponse("GET", "/version",
                       {.body = ReadTestdata("version_28.json")});
  server_->SetResponse("GET", "/v1.50/info",
                       {.body = ReadTestdata("info_28.json")});
  absl::StatusOr<SystemInfo> info = client_->Info(In(absl::Seconds(5)));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->cgroup_driver, "systemd");
  EXPECT_EQ(client_->NegotiatedApiVersion(), "1.50");
  EXPECT_THAT(server_->Paths(), ElementsAre("/version", "/v1.50/info"));
}

TEST_F(CurlDockerClientTest, NegotiatesLazilyOnce) {
  server_->SetDaemonVersion("1.41", "1.12");
  server_->SetResponse("GET", "/info", {.body = "{\"Name\":\"n\"}"});
  EXPECT_EQ(client_->NegotiatedApiVersion(), "");
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<SystemInfo> info = client_->Info(In(absl::Seconds(5)));
    ASSERT_TRUE(info.ok()) << info.status();
    EXPECT_EQ(info->name, "n");
  }
  EXPECT_THAT(server_->Paths(), ElementsAre("/version", "/v1.41/info",
                                            "/v1.41/info", "/v1.41/info"));
}

TEST_F(CurlDockerClientTest, NegotiationTable) {
  struct Case {
    std::string api, min, want_prefix;  // "" means FailedPrecondition
  } cases[] = {
      {"1.41", "1.12", "/v1.41/"}, {"1.50", "1.24", "/v1.50/"},
      {"1.52", "1.24", "/v1.51/"}, {"1.40", "1.12", ""},
      {"1.60", "1.55", ""},
  };
  server_->SetResponse("GET", "/info", {.body = "{}"});
  for (const Case& c : cases) {
    SCOPED_TRACE(c.api);
    server_->SetDaemonVersion(c.api, c.min);
    server_->ClearRequests();
    std::unique_ptr<CurlDockerClient> client = NewClient();
    absl::StatusOr<SystemInfo> info = client->Info(In(absl::Seconds(5)));
    if (c.want_prefix.empty()) {
      ASSERT_FALSE(info.ok());
      EXPECT_EQ(info.status().code(), absl::StatusCode::kFailedPrecondition)
          << info.status();
      EXPECT_EQ(client->NegotiatedApiVersion(), "");
      EXPECT_THAT(server_->Paths(), ElementsAre("/version"));
      // Version() still reports what the daemon is.
      absl::StatusOr<VersionInfo> v = client->Version(In(absl::Seconds(5)));
      ASSERT_TRUE(v.ok()) << v.status();
      EXPECT_EQ(v->api_version, c.api);
    } else {
      ASSERT_TRUE(info.ok()) << info.status();
      EXPECT_THAT(server_->Paths(),
                  ElementsAre("/version", c.want_prefix + "info"));
    }
  }
}

TEST_F(CurlDockerClientTest, TooOldDaemonIsExplained) {
  server_->SetDaemonVersion("1.40", "1.12");
  absl::Status s = client_->Info(In(absl::Seconds(5))).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("Docker Engine API 1.40 is older than "
                                     "the 1.41 (Docker 20.10) this shim "
                                     "needs"));
  server_->SetDaemonVersion("1.60", "1.55");
  s = client_->Info(In(absl::Seconds(5))).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("1.55"));
  EXPECT_THAT(s.message(), HasSubstr("at most 1.51"));
}

TEST_F(CurlDockerClientTest, RenegotiatesAfterDaemonWentAway) {
  server_->SetDaemonVersion("1.41", "1.12");
  server_->SetResponse("GET", "/info", {.body = "{}"});
  ASSERT_TRUE(client_->Info(In(absl::Seconds(5))).ok());
  EXPECT_EQ(client_->NegotiatedApiVersion(), "1.41");

  server_->Crash();  // socket file left behind: connection refused
  absl::StatusOr<SystemInfo> down = client_->Info(In(absl::Seconds(5)));
  EXPECT_EQ(down.status().code(), absl::StatusCode::kUnavailable)
      << down.status();
  EXPECT_THAT(down.status().message(), HasSubstr("connection refused"));
  EXPECT_EQ(client_->NegotiatedApiVersion(), "");

  server_->SetDaemonVersion("1.50", "1.24");  // comes back upgraded
  ASSERT_TRUE(server_->Restart().ok());
  server_->ClearRequests();
  ASSERT_TRUE(client_->Info(In(absl::Seconds(5))).ok());
  EXPECT_EQ(client_->NegotiatedApiVersion(), "1.50");
  EXPECT_THAT(server_->Paths(), ElementsAre("/version", "/v1.50/info"));
}

TEST_F(CurlDockerClientTest, RenegotiatesWhenRestartedDaemonRejectsVersion) {
  // The daemon is swapped between two calls, unnoticed: the next call hits
  // the new (older) daemon with the old version, gets 400 "too new" with a
  // different Api-Version header, renegotiates and retries once.
  server_->SetDaemonVersion("1.50", "1.24");
  server_->SetResponse("GET", "/info", {.body = "{\"Name\":\"n\"}"});
  ASSERT_TRUE(client_->Info(In(absl::Seconds(5))).ok());
  EXPECT_EQ(client_->NegotiatedApiVersion(), "1.50");
  server_->SetDaemonVersion("1.41", "1.12");  // downgraded
  ASSERT_TRUE(server_->Restart().ok());
  server_->ClearRequests();
  absl::StatusOr<SystemInfo> info = client_->Info(In(absl::Seconds(5)));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->name, "n");
  EXPECT_EQ(client_->NegotiatedApiVersion(), "1.41");
  EXPECT_THAT(server_->Paths(),
              ElementsAre("/v1.50/info", "/version", "/v1.41/info"));
}

TEST_F(CurlDockerClientTest, ApiVersionHeaderChangeTriggersRenegotiation) {
  // Upgraded daemon that still accepts the old version: the Api-Version
  // header tells, and the next call renegotiates.
  server_->SetDaemonVersion("1.41", "1.12");
  server_->SetResponse("GET", "/info", {.body = "{}"});
  ASSERT_TRUE(client_->Info(In(absl::Seconds(5))).ok());
  server_->SetDaemonVersion("1.50", "1.24");
  ASSERT_TRUE(server_->Restart().ok());
  server_->ClearRequests();
  ASSERT_TRUE(client_->Info(In(absl::Seconds(5))).ok());
  EXPECT_EQ(client_->NegotiatedApiVersion(), "");
  ASSERT_TRUE(client_->Info(In(absl::Seconds(5))).ok());
  EXPECT_EQ(client_->NegotiatedApiVersion(), "1.50");
  EXPECT_THAT(server_->Paths(),
              ElementsAre("/v1.41/info", "/version", "/v1.50/info"));
}

TEST_F(CurlDockerClientTest, SlowReplyIsDeadlineExceededOnTime) {
  server_->SetDaemonVersion("1.41", "1.12");
  server_->SetResponse("GET", "/info",
                       {.body = "{}", .delay = absl::Seconds(60)});
  const absl::Time start = absl::Now();
  absl::StatusOr<SystemInfo> info =
      client_->Info(start + absl::Milliseconds(300));
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(info.status().code(), absl::StatusCode::kDeadlineExceeded)
      << info.status();
  EXPECT_LT(took, absl::Seconds(10)) << "waited for the 60 s reply";
  // The slow call does not poison the next one.
  server_->SetResponse("GET", "/info", {.body = "{}"});
  EXPECT_TRUE(client_->Info(In(absl::Seconds(5))).ok());
}

TEST_F(CurlDockerClientTest, SilentServerIsDeadlineExceeded) {
  server_->SetResponse("GET", "/_ping", {.never_answer = true});
  server_->SetResponse("GET", "/version", {.never_answer = true});
  const absl::Time start = absl::Now();
  EXPECT_EQ(client_->Ping(start + absl::Milliseconds(200)).code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(client_->Info(In(absl::Milliseconds(200))).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  // Two 200 ms deadlines, not a wait for a reply that never comes.
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

TEST_F(CurlDockerClientTest, TruncatedJsonIsAnErrorNotACrash) {
  const std::string golden = ReadTestdata("info_20.10.json");
  server_->SetDaemonVersion("1.41", "1.12");
  // Connection closes mid-body.
  FakeResponse cut{.body = golden};
  cut.close_after_bytes = 300;
  server_->SetResponse("GET", "/info", cut);
  EXPECT_EQ(client_->Info(In(absl::Seconds(5))).status().code(),
            absl::StatusCode::kUnavailable);
  // A complete HTTP reply whose JSON is cut short.
  server_->SetResponse("GET", "/info", {.body = golden.substr(0, 500)});
  absl::StatusOr<SystemInfo> info = client_->Info(In(absl::Seconds(5)));
  EXPECT_EQ(info.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(info.status().message(),
              HasSubstr("malformed reply from docker for GET /info"));
}

TEST_F(CurlDockerClientTest, WrongTypedFieldsAreTolerated) {
  server_->SetDaemonVersion("1.41", "1.12");
  server_->SetResponse(
      "GET", "/info",
      {.body = R"({"Runtimes": 5, "NCPU": "x", "CgroupDriver": "systemd"})"});
  absl::StatusOr<SystemInfo> info = client_->Info(In(absl::Seconds(5)));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_TRUE(info->runtimes.empty());
  EXPECT_EQ(info->ncpu, 0);
  EXPECT_EQ(info->cgroup_driver, "systemd");
}

TEST_F(CurlDockerClientTest, VersionWithoutUsableApiVersionCannotNegotiate) {
  server_->SetResponse("GET", "/version", {.body = R"({"ApiVersion": 1.41})"});
  absl::Status s = client_->Info(In(absl::Seconds(5))).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("no usable API version"));
  server_->SetResponse("GET", "/version", {.body = "[]"});
  s = client_->Info(In(absl::Seconds(5))).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
}

TEST_F(CurlDockerClientTest, DockerErrorsKeepCodeAndMessage) {
  server_->SetDaemonVersion("1.41", "1.12");
  struct Case {
    int status;
    std::string message;
    absl::StatusCode code;
  } cases[] = {
      {404, "page not found", absl::StatusCode::kNotFound},
      {409, "name is already in use", absl::StatusCode::kAlreadyExists},
      {409, "container is not running", absl::StatusCode::kFailedPrecondition},
      {500, "oops", absl::StatusCode::kInternal},
  };
  for (const Case& c : cases) {
    server_->SetResponse(
        "GET", "/info",
        {.status = c.status, .body = "{\"message\":\"" + c.message + "\"}"});
    absl::StatusOr<SystemInfo> info = client_->Info(In(absl::Seconds(5)));
    EXPECT_EQ(info.status().code(), c.code) << info.status();
    EXPECT_EQ(info.status().message(), "GET /info: " + c.message);
  }
  server_->SetResponse("GET", "/version", {.status = 500, .body = "down"});
  EXPECT_EQ(client_->Version(In(absl::Seconds(5))).status().message(),
            "GET /version: down");
}

TEST(CurlDockerClientUnreachableTest, MissingSocketIsUnavailable) {
  absl::StatusOr<std::unique_ptr<CurlDockerClient>> client =
      CurlDockerClient::Create("unix:///nonexistent/crid/docker.sock");
  ASSERT_TRUE(client.ok());
  absl::Status ping = (*client)->Ping(In(absl::Seconds(5)));
  EXPECT_EQ(ping.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(ping.message(),
              HasSubstr("unix:///nonexistent/crid/docker.sock"));
  EXPECT_THAT(ping.message(), HasSubstr("is the docker daemon running?"));
  EXPECT_EQ((*client)->Info(In(absl::Seconds(5))).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ((*client)->Version(In(absl::Seconds(5))).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(CurlDockerClientTest, ConcurrentCallsFromEightThreads) {
  server_->SetDaemonVersion("1.41", "1.12");
  server_->SetResponse("GET", "/info",
                       {.body = ReadTestdata("info_20.10.json")});
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 40; ++i) {
        absl::StatusOr<SystemInfo> info = client_->Info(In(absl::Seconds(10)));
        if (!info.ok() || info->ncpu != 2) ++failures;
        if (!client_->Ping(In(absl::Seconds(10))).ok()) ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(client_->NegotiatedApiVersion(), "1.41");
  EXPECT_GE(server_->Requests().size(), 8u * 40u * 2u);
}

TEST(CurlDockerClientTcpTest, WorksOverLoopbackTcp) {
  absl::StatusOr<std::unique_ptr<FakeDockerServer>> server =
      FakeDockerServer::StartTcp();
  ASSERT_TRUE(server.ok()) << server.status();
  (*server)->SetDaemonVersion("1.43", "1.12");
  (*server)->SetResponse("GET", "/info", {.body = "{\"NCPU\":4}"});
  absl::StatusOr<std::unique_ptr<CurlDockerClient>> client =
      CurlDockerClient::Create((*server)->endpoint());
  ASSERT_TRUE(client.ok()) << client.status();
  absl::StatusOr<SystemInfo> info = (*client)->Info(In(absl::Seconds(5)));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->ncpu, 4);
  EXPECT_EQ((*client)->NegotiatedApiVersion(), "1.43");
}

}  // namespace
}  // namespace cri_dockerd::docker
