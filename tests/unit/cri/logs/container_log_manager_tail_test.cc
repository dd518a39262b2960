// ContainerLogManager tailing docker's json-file logs (a local engine):
// no docker log stream is followed, the copy ends once docker closed the
// log and the container shows stopped, AwaitCopyEnd asks docker itself,
// a stopped container's file is continued only if kubelet has one, and
// a log that is not json-file falls back to following docker's stream.
#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/time/clock.h"
#include "common/testing/temp_dir.h"
#include "cri/logs/container_log_manager.h"
#include "docker_client/testing/fake_docker_client.h"
#include "gtest/gtest.h"
#include "tests/poll_until.h"
#include "tests/unit/cri/logs/docker_json_log_writer.h"

namespace cri_dockerd::logs {
namespace {

using testing_util::DockerJsonLogWriter;
using testing_util::PollUntil;

const absl::Time kBase = absl::FromUnixSeconds(1700000000);

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ContainerLogManagerTailTest : public ::testing::Test {
 protected:
  void SetUp() override {
    docker_.SetStateDir(dir_.path() + "/docker");
    docker::ImageInspect image;
    image.id = "sha256:" + std::string(64, 'b');
    image.repo_tags = {"busybox:latest"};
    docker_.AddImage(image);
    docker::ContainerCreateConfig config;
    config.name = "app";
    config.image = "busybox";
    absl::StatusOr<std::string> id =
        docker_.CreateContainer(config, absl::InfiniteFuture());
    ASSERT_TRUE(id.ok()) << id.status();
    id_ = *id;
    ASSERT_TRUE(docker_.StartContainer(id_, absl::InfiniteFuture()).ok());
    absl::StatusOr<docker::ContainerInspect> c =
        docker_.InspectContainer(id_, absl::InfiniteFuture());
    ASSERT_TRUE(c.ok());
    docker_log_ = c->log_path;
    const std::string dir = docker_log_.substr(0, docker_log_.rfind('/'));
    writer_ = std::make_unique<DockerJsonLogWriter>(dir, id_);
    path_ = dir_.path() + "/ns_pod_uid/app/0.log";
    LogManagerOptions options;
    options.tail_local_files = true;
    options.exit_watch.first_retry = absl::Milliseconds(5);
    manager_ = std::make_unique<ContainerLogManager>(&docker_, options);
    ASSERT_TRUE(manager_->tailing());
  }

  void Entry(int ms, const std::string& text) {
    writer_->Entry(kBase + absl::Milliseconds(ms), "stdout", text);
  }

  testing_util::TempDir dir_;
  docker::FakeDockerClient docker_;
  std::string id_;
  std::string docker_log_;
  std::string path_;
  std::unique_ptr<DockerJsonLogWriter> writer_;
  std::unique_ptr<ContainerLogManager> manager_;
};

TEST_F(ContainerLogManagerTailTest, TailsWithoutFollowingAndEndsAtTheStop) {
  Entry(1, "hello");
  ASSERT_TRUE(manager_->Start(id_, path_, /*tty=*/false).ok());
  EXPECT_TRUE(manager_->IsCopying(id_));
  EXPECT_TRUE(manager_->Start(id_, path_, false).ok());  // same path: OK
  EXPECT_TRUE(absl::IsAlreadyExists(manager_->Start(id_, path_ + "x", false)));
  Entry(2, "world");
  ASSERT_TRUE(PollUntil([&] {
    return Read(path_) ==
           "2023-11-14T22:13:20.001000000Z stdout F hello\n"
           "2023-11-14T22:13:20.002000000Z stdout F world\n";
  }));
  EXPECT_TRUE(docker_.LogFollowCalls().empty());
  // The container stops: docker closes its log, then marks it stopped.
  Entry(3, "bye");
  writer_->Close();
  ASSERT_TRUE(
      docker_.StopContainer(id_, absl::ZeroDuration(), absl::InfiniteFuture())
          .ok());
  ASSERT_TRUE(PollUntil([&] { return !manager_->IsCopying(id_); }));
  EXPECT_EQ(Read(path_),
            "2023-11-14T22:13:20.001000000Z stdout F hello\n"
            "2023-11-14T22:13:20.002000000Z stdout F world\n"
            "2023-11-14T22:13:20.003000000Z stdout F bye\n");
  EXPECT_TRUE(absl::IsNotFound(manager_->Reopen(id_)));
}

TEST_F(ContainerLogManagerTailTest, AwaitCopyEndAsksDocker) {
  ASSERT_TRUE(manager_->Start(id_, path_, false).ok());
  Entry(1, "x");
  ASSERT_TRUE(PollUntil([&] { return !Read(path_).empty(); }));
  // Stopped without the tailer seeing docker close the log.
  ASSERT_TRUE(
      docker_.StopContainer(id_, absl::ZeroDuration(), absl::InfiniteFuture())
          .ok());
  EXPECT_TRUE(manager_->AwaitCopyEnd(id_, absl::Now() + absl::Seconds(30)));
  EXPECT_FALSE(manager_->IsCopying(id_));
}

TEST_F(ContainerLogManagerTailTest, StoppedContainerWithoutCriFileStaysAbsent) {
  Entry(1, "x");
  DockerLogSource source{docker_log_, /*running=*/false};
  ASSERT_TRUE(manager_->Start(id_, path_, false, source).ok());
  EXPECT_FALSE(manager_->IsCopying(id_));
  struct stat st;
  EXPECT_NE(stat(path_.c_str(), &st), 0);
}

// StartContainer's case: the container was just started (the caller says
// running, no log path yet) but has already exited when the manager asks
// docker for its log path. Its output still gets a CRI file.
TEST_F(ContainerLogManagerTailTest, ExitedBeforeTheInspectStillGetsItsFile) {
  Entry(1, "short-lived");
  writer_->Close();
  ASSERT_TRUE(
      docker_.StopContainer(id_, absl::ZeroDuration(), absl::InfiniteFuture())
          .ok());
  ASSERT_TRUE(manager_->Start(id_, path_, false, DockerLogSource{}).ok());
  EXPECT_TRUE(manager_->AwaitCopyEnd(id_, absl::Now() + absl::Seconds(30)));
  EXPECT_EQ(Read(path_),
            "2023-11-14T22:13:20.001000000Z stdout F short-lived\n");
}

TEST_F(ContainerLogManagerTailTest, StoppedContainerGetsWhatItWroteMeanwhile) {
  Entry(1, "before");
  ASSERT_TRUE(manager_->Start(id_, path_, false).ok());
  ASSERT_TRUE(PollUntil([&] { return !Read(path_).empty(); }));
  manager_.reset();  // the shim goes down
  Entry(2, "while down");
  writer_->Close();
  ASSERT_TRUE(
      docker_.StopContainer(id_, absl::ZeroDuration(), absl::InfiniteFuture())
          .ok());
  LogManagerOptions options;
  options.tail_local_files = true;
  manager_ = std::make_unique<ContainerLogManager>(&docker_, options);
  ASSERT_TRUE(manager_->Start(id_, path_, false).ok());
  EXPECT_TRUE(manager_->AwaitCopyEnd(id_, absl::Now() + absl::Seconds(30)));
  EXPECT_EQ(Read(path_),
            "2023-11-14T22:13:20.001000000Z stdout F before\n"
            "2023-11-14T22:13:20.002000000Z stdout F while down\n");
}

TEST_F(ContainerLogManagerTailTest, OtherLoggingDriversAreFollowed) {
  DockerLogSource source{"", /*running=*/true};
  source.log_path = dir_.path() + "/journald-has-no-file.log";
  ASSERT_TRUE(manager_->Start(id_, path_, false, source).ok());
  EXPECT_TRUE(manager_->IsCopying(id_));
  ASSERT_TRUE(PollUntil([&] { return docker_.LogFollowCalls().size() == 1; }));
  manager_->Stop(id_);
  EXPECT_FALSE(manager_->IsCopying(id_));
}

}  // namespace
}  // namespace cri_dockerd::logs
