// FakeDockerClient's image store and scripted pulls, which the unit tests
// of cri/ rely on to behave like dockerd.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "docker_client/testing/fake_docker_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/poll_until.h"

namespace cri_dockerd::docker {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr char kBusyboxId[] =
    "sha256:8b26e31365b6a98648ffa99ff5f89c51d188b39bd934ff2162285a9d6c2361df";
constexpr char kPauseId[] =
    "sha256:8b27aaaa5b6a98648ffa99ff5f89c51d188b39bd934ff2162285a9d6c2361df";
constexpr char kOtherId[] =
    "sha256:dc0f2b88b924f2431b149f073beba49dd39bf971e8ef347647ac26993fa006c4";

absl::Time Later() { return absl::Now() + absl::Seconds(10); }

ImageInspect Image(std::string id, std::vector<std::string> tags,
                   std::vector<std::string> digests = {}) {
  ImageInspect image;
  image.id = std::move(id);
  image.repo_tags = std::move(tags);
  image.repo_digests = std::move(digests);
  image.size = 1234;
  image.created = "2026-11-22T00:37:30.342793724Z";
  return image;
}

class FakeDockerClientImagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_.AddImage(Image(kBusyboxId,
                         {"localhost:5000/busybox:1.36", "busybox:latest"},
                         {"localhost:5000/busybox@sha256:5177"}));
    fake_.AddImage(Image(kPauseId, {"localhost:5000/pause:3.10"}));
    fake_.AddImage(Image(kOtherId, {}, {"localhost:5000/busybox@sha256:dead"}));
  }

  std::string InspectId(const std::string& name) {
    absl::StatusOr<ImageInspect> image = fake_.InspectImage(name, Later());
    return image.ok() ? image->id : std::string(image.status().message());
  }

  std::vector<std::string> ListIds(const std::string& reference) {
    std::vector<std::string> ids;
    absl::StatusOr<std::vector<ImageSummary>> images =
        fake_.ListImages(reference, Later());
    EXPECT_TRUE(images.ok()) << images.status();
    if (images.ok()) {
      for (const ImageSummary& image : *images) ids.push_back(image.id);
    }
    return ids;
  }

  FakeDockerClient fake_;
};

