// CurlDockerClient's image calls against the fake Docker server (pulls in
// curl_docker_client_pull_test.cc): request paths and escaping, golden
// decoding, docker's errors.
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "docker_client/curl_docker_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/component/docker_client/test_util.h"
#include "tests/component/fake_docker_server.h"

namespace cri_dockerd::docker {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

using CurlDockerClientImagesTest = NegotiatedClientTest;

constexpr char kBusyboxFilter[] =
    "filters=%7B%22reference%22%3A%7B%22localhost%3A5000%2Fbusybox%3A1.36%22%"
    "3Atrue%7D%7D";

TEST_F(CurlDockerClientImagesTest, ListImagesFromGolden) {
  server_->SetResponse("GET", "/images/json",
                       {.body = ReadTestdata("images_json.json")});
  absl::StatusOr<std::vector<ImageSummary>> images =
      client_->ListImages("", In(absl::Seconds(5)));
  ASSERT_TRUE(images.ok()) << images.status();
  ASSERT_EQ(images->size(), 5u);
  EXPECT_THAT((*images)[0].repo_tags, IsEmpty());  // "<none>:<none>"
  EXPECT_THAT((*images)[4].repo_tags, IsEmpty());  // null
  EXPECT_EQ((*images)[3].size, 3662731);
  ASSERT_TRUE(
      client_->ListImages("localhost:5000/busybox:1.36", In(absl::Seconds(5)))
          .ok());
  EXPECT_THAT(server_->Paths(),
              ElementsAre("/v1.41/images/json",
                          std::string("/v1.41/images/json?") + kBusyboxFilter));
}

TEST_F(CurlDockerClientImagesTest, SharedSizeOnlyFromApi142) {
  StartDaemon("1.43");
  server_->SetResponse("GET", "/images/json", {.body = "[]"});
  ASSERT_TRUE(client_->ListImages("", In(absl::Seconds(5))).ok());
  ASSERT_TRUE(
      client_->ListImages("localhost:5000/busybox:1.36", In(absl::Seconds(5)))
          .ok());
  EXPECT_THAT(server_->Paths(),
              ElementsAre("/v1.43/images/json?shared-size=1",
                          std::string("/v1.43/images/json?") + kBusyboxFilter +
                              "&shared-size=1"));
}

TEST_F(CurlDockerClientImagesTest, ListImagesErrors) {
  server_->SetResponse("GET", "/images/json",
                       {.status = 500, .body = R"({"message":"boom"})"});
  absl::Status s = client_->ListImages("", In(absl::Seconds(5))).status();
  EXPECT_EQ(s, absl::InternalError("GET /images/json: boom"));
  server_->SetResponse("GET", "/images/json", {.body = "{}"});
  EXPECT_EQ(client_->ListImages("", In(absl::Seconds(5))).status().code(),
            absl::StatusCode::kInternal);
}

TEST_F(CurlDockerClientImagesTest, InspectImageFromGoldens) {
  const std::string body = ReadTestdata("image_inspect_rich.json");
  server_->SetResponse("GET", "/v1.41/images/crid-golden/rich:1.0/json",
                       {.body = body});
  absl::StatusOr<ImageInspect> image =
      client_->InspectImage("crid-golden/rich:1.0", In(absl::Seconds(5)));
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->user, "1002:1002");
  EXPECT_THAT(image->entrypoint, ElementsAre("/pause"));
  EXPECT_THAT(image->exposed_ports, ElementsAre("53/udp", "8080/tcp"));
  EXPECT_EQ(image->raw_json, body);
  // A digest reference goes into the path as is.
  const std::string digest =
      "localhost:5000/busybox@sha256:"
      "51779355c48372f9913711f7c366b67cb58a1143818a9bdafab98b0a2cfb4390";
  server_->SetResponse("GET", "/v1.41/images/" + digest + "/json",
                       {.body = ReadTestdata("image_inspect.json")});
  image = client_->InspectImage(digest, In(absl::Seconds(5)));
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_THAT(image->cmd, ElementsAre("sh"));
  // Config null.
  server_->SetResponse("GET", "/v1.41/images/scratchy/json",
                       {.body = R"({"Id":"sha256:ff","Config":null})"});
  image = client_->InspectImage("scratchy", In(absl::Seconds(5)));
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->id, "sha256:ff");
  EXPECT_THAT(image->env, IsEmpty());
}

