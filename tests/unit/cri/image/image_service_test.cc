// ImageService handlers against the fake docker client.
#include "cri/image/image_service.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <thread>

#include "common/testing/temp_dir.h"
#include "docker_client/testing/fake_docker_client.h"
#include "gtest/gtest.h"
#include "tests/poll_until.h"

namespace cri_dockerd {
namespace {

using docker::FakeDockerClient;
using docker::ImageInspect;
using testing_util::TempDir;

constexpr char kBusyboxId[] =
    "sha256:1111111111111111111111111111111111111111111111111111111111111111";
constexpr char kPauseId[] =
    "sha256:2222222222222222222222222222222222222222222222222222222222222222";

ImageInspect Image(const std::string& id, std::vector<std::string> tags,
                   const std::string& user = "") {
  ImageInspect i;
  i.id = id;
  i.repo_tags = std::move(tags);
  i.size = 4096;
  i.user = user;
  i.raw_json = "{\"Id\":\"" + id + "\"}";
  return i;
}

class ImageServiceTest : public testing::Test {
 protected:
  ImageServiceTest() {
    options_.pod_infra_image = "registry.k8s.io/pause:3.10";
    options_.image_pull_progress_deadline = absl::Milliseconds(300);
    Rebuild();
  }

  // A new service with options_ (and the credentials now on disk).
  void Rebuild() {
    service_ = std::make_unique<ImageService>(
        &docker_, options_,
        image::RegistryCredentials::LoadFromDisk({creds_dir_.path()}));
  }
  CallContext Ctx() { return CallContext::WithTimeout(absl::Seconds(20)); }

  absl::StatusOr<v1::PullImageResponse> Pull(const std::string& image) {
    v1::PullImageRequest req;
    req.mutable_image()->set_image(image);
    return service_->PullImage(Ctx(), req);
  }
  absl::StatusOr<v1::ImageStatusResponse> Status(const std::string& image) {
    v1::ImageStatusRequest req;
    req.mutable_image()->set_image(image);
    return service_->ImageStatus(Ctx(), req);
  }
  absl::Status Remove(const std::string& image) {
    v1::RemoveImageRequest req;
    req.mutable_image()->set_image(image);
    return service_->RemoveImage(Ctx(), req).status();
  }

