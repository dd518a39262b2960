// MapDockerError: HTTP status + docker's body -> absl::Status.
#include "docker_client/errors.h"

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

}  // namespace
}  // namespace cri_dockerd::docker
