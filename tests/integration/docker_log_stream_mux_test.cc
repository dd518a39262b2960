// The multiplexed log follower against the host's real dockerd, through
// CurlDockerClient directly (no cri-dockerd): 20 containers, TTY and not,
// print numbered lines to stdout and stderr and exit; one mux thread
// follows them all and gets every line, in order, with its stream, then
// on_end(OK) as each container exits. Every container made here is
// removed, also on failure.
#include <dirent.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "docker_client/curl_docker_client.h"
#include "docker_client/testing/log_stream_recorder.h"
#include "gtest/gtest.h"
#include "tests/integration/lab_engine.h"
#include "tests/poll_until.h"
#include "tests/thread_count.h"

namespace cri_dockerd::docker {
namespace {

using testing_support::LabDockerEndpoint;

constexpr char kImage[] = "localhost:5000/busybox:1.36";
constexpr int kContainers = 20;
constexpr int kLines = 40;

absl::Time Soon() { return absl::Now() + absl::Seconds(30); }

using testing_util::ThreadCount;

class DockerLogStreamMuxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<CurlDockerClient>> client =
        CurlDockerClient::Create(LabDockerEndpoint());
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = std::move(*client);
    ASSERT_TRUE(client_->Ping(Soon()).ok()) << "needs the lab's dockerd";
    if (!client_->InspectImage(kImage, Soon()).ok()) {
      PullOptions pull;
      pull.image = "localhost:5000/busybox";
      pull.tag = "1.36";
      ASSERT_TRUE(
          client_->PullImage(pull, absl::Now() + absl::Minutes(2)).ok());
    }
  }
  void TearDown() override {
    for (const std::string& id : created_) {
      absl::Status s =
          client_->RemoveContainer(id, /*force=*/true,
                                   /*remove_volumes=*/true, Soon());
      EXPECT_TRUE(s.ok() || absl::IsNotFound(s)) << s;
    }
  }

  // Creates (not starts) a container printing kLines lines, odd ones to
  // stderr, a little apart; its ID or "".
  std::string Create(int n, bool tty) {
    ContainerCreateConfig config;
    config.name = absl::StrCat("crid-logmux-it-", getpid(), "-", n);
    config.image = kImage;
    config.cmd = {"sh", "-c",
                  absl::StrCat("i=0; while [ $i -lt ", kLines,
                               " ]; do if [ $((i % 2)) = 1 ]; then echo c", n,
                               " line $i >&2; else echo c", n,
                               " line $i; fi; i=$((i + 1)); sleep 0.02; done")};
    config.tty = tty;
    config.network_mode = "none";
    config.labels["io.cri-dockerd.test"] = "docker_log_stream_mux_test";
    absl::StatusOr<std::string> id = client_->CreateContainer(config, Soon());
    EXPECT_TRUE(id.ok()) << id.status();
    if (!id.ok()) return "";
    created_.push_back(*id);
    return *id;
  }

  std::unique_ptr<CurlDockerClient> client_;
  std::vector<std::string> created_;
};

TEST_F(DockerLogStreamMuxTest, TwentyPrintingContainersOnOneThread) {
  std::vector<std::string> ids;
  for (int i = 0; i < kContainers; ++i) {
    ids.push_back(Create(i, /*tty=*/i % 2 == 1));
    ASSERT_FALSE(ids.back().empty());
  }
  std::vector<LogStreamRecorder> recs(kContainers);  // outlives the mux
  const int before = ThreadCount();
  absl::StatusOr<std::unique_ptr<LogStreamMux>> mux =
      client_->NewLogStreamMux();
  ASSERT_TRUE(mux.ok()) << mux.status();
  for (int i = 0; i < kContainers; ++i) {
    ASSERT_TRUE(client_->StartContainer(ids[i], Soon()).ok());
    LogFollowOptions options;
    options.id = ids[i];
    options.tty = i % 2 == 1;
    options.deadline = absl::Now() + absl::Minutes(2);
    ASSERT_TRUE(
        (*mux)->Follow(options, recs[i].EntrySink(), recs[i].EndSink()).ok());
  }
  EXPECT_EQ(ThreadCount(), before + 1);
  EXPECT_TRUE(testing_util::PollUntil(
      [&] {
        for (const auto& rec : recs) {
          if (!rec.ended()) return false;
        }
        return true;
      },
      absl::Minutes(2)))
      << "not every stream ended";
  for (int i = 0; i < kContainers; ++i) {
    SCOPED_TRACE(absl::StrCat("container ", i));
    const LogStreamRecorder& rec = recs[i];
    ASSERT_EQ(rec.ends().size(), 1u);
    EXPECT_TRUE(rec.end().ok()) << rec.end();
    const std::vector<LogEntry> entries = rec.entries();
    ASSERT_EQ(entries.size(), static_cast<size_t>(kLines));
    for (int n = 0; n < kLines; ++n) {
      const bool tty = i % 2 == 1;
      EXPECT_EQ(absl::StripSuffix(entries[n].line, "\r"),
                absl::StrCat("c", i, " line ", n));
      EXPECT_EQ(entries[n].stream, !tty && n % 2 == 1 ? "stderr" : "stdout");
      EXPECT_FALSE(entries[n].partial);
      if (n > 0) {
        EXPECT_GE(entries[n].timestamp, entries[n - 1].timestamp);
      }
    }
  }
  mux->reset();
  EXPECT_EQ(ThreadCount(), before);
}

}  // namespace
}  // namespace cri_dockerd::docker