TEST_F(CurlDockerClientImagesTest, InspectImageEscapesTheName) {
  const struct {
    std::string name, path;
  } cases[] = {
      {"busybox?force=1", "/v1.41/images/busybox%3Fforce%3D1/json"},
      {"busybox#x", "/v1.41/images/busybox%23x/json"},
      {"a b%", "/v1.41/images/a%20b%25/json"},
      {"x\r\nX-Evil: 1", "/v1.41/images/x%0D%0AX-Evil:%201/json"},
  };
  for (const auto& c : cases) {
    server_->ClearRequests();
    // Unscripted: the fake answers 404.
    absl::Status s =
        client_->InspectImage(c.name, In(absl::Seconds(5))).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
    EXPECT_THAT(server_->Paths(), ElementsAre(c.path));
  }
  server_->ClearRequests();
  for (const char* bad : {"", "../containers/abc", "a//b"}) {
    EXPECT_EQ(client_->InspectImage(bad, In(absl::Seconds(5))).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_THAT(server_->Paths(), IsEmpty());  // never GET /images//json
}

TEST_F(CurlDockerClientImagesTest, InspectImageDockerErrors) {
  server_->SetResponse(
      "GET", "/v1.41/images/nosuch:1/json",
      {.status = 404,
       .body = R"({"message":"no such image: nosuch:1: No such image: )"
               R"(nosuch:1"})"});
  absl::Status s =
      client_->InspectImage("nosuch:1", In(absl::Seconds(5))).status();
  EXPECT_EQ(s, absl::NotFoundError("GET /images/nosuch:1/json: no such "
                                   "image: nosuch:1: No such image: "
                                   "nosuch:1"));
  server_->SetResponse(
      "GET", "/v1.41/images/Bad/json",
      {.status = 400,
       .body =
           R"({"message":"no such image: Bad: invalid reference format"})"});
  EXPECT_EQ(client_->InspectImage("Bad", In(absl::Seconds(5))).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(CurlDockerClientImagesTest, RemoveImage) {
  server_->SetResponse("DELETE", "/v1.41/images/crid-golden/rich:1.0",
                       {.body = ReadTestdata("image_remove_untag.json")});
  absl::StatusOr<RemovedImage> removed =
      client_->RemoveImage("crid-golden/rich:1.0", false, In(absl::Seconds(5)));
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_THAT(removed->untagged, ElementsAre("crid-golden/rich:1.0"));
  EXPECT_THAT(removed->deleted, IsEmpty());

  const std::string id =
      "sha256:cfc6dc9e8151ccb78da353d9dbd18efd7048cfe418e588e2db797219e0a7edf4";
  server_->SetResponse("DELETE", "/v1.41/images/" + id,
                       {.body = ReadTestdata("image_remove_delete.json")});
  removed = client_->RemoveImage(id, true, In(absl::Seconds(5)));
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(removed->deleted.size(), 10u);
  EXPECT_EQ(removed->deleted[0], id);
  EXPECT_THAT(server_->Paths(),
              ElementsAre("/v1.41/images/crid-golden/"
                          "rich:1.0?force=false&noprune=false",
                          "/v1.41/images/" + id + "?force=true&noprune=false"));
}

TEST_F(CurlDockerClientImagesTest, RemoveImageErrors) {
  const struct {
    int status;
    std::string golden;
    absl::StatusCode code;
  } cases[] = {
      {404, "image_remove_404.json", absl::StatusCode::kNotFound},
      {409, "image_remove_409_reference.json",
       absl::StatusCode::kFailedPrecondition},
      {409, "image_remove_409_stopped.json",
       absl::StatusCode::kFailedPrecondition},
      {409, "image_remove_409_running.json",
       absl::StatusCode::kFailedPrecondition},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.golden);
    server_->SetResponse("DELETE", "/v1.41/images/x:1",
                         {.status = c.status, .body = ReadTestdata(c.golden)});
    absl::Status s =
        client_->RemoveImage("x:1", false, In(absl::Seconds(5))).status();
    EXPECT_EQ(s.code(), c.code) << s;
    EXPECT_THAT(std::string(s.message()),
                ::testing::StartsWith("DELETE /images/x:1: "));
    EXPECT_THAT(std::string(s.message()),
                ::testing::AnyOf(::testing::HasSubstr("No such image"),
                                 ::testing::HasSubstr("conflict: unable to")));
  }
  EXPECT_EQ(
      client_->RemoveImage("", true, In(absl::Seconds(5))).status().code(),
      absl::StatusCode::kInvalidArgument);
}

TEST_F(CurlDockerClientImagesTest, GetDiskUsage) {
  server_->SetResponse("GET", "/system/df",
                       {.body = ReadTestdata("system_df.json")});
  absl::StatusOr<DiskUsage> usage = client_->GetDiskUsage(In(absl::Seconds(5)));
  ASSERT_TRUE(usage.ok()) << usage.status();
  EXPECT_EQ(usage->layers_size, 6638670);
  ASSERT_EQ(usage->containers.size(), 2u);
  EXPECT_EQ(usage->containers[1].size_rw, 5000);
  EXPECT_THAT(server_->Paths(), ElementsAre("/v1.41/system/df"));
}

}  // namespace
}  // namespace cri_dockerd::docker