TEST_F(FakeDockerClientImagesTest, InspectFindsImagesLikeDocker) {
  EXPECT_EQ(InspectId(kBusyboxId), kBusyboxId);
  EXPECT_EQ(InspectId(std::string(kBusyboxId).substr(7)), kBusyboxId);
  EXPECT_EQ(InspectId("8b26e313"), kBusyboxId);
  EXPECT_EQ(InspectId("sha256:8b26"), kBusyboxId);
  EXPECT_EQ(InspectId("localhost:5000/busybox:1.36"), kBusyboxId);
  EXPECT_EQ(InspectId("localhost:5000/busybox@sha256:5177"), kBusyboxId);
  EXPECT_EQ(InspectId("busybox"), kBusyboxId);  // busybox:latest
  EXPECT_EQ(InspectId("localhost:5000/pause:3.10"), kPauseId);
  EXPECT_EQ(InspectId("dc0f"), kOtherId);
  for (const char* missing :
       {"8b2", "localhost:5000/busybox", "localhost:5000/pause", "nope:1",
        "localhost:5000/busybox:1.37", "sha256:ffff"}) {
    EXPECT_EQ(fake_.InspectImage(missing, Later()).status().code(),
              absl::StatusCode::kNotFound)
        << missing;
  }
  // Both busybox and pause IDs start with 8b2.
  EXPECT_EQ(fake_.InspectImage("8b2a", Later()).status().code(),
            absl::StatusCode::kNotFound);
  fake_.AddImage(Image("sha256:8b2aff", {}));
  EXPECT_EQ(InspectId("8b2a"), "sha256:8b2aff");
  EXPECT_EQ(fake_.InspectImage("8b26", Later()).ok(), true);
  fake_.AddImage(Image("sha256:8b26ff", {}));
  EXPECT_EQ(fake_.InspectImage("8b26", Later()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(FakeDockerClientImagesTest, ListFiltersByReference) {
  EXPECT_THAT(ListIds(""),
              UnorderedElementsAre(kBusyboxId, kPauseId, kOtherId));
  // Repository without tag: every tag and digest of it.
  EXPECT_THAT(ListIds("localhost:5000/busybox"),
              UnorderedElementsAre(kBusyboxId, kOtherId));
  EXPECT_THAT(ListIds("localhost:5000/busybox:1.36"), ElementsAre(kBusyboxId));
  EXPECT_THAT(ListIds("localhost:5000/busybox@sha256:dead"),
              ElementsAre(kOtherId));
  EXPECT_THAT(ListIds(kPauseId), ElementsAre(kPauseId));
  EXPECT_THAT(ListIds("busybox"), ElementsAre(kBusyboxId));
  EXPECT_THAT(ListIds("nope"), IsEmpty());
  absl::StatusOr<std::vector<ImageSummary>> all = fake_.ListImages("", Later());
  ASSERT_TRUE(all.ok());
  EXPECT_EQ((*all)[0].size, 1234);
  EXPECT_EQ((*all)[0].shared_size, -1);
  EXPECT_EQ((*all)[0].created, 1795307850);
}

TEST_F(FakeDockerClientImagesTest, AddingATaggedImageMovesTheTag) {
  fake_.AddImage(Image("sha256:beef", {"localhost:5000/pause:3.10"}));
  EXPECT_EQ(InspectId("localhost:5000/pause:3.10"), "sha256:beef");
  absl::StatusOr<ImageInspect> old = fake_.InspectImage(kPauseId, Later());
  ASSERT_TRUE(old.ok());
  EXPECT_THAT(old->repo_tags, IsEmpty());
}

TEST_F(FakeDockerClientImagesTest, RemoveByTagUntagsThenDeletes) {
  absl::StatusOr<RemovedImage> r =
      fake_.RemoveImage("localhost:5000/busybox:1.36", false, Later());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->untagged, ElementsAre("localhost:5000/busybox:1.36"));
  EXPECT_THAT(r->deleted, IsEmpty());
  r = fake_.RemoveImage("busybox", false, Later());  // busybox:latest
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->untagged, ElementsAre("busybox:latest"));
  EXPECT_THAT(r->deleted, IsEmpty());  // a digest remains
  r = fake_.RemoveImage("localhost:5000/busybox@sha256:5177", false, Later());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->deleted, ElementsAre(kBusyboxId));
  EXPECT_EQ(fake_.InspectImage(kBusyboxId, Later()).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(fake_.RemoveImage("busybox", false, Later()).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(FakeDockerClientImagesTest, RemoveByIdDeletesEverything) {
  absl::StatusOr<RemovedImage> r = fake_.RemoveImage("8b26e3", false, Later());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->untagged,
              ElementsAre("localhost:5000/busybox:1.36", "busybox:latest",
                          "localhost:5000/busybox@sha256:5177"));
  EXPECT_THAT(r->deleted, ElementsAre(kBusyboxId));
  EXPECT_THAT(ListIds(""), UnorderedElementsAre(kPauseId, kOtherId));
}

TEST_F(FakeDockerClientImagesTest, ImagesInUseNeedForce) {
  fake_.SetImageInUse(kPauseId, true);
  absl::Status s =
      fake_.RemoveImage("localhost:5000/pause:3.10", false, Later()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(fake_.RemoveImage(kPauseId, false, Later()).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(InspectId("localhost:5000/pause:3.10"), kPauseId);
  // Untagging one of several references is fine, as with docker.
  fake_.SetImageInUse(kBusyboxId, true);
  EXPECT_TRUE(fake_.RemoveImage("busybox:latest", false, Later()).ok());
  EXPECT_EQ(fake_.RemoveImage(kBusyboxId, false, Later()).status().code(),
            absl::StatusCode::kFailedPrecondition);
  // Forced, or no longer in use.
  EXPECT_TRUE(fake_.RemoveImage(kPauseId, true, Later()).ok());
  fake_.SetImageInUse(kBusyboxId, false);
  EXPECT_TRUE(fake_.RemoveImage(kBusyboxId, false, Later()).ok());
}

TEST_F(FakeDockerClientImagesTest, CallsAreRecordedAndErrorsInjected) {
  fake_.ResetCalls();
  fake_.InjectError("InspectImage", absl::UnavailableError("down"));
  fake_.InjectError("GetDiskUsage", absl::InternalError("df"));
  EXPECT_EQ(fake_.InspectImage(kBusyboxId, Later()).status(),
            absl::UnavailableError("down"));
  EXPECT_EQ(fake_.GetDiskUsage(Later()).status(), absl::InternalError("df"));
  fake_.ClearError("GetDiskUsage");
  fake_.SetDiskUsage({.layers_size = 42, .containers = {{"c1", 7}}});
  absl::StatusOr<DiskUsage> usage = fake_.GetDiskUsage(Later());
  ASSERT_TRUE(usage.ok());
  EXPECT_EQ(usage->layers_size, 42);
  EXPECT_EQ(usage->containers[0].size_rw, 7);
  ASSERT_TRUE(fake_.ListImages("", Later()).ok());
  ASSERT_TRUE(fake_.RemoveImage(kOtherId, false, Later()).ok());
  EXPECT_THAT(fake_.Calls(),
              ElementsAre("InspectImage", "GetDiskUsage", "GetDiskUsage",
                          "ListImages", "RemoveImage"));
}

PullOptions Options(std::string image, std::string tag) {
  PullOptions options;
  options.image = std::move(image);
  options.tag = std::move(tag);
  return options;
}

TEST(FakeDockerClientPullTest, ScriptedPullReportsProgressThenStoresImage) {
  FakeDockerClient fake;
  FakeDockerClient::FakePull pull;
  pull.messages = {{"1.36", "Pulling from busybox", 0, 0},
                   {"b715", "Downloading", 10, 100},
                   {"", "Status: Downloaded newer image", 0, 0}};
  pull.interval = absl::Milliseconds(200);
  pull.image = Image(kBusyboxId, {"localhost:5000/busybox:1.36"});
  fake.SetPullScript("localhost:5000/busybox:1.36", pull);

  PullOptions options = Options("localhost:5000/busybox", "1.36");
  options.auth.username = "u";
  options.auth.password = "p";
  std::vector<PullProgress> seen;
  options.on_progress = [&](const PullProgress& p) { seen.push_back(p); };
  std::atomic<int> checks{0};
  options.check = [&] {
    ++checks;
    return absl::OkStatus();
  };
  const absl::Time start = absl::Now();
  ASSERT_TRUE(fake.PullImage(options, Later()).ok());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(600));
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[1].status, "Downloading");
  EXPECT_EQ(seen[1].total, 100);
  // Every 10 ms over 600 ms: about 60. Once per message would be 3.
  EXPECT_GE(checks.load(), 6);
  EXPECT_TRUE(fake.InspectImage("localhost:5000/busybox:1.36", Later()).ok());
  std::vector<PullOptions> calls = fake.PullCalls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].image, "localhost:5000/busybox");
  EXPECT_EQ(calls[0].tag, "1.36");
  EXPECT_EQ(calls[0].auth.username, "u");
  EXPECT_FALSE(calls[0].on_progress);
  EXPECT_THAT(fake.Calls(), ElementsAre("PullImage", "InspectImage"));
}

