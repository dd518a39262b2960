// The streaming server against a scripted runtime (no docker): URLs and
// tokens, SPDY and WebSocket negotiation, the remotecommand stream set-up,
// status reporting, port-forward pairing, and clients that misbehave.
#include "cri/streaming/server.h"

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "cri/streaming/spdy/spdy_session.h"
#include "gtest/gtest.h"
#include "tests/integration/stream_client.h"
#include "tests/poll_until.h"

namespace cri_dockerd::streaming {
namespace {

using testing_support::ExecOptions;
using testing_support::ExecResult;
using testing_support::RunSpdyExec;
using testing_support::RunWebSocketExec;
using testing_support::Upgrade;

absl::Status ReadAll(io::ByteStream* s, std::string* out) {
  char buf[4096];
  while (true) {
    absl::StatusOr<size_t> n = s->Read(buf, sizeof(buf));
    if (!n.ok()) return n.status();
    if (*n == 0) return absl::OkStatus();
    out->append(buf, *n);
  }
}

// Commands: echo ARGS..., cat (stdin to stdout), exit N, fail, size (first
// terminal size), hang (until the client goes).
class ScriptedRuntime : public StreamingRuntime {
 public:
  absl::StatusOr<int> Exec(const ExecRequest& req,
                           const StreamIo& io) override {
    const std::string& cmd = req.cmd[0];
    if (cmd == "echo") {
      std::vector<std::string> args(req.cmd.begin() + 1, req.cmd.end());
      (void)io.stdout->Write(absl::StrJoin(args, " ") + "\n");
      if (io.stderr != nullptr) (void)io.stderr->Write("to-stderr\n");
      return 0;
    }
    if (cmd == "cat") {
      std::string in;
      (void)ReadAll(io.stdin, &in);
      (void)io.stdout->Write(in);
      return 0;
    }
    if (cmd == "exit") return std::stoi(req.cmd[1]);
    if (cmd == "fail") return absl::NotFoundError("no such container: x");
    if (cmd == "size") {
      std::optional<TerminalSize> s = io.resize->Next();
      if (!s) return 1;
      (void)io.stdout->Write(absl::StrCat(s->width, "x", s->height));
      return 0;
    }
    if (cmd == "hang") {
      hang_started_.store(true);
      absl::Notification gone;
      int id = io.client_gone->OnGone([&] { gone.Notify(); });
      gone.WaitForNotification();
      io.client_gone->Remove(id);
      hang_returned_.store(true);
      return absl::CancelledError("client went away");
    }
    return 127;
  }
  absl::Status Attach(const AttachRequest& req, const StreamIo& io) override {
    (void)io.stdout->Write("attached to " + req.container_id + "\n");
    return absl::OkStatus();
  }
  absl::Status PortForward(const std::string& sandbox, int32_t port,
                           io::ByteStream* data) override {
    if (port == 1) return absl::UnavailableError("connection refused");
    // Echo with a prefix until the client half-closes.
    std::string in;
    absl::Status s = ReadAll(data, &in);
    if (!s.ok()) return s;
    return data->Write(absl::StrCat(sandbox, ":", port, ":", in));
  }
  std::atomic<bool> hang_started_{false};
  std::atomic<bool> hang_returned_{false};
};

class ServerTest : public testing::Test {
 protected:
  void SetUp() override {
    auto server = StreamingServer::Start({}, &runtime_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }
  std::string Exec(std::vector<std::string> cmd, bool tty = false,
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
  ScriptedRuntime runtime_;
  std::unique_ptr<StreamingServer> server_;
};

TEST_F(ServerTest, UrlsPointAtLoopbackWithKindAndToken) {
  const std::string url = Exec({"echo"});
  EXPECT_TRUE(absl::StartsWith(url, server_->base_url() + "/exec/")) << url;
  EXPECT_TRUE(absl::StartsWith(url, "http://127.0.0.1:")) << url;
  absl::StatusOr<std::string> pf = server_->PortForwardUrl({"s1", {80}});
  ASSERT_TRUE(pf.ok());
  EXPECT_TRUE(absl::StrContains(*pf, "/portforward/")) << *pf;
}

TEST_F(ServerTest, SpdyExecReportsOutputAndStatus) {
  absl::StatusOr<ExecResult> r = RunSpdyExec(Exec({"echo", "a", "b"}), {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stdout, "a b\n");
  EXPECT_EQ(r->stderr, "to-stderr\n");
  EXPECT_EQ(r->error, R"({"metadata":{},"status":"Success"})");

  r = RunSpdyExec(Exec({"exit", "5"}), {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(absl::StrContains(r->error, R"("message":"5")")) << r->error;

  r = RunSpdyExec(Exec({"fail"}), {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(absl::StrContains(r->error, R"("reason":"InternalError")"))
      << r->error;
  EXPECT_TRUE(absl::StrContains(r->error, "no such container")) << r->error;
}

TEST_F(ServerTest, SpdyV2ReportsOnlyFailuresAsText) {
  ExecOptions o;
  o.protocol = "v2.channel.k8s.io";
  absl::StatusOr<ExecResult> r = RunSpdyExec(Exec({"echo", "x"}), o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->error, "");
  r = RunSpdyExec(Exec({"exit", "2"}), o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(absl::StrContains(r->error, "exit code 2")) << r->error;
}

TEST_F(ServerTest, SpdyStdinAndResize) {
  ExecOptions o;
  o.stdin = true;
  o.input = std::string(2 << 20, 'z');
  absl::StatusOr<ExecResult> r = RunSpdyExec(Exec({"cat"}, false, true), o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stdout.size(), size_t{2} << 20);

  ExecOptions t;
  t.tty = true;
  t.stderr = false;
  t.sizes = {{132, 43}};
  r = RunSpdyExec(Exec({"size"}, true), t);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stdout, "132x43");
}

TEST_F(ServerTest, WebSocketProtocols) {
  for (const char* p :
       {"v5.channel.k8s.io", "v4.channel.k8s.io", "v4.base64.channel.k8s.io",
        "base64.channel.k8s.io", "channel.k8s.io"}) {
    ExecOptions o;
    o.protocol = p;
    absl::StatusOr<ExecResult> r = RunWebSocketExec(Exec({"echo", p}), o);
    ASSERT_TRUE(r.ok()) << p << ": " << r.status();
    EXPECT_EQ(r->stdout, absl::StrCat(p, "\n"));
    EXPECT_EQ(r->stderr, "to-stderr\n");
    if (absl::StartsWith(p, "v")) {
      EXPECT_EQ(r->error, R"({"metadata":{},"status":"Success"})") << p;
    } else {
      EXPECT_EQ(r->error, "") << p;
    }
  }
  ExecOptions v5;
  v5.protocol = "v5.channel.k8s.io";
  v5.stdin = true;
  v5.input = "through websocket";
  absl::StatusOr<ExecResult> r =
      RunWebSocketExec(Exec({"cat"}, false, true), v5);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stdout, "through websocket");
}

TEST_F(ServerTest, AttachRunsTheRuntimesAttach) {
  absl::StatusOr<std::string> url =
      server_->AttachUrl({"c9", false, false, true, false});
  ASSERT_TRUE(url.ok());
  ExecOptions o;
  o.stderr = false;
  absl::StatusOr<ExecResult> r = RunSpdyExec(*url, o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stdout, "attached to c9\n");
}

TEST_F(ServerTest, TokensAreSingleUseAndKindBound) {
  const std::string url = Exec({"echo"});
  ASSERT_TRUE(RunSpdyExec(url, {}).ok());
  absl::StatusOr<ExecResult> again = RunSpdyExec(url, {});
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(absl::StrContains(again.status().message(), "404"))
      << again.status();
  const std::string other = Exec({"echo"});
  std::string wrong = other;
  wrong.replace(wrong.find("/exec/"), 6, "/attach/");
  EXPECT_FALSE(RunSpdyExec(wrong, {}).ok());
  EXPECT_FALSE(RunSpdyExec(other, {}).ok()) << "spent by the wrong kind";
}

TEST_F(ServerTest, HttpLevelRefusals) {
  auto status_of = [](const std::string& url, const std::string& method,
                      std::vector<std::string> headers) {
    absl::StatusOr<testing_support::UpgradeReply> r =
        Upgrade(url, method, headers);
    return r.ok() ? r->status : -1;
  };
  const std::vector<std::string> spdy = {
      "Connection: Upgrade", "Upgrade: SPDY/3.1",
      "X-Stream-Protocol-Version: v4.channel.k8s.io"};
  EXPECT_EQ(status_of(server_->base_url() + "/exec/x", "POST", spdy), 404);
  EXPECT_EQ(status_of(server_->base_url() + "/", "GET", spdy), 404);
  EXPECT_EQ(status_of(server_->base_url() + "/exec/a/b", "GET", spdy), 404);
  EXPECT_EQ(status_of(Exec({"echo"}), "DELETE", spdy), 405);
  EXPECT_EQ(status_of(Exec({"echo"}), "POST",
                      {"Connection: Upgrade", "Upgrade: SPDY/3.1",
                       "X-Stream-Protocol-Version: v9"}),
            403);
  EXPECT_EQ(status_of(Exec({"echo"}), "POST",
                      {"X-Stream-Protocol-Version: v4.channel.k8s.io"}),
            400);
  // An exec that asks for no stream at all.
  ExecRequest none;
  none.container_id = "c";
  none.cmd = {"echo"};
  absl::StatusOr<std::string> url = server_->ExecUrl(none);
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(status_of(*url, "POST", spdy), 400);
}

TEST_F(ServerTest, MalformedInputClosesOnlyThatConnection) {
  // Each is a complete frame that is wrong: unsupported version, a PING
  // of the wrong size, a SYN_STREAM whose header block is not zlib.
  for (const std::string& junk :
       {std::string(100, '\xff'),
        std::string("\x80\x03\x00\x06\x00\x00\x00\x02"
                    "ab",
                    10),
        std::string("\x80\x03\x00\x01\x00\x00\x00\x0e"
                    "\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00junk",
                    22)}) {
    absl::StatusOr<testing_support::UpgradeReply> r =
        Upgrade(Exec({"echo"}), "POST",
                {"Connection: Upgrade", "Upgrade: SPDY/3.1",
                 "X-Stream-Protocol-Version: v4.channel.k8s.io"});
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->status, 101);
    send(r->fd, junk.data(), junk.size(), MSG_NOSIGNAL);
    timeval tv{30, 0};
    setsockopt(r->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char buf[1024];
    ssize_t n;
    while ((n = recv(r->fd, buf, sizeof(buf), 0)) > 0) {
    }
    EXPECT_EQ(n, 0) << "the server should close the connection";
    close(r->fd);
  }
  // A head that never ends is cut off by its size bound.
  absl::StatusOr<testing_support::UpgradeReply> big =
      Upgrade(Exec({"echo"}), "POST", {"X-Big: " + std::string(20000, 'a')});
  ASSERT_TRUE(big.ok()) << big.status();
  EXPECT_EQ(big->status, 431);
  absl::StatusOr<ExecResult> ok = RunSpdyExec(Exec({"echo", "fine"}), {});
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->stdout, "fine\n");
}

TEST_F(ServerTest, ClientThatGoesAwayReleasesTheRuntime) {
  absl::StatusOr<testing_support::UpgradeReply> up =
      Upgrade(Exec({"hang"}), "POST",
              {"Connection: Upgrade", "Upgrade: SPDY/3.1",
               "X-Stream-Protocol-Version: v4.channel.k8s.io"});
  ASSERT_TRUE(up.ok()) << up.status();
  ASSERT_EQ(up->status, 101);
  {
    spdy::Session session(up->fd, spdy::Role::kClient, up->extra);
    ASSERT_TRUE(
        session.Start([](std::shared_ptr<spdy::Stream> s) { s->Reset(); })
            .ok());
    const absl::Time deadline = absl::Now() + testing_util::kPollTimeout;
    for (const char* type : {"error", "stdout", "stderr"}) {
      ASSERT_TRUE(
          session.OpenStream({{"streamtype", type}}, true, deadline).ok())
          << type;
    }
    ASSERT_TRUE(testing_util::PollUntil([&] {
      return runtime_.hang_started_.load();
    })) << "the exec never started";
    EXPECT_FALSE(runtime_.hang_returned_.load());
    session.Close();  // the client goes away mid-exec
  }
  EXPECT_TRUE(testing_util::PollUntil([&] {
    return runtime_.hang_returned_.load();
  })) << "the runtime still waits for a client that went away";
}

TEST_F(ServerTest, StopEndsLiveSessions) {
  std::thread client([&] {
    ExecOptions o;
    o.timeout = absl::Seconds(60);
    (void)RunSpdyExec(Exec({"hang"}), o);
  });
  EXPECT_TRUE(testing_util::PollUntil([&] {
    return runtime_.hang_started_.load();
  })) << "the exec never started";
  // Ended by Stop, not by the client's 60 s timeout.
  const absl::Time start = absl::Now();
  server_->Stop();
  client.join();
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  EXPECT_TRUE(runtime_.hang_returned_.load());
}

TEST_F(ServerTest, SpdyPortForwardPairsStreamsAndReportsErrors) {
  absl::StatusOr<std::string> url = server_->PortForwardUrl({"s1", {80}});
  ASSERT_TRUE(url.ok());
  // The scripted runtime echoes once the client half-closes; our client
  // does not half-close, so use port 1 (refused) for the error path and
  // the WebSocket test below for data.
  std::string error;
  absl::StatusOr<std::string> got =
      testing_support::SpdyPortForward(*url, 1, "", &error);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, "");
  EXPECT_EQ(error,
            "error forwarding port 1 to pod s1, uid : connection refused");
}

TEST_F(ServerTest, WebSocketPortForwardPrefixesThePort) {
  absl::StatusOr<std::string> url = server_->PortForwardUrl({"s2", {1}});
  ASSERT_TRUE(url.ok());
  std::string error;
  absl::StatusOr<std::string> got =
      testing_support::WebSocketPortForward(*url, "", &error);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, std::string("\x01\x00", 2));
  EXPECT_EQ(error, std::string("\x01\x00", 2) +
                       "error forwarding port 1 to pod s2, uid : connection "
                       "refused");
}

}  // namespace
}  // namespace cri_dockerd::streaming
