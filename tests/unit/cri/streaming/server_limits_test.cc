// The streaming server's limits end to end, against a runtime that waits
// for the client: sessions without traffic are closed (SPDY and WebSocket,
// exec and port-forward), a session's threads stay within the budget
// limits.h gives, and a thread the system refuses fails only the one
// session, which the server answers while it keeps serving.
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "cri/streaming/limits.h"
#include "cri/streaming/server.h"
#include "cri/streaming/spdy/spdy_session.h"
#include "gtest/gtest.h"
#include "tests/integration/stream_client.h"
#include "tests/poll_until.h"
#include "tests/thread_count.h"

namespace cri_dockerd::streaming {
namespace {

using testing_support::ExecOptions;
using testing_support::ExecResult;
using testing_support::RunSpdyExec;
using testing_support::RunWebSocketExec;
using testing_support::Upgrade;
using testing_util::PollUntil;
using testing_util::ThreadCount;

const std::vector<std::string> kSpdyExec = {
    "Connection: Upgrade", "Upgrade: SPDY/3.1",
    "X-Stream-Protocol-Version: v4.channel.k8s.io"};
const std::vector<std::string> kSpdyPortForward = {
    "Connection: Upgrade", "Upgrade: SPDY/3.1",
    "X-Stream-Protocol-Version: portforward.k8s.io"};

// "echo ARGS" prints its arguments; "hang" (and Attach) waits for the
// client to go; PortForward reads until the client's data stream ends.
// Nothing here starts a thread.
class WaitingRuntime : public StreamingRuntime {
 public:
  absl::StatusOr<int> Exec(const ExecRequest& req,
                           const StreamIo& io) override {
    ++execs;
    if (req.cmd[0] == "echo") {
      std::vector<std::string> args(req.cmd.begin() + 1, req.cmd.end());
      (void)io.stdout->Write(absl::StrJoin(args, " ") + "\n");
      return 0;
    }
    return WaitForClient(io);
  }
  absl::Status Attach(const AttachRequest&, const StreamIo& io) override {
    return WaitForClient(io).status();
  }
  absl::Status PortForward(const std::string&, int32_t,
                           io::ByteStream* data) override {
    ++forwarding;
    char buf[1024];
    absl::StatusOr<size_t> n;
    do {
      n = data->Read(buf, sizeof(buf));
    } while (n.ok() && *n > 0);
    --forwarding;
    ++forwards_ended;
    return n.status();
  }

  std::atomic<int> execs{0};
  std::atomic<int> hanging{0};
  std::atomic<int> hangs_ended{0};
  std::atomic<int> forwarding{0};
  std::atomic<int> forwards_ended{0};

