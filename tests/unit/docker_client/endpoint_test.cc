// ParseEndpoint: the --docker-endpoint forms we accept and reject.
#include "docker_client/endpoint.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cri_dockerd::docker {
namespace {

using ::testing::HasSubstr;

struct GoodCase {
  std::string text;
  Endpoint::Kind kind;
  std::string address;
  std::string canonical;
};

TEST(ParseEndpointTest, AcceptsUnixTcpAndHttp) {
  const GoodCase cases[] = {
      {"unix:///var/run/docker.sock", Endpoint::Kind::kUnix,
       "/var/run/docker.sock", "unix:///var/run/docker.sock"},
      {"unix:///run/user/1000/docker.sock", Endpoint::Kind::kUnix,
       "/run/user/1000/docker.sock", "unix:///run/user/1000/docker.sock"},
      {"tcp://127.0.0.1:2375", Endpoint::Kind::kTcp, "127.0.0.1:2375",
       "tcp://127.0.0.1:2375"},
      {"tcp://localhost:2375/", Endpoint::Kind::kTcp, "localhost:2375",
       "tcp://localhost:2375"},
      {"http://docker.internal:2375", Endpoint::Kind::kTcp,
       "docker.internal:2375", "tcp://docker.internal:2375"},
      {"tcp://[::1]:2375", Endpoint::Kind::kTcp, "[::1]:2375",
       "tcp://[::1]:2375"},
  };
  for (const GoodCase& c : cases) {
    SCOPED_TRACE(c.text);
    absl::StatusOr<Endpoint> ep = ParseEndpoint(c.text);
    ASSERT_TRUE(ep.ok()) << ep.status();
    EXPECT_EQ(ep->kind, c.kind);
    EXPECT_EQ(ep->address, c.address);
    EXPECT_EQ(ep->ToString(), c.canonical);
  }
}

TEST(ParseEndpointTest, RejectsEverythingElseNamingTheValue) {
  const std::string cases[] = {
      "",
      "npipe:////./pipe/docker_engine",
      "unix://var/run/docker.sock",  // relative
      "unix://",
      "/var/run/docker.sock",  // no scheme
      "tcp://127.0.0.1",       // missing port
      "tcp://127.0.0.1:",
      "tcp://:2375",
      "tcp://host:abc",
      "tcp://host:0",
      "tcp://host:65536",
      "tcp://host:2375/v1.41",
      "tcp://::1:2375",  // IPv6 without brackets
      "https://host:2376",
      "fd://",
  };
  for (const std::string& text : cases) {
    SCOPED_TRACE(text);
    absl::StatusOr<Endpoint> ep = ParseEndpoint(text);
    ASSERT_FALSE(ep.ok());
    EXPECT_EQ(ep.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(ep.status().message(), HasSubstr("\"" + text + "\""));
    EXPECT_THAT(ep.status().message(), HasSubstr("unix:///"));
    EXPECT_THAT(ep.status().message(), HasSubstr("tcp://host:port"));
  }
}

}  // namespace
}  // namespace cri_dockerd::docker