TEST(FakeDockerClientPullTest, Failures) {
  FakeDockerClient fake;
  // Unscripted: docker's "manifest unknown".
  absl::Status s = fake.PullImage(Options("a", "1"), Later());
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(s.message()),
              ::testing::HasSubstr("manifest unknown"));
  // Digests are keyed "repo:sha256:...".
  FakeDockerClient::FakePull denied;
  denied.result = absl::UnauthenticatedError("unauthorized");
  denied.image = Image("sha256:abcd", {"a:1"});
  fake.SetPullScript("a:sha256:abcd", denied);
  EXPECT_EQ(fake.PullImage(Options("a", "sha256:abcd"), Later()),
            absl::UnauthenticatedError("unauthorized"));
  EXPECT_EQ(fake.InspectImage("a:1", Later()).status().code(),
            absl::StatusCode::kNotFound);  // not stored on failure
  // Injected errors.
  fake.InjectError("PullImage", absl::InternalError("injected"));
  EXPECT_EQ(fake.PullImage(Options("a", "sha256:abcd"), Later()),
            absl::InternalError("injected"));
  EXPECT_EQ(fake.PullCalls().size(), 3u);
}

TEST(FakeDockerClientPullTest, CheckAndDeadlineInterruptTheWait) {
  FakeDockerClient fake;
  FakeDockerClient::FakePull slow;
  slow.messages = {{"", "Pulling", 0, 0}, {"", "Waiting", 0, 0}};
  slow.interval = absl::Seconds(60);
  fake.SetPullScript("slow:1", slow);

  PullOptions options = Options("slow", "1");
  const absl::Time start = absl::Now();
  options.check = [&] {
    return absl::Now() - start > absl::Milliseconds(100)
               ? absl::CancelledError("gone")
               : absl::OkStatus();
  };
  EXPECT_EQ(fake.PullImage(options, Later()), absl::CancelledError("gone"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(10))
      << "waited out the interval";

  options.check = nullptr;
  const absl::Time start2 = absl::Now();
  EXPECT_EQ(fake.PullImage(options, start2 + absl::Milliseconds(100)).code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_LT(absl::Now() - start2, absl::Seconds(10))
      << "waited out the interval";
  EXPECT_EQ(fake.ActivePulls(), 0);
}

TEST(FakeDockerClientPullTest, ActivePullsCountsConcurrentPulls) {
  FakeDockerClient fake;
  FakeDockerClient::FakePull slow;
  slow.messages = {{"", "Pulling", 0, 0}};
  slow.interval = absl::Milliseconds(300);
  fake.SetPullScript("a:1", slow);
  fake.SetPullScript("b:1", slow);
  // Each pull's first check holds it until all three are counted.
  std::atomic<bool> release{false};
  std::vector<std::thread> threads;
  for (const char* image : {"a", "b", "a"}) {
    threads.emplace_back([&fake, &release, image] {
      PullOptions options = Options(image, "1");
      options.check = [&release] {
        testing_util::PollUntil([&release] { return release.load(); });
        return absl::OkStatus();
      };
      EXPECT_TRUE(fake.PullImage(options, Later()).ok());
    });
  }
  EXPECT_TRUE(testing_util::PollUntil([&] { return fake.ActivePulls() == 3; }))
      << "active pulls: " << fake.ActivePulls();
  release = true;
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(fake.ActivePulls(), 0);
  EXPECT_EQ(fake.PullCalls().size(), 3u);
}

}  // namespace
}  // namespace cri_dockerd::docker
