// The image service end to end: the real binary, the real dockerd and the
// lab's real registries (tests/harness/lab_up.sh): an open one on
// localhost:5000, a TLS one answering as registry.k8s.io, and a TLS one
// with password auth on localhost:5443. Plus misbehaving loopback servers.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/daemon_process.h"
#include "tests/integration/lab_engine.h"
#include "tests/integration/private_dockerd.h"
#include "tests/integration/tcp_fixtures.h"

namespace cri_dockerd::testing_support {
namespace {

namespace v1 = ::runtime::v1;

// Names from tests/harness/lab_env.sh.
constexpr char kBusybox[] = "localhost:5000/busybox:1.36";
// Images no other test or workload uses, for the tests that remove them:
// removal fails while any container on the engine uses an image.
constexpr char kRemovable1[] =
    "localhost:5000/k8s-staging-cri-tools/test-image-1:latest";
constexpr char kRemovable2[] =
    "localhost:5000/k8s-staging-cri-tools/test-image-2:latest";
constexpr char kRemovable3[] =
    "localhost:5000/k8s-staging-cri-tools/test-image-3:latest";
// Pulled by five calls at once; no other test uses it.
constexpr char kConcurrent[] =
    "localhost:5000/k8s-staging-cri-tools/test-image-tag:test";
constexpr char kPause[] = "registry.k8s.io/pause:3.10";
constexpr char kPrivate[] = "localhost:5443/private/busybox:1.36";
constexpr char kAuthUser[] = "crid";
constexpr char kAuthPassword[] = "crid-lab-secret";
constexpr int kOpenRegistryPort = 5000;

class ImageTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(PingDocker(LabDockerSocket())) << "needs the lab's dockerd";
    home_ = dir_.path() + "/home";
    mkdir(home_.c_str(), 0755);
  }
  void TearDown() override {
    daemon_.reset();
    // By name and unforced: that name goes, and the image only with its
    // last name and when no container uses it. Forcing, or deleting by
    // image ID, would take every name of the image, and other tests
    // running beside this one use the lab's shared images.
    for (const std::string& ref : cleanup_) {
      DockerRequest(LabDockerSocket(), "DELETE", absl::StrCat("/images/", ref));
    }
  }

