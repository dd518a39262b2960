// ContainerLogManager against the fake docker client: lines land in the
// CRI log file in order with F/P tags, rotation + Reopen loses and repeats
// nothing, restarts resume without duplicates, broken streams are
// followed again, Stop is prompt, and many copies cost two threads.
#include "cri/logs/container_log_manager.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/testing/temp_dir.h"
#include "cri/logs/cri_log_format.h"
#include "docker_client/testing/fake_docker_client.h"
#include "gtest/gtest.h"
#include "tests/poll_until.h"
#include "tests/thread_count.h"

namespace cri_dockerd::logs {
namespace {

using docker::LogEntry;

const absl::Time kBase = absl::FromUnixSeconds(1700000000);

LogEntry Out(int ms, const std::string& line, bool partial = false) {
  return LogEntry{.stream = "stdout",
                  .timestamp = kBase + absl::Milliseconds(ms),
                  .line = line,
                  .partial = partial};
}
LogEntry Err(int ms, const std::string& line) {
  return LogEntry{.stream = "stderr",
                  .timestamp = kBase + absl::Milliseconds(ms),
                  .line = line,
                  .partial = false};
}

std::string Cri(const std::vector<LogEntry>& entries) {
  std::string out;
  for (const LogEntry& e : entries) AppendCriLogLines(e, &out);
  return out;
}

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

size_t CountLines(const std::string& path) {
  const std::string text = Read(path);
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

// Polls `done` for up to 30 s.
template <typename F>
bool Eventually(F done) {
  return testing_util::PollUntil(done);
}

class ContainerLogManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
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
    path_ = dir_.path() + "/ns_pod_uid/app/0.log";
    options_.initial_backoff = absl::Milliseconds(10);
    options_.max_backoff = absl::Milliseconds(40);
    manager_ = std::make_unique<ContainerLogManager>(&docker_, options_);
  }

  void StopContainer() {
    ASSERT_TRUE(
        docker_.StopContainer(id_, absl::ZeroDuration(), absl::InfiniteFuture())
            .ok());
  }

