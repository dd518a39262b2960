// Interactive exec and attach against the host's real dockerd, through
// CurlDockerClient directly (no cri-dockerd): stdin reaches `cat` and
// comes back demultiplexed, CloseWrite is the process's stdin EOF, a TTY
// exec sees the size ResizeExec set, attach to a container running `cat`
// echoes, and Reset unblocks a Read. Every container made here is
// removed, also on failure.
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "docker_client/curl_docker_client.h"
#include "docker_client/mux_stream_decoder.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/lab_engine.h"

namespace cri_dockerd::docker {
namespace {

using testing_support::LabDockerEndpoint;

using ::testing::HasSubstr;

constexpr char kImage[] = "localhost:5000/busybox";
constexpr char kTag[] = "1.36";

absl::Time Soon() { return absl::Now() + absl::Seconds(30); }

// True once thread `tid` of this process (0: not known yet) sleeps in the
// kernel (state S in /proc), as one blocked in recv does; false if it has
// not after 30 s.
bool WaitUntilAsleep(const std::atomic<pid_t>& tid) {
  const absl::Time give_up = Soon();
  while (absl::Now() < give_up) {
    if (const pid_t t = tid.load(); t != 0) {
      std::ifstream in(absl::StrCat("/proc/self/task/", t, "/stat"));
      const std::string stat((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
      // "tid (comm) S ...": the state follows the last ')'.
      const size_t paren = stat.rfind(')');
      if (paren != std::string::npos && paren + 2 < stat.size() &&
          stat[paren + 2] == 'S') {
        return true;
      }
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return false;
}

// Resets `conn` if the test is still reading after `limit`, so that a
// missing reply fails the test instead of hanging it.
class Watchdog {
 public:
  Watchdog(HijackedConn* conn, absl::Duration limit)
      : thread_([this, conn, limit] {
          if (!done_.WaitForNotificationWithTimeout(limit)) conn->Reset();
        }) {}
  ~Watchdog() {
    done_.Notify();
    thread_.join();
  }

 private:
  absl::Notification done_;
  std::thread thread_;
};

// Reads and demultiplexes (unless `tty`) until EOF, or until stdout holds
// `until` when that is non-empty.
struct Output {
  std::string out, err;
  absl::Status status;
};
Output ReadStream(HijackedConn& conn, bool tty, const std::string& until = "") {
  Output o;
  MuxStreamDecoder decoder;
  Watchdog watchdog(&conn, absl::Seconds(30));
  char buf[4096];
  while (until.empty() || !absl::StrContains(o.out, until)) {
    absl::StatusOr<size_t> n = conn.Read(buf, sizeof(buf));
    if (!n.ok()) {
      o.status = n.status();
      break;
    }
    if (*n == 0) {
      o.status = decoder.Finish();
      break;
    }
    const absl::string_view chunk(buf, *n);
    if (tty) {
      o.out.append(chunk.data(), chunk.size());
      continue;
    }
    o.status = decoder.Feed(chunk, [&o](MuxStream s, absl::string_view d) {
      (s == MuxStream::kStderr ? o.err : o.out).append(d.data(), d.size());
    });
    if (!o.status.ok()) break;
  }
  return o;
}

class DockerAttachTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<CurlDockerClient>> client =
        CurlDockerClient::Create(LabDockerEndpoint());
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = std::move(*client);
    ASSERT_TRUE(client_->Ping(Soon()).ok()) << "needs the lab's dockerd";
    const std::string ref = absl::StrCat(kImage, ":", kTag);
    if (!client_->InspectImage(ref, Soon()).ok()) {
      PullOptions pull;
      pull.image = kImage;
      pull.tag = kTag;
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

  // Creates and starts a container running `cmd`; its ID or "".
  std::string Run(std::vector<std::string> cmd, bool open_stdin = false) {
    ContainerCreateConfig config;
    config.name = absl::StrCat("crid-attach-it-", getpid(), "-", ++serial_);
    config.image = absl::StrCat(kImage, ":", kTag);
    config.cmd = std::move(cmd);
    config.network_mode = "none";
    config.open_stdin = open_stdin;
    config.attach_stdin = open_stdin;
    config.labels["io.cri-dockerd.test"] = "docker_attach_test";
    absl::StatusOr<std::string> id = client_->CreateContainer(config, Soon());
    EXPECT_TRUE(id.ok()) << id.status();
    if (!id.ok()) return "";
    created_.push_back(*id);
    absl::Status s = client_->StartContainer(*id, Soon());
    EXPECT_TRUE(s.ok()) << s;
    return s.ok() ? *id : "";
  }

  // The exec's exit code once docker reports it done (-1, with a test
  // failure, if it never does). Docker may learn of the exit a moment
  // after the stream ended.
  int ExitCode(const std::string& exec) {
    const absl::Time give_up = Soon();
    for (;;) {
      absl::StatusOr<ExecInspect> inspect = client_->InspectExec(exec, Soon());
      if (!inspect.ok()) {
        ADD_FAILURE() << "inspecting exec " << exec << ": " << inspect.status();
        return -1;
      }
      if (!inspect->running && inspect->exit_code.has_value()) {
        return *inspect->exit_code;
      }
      if (absl::Now() > give_up) {
        ADD_FAILURE() << "exec " << exec << " never finished";
        return -1;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
  }

  std::string Exec(const std::string& container, std::vector<std::string> cmd,
                   bool tty) {
    ExecCreateConfig config;
    config.container_id = container;
    config.cmd = std::move(cmd);
    config.attach_stdin = true;
    config.tty = tty;
    absl::StatusOr<std::string> exec = client_->CreateExec(config, Soon());
    EXPECT_TRUE(exec.ok()) << exec.status();
    return exec.value_or("");
  }

  std::unique_ptr<CurlDockerClient> client_;
  std::vector<std::string> created_;
  int serial_ = 0;
};

TEST_F(DockerAttachTest, ExecCatEchoesStdinUntilCloseWrite) {
  const std::string id = Run({"sleep", "600"});
  ASSERT_FALSE(id.empty());
  const std::string exec = Exec(id, {"cat"}, /*tty=*/false);
  ASSERT_FALSE(exec.empty());
  absl::StatusOr<std::unique_ptr<HijackedConn>> conn =
      client_->StartExecInteractive(exec, /*tty=*/false, Soon());
  ASSERT_TRUE(conn.ok()) << conn.status();
  ASSERT_TRUE((*conn)->Write("hello\n").ok());
  ASSERT_TRUE((*conn)->CloseWrite().ok());
  const Output o = ReadStream(**conn, /*tty=*/false);
  EXPECT_TRUE(o.status.ok()) << o.status;
  EXPECT_EQ(o.out, "hello\n");
  EXPECT_EQ(o.err, "");
  EXPECT_EQ(ExitCode(exec), 0);
}

TEST_F(DockerAttachTest, TtyExecSeesResize) {
  const std::string id = Run({"sleep", "600"});
  ASSERT_FALSE(id.empty());
  // Reads a line first, so the resize lands before `stty size` runs.
  const std::string exec = Exec(id, {"sh", "-c", "read x; stty size"}, true);
  ASSERT_FALSE(exec.empty());
  absl::StatusOr<std::unique_ptr<HijackedConn>> conn =
      client_->StartExecInteractive(exec, /*tty=*/true, Soon());
  ASSERT_TRUE(conn.ok()) << conn.status();
  ASSERT_TRUE(client_->ResizeExec(exec, 40, 100, Soon()).ok());
  ASSERT_TRUE((*conn)->Write("go\n").ok());
  const Output o = ReadStream(**conn, /*tty=*/true);
  EXPECT_TRUE(o.status.ok()) << o.status;
  EXPECT_THAT(o.out, HasSubstr("40 100"));
  EXPECT_EQ(ExitCode(exec), 0);
}

TEST_F(DockerAttachTest, AttachToCatEchoes) {
  const std::string id = Run({"cat"}, /*open_stdin=*/true);
  ASSERT_FALSE(id.empty());
  AttachOptions options;
  options.stdin = true;
  absl::StatusOr<std::unique_ptr<HijackedConn>> conn =
      client_->AttachContainer(id, options, Soon());
  ASSERT_TRUE(conn.ok()) << conn.status();
  ASSERT_TRUE((*conn)->Write("hello\n").ok());
  const Output o = ReadStream(**conn, /*tty=*/false, "hello\n");
  EXPECT_TRUE(o.status.ok()) << o.status;
  EXPECT_EQ(o.out, "hello\n");
}

TEST_F(DockerAttachTest, ResetUnblocksRead) {
  const std::string id = Run({"sleep", "600"});
  ASSERT_FALSE(id.empty());
  absl::StatusOr<std::unique_ptr<HijackedConn>> conn =
      client_->AttachContainer(id, AttachOptions{}, Soon());
  ASSERT_TRUE(conn.ok()) << conn.status();
  absl::StatusOr<size_t> result = 0;
  std::atomic<pid_t> reader_tid{0};
  absl::Notification returned;
  std::thread reader([&] {
    reader_tid = gettid();
    char buf[64];
    result = (*conn)->Read(buf, sizeof(buf));
    returned.Notify();
  });
  // Reset only once the Read blocks (`sleep` prints nothing): a
  // A Reset before the Read would only test that a later Read fails.
  EXPECT_TRUE(WaitUntilAsleep(reader_tid)) << "the reader never blocked";
  (*conn)->Reset();
  // A Read that Reset leaves blocked would wait for output forever.
  const bool unblocked =
      returned.WaitForNotificationWithTimeout(absl::Seconds(30));
  EXPECT_TRUE(unblocked) << "Reset did not unblock the Read";
  if (!unblocked) {
    // End the stream from docker's side so that the test can finish.
    client_
        ->RemoveContainer(id, /*force=*/true, /*remove_volumes=*/true, Soon())
        .IgnoreError();
  }
  reader.join();
  EXPECT_TRUE(absl::IsCancelled(result.status())) << result.status();
}

TEST_F(DockerAttachTest, DockersErrors) {
  absl::StatusOr<std::unique_ptr<HijackedConn>> conn = client_->AttachContainer(
      "crid-attach-it-no-such-container", AttachOptions{}, Soon());
  EXPECT_TRUE(absl::IsNotFound(conn.status())) << conn.status();
  conn = client_->StartExecInteractive(std::string(64, 'f'), false, Soon());
  EXPECT_TRUE(absl::IsNotFound(conn.status())) << conn.status();
  absl::Status s = client_->ResizeContainer("crid-attach-it-no-such-container",
                                            24, 80, Soon());
  EXPECT_TRUE(absl::IsNotFound(s)) << s;
}

}  // namespace
}  // namespace cri_dockerd::docker