  // Starts cri-dockerd with HOME pointing at a scratch home (for the
  // node-credentials fallback) and the given extra flags.
  void StartDaemon(std::vector<std::string> extra = {}) {
    socket_ = dir_.path() + "/cri.sock";
    std::vector<std::string> argv = {"env",
                                     "HOME=" + home_,
                                     CRID_BINARY,
                                     "--container-runtime-endpoint",
                                     "unix://" + socket_,
                                     "--cni-conf-dir",
                                     dir_.path(),
                                     "--cri-dockerd-root-directory",
                                     dir_.path() + "/root",
                                     "--docker-endpoint",
                                     LabDockerEndpoint()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    daemon_ = std::make_unique<DaemonProcess>(argv);
    ASSERT_TRUE(WaitUntilServing("unix://" + socket_, absl::Seconds(20)).ok())
        << daemon_->Output();
    images_ = v1::ImageService::NewStub(Dial("unix://" + socket_));
  }

  grpc::Status Pull(const std::string& image, v1::PullImageResponse* resp,
                    const v1::AuthConfig* auth = nullptr) {
    v1::PullImageRequest req;
    req.mutable_image()->set_image(image);
    if (auth != nullptr) *req.mutable_auth() = *auth;
    grpc::Status s = images_->PullImage(Ctx(absl::Minutes(2)).get(), req, resp);
    if (s.ok() && image != kBusybox && image != kPause) cleanup_.insert(image);
    return s;
  }
  std::string MustPull(const std::string& image) {
    v1::PullImageResponse resp;
    grpc::Status s = Pull(image, &resp);
    EXPECT_TRUE(s.ok()) << image << ": " << s.error_message() << "\n"
                        << daemon_->Output();
    return resp.image_ref();
  }
  v1::ImageStatusResponse Status(const std::string& image) {
    v1::ImageStatusRequest req;
    req.mutable_image()->set_image(image);
    v1::ImageStatusResponse resp;
    grpc::Status s = images_->ImageStatus(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }
  grpc::Status Remove(const std::string& image) {
    v1::RemoveImageRequest req;
    req.mutable_image()->set_image(image);
    v1::RemoveImageResponse resp;
    return images_->RemoveImage(Ctx().get(), req, &resp);
  }
  // Remove() as an assertion that shows docker's answer when it fails.
  testing::AssertionResult Removed(const std::string& image) {
    grpc::Status s = Remove(image);
    if (s.ok()) return testing::AssertionSuccess();
    return testing::AssertionFailure()
           << "RemoveImage(" << image << "): " << s.error_message();
  }
  std::vector<v1::Image> List() {
    v1::ListImagesResponse resp;
    EXPECT_TRUE(images_->ListImages(Ctx().get(), {}, &resp).ok());
    return {resp.images().begin(), resp.images().end()};
  }
  // An 8 MiB image no engine has seen: a layer of fresh random bytes, built
  // by the lab's host engine, pushed to the open registry and forgotten by
  // that engine. Removing an image does not make an engine fetch its layer
  // again (on the containerd store, containerd keeps the content until its
  // own garbage collection), so a pull that must move every byte pulls a
  // new image. Its repository path on the registry ("big:<tag>"), or "".
  static std::string PushFreshBigImage() {
    const std::string tag =
        absl::StrCat("fresh-", getpid(), "-", absl::ToUnixMillis(absl::Now()));
    const std::string ref = absl::StrCat("localhost:5000/big:", tag);
    const std::string cmd = absl::StrCat(
        "set -e; d='docker -H unix:///var/run/docker.sock'; "
        "printf 'FROM ",
        kBusybox,
        "\\nRUN head -c 8388608 /dev/urandom >/big\\n' | "
        "timeout 120 $d build -q -t ",
        ref, " - >/dev/null; ", "timeout 120 $d push ", ref, " >/dev/null; ",
        "$d rmi ", ref, " >/dev/null");
    if (system(cmd.c_str()) != 0) {
      ADD_FAILURE() << "could not build and push " << ref << ": " << cmd;
      return "";
    }
    return "big:" + tag;
  }
  static std::string DockerImageId(const std::string& ref) {
    const std::string reply =
        DockerGet(LabDockerSocket(), absl::StrCat("/images/", ref, "/json"));
    const size_t at = reply.find("\"Id\":\"");
    if (reply.find(" 200 ") == std::string::npos || at == std::string::npos) {
      return "";
    }
    return reply.substr(at + 6, reply.find('"', at + 6) - at - 6);
  }

  ScratchDir dir_;
  std::string home_, socket_;
  std::unique_ptr<DaemonProcess> daemon_;
  std::unique_ptr<v1::ImageService::Stub> images_;
  std::set<std::string> cleanup_;
};

TEST_F(ImageTest, PullListStatusRemoveRoundTrip) {
  StartDaemon();
  const std::string id = MustPull(kRemovable1);
  EXPECT_EQ(id, DockerImageId(kRemovable1)) << "image_ref is docker's image ID";
  EXPECT_EQ(id.rfind("sha256:", 0), 0u);

  bool listed = false;
  for (const v1::Image& image : List()) {
    if (image.id() != id) continue;
    listed = true;
    EXPECT_GT(image.size(), 0u);
    EXPECT_EQ(image.repo_tags(0), kRemovable1);
    ASSERT_EQ(image.repo_digests_size(), 1);
    EXPECT_EQ(
        image.repo_digests(0).rfind(
            "localhost:5000/k8s-staging-cri-tools/test-image-1@sha256:", 0),
        0u);
  }
  EXPECT_TRUE(listed);

  v1::ImageStatusResponse status = Status(kRemovable1);
  ASSERT_TRUE(status.has_image());
  EXPECT_EQ(status.image().id(), id);
  EXPECT_EQ(Status(id).image().id(), id) << "by ID";
  EXPECT_EQ(Status(id.substr(7, 12)).image().id(), id) << "by short ID";

  ASSERT_TRUE(Removed(id));
  EXPECT_EQ(DockerImageId(kRemovable1), "");
  EXPECT_FALSE(Status(kRemovable1).has_image()) << "absent: empty, no error";
  EXPECT_TRUE(Removed(id)) << "removing again is success";
}

// By digest: listed, found and removed by it; what stays is what the
// engine keeps. Docker's own store drops only the digest reference (the tag
// stays); on the containerd store a digest names the image every tag of
// the repository with that digest points at, and docker removes them all.
TEST_F(ImageTest, DigestReferencesListStatusAndRemove) {
  StartDaemon();
  const std::string id = MustPull(kRemovable1);
  ASSERT_EQ(Status(kRemovable1).image().repo_digests_size(), 1);
  const std::string digest_ref = Status(kRemovable1).image().repo_digests(0);

  v1::ListImagesRequest by_digest;
  by_digest.mutable_filter()->mutable_image()->set_image(digest_ref);
  v1::ListImagesResponse listed;
  ASSERT_TRUE(images_->ListImages(Ctx().get(), by_digest, &listed).ok());
  ASSERT_EQ(listed.images_size(), 1);
  EXPECT_EQ(listed.images(0).id(), id);
  v1::ImageStatusResponse status = Status(digest_ref);
  EXPECT_EQ(status.image().id(), id);
  EXPECT_EQ(status.image().spec().user_specified_image(), digest_ref);
  EXPECT_EQ(Status(id).image().spec().user_specified_image(), "");

  ASSERT_TRUE(Removed(digest_ref));
  EXPECT_FALSE(Status(digest_ref).has_image());
  listed.Clear();
  ASSERT_TRUE(images_->ListImages(Ctx().get(), by_digest, &listed).ok());
  EXPECT_EQ(listed.images_size(), 0);
  EXPECT_TRUE(Removed(digest_ref)) << "removing again is success";
  // The tag: exactly what docker still has.
  const std::string tagged = DockerImageId(kRemovable1);
  EXPECT_EQ(Status(kRemovable1).has_image(), !tagged.empty());
  if (!tagged.empty()) {
    EXPECT_EQ(Status(kRemovable1).image().id(), id);
  }
}

TEST_F(ImageTest, EveryReferenceFormPulls) {
  StartDaemon();
  const std::string id = MustPull(kRemovable2);
  const std::string digest_ref = Status(kRemovable2).image().repo_digests(0);
  const std::string digest = digest_ref.substr(digest_ref.find('@') + 1);
  ASSERT_TRUE(Removed(id));

  EXPECT_EQ(MustPull(digest_ref), id) << "name@digest";
  ASSERT_TRUE(Removed(id));
  EXPECT_EQ(MustPull(absl::StrCat(kRemovable2, "@", digest)), id)
      << "name:tag@digest";
  ASSERT_TRUE(Removed(id));
  // A public name served offline by the lab's TLS registry; no tag means
  // :latest.
  EXPECT_FALSE(
      MustPull("gcr.io/k8s-staging-cri-tools/test-image-latest").empty());
  EXPECT_TRUE(Status("gcr.io/k8s-staging-cri-tools/test-image-latest:latest")
                  .has_image());
}

TEST_F(ImageTest, PodInfraImageIsPinned) {
  StartDaemon({"--pod-infra-container-image", kPause});
  const std::string pause = MustPull(kPause);
  const std::string busybox = MustPull(kBusybox);
  EXPECT_TRUE(Status(kPause).image().pinned());
  EXPECT_FALSE(Status(kBusybox).image().pinned());
  for (const v1::Image& image : List()) {
    if (image.id() == pause || image.id() == busybox) {
      EXPECT_EQ(image.pinned(), image.id() == pause) << image.id();
    }
  }
}

TEST_F(ImageTest, PasswordProtectedRegistry) {
  StartDaemon();
  v1::PullImageResponse resp;
  grpc::Status s = Pull(kPrivate, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << s.error_message();
  EXPECT_NE(s.error_message().find(
                "authentication failed for registry localhost:5443"),
            std::string::npos)
      << s.error_message();

  v1::AuthConfig wrong;
  wrong.set_username(kAuthUser);
  wrong.set_password("not-the-password");
  s = Pull(kPrivate, &resp, &wrong);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << s.error_message();
  EXPECT_EQ(daemon_->Output().find("not-the-password"), std::string::npos)
      << "credentials must never be logged";

  v1::AuthConfig right;
  right.set_username(kAuthUser);
  right.set_password(kAuthPassword);
  right.set_server_address("localhost:5443");
  s = Pull(kPrivate, &resp, &right);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.image_ref(), DockerImageId(kPrivate));

  // The same with `auth` (base64 user:password) instead. By name: the
  // image is the lab's busybox, which tests running beside this one use.
  ASSERT_TRUE(Removed(kPrivate));
  v1::AuthConfig encoded;
  encoded.set_auth(
      absl::Base64Escape(absl::StrCat(kAuthUser, ":", kAuthPassword)));
  s = Pull(kPrivate, &resp, &encoded);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(daemon_->Output().find(kAuthPassword), std::string::npos);
}

TEST_F(ImageTest, NodeDockerCredentialsAreUsedWhenTheRequestHasNone) {
  mkdir((home_ + "/.docker").c_str(), 0700);
  std::ofstream(home_ + "/.docker/config.json")
      << R"({"auths":{"localhost:5443":{"auth":")"
      << absl::Base64Escape(absl::StrCat(kAuthUser, ":", kAuthPassword))
      << R"("}}})";
  StartDaemon();
  v1::PullImageResponse resp;
  grpc::Status s = Pull(kPrivate, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message() << "\n" << daemon_->Output();
}

