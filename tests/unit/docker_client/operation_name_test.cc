// Docker API paths become bounded metric label values.
#include "docker_client/operation_name.h"

#include "gtest/gtest.h"

namespace cri_dockerd::docker {
namespace {

TEST(OperationNameTest, ReplacesIdsAndDropsVersionAndQuery) {
  struct Case {
    const char* method;
    const char* path;
    const char* want;
  } cases[] = {
      {"GET", "/_ping", "GET /_ping"},
      {"GET", "/version", "GET /version"},
      {"GET", "/v1.43/info", "GET /info"},
      {"GET", "/v1.43/containers/json?all=1&filters=%7B%7D",
       "GET /containers/json"},
      {"POST", "/v1.41/containers/create?name=k8s_POD_x",
       "POST /containers/create"},
      {"GET", "/v1.43/containers/0123abcd/json", "GET /containers/{id}/json"},
      {"POST", "/v1.43/containers/k8s_x/start", "POST /containers/{id}/start"},
      {"POST", "/v1.43/containers/abc/stop?t=10", "POST /containers/{id}/stop"},
      {"DELETE", "/v1.43/containers/abc?force=1&v=1",
       "DELETE /containers/{id}"},
      {"POST", "/v1.43/exec/e1/start", "POST /exec/{id}/start"},
      {"GET", "/v1.43/exec/e1/json", "GET /exec/{id}/json"},
      {"GET", "/v1.43/images/json", "GET /images/json"},
      {"POST", "/v1.43/images/create?fromImage=busybox&tag=1",
       "POST /images/create"},
      {"GET", "/v1.43/images/registry.k8s.io%2Fpause:3.10/json",
       "GET /images/{name}/json"},
      {"GET", "/v1.43/images/registry.k8s.io/pause:3.10/json",
       "GET /images/{name}/json"},
      {"DELETE", "/v1.43/images/sha256:abc?force=false",
       "DELETE /images/{name}"},
      {"GET", "/v1.43/system/df", "GET /system/df"},
      {"GET", "/v1.43/containers/abc/archive/x/y",
       "GET /containers/{id}/{...}"},
      {"GET", "/v1.43/plugins/foo/json", "GET /plugins/{...}"},
      {"GET", "/whatever", "GET /{...}"},
      {"GET", "/", "GET /"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(OperationName(c.method, c.path), c.want) << c.path;
  }
}

}  // namespace
}  // namespace cri_dockerd::docker