 private:
  absl::StatusOr<int> WaitForClient(const StreamIo& io) {
    ++hanging;
    absl::Notification gone;
    const int id = io.client_gone->OnGone([&] { gone.Notify(); });
    gone.WaitForNotification();
    io.client_gone->Remove(id);
    --hanging;
    ++hangs_ended;
    return absl::CancelledError("the client went away");
  }
};

class ServerLimitsTest : public testing::Test {
 protected:
  void StartServer(absl::Duration idle_timeout) {
    StreamingServerOptions options;
    options.idle_timeout = idle_timeout;
    auto server = StreamingServer::Start(options, &runtime_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }
  std::string ExecUrl(std::vector<std::string> cmd, bool tty = false,
                      bool stdin = false) {
    ExecRequest r;
    r.container_id = "c1";
    r.cmd = std::move(cmd);
    r.tty = tty;
    r.stdin = stdin;
    r.stdout = true;
    r.stderr = !tty;
    absl::StatusOr<std::string> url = server_->ExecUrl(r);
    EXPECT_TRUE(url.ok()) << url.status();
    return url.ok() ? *url : "";
  }
  std::string PortForwardUrl() {
    absl::StatusOr<std::string> url = server_->PortForwardUrl({"pod1", {80}});
    EXPECT_TRUE(url.ok()) << url.status();
    return url.ok() ? *url : "";
  }

  WaitingRuntime runtime_;
  std::unique_ptr<StreamingServer> server_;
};

// The client's own limit is far beyond PollUntil's: only the server's idle
// timeout can end these sessions in time.
constexpr absl::Duration kClientPatience = absl::Minutes(10);

TEST_F(ServerLimitsTest, AnIdleSpdyExecIsClosed) {
  StartServer(absl::Milliseconds(300));
  ExecOptions o;
  o.timeout = kClientPatience;
  std::atomic<bool> returned{false};
  std::thread client([&] {
    (void)RunSpdyExec(ExecUrl({"hang"}), o);
    returned = true;
  });
  EXPECT_TRUE(PollUntil([&] { return runtime_.hangs_ended.load() == 1; }))
      << "the idle session was never closed";
  EXPECT_TRUE(PollUntil([&] { return returned.load(); }));
  if (!returned) server_->Stop();
  client.join();
}

TEST_F(ServerLimitsTest, AnIdleWebSocketExecIsClosed) {
  StartServer(absl::Milliseconds(300));
  ExecOptions o;
  o.timeout = kClientPatience;
  o.protocol = "v5.channel.k8s.io";
  std::atomic<bool> returned{false};
  std::thread client([&] {
    (void)RunWebSocketExec(ExecUrl({"hang"}), o);
    returned = true;
  });
  EXPECT_TRUE(PollUntil([&] { return runtime_.hangs_ended.load() == 1; }))
      << "the idle session was never closed";
  EXPECT_TRUE(PollUntil([&] { return returned.load(); }));
  if (!returned) server_->Stop();
  client.join();
}

TEST_F(ServerLimitsTest, AnIdleSpdyPortForwardIsClosed) {
  StartServer(absl::Milliseconds(300));
  absl::StatusOr<testing_support::UpgradeReply> up =
      Upgrade(PortForwardUrl(), "POST", kSpdyPortForward);
  ASSERT_TRUE(up.ok()) << up.status();
  ASSERT_EQ(up->status, 101);
  spdy::Session session(up->fd, spdy::Role::kClient, up->extra);
  ASSERT_TRUE(
      session.Start([](std::shared_ptr<spdy::Stream> s) { s->Reset(); }).ok());
  const absl::Time deadline = absl::Now() + testing_util::kPollTimeout;
  for (const char* type : {"error", "data"}) {
    ASSERT_TRUE(
        session
            .OpenStream(
                {{"streamtype", type}, {"port", "80"}, {"requestid", "0"}},
                std::string(type) == "error", deadline)
            .ok())
        << type;
  }
  ASSERT_TRUE(PollUntil([&] { return runtime_.forwarding.load() == 1; }));
  EXPECT_TRUE(session.Wait(absl::Now() + testing_util::kPollTimeout))
      << "the idle session was never closed";
  EXPECT_TRUE(PollUntil([&] { return runtime_.forwards_ended.load() == 1; }));
}

TEST_F(ServerLimitsTest, ZeroMeansNoIdleTimeout) {
  StartServer(absl::ZeroDuration());
  ExecOptions o;
  o.timeout = kClientPatience;
  std::thread client([&] { (void)RunSpdyExec(ExecUrl({"hang"}), o); });
  ASSERT_TRUE(PollUntil([&] { return runtime_.hanging.load() == 1; }));
  absl::SleepFor(absl::Seconds(1));
  EXPECT_EQ(runtime_.hangs_ended.load(), 0);
  server_->Stop();  // ends it
  client.join();
  EXPECT_EQ(runtime_.hangs_ended.load(), 1);
}

TEST_F(ServerLimitsTest, AnExecSessionStaysWithinItsThreadBudget) {
  StartServer(absl::ZeroDuration());
  const std::string url = ExecUrl({"hang"}, /*tty=*/true, /*stdin=*/true);
  const int before = ThreadCount();
  absl::StatusOr<testing_support::UpgradeReply> up =
      Upgrade(url, "POST", kSpdyExec);
  ASSERT_TRUE(up.ok()) << up.status();
  ASSERT_EQ(up->status, 101);
  {
    spdy::Session session(up->fd, spdy::Role::kClient, up->extra);
    ASSERT_TRUE(
        session.Start([](std::shared_ptr<spdy::Stream> s) { s->Reset(); })
            .ok());
    const absl::Time deadline = absl::Now() + testing_util::kPollTimeout;
    // Every stream a TTY exec with stdin can have: the most threads.
    for (const char* type : {"error", "stdin", "stdout", "resize"}) {
      ASSERT_TRUE(session
                      .OpenStream({{"streamtype", type}},
                                  std::string(type) != "stdin" &&
                                      std::string(type) != "resize",
                                  deadline)
                      .ok())
          << type;
    }
    ASSERT_TRUE(PollUntil([&] { return runtime_.hanging.load() == 1; }));
    // This test's own client adds its reader thread.
    EXPECT_LE(ThreadCount() - before, 1 + kMaxExecSessionThreads);
    session.Close();
  }
  EXPECT_TRUE(PollUntil([&] { return runtime_.hangs_ended.load() == 1; }));
}

TEST_F(ServerLimitsTest, APortForwardSessionForwardsAtMostItsLimitAtOnce) {
  StartServer(absl::ZeroDuration());
  const std::string url = PortForwardUrl();
  const int before = ThreadCount();
  absl::StatusOr<testing_support::UpgradeReply> up =
      Upgrade(url, "POST", kSpdyPortForward);
  ASSERT_TRUE(up.ok()) << up.status();
  ASSERT_EQ(up->status, 101);
  spdy::Session session(up->fd, spdy::Role::kClient, up->extra);
  ASSERT_TRUE(
      session.Start([](std::shared_ptr<spdy::Stream> s) { s->Reset(); }).ok());
  const absl::Time deadline = absl::Now() + testing_util::kPollTimeout;
  std::vector<std::shared_ptr<spdy::Stream>> errors;
  auto open_pair = [&](int i) {
    const std::string id = absl::StrCat(i);
    auto error = session.OpenStream(
        {{"streamtype", "error"}, {"port", "80"}, {"requestid", id}}, true,
        deadline);
    auto data = session.OpenStream(
        {{"streamtype", "data"}, {"port", "80"}, {"requestid", id}}, false,
        deadline);
    ASSERT_TRUE(error.ok() && data.ok()) << i;
    errors.push_back(*error);
  };
  for (int i = 0; i < kMaxForwardedConnections; ++i) {
    ASSERT_NO_FATAL_FAILURE(open_pair(i));
  }
  ASSERT_TRUE(PollUntil([&] {
    return runtime_.forwarding.load() == kMaxForwardedConnections;
  })) << runtime_.forwarding.load();
  // This test's own client adds its reader thread.
  EXPECT_LE(ThreadCount() - before, 1 + kMaxPortForwardSessionThreads);
  // One more is refused on its error stream; the others go on.
  ASSERT_NO_FATAL_FAILURE(open_pair(kMaxForwardedConnections));
  std::string refusal;
  char buf[256];
  absl::StatusOr<size_t> n;
  while ((n = errors.back()->Read(buf, sizeof(buf))).ok() && *n > 0) {
    refusal.append(buf, *n);
  }
  EXPECT_TRUE(absl::StrContains(refusal, "too many forwarded connections"))
      << refusal;
  EXPECT_EQ(runtime_.forwarding.load(), kMaxForwardedConnections);
  session.Close();
  EXPECT_TRUE(PollUntil([&] { return runtime_.forwarding.load() == 0; }));
}

// The soft RLIMIT_NPROC: `extra` more threads than this process has now
// (exact only when this process is alone under its user), or none at all
// (-1). RLIM_INFINITY-like restores the hard limit.
bool LimitThreads(int extra) {
  rlimit lim;
  if (getrlimit(RLIMIT_NPROC, &lim) != 0) return false;
  lim.rlim_cur = extra < 0 ? 0 : static_cast<rlim_t>(ThreadCount() + extra);
  return setrlimit(RLIMIT_NPROC, &lim) == 0;
}
bool UnlimitThreads() {
  rlimit lim;
  if (getrlimit(RLIMIT_NPROC, &lim) != 0) return false;
  lim.rlim_cur = lim.rlim_max;
  return setrlimit(RLIMIT_NPROC, &lim) == 0;
}

#define CHILD_CHECK(cond, what)              \
  do {                                       \
    if (!(cond)) {                           \
      fprintf(stderr, "FAILED: %s\n", what); \
      return 1;                              \
    }                                        \
  } while (0)

// Runs in a child process of its own (a death test): root ignores
// RLIMIT_NPROC, so a root child first becomes a user no other process
// runs as, which also makes the limit count this process's threads only.
int RefusedThreadsScenario() {
  WaitingRuntime runtime;
  StreamingServerOptions options;
  options.idle_timeout = absl::ZeroDuration();
  auto server = StreamingServer::Start(options, &runtime);
  CHILD_CHECK(server.ok(), "server start");
  auto exec_url = [&](const char* word) {
    ExecRequest r;
    r.container_id = "c1";
    r.cmd = {"echo", word};
    r.stdout = true;
    r.stderr = true;
    return (*server)->ExecUrl(r).value_or("");
  };
  const bool alone = geteuid() == 0;
  if (alone) {
    const uid_t uid = 2000000000u + static_cast<uid_t>(getpid() % 1000000);
    CHILD_CHECK(setgid(uid) == 0 && setuid(uid) == 0, "setuid");
  }
  const int threads = ThreadCount();

  // No thread at all: the session is refused with 503, its token spent.
  const std::string url = exec_url("refused");
  CHILD_CHECK(LimitThreads(-1), "setrlimit");
  auto up = Upgrade(url, "POST", kSpdyExec);
  CHILD_CHECK(up.ok() && up->status == 503, "503 without threads");
  CHILD_CHECK(absl::StrContains(up->body, "cannot start"), up->body.c_str());
  // Still serving: what needs no thread is answered.
  up = Upgrade((*server)->base_url() + "/exec/unknown", "POST", kSpdyExec);
  CHILD_CHECK(up.ok() && up->status == 404, "404 without threads");

  if (alone) {
    // One thread: the session starts, its SPDY (or WebSocket) reader does
    // not; the client sees the connection end after the upgrade.
    CHILD_CHECK(UnlimitThreads(), "setrlimit");
    CHILD_CHECK(PollUntil([&] { return ThreadCount() == threads; }),
                "threads settle");
    const std::string spdy_url = exec_url("spdy");
    const std::string ws_url = exec_url("ws");
    CHILD_CHECK(LimitThreads(1), "setrlimit");
    up = Upgrade(spdy_url, "POST", kSpdyExec);
    CHILD_CHECK(up.ok() && up->status == 101, "SPDY upgrade");
    char c;
    CHILD_CHECK(recv(up->fd, &c, 1, 0) <= 0, "SPDY connection closed");
    close(up->fd);
    CHILD_CHECK(PollUntil([&] { return ThreadCount() == threads; }),
                "threads settle");
    up = Upgrade(ws_url, "GET",
                 {"Connection: Upgrade", "Upgrade: websocket",
                  "Sec-WebSocket-Version: 13",
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
                  "Sec-WebSocket-Protocol: v5.channel.k8s.io"});
    CHILD_CHECK(up.ok() && up->status == 101, "WebSocket upgrade");
    CHILD_CHECK(recv(up->fd, &c, 1, 0) <= 0, "WebSocket connection closed");
    close(up->fd);
    CHILD_CHECK(runtime.execs.load() == 0, "the runtime never ran");
  }

  // Threads again: served as before.
  CHILD_CHECK(UnlimitThreads(), "setrlimit");
  absl::StatusOr<ExecResult> r = RunSpdyExec(exec_url("back"), {});
  CHILD_CHECK(r.ok() && r->stdout == "back\n",
              (r.ok() ? r->stdout + r->error : r.status().ToString()).c_str());
  (*server)->Stop();
  return 0;
}

TEST(StreamingThreadLimitTest, ARefusedThreadFailsOnlyItsSession) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        const int code = RefusedThreadsScenario();
        fflush(stderr);
        _exit(code);
      },
      testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace cri_dockerd::streaming