TEST_F(ImageTest, BadReferencesAndMissingImages) {
  StartDaemon();
  v1::PullImageResponse resp;
  for (const char* bad :
       {"", "Bad/Ref", "busybox:has space", "busybox@sha256:abc"}) {
    grpc::Status s = Pull(bad, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << bad << ": " << s.error_message();
  }
  grpc::Status s = Pull("localhost:5000/busybox:no-such-tag", &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();
  s = Pull("localhost:5000/no-such-repo:1", &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();

  v1::ImageStatusRequest req;
  req.mutable_image()->set_image("Bad/Ref");
  v1::ImageStatusResponse status;
  s = images_->ImageStatus(Ctx().get(), req, &status);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ImageTest, UnreachableRegistryIsUnavailable) {
  StartDaemon();
  int port = 0;
  {
    StallServer probe;  // grab a free port, then close it again
    port = probe.port();
  }
  v1::PullImageResponse resp;
  grpc::Status s = Pull(absl::StrCat("127.0.0.1:", port, "/x:1"), &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_NE(s.error_message().find(absl::StrCat("127.0.0.1:", port)),
            std::string::npos);
}

TEST_F(ImageTest, StalledRegistryIsCancelledAtTheProgressDeadline) {
  StartDaemon({"--image-pull-progress-deadline", "2s"});
  StallServer stalled;
  v1::PullImageResponse resp;
  const absl::Time start = absl::Now();
  grpc::Status s =
      Pull(absl::StrCat("127.0.0.1:", stalled.port(), "/stuck:1"), &resp);
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED)
      << s.error_message();
  EXPECT_NE(s.error_message().find("no progress for 2s"), std::string::npos)
      << s.error_message();
  EXPECT_GE(took, absl::Seconds(2));
  // ~2 s here; the slack is for a loaded machine. Without the progress
  // deadline the pull would hang until the call's 2 min deadline.
  EXPECT_LT(took, absl::Seconds(15));
  EXPECT_GE(stalled.accepted(), 1) << "docker did reach the registry";
  for (const v1::Image& image : List()) {
    for (const std::string& tag : image.repo_tags()) {
      EXPECT_EQ(tag.find("/stuck"), std::string::npos)
          << "nothing partial left: " << tag;
    }
  }
}

TEST_F(ImageTest, SlowButMovingPullIsNotCancelled) {
  const std::string big = PushFreshBigImage();
  ASSERT_FALSE(big.empty());
  StartDaemon({"--image-pull-progress-deadline", "3s"});
  // 1 MiB/s: on the containerd image store docker reports a download's
  // progress in steps of 1 MiB, so a step comes every second, well inside
  // the 3 s deadline even on a loaded machine, while the whole pull takes
  // longer than the deadline.
  ThrottlingProxy slow(kOpenRegistryPort, 1024 * 1024);
  const std::string ref = absl::StrCat("127.0.0.1:", slow.port(), "/", big);
  const absl::Time start = absl::Now();
  const std::string id = MustPull(ref);
  const absl::Duration took = absl::Now() - start;
  EXPECT_FALSE(id.empty());
  EXPECT_GT(took, absl::Seconds(4))
      << "the 8 MiB layer should take ~8 s at 1 MiB/s, longer than the "
         "3 s progress deadline";
  EXPECT_EQ(id, DockerImageId(ref));
}

TEST_F(ImageTest, ConcurrentPullsOfOneImageAllSucceed) {
  StartDaemon();
  // Absent at first, so that the five calls meet one real pull.
  DockerRequest(LabDockerSocket(), "DELETE",
                absl::StrCat("/images/", kConcurrent));
  ASSERT_EQ(DockerImageId(kConcurrent), "");
  std::vector<std::thread> threads;
  std::vector<std::string> ids(5);
  for (int i = 0; i < 5; ++i) {
    threads.emplace_back([&, i] {
      auto stub = v1::ImageService::NewStub(Dial("unix://" + socket_));
      v1::PullImageRequest req;
      req.mutable_image()->set_image(kConcurrent);
      v1::PullImageResponse resp;
      if (stub->PullImage(Ctx(absl::Minutes(1)).get(), req, &resp).ok()) {
        ids[i] = resp.image_ref();
      }
    });
  }
  for (auto& t : threads) t.join();
  cleanup_.insert(kConcurrent);
  const std::string id = DockerImageId(kConcurrent);
  ASSERT_FALSE(id.empty());
  for (const std::string& got : ids) EXPECT_EQ(got, id);
}

TEST_F(ImageTest, ImageUsedByAContainerIsNotRemoved) {
  StartDaemon();
  const std::string id = MustPull(kRemovable3);
  const std::string created = DockerRequest(
      LabDockerSocket(), "POST", "/containers/create?name=crid-it-image-user",
      absl::StrCat(R"({"Image":")", kRemovable3, R"("})"));
  ASSERT_NE(created.find(" 201 "), std::string::npos) << created;
  grpc::Status s = Remove(id);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << s.error_message();
  EXPECT_NE(s.error_message().find("in use by a container"), std::string::npos)
      << s.error_message();
  EXPECT_EQ(DockerImageId(kRemovable3), id) << "nothing was removed";
  DockerRequest(LabDockerSocket(), "DELETE",
                "/containers/crid-it-image-user?force=1");
  EXPECT_TRUE(Removed(id));
}

TEST_F(ImageTest, RemovingOneTagKeepsTheOthers) {
  StartDaemon();
  const std::string t1 =
      "localhost:5000/k8s-staging-cri-tools/test-image-tags:1";
  const std::string t2 =
      "localhost:5000/k8s-staging-cri-tools/test-image-tags:2";
  const std::string id = MustPull(t1);
  ASSERT_EQ(MustPull(t2), id);
  ASSERT_TRUE(Remove(t1).ok());
  v1::ImageStatusResponse left = Status(id);
  ASSERT_TRUE(left.has_image());
  ASSERT_EQ(left.image().repo_tags_size(), 1);
  EXPECT_EQ(left.image().repo_tags(0), t2);
}

// Where the engine keeps image layers: docker's data root, or on the
// containerd store the snapshotter directory of the containerd the lab's
// dockerd runs itself (under its data root), where the layers really are.
TEST_F(ImageTest, ImageFsInfoDescribesTheImageStore) {
  StartDaemon();
  MustPull(kBusybox);
  v1::ImageFsInfoResponse resp;
  ASSERT_TRUE(images_->ImageFsInfo(Ctx().get(), {}, &resp).ok());
  ASSERT_EQ(resp.image_filesystems_size(), 1);
  const std::string info = DockerGet(LabDockerSocket(), "/info");
  const std::string key = "\"DockerRootDir\":\"";
  const size_t at = info.find(key) + key.size();
  const std::string root = info.substr(at, info.find('"', at) - at);
  const std::string mountpoint = resp.image_filesystems(0).fs_id().mountpoint();
  if (info.find("io.containerd.snapshotter.v1") == std::string::npos) {
    EXPECT_EQ(mountpoint, root);
  } else {
    EXPECT_EQ(
        mountpoint,
        root + "/containerd/daemon/io.containerd.snapshotter.v1.overlayfs");
    struct stat st;
    EXPECT_EQ(stat((mountpoint + "/snapshots").c_str(), &st), 0)
        << "the layers are there";
  }
  EXPECT_EQ(resp.container_filesystems(0).fs_id().mountpoint(), mountpoint);
  EXPECT_GT(resp.image_filesystems(0).used_bytes().value(), 0u);
  EXPECT_GT(resp.image_filesystems(0).inodes_used().value(), 0u);
}

TEST_F(ImageTest, StreamImagesListsWhatListImagesLists) {
  StartDaemon();
  MustPull(kBusybox);
  v1::StreamImagesRequest req;
  auto ctx = Ctx();  // must outlive the reader
  auto reader = images_->StreamImages(ctx.get(), req);
  v1::StreamImagesResponse batch;
  size_t streamed = 0;
  while (reader->Read(&batch)) streamed += batch.images_size();
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_EQ(streamed, List().size());
}

}  // namespace
}  // namespace cri_dockerd::testing_support
