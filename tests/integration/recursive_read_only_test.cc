// Recursive read-only mounts on the real engine: a host directory with a
// tmpfs mounted inside it is bind-mounted read-only into a container.
// Where the runtime handlers offer recursive_read_only_mounts (Docker 25+
// on a kernel with mount_setattr) a recursive read-only mount makes the
// submount read-only too, while a plain read-only mount leaves it
// writable, which is why kubelet wants the recursive kind; where they do
// not (Docker 20.10), CreateContainer refuses the mount naming its field.
#include <sys/mount.h>
#include <sys/stat.h>

#include <cstdlib>
#include <string>

#include "gtest/gtest.h"
#include "tests/integration/cri_fixture.h"
#include "tests/integration/lab_engine.h"
#include "tests/integration/private_dockerd.h"

namespace cri_dockerd::testing_support {
namespace {

class RecursiveReadOnlyTest : public CriTest {
 protected:
  void SetUp() override {
    host_ = dir_.path() + "/rro";
    ASSERT_EQ(mkdir(host_.c_str(), 0755), 0);
    ASSERT_EQ(mkdir((host_ + "/sub").c_str(), 0755), 0);
    ASSERT_EQ(mount("tmpfs", (host_ + "/sub").c_str(), "tmpfs", 0, "size=1m"),
              0)
        << "mounting a tmpfs needs root";
    mounted_ = true;
    ASSERT_NO_FATAL_FAILURE(StartCri());
    pod_config_ = PodConfig("rro");
    sandbox_ = RunPod(pod_config_);
    ASSERT_FALSE(sandbox_.empty());
  }
  void TearDown() override {
    CriTest::TearDown();  // the pod and its containers
    if (mounted_) umount2((host_ + "/sub").c_str(), MNT_DETACH);
  }

  // Whether every runtime handler offers recursive read-only mounts.
  bool Offered() {
    v1::StatusResponse resp;
    grpc::Status s = runtime_->Status(Ctx().get(), {}, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_GT(resp.runtime_handlers_size(), 0);
    bool all = resp.runtime_handlers_size() > 0;
    for (const auto& h : resp.runtime_handlers()) {
      all = all && h.features().recursive_read_only_mounts();
    }
    return all;
  }

  // busybox trying to write at the top of the mount and in the submount,
  // saying what happened in its log.
  v1::ContainerConfig Writer(const std::string& name, bool recursive) {
    v1::ContainerConfig c =
        Busybox(name,
                "touch /data/top 2>/dev/null && echo top-rw || echo top-ro; "
                "touch /data/sub/x 2>/dev/null && echo sub-rw || echo sub-ro");
    v1::Mount* m = c.add_mounts();
    m->set_host_path(host_);
    m->set_container_path("/data");
    m->set_readonly(true);
    m->set_recursive_read_only(recursive);
    m->set_propagation(v1::PROPAGATION_PRIVATE);
    return c;
  }

  std::string host_;
  bool mounted_ = false;
  v1::PodSandboxConfig pod_config_;
  std::string sandbox_;
};

TEST_F(RecursiveReadOnlyTest, SubmountsFollowTheMountOnlyWhenRecursive) {
  // A plain read-only bind mount: its submount stays writable.
  ASSERT_FALSE(StartContainer(sandbox_, Writer("plain", false)).empty());
  const std::string plain = WaitForText(LogPath("plain"), "sub-");
  EXPECT_NE(plain.find("top-ro"), std::string::npos) << plain;
  EXPECT_NE(plain.find("sub-rw"), std::string::npos) << plain;

  // This lab's kernel has mount_setattr: the engine's API version decides.
  const std::string version = DockerGet(LabDockerSocket(), "/version");
  const size_t at = version.find("\"ApiVersion\":\"1.");
  ASSERT_NE(at, std::string::npos) << version;
  const int minor = atoi(version.c_str() + at + 16);
  const bool offered = Offered();
  EXPECT_EQ(offered, minor >= 44) << "engine API 1." << minor;
  if (!offered) {
    v1::CreateContainerRequest create;
    create.set_pod_sandbox_id(sandbox_);
    *create.mutable_config() = Writer("recursive", true);
    *create.mutable_sandbox_config() = pod_config_;
    v1::CreateContainerResponse created;
    grpc::Status s = runtime_->CreateContainer(Ctx(absl::Minutes(1)).get(),
                                               create, &created);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
        << s.error_message();
    EXPECT_NE(s.error_message().find("mounts[0].recursive_read_only"),
              std::string::npos)
        << s.error_message();
    return;
  }
  ASSERT_FALSE(StartContainer(sandbox_, Writer("recursive", true)).empty());
  const std::string recursive = WaitForText(LogPath("recursive"), "sub-");
  EXPECT_NE(recursive.find("top-ro"), std::string::npos) << recursive;
  EXPECT_NE(recursive.find("sub-ro"), std::string::npos) << recursive;
}

}  // namespace
}  // namespace cri_dockerd::testing_support