  testing_util::TempDir dir_;
  docker::FakeDockerClient docker_;
  CopierOptions options_;
  std::unique_ptr<ContainerLogManager> manager_;
  std::string id_;
  std::string path_;
};

TEST_F(ContainerLogManagerTest, LinesLandInOrderWithTags) {
  const std::vector<LogEntry> entries = {
      Out(1, "hello"),        Err(2, "warning"),
      Out(3, "long-a", true), Err(4, "in between"),
      Out(3, "long-b", true), Out(3, "long-c"),
      Out(5, "tty line\r"),   Out(6, ""),
  };
  docker_.AppendLogs(id_, {entries.begin(), entries.begin() + 3});
  ASSERT_TRUE(manager_->Start(id_, path_, /*tty=*/false).ok());
  EXPECT_TRUE(manager_->IsCopying(id_));
  docker_.AppendLogs(id_, {entries.begin() + 3, entries.end()});
  ASSERT_TRUE(Eventually([&] { return CountLines(path_) == 8; }));
  EXPECT_EQ(Read(path_),
            "2023-11-14T22:13:20.001000000Z stdout F hello\n"
            "2023-11-14T22:13:20.002000000Z stderr F warning\n"
            "2023-11-14T22:13:20.003000000Z stdout P long-a\n"
            "2023-11-14T22:13:20.004000000Z stderr F in between\n"
            "2023-11-14T22:13:20.003000000Z stdout P long-b\n"
            "2023-11-14T22:13:20.003000000Z stdout F long-c\n"
            "2023-11-14T22:13:20.005000000Z stdout F tty line\n"
            "2023-11-14T22:13:20.006000000Z stdout F \n");
  ASSERT_EQ(docker_.LogFollowCalls().size(), 1u);
  EXPECT_EQ(docker_.LogFollowCalls()[0].since, absl::InfinitePast());
  EXPECT_FALSE(docker_.LogFollowCalls()[0].tty);

  // The container exits: the copy ends by itself, with nothing lost.
  docker_.AppendLogs(id_, {Out(7, "bye")});
  StopContainer();
  ASSERT_TRUE(Eventually([&] { return !manager_->IsCopying(id_); }));
  EXPECT_EQ(CountLines(path_), 9u);
  EXPECT_EQ(manager_->Reopen(id_).code(), absl::StatusCode::kNotFound);
}

TEST_F(ContainerLogManagerTest, RotationAndReopenLoseAndRepeatNothing) {
  ASSERT_TRUE(manager_->Start(id_, path_, false).ok());
  constexpr int kLines = 600;
  constexpr int kRotations = 2;
  // The writer may run this many lines ahead of the rotations: lines keep
  // flowing while a file is rotated, yet on a busy machine the writer
  // cannot finish before a rotation and leave the later files empty.
  constexpr int kLinesPerFile = kLines / (kRotations + 1);
  std::atomic<int> rotations{0};
  std::thread writer([&] {
    for (int i = 0; i < kLines; ++i) {
      const auto may_write = [&] {
        return i < (rotations.load() + 1) * kLinesPerFile;
      };
      if (!may_write()) testing_util::PollUntil(may_write);
      docker_.AppendLogs(id_, {Out(i, absl::StrCat("line ", i))});
      if (i % 20 == 0) absl::SleepFor(absl::Milliseconds(1));
    }
  });
  // Rotate like kubelet, twice, while lines flow.
  std::vector<std::string> files;
  for (int r = 1; r <= kRotations; ++r) {
    const bool arrived = Eventually([&] { return CountLines(path_) >= 50; });
    EXPECT_TRUE(arrived) << "before rotation " << r << ": " << CountLines(path_)
                         << " lines in " << path_;
    if (!arrived) break;
    const std::string rotated = absl::StrCat(path_, ".", r);
    EXPECT_EQ(std::rename(path_.c_str(), rotated.c_str()), 0);
    EXPECT_TRUE(manager_->Reopen(id_).ok());
    files.push_back(rotated);
    ++rotations;
  }
  rotations = kRotations;  // never leave the writer waiting
  writer.join();
  ASSERT_EQ(files.size(), static_cast<size_t>(kRotations));
  StopContainer();
  ASSERT_TRUE(Eventually([&] { return !manager_->IsCopying(id_); }));
  files.push_back(path_);
  std::string all;
  for (const std::string& f : files) {
    EXPECT_GT(CountLines(f), 0u) << f;
    all += Read(f);
  }
  std::vector<LogEntry> want;
  for (int i = 0; i < kLines; ++i)
    want.push_back(Out(i, absl::StrCat("line ", i)));
  EXPECT_EQ(all, Cri(want));
}

TEST_F(ContainerLogManagerTest, RestartResumesWithoutDuplicates) {
  // Includes a line split by docker whose pieces straddle the restart,
  // and stderr stored slightly out of timestamp order.
  const std::vector<LogEntry> entries = {
      Out(0, "a"),
      Out(10, "b"),
      Out(20, "long-1", true),
      Err(19, "late err"),
      Out(20, "long-2", true),
      Out(20, "long-3"),
      Out(30, "c"),
      Err(29, "d"),
  };
  docker_.AppendLogs(id_, {entries.begin(), entries.begin() + 5});
  ASSERT_TRUE(manager_->Start(id_, path_, false).ok());
  ASSERT_TRUE(Eventually([&] { return CountLines(path_) == 5; }));
  manager_.reset();  // the shim goes away; the container runs on
  docker_.AppendLogs(id_, {entries.begin() + 5, entries.end()});

  manager_ = std::make_unique<ContainerLogManager>(&docker_, options_);
  ASSERT_TRUE(manager_->Start(id_, path_, false).ok());
  ASSERT_TRUE(Eventually([&] { return CountLines(path_) >= 8; }));
  StopContainer();
  ASSERT_TRUE(Eventually([&] { return !manager_->IsCopying(id_); }));
  EXPECT_EQ(Read(path_), Cri(entries));
  ASSERT_EQ(docker_.LogFollowCalls().size(), 2u);
  // Asked from a second before the last line written.
  EXPECT_EQ(docker_.LogFollowCalls()[1].since,
            kBase + absl::Milliseconds(20) - absl::Seconds(1));
}

TEST_F(ContainerLogManagerTest, TornLastLineIsCutAndWrittenAgain) {
  const std::vector<LogEntry> entries = {Out(1, "one"), Out(2, "two"),
                                         Out(3, "three")};
  docker_.AppendLogs(id_, entries);
  const std::string two_lines = Cri({entries[0], entries[1]});
  const std::string torn = Cri({entries[2]}).substr(0, 40);
  std::filesystem::create_directories(dir_.path() + "/ns_pod_uid/app");
  std::ofstream(path_) << two_lines << torn;
  ASSERT_TRUE(manager_->Start(id_, path_, false).ok());
  StopContainer();
  ASSERT_TRUE(Eventually([&] { return !manager_->IsCopying(id_); }));
  EXPECT_EQ(Read(path_), Cri(entries));
}

TEST_F(ContainerLogManagerTest, BrokenStreamIsFollowedAgain) {
  docker_.AppendLogs(id_, {Out(1, "before")});
  ASSERT_TRUE(manager_->Start(id_, path_, false).ok());
  ASSERT_TRUE(Eventually([&] { return CountLines(path_) == 1; }));
  docker_.InjectErrorOnce("LogStreamMux::Follow",
                          absl::UnavailableError("dockerd is restarting"));
  docker_.BreakLogStreams(absl::UnavailableError("connection reset"));
  // Broken, refused once, then followed again from where it was.
  ASSERT_TRUE(Eventually([&] { return docker_.LogFollowCalls().size() == 2; }));
  EXPECT_EQ(docker_.LogFollowCalls()[1].since,
            kBase + absl::Milliseconds(1) - absl::Seconds(1));
  docker_.AppendLogs(id_, {Out(2, "after")});
  ASSERT_TRUE(Eventually([&] { return CountLines(path_) == 2; }));
  StopContainer();
  ASSERT_TRUE(Eventually([&] { return !manager_->IsCopying(id_); }));
  EXPECT_EQ(Read(path_), Cri({Out(1, "before"), Out(2, "after")}));
}

TEST_F(ContainerLogManagerTest, AwaitCopyEndReturnsOnceTheFileIsComplete) {
  ASSERT_TRUE(manager_->Start(id_, path_, /*tty=*/false).ok());
  // Running: the copy does not end, the wait gives up at its deadline.
  EXPECT_FALSE(
      manager_->AwaitCopyEnd(id_, absl::Now() + absl::Milliseconds(50)));
  docker_.AppendLogs(id_, {Out(1, "last words")});
  StopContainer();
  EXPECT_TRUE(manager_->AwaitCopyEnd(id_, absl::Now() + absl::Seconds(30)));
  // No polling needed afterwards: everything is in the file.
  EXPECT_EQ(CountLines(path_), 1u);
  EXPECT_TRUE(manager_->AwaitCopyEnd("never-copied", absl::Now()));
}

TEST_F(ContainerLogManagerTest, GoneContainerEndsTheCopy) {
  ASSERT_TRUE(manager_->Start("no-such-container", path_, false).ok());
  ASSERT_TRUE(
      Eventually([&] { return !manager_->IsCopying("no-such-container"); }));
  EXPECT_EQ(manager_->Reopen("no-such-container").code(),
            absl::StatusCode::kNotFound);
  // The unreadable logging driver of docker's 501 ends it too.
  docker_.InjectError("LogStreamMux::Follow",
                      absl::FailedPreconditionError("cannot read"));
  ASSERT_TRUE(manager_->Start(id_, path_, false).ok());
  ASSERT_TRUE(Eventually([&] { return !manager_->IsCopying(id_); }));
}

TEST_F(ContainerLogManagerTest, FailingStreamOfAnExitedContainerIsGivenUp) {
  docker_.InjectError("LogStreamMux::Follow", absl::InternalError("broken"));
  ASSERT_TRUE(manager_->Start(id_, path_, false).ok());
  // Retried while the container runs...
  ASSERT_TRUE(Eventually([&] { return docker_.Calls().size() >= 8; }));
  EXPECT_TRUE(manager_->IsCopying(id_));
  // ... given up once it has exited.
  StopContainer();
  ASSERT_TRUE(Eventually([&] { return !manager_->IsCopying(id_); }));
}

TEST_F(ContainerLogManagerTest, StopIsPromptAndIdempotent) {
  ASSERT_TRUE(manager_->Start(id_, path_, true).ok());
  ASSERT_TRUE(Eventually([&] { return docker_.ActiveLogFollows() == 1; }));
  EXPECT_TRUE(docker_.LogFollowCalls()[0].tty);
  // Prompt: the stream of a running container never ends by itself, so a
  // Stop that waited for it would not return at all.
  const absl::Time start = absl::Now();
  manager_->Stop(id_);
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  EXPECT_EQ(docker_.ActiveLogFollows(), 0);
  EXPECT_FALSE(manager_->IsCopying(id_));
  EXPECT_EQ(manager_->Reopen(id_).code(), absl::StatusCode::kNotFound);
  manager_->Stop(id_);
  manager_->Stop("never-started");
  // Also while waiting to follow a broken stream again.
  options_.initial_backoff = absl::Hours(1);
  manager_ = std::make_unique<ContainerLogManager>(&docker_, options_);
  docker_.InjectError("LogStreamMux::Follow", absl::UnavailableError("down"));
  const auto follows = [&] {
    const std::vector<std::string> calls = docker_.Calls();
    return std::count(calls.begin(), calls.end(), "LogStreamMux::Follow");
  };
  const auto before = follows();
  ASSERT_TRUE(manager_->Start(id_, path_, false).ok());
  ASSERT_TRUE(Eventually([&] { return follows() > before; }))
      << "the copy never tried to follow";
  // Now in (or about to enter) its hour-long backoff.
  const absl::Time again = absl::Now();
  manager_.reset();  // the destructor stops every copy
  EXPECT_LT(absl::Now() - again, absl::Seconds(10));
}

// A regression test for the copy that held a thread per container: 50
// followed containers cost the mux's thread and the worker, and a copy
// started again under the same ID after Stop is followed once.
TEST_F(ContainerLogManagerTest, FiftyCopiesShareTwoThreads) {
  const int before = testing_util::ThreadCount();
  std::vector<std::string> ids;
  for (int i = 0; i < 50; ++i) {
    docker::ContainerCreateConfig config;
    config.name = absl::StrCat("app", i);
    config.image = "busybox";
    absl::StatusOr<std::string> id =
        docker_.CreateContainer(config, absl::InfiniteFuture());
    ASSERT_TRUE(id.ok()) << id.status();
    ASSERT_TRUE(docker_.StartContainer(*id, absl::InfiniteFuture()).ok());
    docker_.AppendLogs(*id, {Out(i, absl::StrCat("line of ", i))});
    ASSERT_TRUE(
        manager_
            ->Start(*id, absl::StrCat(dir_.path(), "/c", i, "/0.log"), false)
            .ok());
    ids.push_back(*id);
  }
  ASSERT_TRUE(Eventually([&] { return docker_.ActiveLogFollows() == 50; }));
  for (int i = 0; i < 50; ++i) {
    const std::string path = absl::StrCat(dir_.path(), "/c", i, "/0.log");
    ASSERT_TRUE(Eventually([&] { return CountLines(path) == 1; })) << path;
  }
  EXPECT_LE(testing_util::ThreadCount(), before + 2);

  manager_->Stop(ids[0]);
  const size_t follows = docker_.LogFollowCalls().size();
  ASSERT_TRUE(manager_->Start(ids[0], dir_.path() + "/c0/0.log", false).ok());
  ASSERT_TRUE(Eventually([&] { return docker_.ActiveLogFollows() == 50; }));
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(docker_.LogFollowCalls().size(), follows + 1);
  EXPECT_EQ(CountLines(dir_.path() + "/c0/0.log"), 1u);
}

TEST_F(ContainerLogManagerTest, StartChecksItsArguments) {
  EXPECT_EQ(manager_->Start("", path_, false).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(manager_->Start(id_, "relative/0.log", false).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(manager_->Start(id_, dir_.path() + "/../escape.log", false).code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(manager_->Start(id_, path_, false).ok());
  EXPECT_TRUE(manager_->Start(id_, path_, false).ok());
  EXPECT_EQ(manager_->Start(id_, path_ + ".other", false).code(),
            absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(Eventually([&] { return docker_.LogFollowCalls().size() == 1; }));
  // A second copy would have started following by now.
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(docker_.LogFollowCalls().size(), 1u);
}

// kubelet's pod log directory replaced by a symlink (a pod writing to a
// hostPath under /var/log): no copy starts and nothing is created where
// the symlink points.
TEST_F(ContainerLogManagerTest, RefusesASymlinkedPodLogDirectory) {
  const std::string outside = dir_.path() + "/outside";
  ASSERT_EQ(mkdir(outside.c_str(), 0755), 0);
  ASSERT_EQ(symlink(outside.c_str(), (dir_.path() + "/ns_pod_uid").c_str()), 0);
  EXPECT_EQ(manager_->Start(id_, path_, false).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(manager_->IsCopying(id_));
  EXPECT_FALSE(std::filesystem::exists(outside + "/app"));
  EXPECT_TRUE(docker_.LogFollowCalls().empty());
}

}  // namespace
}  // namespace cri_dockerd::logs