  TempDir creds_dir_;
  FakeDockerClient docker_;
  RuntimeOptions options_;
  std::unique_ptr<ImageService> service_;
};

TEST_F(ImageServiceTest, PullNormalisesAndReturnsTheImageId) {
  FakeDockerClient::FakePull pull;
  pull.messages = {{"", "Pulling from library/busybox", 0, 0},
                   {"abc", "Downloading", 10, 20},
                   {"abc", "Pull complete", 0, 0}};
  pull.image = Image(kBusyboxId, {"busybox:latest"});
  docker_.SetPullScript("busybox:latest", pull);
  auto resp = Pull("busybox");
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->image_ref(), kBusyboxId);
  ASSERT_EQ(docker_.PullCalls().size(), 1u);
  EXPECT_TRUE(docker_.PullCalls()[0].auth.empty());
}

TEST_F(ImageServiceTest, PullRejectsBadInputNamingIt) {
  for (const char* bad : {"", "busybox/UPPER", "busybox:tag with space",
                          "busybox@sha256:short", kBusyboxId}) {
    auto resp = Pull(bad);
    ASSERT_FALSE(resp.ok()) << bad;
    EXPECT_EQ(resp.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_TRUE(docker_.PullCalls().empty());
}

TEST_F(ImageServiceTest, PullPassesRequestCredentials) {
  FakeDockerClient::FakePull pull;
  pull.image = Image(kBusyboxId, {"localhost:5443/private:1"});
  docker_.SetPullScript("localhost:5443/private:1", pull);
  v1::PullImageRequest req;
  req.mutable_image()->set_image("localhost:5443/private:1");
  req.mutable_auth()->set_username("alice");
  req.mutable_auth()->set_password("s3cret");
  req.mutable_auth()->set_server_address("localhost:5443");
  ASSERT_TRUE(service_->PullImage(Ctx(), req).ok());
  ASSERT_EQ(docker_.PullCalls().size(), 1u);
  EXPECT_EQ(docker_.PullCalls()[0].auth.username, "alice");
  EXPECT_EQ(docker_.PullCalls()[0].auth.password, "s3cret");
}

TEST_F(ImageServiceTest, PullFallsBackToTheNodesDockerConfig) {
  creds_dir_.Write(
      "config.json",
      R"({"auths":{"localhost:5443":{"auth":"Ym9iOmh1bnRlcjI="}}})");
  Rebuild();
  FakeDockerClient::FakePull pull;
  pull.image = Image(kBusyboxId, {"localhost:5443/private:1"});
  docker_.SetPullScript("localhost:5443/private:1", pull);
  ASSERT_TRUE(Pull("localhost:5443/private:1").ok());
  ASSERT_EQ(docker_.PullCalls().size(), 1u);
  EXPECT_EQ(docker_.PullCalls()[0].auth.username, "bob");
  EXPECT_EQ(docker_.PullCalls()[0].auth.password, "hunter2");
}

TEST_F(ImageServiceTest, PullErrorsNameTheRegistry) {
  FakeDockerClient::FakePull pull;
  pull.result =
      absl::UnauthenticatedError("unauthorized: authentication required");
  docker_.SetPullScript("localhost:5443/private:1", pull);
  auto resp = Pull("localhost:5443/private:1");
  ASSERT_EQ(resp.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(resp.status().message().find(
                "authentication failed for registry localhost:5443"),
            std::string::npos)
      << resp.status();
  EXPECT_NE(resp.status().message().find("authentication required"),
            std::string::npos);

  pull.result =
      absl::UnavailableError("dial tcp 127.0.0.1:5999: connection refused");
  docker_.SetPullScript("127.0.0.1:5999/x:latest", pull);
  resp = Pull("127.0.0.1:5999/x");
  ASSERT_EQ(resp.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(resp.status().message().find("registry 127.0.0.1:5999 unreachable"),
            std::string::npos)
      << resp.status();
}

TEST_F(ImageServiceTest, StalledPullIsCancelledAtTheProgressDeadline) {
  FakeDockerClient::FakePull pull;
  pull.messages = {{"abc", "Downloading", 1, 10},
                   {"abc", "Downloading", 2, 10}};
  pull.interval = absl::Seconds(60);  // far over the 300 ms deadline
  pull.image = Image(kBusyboxId, {"busybox:latest"});
  docker_.SetPullScript("busybox:latest", pull);
  const absl::Time start = absl::Now();
  auto resp = Pull("busybox");
  ASSERT_EQ(resp.status().code(), absl::StatusCode::kDeadlineExceeded)
      << resp.status();
  // Not the call's own 20 s deadline, nor the 60 s to the next message.
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  EXPECT_NE(resp.status().message().find("no progress for 300ms"),
            std::string::npos)
      << resp.status();
  // Nothing half-pulled is listed.
  auto list = service_->ListImages(Ctx(), {});
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->images_size(), 0);
}

TEST_F(ImageServiceTest, SlowButMovingPullIsNotCancelled) {
  // Progress every 200 ms, 3 s in all: the pull outlasts the 2 s deadline,
  // and a pause of well over a second between two messages (a busy
  // machine) still counts as moving.
  options_.image_pull_progress_deadline = absl::Seconds(2);
  Rebuild();
  FakeDockerClient::FakePull pull;
  for (int i = 1; i <= 15; ++i)
    pull.messages.push_back({"abc", "Downloading", i, 15});
  pull.interval = absl::Milliseconds(200);
  pull.image = Image(kBusyboxId, {"busybox:latest"});
  docker_.SetPullScript("busybox:latest", pull);
  auto resp = Pull("busybox");
  EXPECT_TRUE(resp.ok()) << resp.status();
}

TEST_F(ImageServiceTest, ConcurrentPullsOfOneImageShareOneDockerPull) {
  options_.image_pull_progress_deadline = absl::Seconds(60);
  Rebuild();
  FakeDockerClient::FakePull pull;
  pull.messages = {{"abc", "Downloading", 1, 5},
                   {"abc", "Pull complete", 0, 0}};
  pull.image = Image(kBusyboxId, {"busybox:latest"});
  docker_.SetPullScript("busybox:latest", pull);
  // The pull is held until every caller waits (each polls its
  // cancellation while it waits), so none can come after it ended.
  docker_.HoldPulls(true);
  constexpr int kCallers = 4;
  std::array<std::atomic<bool>, kCallers> waiting{};
  std::vector<std::thread> threads;
  std::vector<absl::StatusOr<v1::PullImageResponse>> results(kCallers);
  for (int i = 0; i < kCallers; ++i) {
    // "busybox", "busybox:latest", ... all mean the same image.
    const char* names[] = {"busybox", "busybox:latest",
                           "docker.io/library/busybox",
                           "docker.io/library/busybox:latest"};
    threads.emplace_back([&, i, names] {
      CallContext ctx = Ctx();
      ctx.cancelled = [&waiting, i] {
        waiting[i] = true;
        return false;
      };
      v1::PullImageRequest req;
      req.mutable_image()->set_image(names[i]);
      results[i] = service_->PullImage(ctx, req);
    });
  }
  EXPECT_TRUE(testing_util::PollUntil([&] {
    return std::count(waiting.begin(), waiting.end(), true) == kCallers;
  })) << "some caller never waited for the pull";
  docker_.HoldPulls(false);
  for (auto& t : threads) t.join();
  for (auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->image_ref(), kBusyboxId);
  }
  EXPECT_EQ(docker_.PullCalls().size(), 1u);
}

TEST_F(ImageServiceTest, ImageStatusAbsentIsEmptyNotAnError) {
  auto resp = Status("busybox:1.0");
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_FALSE(resp->has_image());
  auto by_id = Status(kBusyboxId);
  ASSERT_TRUE(by_id.ok());
  EXPECT_FALSE(by_id->has_image());
  EXPECT_EQ(Status("Bad Ref").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Status("").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ImageServiceTest, ImageStatusReportsUserAsUidOrName) {
  struct {
    const char* user;
    int64_t uid;  // -1: unset
    const char* username;
  } cases[] = {{"", -1, ""},
               {"1002", 1002, ""},
               {"1003:1003", 1003, ""},
               {"www-data", -1, "www-data"},
               {"www-data:www-data", -1, "www-data"},
               {"0", 0, ""}};
  for (const auto& c : cases) {
    docker_.AddImage(Image(kBusyboxId, {"busybox:latest"}, c.user));
    auto resp = Status("busybox");
    ASSERT_TRUE(resp.ok()) << resp.status();
    ASSERT_TRUE(resp->has_image()) << c.user;
    EXPECT_EQ(resp->image().has_uid(), c.uid >= 0) << c.user;
    if (c.uid >= 0) {
      EXPECT_EQ(resp->image().uid().value(), c.uid) << c.user;
    }
    EXPECT_EQ(resp->image().username(), c.username) << c.user;
    EXPECT_EQ(resp->image().id(), kBusyboxId);
    EXPECT_EQ(resp->image().size(), 4096u);
  }
}

TEST_F(ImageServiceTest, ImageStatusNamesTheReferenceTheCallerUsed) {
  docker_.AddImage(Image(kBusyboxId, {"busybox:latest", "busybox:1.36"}));
  for (const char* by_ref :
       {"busybox", "busybox:1.36", "docker.io/library/busybox:latest"}) {
    auto resp = Status(by_ref);
    ASSERT_TRUE(resp.ok() && resp->has_image()) << by_ref;
    EXPECT_EQ(resp->image().spec().image(), kBusyboxId);
    EXPECT_EQ(resp->image().spec().user_specified_image(), by_ref);
  }
  // An ID or ID prefix is not a reference anyone specified.
  const std::string id = kBusyboxId;
  for (const std::string& by_id : {id, id.substr(7), id.substr(7, 12)}) {
    auto resp = Status(by_id);
    ASSERT_TRUE(resp.ok() && resp->has_image()) << by_id;
    EXPECT_EQ(resp->image().spec().user_specified_image(), "") << by_id;
  }
}

TEST_F(ImageServiceTest, ImageSpecCarriesTheEnginesDescriptorAnnotations) {
  ImageInspect annotated = Image(kBusyboxId, {"busybox:latest"});
  annotated.annotations = {{"org.opencontainers.image.version", "1.36"}};
  docker_.AddImage(annotated);
  docker_.AddImage(Image(kPauseId, {"registry.k8s.io/pause:3.10"}));
  auto status = Status("busybox");
  ASSERT_TRUE(status.ok() && status->has_image());
  EXPECT_EQ(status->image().spec().annotations().at(
                "org.opencontainers.image.version"),
            "1.36");
  auto list = service_->ListImages(Ctx(), {});
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->images_size(), 2);
  for (const auto& image : list->images()) {
    EXPECT_EQ(image.spec().image(), image.id());
    EXPECT_EQ(image.spec().annotations_size(), image.id() == kBusyboxId ? 1 : 0)
        << image.id();
  }
}

TEST_F(ImageServiceTest, PodInfraImageIsPinnedAndVerboseHasInfo) {
  docker_.AddImage(Image(kPauseId, {"registry.k8s.io/pause:3.10"}));
  docker_.AddImage(Image(kBusyboxId, {"busybox:latest"}));
  v1::ImageStatusRequest req;
  req.mutable_image()->set_image("registry.k8s.io/pause:3.10");
  req.set_verbose(true);
  auto resp = service_->ImageStatus(Ctx(), req);
  ASSERT_TRUE(resp.ok());
  EXPECT_TRUE(resp->image().pinned());
  EXPECT_NE(resp->info().at("info").find(kPauseId), std::string::npos);
  auto list = service_->ListImages(Ctx(), {});
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->images_size(), 2);
  for (const auto& image : list->images()) {
    EXPECT_EQ(image.pinned(), image.id() == kPauseId) << image.id();
  }
}

TEST_F(ImageServiceTest, ListImagesFilters) {
  docker_.AddImage(Image(kPauseId, {"registry.k8s.io/pause:3.10"}));
  docker_.AddImage(Image(kBusyboxId, {"busybox:latest", "busybox:1.36"}));
  struct {
    const char* filter;
    std::vector<std::string> want;
  } cases[] = {{"", {kPauseId, kBusyboxId}},
               {"busybox", {kBusyboxId}},
               {"docker.io/library/busybox:1.36", {kBusyboxId}},
               {"busybox:2", {}},
               {"registry.k8s.io/pause", {kPauseId}},
               {kPauseId, {kPauseId}},
               {"22222222", {kPauseId}}};
  for (const auto& c : cases) {
    v1::ListImagesRequest req;
    req.mutable_filter()->mutable_image()->set_image(c.filter);
    auto resp = service_->ListImages(Ctx(), req);
    ASSERT_TRUE(resp.ok());
    std::vector<std::string> got;
    for (const auto& i : resp->images()) got.push_back(i.id());
    std::sort(got.begin(), got.end());
    std::vector<std::string> want = c.want;
    std::sort(want.begin(), want.end());
    EXPECT_EQ(got, want) << c.filter;
  }
}

TEST_F(ImageServiceTest, StreamImagesSendsEveryImage) {
  docker_.AddImage(Image(kPauseId, {"registry.k8s.io/pause:3.10"}));
  docker_.AddImage(Image(kBusyboxId, {"busybox:latest"}));
  int seen = 0;
  absl::Status s = service_->StreamImages(
      Ctx(), {}, [&](const v1::StreamImagesResponse& batch) {
        seen += batch.images_size();
        return true;
      });
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(seen, 2);
}

TEST_F(ImageServiceTest, RemoveByTagUntagsOnlyThatTag) {
  docker_.AddImage(Image(kBusyboxId, {"busybox:latest", "busybox:1.36"}));
  ASSERT_TRUE(Remove("busybox:1.36").ok());
  auto left = Status(kBusyboxId);
  ASSERT_TRUE(left.ok());
  ASSERT_TRUE(left->has_image());
  EXPECT_EQ(left->image().repo_tags_size(), 1);
  EXPECT_EQ(left->image().repo_tags(0), "busybox:latest");
}

TEST_F(ImageServiceTest, RemoveByIdRemovesEveryTagAndIsIdempotent) {
  docker_.AddImage(Image(kBusyboxId, {"busybox:latest", "busybox:1.36"}));
  ASSERT_TRUE(Remove(kBusyboxId).ok());
  EXPECT_FALSE(Status(kBusyboxId)->has_image());
  EXPECT_TRUE(Remove(kBusyboxId).ok()) << "absent is success";
  EXPECT_TRUE(Remove("busybox:nope").ok());
  EXPECT_EQ(Remove("").code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ImageServiceTest, RemoveOfAnImageInUseSaysSo) {
  docker_.AddImage(Image(kBusyboxId, {"busybox:latest"}));
  docker_.SetImageInUse(kBusyboxId, true);
  absl::Status s = Remove("busybox");
  ASSERT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_NE(s.message().find("in use by a container"), std::string::npos);
  EXPECT_TRUE(Status("busybox")->has_image()) << "nothing forced";
}

TEST_F(ImageServiceTest, ImageFsInfoReportsLayersOnceAndIsCached) {
  docker::SystemInfo info;
  info.docker_root_dir = creds_dir_.path();
  info.cgroup_driver = "cgroupfs";
  docker_.SetInfo(info);
  docker::DiskUsage usage;
  usage.layers_size = 123456;
  usage.containers = {{"c1", 100}, {"c2", 50}};
  docker_.SetDiskUsage(usage);
  auto resp = service_->ImageFsInfo(Ctx(), {});
  ASSERT_TRUE(resp.ok()) << resp.status();
  ASSERT_EQ(resp->image_filesystems_size(), 1);
  const auto& fs = resp->image_filesystems(0);
  EXPECT_EQ(fs.fs_id().mountpoint(), creds_dir_.path());
  EXPECT_EQ(fs.used_bytes().value(), 123456u);
  EXPECT_GT(fs.inodes_used().value(), 0u);
  EXPECT_GT(fs.timestamp(), 0);
  ASSERT_EQ(resp->container_filesystems_size(), 1);
  EXPECT_EQ(resp->container_filesystems(0).used_bytes().value(), 150u);
  docker_.ResetCalls();
  ASSERT_TRUE(service_->ImageFsInfo(Ctx(), {}).ok());
  EXPECT_TRUE(docker_.Calls().empty()) << "second call served from cache";
}

}  // namespace
}  // namespace cri_dockerd
