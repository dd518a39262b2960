// MapDockerError: HTTP status + docker's body -> absl::Status; the pull
// error classification (ClassifyPullError, MapPullHttpError).
#include "docker_client/errors.h"

#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cri_dockerd::docker {
namespace {

struct Case {
  int http_status;
  std::string body;
  absl::StatusCode code;
  std::string message;  // expected full status message
};

TEST(MapDockerErrorTest, ClassifiesByStatusAndKeepsDockersMessage) {
  const Case cases[] = {
      {200, "{}", absl::StatusCode::kOk, ""},
      {204, "", absl::StatusCode::kOk, ""},
      {404, "{\"message\":\"No such container: abc\"}\n",
       absl::StatusCode::kNotFound, "GET /x: No such container: abc"},
      {409,
       "{\"message\":\"Conflict. The container name \\\"/k8s_POD\\\" is "
       "already in use by container \\\"0123\\\". You have to remove (or "
       "rename) that container to be able to reuse that name.\"}",
       absl::StatusCode::kAlreadyExists,
       "GET /x: Conflict. The container name \"/k8s_POD\" is already in use "
       "by container \"0123\". You have to remove (or rename) that container "
       "to be able to reuse that name."},
      {409, "{\"message\":\"network with name kube already exists\"}",
       absl::StatusCode::kAlreadyExists,
       "GET /x: network with name kube already exists"},
      {409,
       "{\"message\":\"You cannot remove a running container 0123. Stop the "
       "container before attempting removal or force remove\"}",
       absl::StatusCode::kFailedPrecondition,
       "GET /x: You cannot remove a running container 0123. Stop the "
       "container before attempting removal or force remove"},
      {400, "{\"message\":\"invalid reference format\"}",
       absl::StatusCode::kInvalidArgument, "GET /x: invalid reference format"},
      {401, "{\"message\":\"unauthorized\"}",
       absl::StatusCode::kUnauthenticated, "GET /x: unauthorized"},
      {403, "{\"message\":\"authorization denied by plugin\"}",
       absl::StatusCode::kPermissionDenied,
       "GET /x: authorization denied by plugin"},
      {500, "{\"message\":\"driver failed programming external connectivity\"}",
       absl::StatusCode::kInternal,
       "GET /x: driver failed programming external connectivity"},
      {503, "  service unavailable \n", absl::StatusCode::kInternal,
       "GET /x: service unavailable"},
      {500, "", absl::StatusCode::kInternal, "GET /x: HTTP 500"},
      {502, "<html>bad gateway</html>", absl::StatusCode::kInternal,
       "GET /x: <html>bad gateway</html>"},
      {304, "", absl::StatusCode::kUnknown, "GET /x: HTTP 304"},
      {418, "{\"message\":5}", absl::StatusCode::kUnknown,
       "GET /x: {\"message\":5}"},
      {404, "[\"message\"]", absl::StatusCode::kNotFound,
       "GET /x: [\"message\"]"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(testing::Message() << c.http_status << " " << c.body);
    absl::Status s = MapDockerError(c.http_status, c.body, "GET /x");
    EXPECT_EQ(s.code(), c.code);
    EXPECT_EQ(s.message(), c.message);
  }
}

TEST(MapDockerErrorTest, CutsHugeBodies) {
  const std::string body(100000, 'x');
  absl::Status s = MapDockerError(500, body, "GET /x");
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_LT(s.message().size(), 2000u);
}

// dockerd 20.10's 409 replies for images in use (captured): a state
// conflict, never AlreadyExists.
TEST(MapDockerErrorTest, ImageInUseConflictsAreFailedPrecondition) {
  const char* const bodies[] = {
      "image_remove_409_reference.json",
      "image_remove_409_stopped.json",
      "image_remove_409_running.json",
  };
  for (const char* name : bodies) {
    SCOPED_TRACE(name);
    std::ifstream in(std::string(CRID_TESTDATA_DIR) + "/docker/" + name);
    std::stringstream body;
    body << in.rdbuf();
    ASSERT_FALSE(body.str().empty());
    absl::Status s = MapDockerError(409, body.str(), "DELETE /images/x");
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
    EXPECT_THAT(std::string(s.message()),
                ::testing::StartsWith("DELETE /images/x: "
                                      "conflict: unable to "));
  }
}

std::string Golden(const std::string& name) {
  std::ifstream in(std::string(CRID_TESTDATA_DIR) + "/docker/" + name);
  std::stringstream body;
  body << in.rdbuf();
  EXPECT_FALSE(body.str().empty()) << name;
  return body.str();
}

TEST(MapDockerErrorTest, ContainerConflictsFromDockerd2010) {
  EXPECT_EQ(MapDockerError(409, Golden("container_create_409_conflict.json"),
                           "POST /containers/create")
                .code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(MapDockerError(409, Golden("container_remove_409_running.json"),
                           "DELETE /containers/x")
                .code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(MapDockerError(409, Golden("container_remove_409_in_progress.json"),
                           "DELETE /containers/x")
                .code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(IsRemovalInProgressTest, OnlyDockersInProgressConflict) {
  EXPECT_TRUE(IsRemovalInProgress(
      409, Golden("container_remove_409_in_progress.json")));
  EXPECT_FALSE(
      IsRemovalInProgress(409, Golden("container_remove_409_running.json")));
  EXPECT_FALSE(IsRemovalInProgress(
      500, Golden("container_remove_409_in_progress.json")));
  EXPECT_FALSE(IsRemovalInProgress(409, ""));
}

TEST(ClassifyPullErrorTest, Table) {
  using absl::StatusCode;
  const struct {
    std::string message;
    StatusCode code;
  } cases[] = {
      // Seen from dockerd 20.10 (see tests/testdata/docker/pull_*).
      {"unauthorized", StatusCode::kUnauthenticated},
      {"denied", StatusCode::kUnauthenticated},
      {"manifest for localhost:5000/busybox:nosuchtag not found: manifest "
       "unknown: manifest unknown",
       StatusCode::kNotFound},
      {"Get \"http://127.0.0.1:5999/v2/\": dial tcp 127.0.0.1:5999: connect: "
       "connection refused",
       StatusCode::kUnavailable},
      {"Get \"https://nosuchhost.invalid/v2/\": dial tcp: lookup "
       "nosuchhost.invalid on 10.255.255.53:53: no such host",
       StatusCode::kUnavailable},
      {"invalid reference format: repository name must be lowercase",
       StatusCode::kInvalidArgument},
      {"unknown blob", StatusCode::kUnknown},
      {"expected HTTP 206 from byte range request", StatusCode::kUnknown},
      // Docker Hub's and other registries' wording.
      {"pull access denied for foo, repository does not exist or may "
       "require 'docker login': denied: requested access to the resource "
       "is denied",
       StatusCode::kUnauthenticated},
      {"Head \"https://r/v2/x/manifests/1\": unauthorized: authentication "
       "required",
       StatusCode::kUnauthenticated},
      {"Get https://r/v2/: no basic auth credentials",
       StatusCode::kUnauthenticated},
      {"Get https://r/v2/: incorrect username or password",
       StatusCode::kUnauthenticated},
      {"Error response from daemon: UNAUTHORIZED",
       StatusCode::kUnauthenticated},
      {"repository docker.io/library/nope not found", StatusCode::kNotFound},
      {"repository does not exist", StatusCode::kNotFound},
      {"Error: image library/x:1 Does Not Exist", StatusCode::kNotFound},
      {"MANIFEST UNKNOWN", StatusCode::kNotFound},
      {"Get https://r/v2/: net/http: TLS handshake timeout",
       StatusCode::kUnavailable},
      {"read tcp 1.2.3.4:5->6.7.8.9:443: i/o timeout",
       StatusCode::kUnavailable},
      {"lookup r on 127.0.0.53:53: server misbehaving",
       StatusCode::kUnavailable},
      {"connect: network is unreachable", StatusCode::kUnavailable},
      {"Get https://r/v2/: context deadline exceeded",
       StatusCode::kUnavailable},
      {"read: connection reset by peer", StatusCode::kUnavailable},
      {"dial tcp 10.0.0.1:443: connect: no route", StatusCode::kUnavailable},
      {"invalid reference format", StatusCode::kInvalidArgument},
      {"open /var/lib/docker/tmp/x: permission denied", StatusCode::kUnknown},
      {"filesystem layer verification failed", StatusCode::kUnknown},
      {"", StatusCode::kUnknown},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.message);
    absl::Status s = ClassifyPullError(c.message);
    EXPECT_EQ(s.code(), c.code);
    EXPECT_EQ(s.message(), c.message);
  }
}

TEST(MapPullHttpErrorTest, RepliesBeforeTheStream) {
  using absl::StatusCode;
  const struct {
    int status;
    std::string body;
    StatusCode code;
  } cases[] = {
      {200, "", StatusCode::kOk},
      {404, R"({"message":"manifest for a:1 not found: manifest unknown"})",
       StatusCode::kNotFound},
      {404,
       R"({"message":"pull access denied for foo, repository does not exist )"
       R"(or may require 'docker login': denied: requested access to the )"
       R"(resource is denied"})",
       StatusCode::kUnauthenticated},
      {404, R"({"message":"something else"})", StatusCode::kNotFound},
      {500, R"({"message":"Get "https://r/v2/": unauthorized"})",
       StatusCode::kUnauthenticated},
      {500, R"({"message":"dial tcp 127.0.0.1:5999: connection refused"})",
       StatusCode::kUnavailable},
      {500, R"({"message":"disk full"})", StatusCode::kUnknown},
      // 400 stays InvalidArgument, whatever the words.
      {400, R"({"message":"invalid tag format"})",
       StatusCode::kInvalidArgument},
      {400, R"({"message":"unauthorized"})", StatusCode::kInvalidArgument},
      {401, R"({"message":"x"})", StatusCode::kUnauthenticated},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    absl::Status s = MapPullHttpError(c.status, c.body, "pulling a:1");
    EXPECT_EQ(s.code(), c.code) << s;
    if (!s.ok()) {
      EXPECT_THAT(std::string(s.message()),
                  ::testing::StartsWith("pulling a:1: "));
    }
  }
}

}  // namespace
}  // namespace cri_dockerd::docker
