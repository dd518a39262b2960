// Exec, attach and port-forward through the streaming server, end to end:
// the real binary over gRPC for the URLs, our own SPDY and WebSocket
// clients for the sessions, the real dockerd and the lab's busybox. Pods
// use docker's bridge (no-op network mode), so each has its own network
// namespace for port-forward; one host-network pod checks that path.
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/cri_fixture.h"
#include "tests/integration/private_dockerd.h"
#include "tests/integration/stream_client.h"

namespace cri_dockerd::testing_support {
namespace {

// Reads a line, then prints the terminal size once it is `rows cols`
// (polling for 30 s or more). Docker before API 1.42 starts a TTY exec at
// 0x0 and the size arrives by a resize racing the command, and busybox's
// `stty size` prints nothing at all for 0x0: only the exact answer ends
// the wait, and a timeout prints the last one seen.
std::string ReadThenSize(int rows, int cols) {
  const std::string want = absl::StrCat(rows, " ", cols);
  return absl::StrCat(
      "read x; for i in $(seq 300); do s=$(stty size 2>/dev/null); [ \"$s\" = "
      "\"",
      want, "\" ] && break; sleep 0.1; done; echo \"size=$s\"");
}

// Calls `forward` until its reply holds `want` or 60 s have passed: the
// server in a container just started may not listen yet (its port-forward
// then ends with an error on the error stream). A failed session ends the
// wait at once.
absl::StatusOr<std::string> ForwardUntil(
    const std::function<absl::StatusOr<std::string>(std::string* error)>&
        forward,
    absl::string_view want, std::string* error) {
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (true) {
    error->clear();
    absl::StatusOr<std::string> got = forward(error);
    if (!got.ok() || absl::StrContains(*got, want) || absl::Now() > deadline) {
      return got;
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
}

// Whether the lab's engine speaks Docker API `major`.`minor` or later.
bool EngineApiAtLeast(int major, int minor) {
  const std::string reply = DockerGet(LabDockerSocket(), "/version");
  const std::string key = "\"ApiVersion\":\"";
  const size_t at = reply.find(key);
  int have_major = 0, have_minor = 0;
  if (at == std::string::npos ||
      sscanf(reply.c_str() + at + key.size(), "%d.%d", &have_major,
             &have_minor) != 2) {
    ADD_FAILURE() << "no ApiVersion in GET /version: " << reply;
    return false;
  }
  return have_major > major || (have_major == major && have_minor >= minor);
}

class StreamingTest : public CriTest {
 protected:
  void SetUp() override {
    // The no-op network: every pod has a network namespace of its own.
    ASSERT_NO_FATAL_FAILURE(StartCri({"--network-plugin="}));
    sandbox_ = RunPod(PodConfig("stream", /*host_network=*/false));
    ASSERT_FALSE(sandbox_.empty());
    container_ = Start(sandbox_, "sleeper", "sleep 600", false);
    ASSERT_FALSE(container_.empty());
  }

  // Creates and starts busybox running `sh -c <sh>`, with a TTY and stdin
  // if `tty_stdin`.
  std::string Start(const std::string& sandbox, const std::string& name,
                    const std::string& sh, bool tty_stdin) {
    v1::ContainerConfig c = Busybox(name, sh);
    c.set_stdin(tty_stdin);
    c.set_tty(tty_stdin);
    return StartContainer(sandbox, c);
  }

  std::string ExecUrl(std::vector<std::string> cmd, bool tty, bool stdin,
                      const std::string& id = "") {
    v1::ExecRequest req;
    req.set_container_id(id.empty() ? container_ : id);
    for (const std::string& a : cmd) req.add_cmd(a);
    req.set_tty(tty);
    req.set_stdin(stdin);
    req.set_stdout(true);
    req.set_stderr(!tty);
    v1::ExecResponse resp;
    grpc::Status s = runtime_->Exec(Ctx(absl::Seconds(30)).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.url();
  }

  std::string PortForwardUrl(const std::string& sandbox, int port) {
    v1::PortForwardRequest req;
    req.set_pod_sandbox_id(sandbox);
    req.add_port(port);
    v1::PortForwardResponse resp;
    grpc::Status s =
        runtime_->PortForward(Ctx(absl::Seconds(30)).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.url();
  }

  // GET /index.html through an SPDY port-forward to `port` of `sandbox`
  // until the reply holds `want` (see ForwardUntil).
  absl::StatusOr<std::string> SpdyGetUntil(const std::string& sandbox, int port,
                                           absl::string_view want,
                                           std::string* error) {
    return ForwardUntil(
        [&](std::string* error) {
          return SpdyPortForward(PortForwardUrl(sandbox, port), port,
                                 "GET /index.html HTTP/1.0\r\n\r\n", error);
        },
        want, error);
  }

  std::string sandbox_, container_;
};

TEST_F(StreamingTest, UrlIsLoopbackWithALongRandomToken) {
  const std::string a = ExecUrl({"true"}, false, false);
  const std::string b = ExecUrl({"true"}, false, false);
  EXPECT_TRUE(absl::StartsWith(a, "http://127.0.0.1:")) << a;
  const std::string token = a.substr(a.rfind('/') + 1);
  EXPECT_GE(token.size(), 22u) << "at least 128 bits, base64";
  EXPECT_NE(a, b);
}

TEST_F(StreamingTest, SpdyExecEchoAndExitCodes) {
  absl::StatusOr<ExecResult> r = RunSpdyExec(
      ExecUrl({"sh", "-c", "echo out; echo err >&2"}, false, false), {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stdout, "out\n");
  EXPECT_EQ(r->stderr, "err\n");
  EXPECT_EQ(r->error, R"({"metadata":{},"status":"Success"})");

  r = RunSpdyExec(ExecUrl({"sh", "-c", "exit 3"}, false, false), {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(absl::StrContains(r->error, R"("reason":"NonZeroExitCode")"))
      << r->error;
  EXPECT_TRUE(absl::StrContains(
      r->error, R"("causes":[{"reason":"ExitCode","message":"3"}])"))
      << r->error;
}

TEST_F(StreamingTest, SpdyOlderProtocols) {
  for (const char* protocol : {"v3.channel.k8s.io", "v2.channel.k8s.io"}) {
    ExecOptions o;
    o.protocol = protocol;
    absl::StatusOr<ExecResult> r =
        RunSpdyExec(ExecUrl({"sh", "-c", "echo hi; exit 2"}, false, false), o);
    ASSERT_TRUE(r.ok()) << protocol << ": " << r.status();
    EXPECT_EQ(r->stdout, "hi\n") << protocol;
    EXPECT_TRUE(absl::StrContains(r->error, "exit code 2"))
        << protocol << ": " << r->error;
  }
}

TEST_F(StreamingTest, SpdyStdinReachesTheCommandAndEofEndsIt) {
  ExecOptions o;
  o.stdin = true;
  o.input = std::string(300000, 'x') + "\nend\n";
  absl::StatusOr<ExecResult> r =
      RunSpdyExec(ExecUrl({"sh", "-c", "wc -c; echo done"}, false, true), o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stdout, "300005\ndone\n");
  EXPECT_EQ(r->error, R"({"metadata":{},"status":"Success"})");
}

TEST_F(StreamingTest, SpdyTtyResizeIsSeenByStty) {
  ExecOptions o;
  o.stdin = true;
  o.tty = true;
  o.stderr = false;
  o.sizes = {{100, 40}};
  o.timeout = absl::Seconds(90);
  // Stdin stays open, as with a terminal: closing it would hang the TTY
  // up.
  o.input = "go\n";
  o.keep_stdin_open = true;
  absl::StatusOr<ExecResult> r =
      RunSpdyExec(ExecUrl({"sh", "-c", ReadThenSize(40, 100)}, true, true), o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(absl::StrContains(r->stdout, "size=40 100")) << r->stdout;
}

// Docker 23+ (API 1.42) takes the exec's console size at create: the
// command's very first `stty size` sees the size the client sent first.
TEST_F(StreamingTest, TtyExecStartsAtTheClientsSize) {
  if (!EngineApiAtLeast(1, 42)) {
    GTEST_SKIP() << "Docker before API 1.42 starts a TTY exec at 0x0 and "
                    "takes the size by a resize after the start "
                    "(SpdyTtyResizeIsSeenByStty covers that)";
  }
  for (const bool websocket : {false, true}) {
    ExecOptions o;
    if (websocket) o.protocol = "v5.channel.k8s.io";
    o.stdin = true;
    o.tty = true;
    o.stderr = false;
    o.sizes = {{132, 43}};
    o.keep_stdin_open = true;
    const std::string url =
        ExecUrl({"sh", "-c", "echo \"size=$(stty size)\""}, true, true);
    absl::StatusOr<ExecResult> r =
        websocket ? RunWebSocketExec(url, o) : RunSpdyExec(url, o);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(absl::StrContains(r->stdout, "size=43 132"))
        << (websocket ? "WebSocket: " : "SPDY: ") << r->stdout;
  }
}

TEST_F(StreamingTest, BadTokensAreNotFound) {
  const std::string url = ExecUrl({"true"}, false, false);
  const std::string base = url.substr(0, url.find("/exec/"));
  for (const std::string& bad :
       {base + "/exec/nosuchtoken", base + "/exec/../exec/x",
        base + "/attach/" + url.substr(url.rfind('/') + 1)}) {
    absl::StatusOr<UpgradeReply> r =
        Upgrade(bad, "POST",
                {"Connection: Upgrade", "Upgrade: SPDY/3.1",
                 "X-Stream-Protocol-Version: v4.channel.k8s.io"});
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->status, 404) << bad;
  }
  // The exec token was spent by the /attach/ attempt above: single use.
  absl::StatusOr<UpgradeReply> r =
      Upgrade(url, "POST",
              {"Connection: Upgrade", "Upgrade: SPDY/3.1",
               "X-Stream-Protocol-Version: v4.channel.k8s.io"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 404);
}

TEST_F(StreamingTest, NoCommonProtocolIsRefused) {
  absl::StatusOr<UpgradeReply> r =
      Upgrade(ExecUrl({"true"}, false, false), "POST",
              {"Connection: Upgrade", "Upgrade: SPDY/3.1",
               "X-Stream-Protocol-Version: v9.channel.k8s.io"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(r->Header("x-accepted-stream-protocol-versions"),
            "v4.channel.k8s.io");
  r = Upgrade(ExecUrl({"true"}, false, false), "POST",
              {"Connection: Upgrade", "Upgrade: SPDY/3.1"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 400);
}

TEST_F(StreamingTest, GarbageAfterUpgradeClosesOnlyThatConnection) {
  absl::StatusOr<UpgradeReply> r =
      Upgrade(ExecUrl({"sleep", "1"}, false, false), "POST",
              {"Connection: Upgrade", "Upgrade: SPDY/3.1",
               "X-Stream-Protocol-Version: v4.channel.k8s.io"});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->status, 101);
  const std::string garbage(64, '\xff');
  ASSERT_EQ(send(r->fd, garbage.data(), garbage.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(garbage.size()));
  // The server ends the connection: read until EOF (bounded).
  char buf[4096];
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  ssize_t n = 1;
  timeval tv{1, 0};
  setsockopt(r->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  while (n != 0 && absl::Now() < deadline) {
    n = recv(r->fd, buf, sizeof(buf), 0);
    if (n < 0 && errno != EAGAIN && errno != EINTR) break;
  }
  EXPECT_LE(n, 0) << "connection still open";
  close(r->fd);
  // The daemon still serves.
  absl::StatusOr<ExecResult> ok =
      RunSpdyExec(ExecUrl({"echo", "alive"}, false, false), {});
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->stdout, "alive\n");
}

TEST_F(StreamingTest, ExecInAStoppedContainerIsRefused) {
  v1::StopContainerRequest stop;
  stop.set_container_id(container_);
  stop.set_timeout(0);
  v1::StopContainerResponse stopped;
  ASSERT_TRUE(
      runtime_->StopContainer(Ctx(absl::Seconds(30)).get(), stop, &stopped)
          .ok());
  v1::ExecRequest req;
  req.set_container_id(container_);
  req.add_cmd("true");
  req.set_stdout(true);
  v1::ExecResponse resp;
  grpc::Status s = runtime_->Exec(Ctx(absl::Seconds(30)).get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << s.error_message();
}

TEST_F(StreamingTest, BadRequestsNameTheField) {
  struct Case {
    v1::ExecRequest req;
    grpc::StatusCode code;
    const char* mentions;
  };
  std::vector<Case> cases(4);
  cases[0].req.add_cmd("true");
  cases[0].req.set_stdout(true);
  cases[0] = {cases[0].req, grpc::StatusCode::INVALID_ARGUMENT, "container_id"};
  cases[1].req.set_container_id(container_);
  cases[1].req.set_stdout(true);
  cases[1] = {cases[1].req, grpc::StatusCode::INVALID_ARGUMENT, "cmd"};
  cases[2].req.set_container_id(container_);
  cases[2].req.add_cmd("true");
  cases[2].req.set_tty(true);
  cases[2].req.set_stderr(true);
  cases[2] = {cases[2].req, grpc::StatusCode::INVALID_ARGUMENT, "stderr"};
  cases[3].req.set_container_id("0123456789abcdef-no-such");
  cases[3].req.add_cmd("true");
  cases[3].req.set_stdout(true);
  cases[3] = {cases[3].req, grpc::StatusCode::NOT_FOUND, ""};
  for (const Case& c : cases) {
    v1::ExecResponse resp;
    grpc::Status s = runtime_->Exec(Ctx(absl::Seconds(30)).get(), c.req, &resp);
    EXPECT_EQ(s.error_code(), c.code) << s.error_message();
    EXPECT_TRUE(absl::StrContains(s.error_message(), c.mentions))
        << s.error_message();
  }
  v1::PortForwardRequest pf;
  v1::PortForwardResponse pf_resp;
  EXPECT_EQ(runtime_->PortForward(Ctx(absl::Seconds(30)).get(), pf, &pf_resp)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  pf.set_pod_sandbox_id(sandbox_);
  pf.add_port(70000);
  EXPECT_EQ(runtime_->PortForward(Ctx(absl::Seconds(30)).get(), pf, &pf_resp)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(StreamingTest, SpdyAttachToARunningContainer) {
  const std::string cat = Start(sandbox_, "cat", "exec cat", true);
  ASSERT_FALSE(cat.empty());
  v1::AttachRequest req;
  req.set_container_id(cat);
  req.set_stdin(true);
  req.set_stdout(true);
  req.set_tty(true);
  v1::AttachResponse resp;
  grpc::Status s = runtime_->Attach(Ctx(absl::Seconds(30)).get(), req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ExecOptions o;
  o.stdin = true;
  o.tty = true;
  o.stderr = false;
  // Ctrl-D on the tty ends cat, and with it the container and the attach.
  o.input = "hello-attach\n\x04";
  o.keep_stdin_open = true;
  absl::StatusOr<ExecResult> r = RunSpdyExec(resp.url(), o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(absl::StrContains(r->stdout, "hello-attach")) << r->stdout;
}

TEST_F(StreamingTest, SpdyPortForwardIntoThePodNetns) {
  const std::string web =
      Start(sandbox_, "web",
            "mkdir -p /www && echo crid-forwarded > /www/index.html && "
            "exec httpd -f -p 8080 -h /www",
            false);
  ASSERT_FALSE(web.empty());
  std::string error;
  absl::StatusOr<std::string> reply =
      SpdyGetUntil(sandbox_, 8080, "crid-forwarded", &error);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_TRUE(absl::StrContains(*reply, "crid-forwarded"))
      << *reply << " / " << error;
  // Nothing listens on 8081: the error stream says so.
  error.clear();
  absl::StatusOr<std::string> none =
      SpdyPortForward(PortForwardUrl(sandbox_, 8081), 8081, "x", &error);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(absl::StrContains(error, "error forwarding port 8081")) << error;
}

TEST_F(StreamingTest, SpdyPortForwardToAHostNetworkPod) {
  const std::string host_sandbox = RunPod(PodConfig("hostnet"));
  ASSERT_FALSE(host_sandbox.empty());
  const int port = 20000 + getpid() % 10000;
  ASSERT_FALSE(Start(host_sandbox, "web",
                     absl::StrCat("mkdir -p /www && echo crid-host > "
                                  "/www/index.html && exec httpd -f "
                                  "-p 127.0.0.1:",
                                  port, " -h /www"),
                     false)
                   .empty());
  std::string error;
  absl::StatusOr<std::string> reply =
      SpdyGetUntil(host_sandbox, port, "crid-host", &error);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_TRUE(absl::StrContains(*reply, "crid-host"))
      << *reply << " / " << error;
}

TEST_F(StreamingTest, SpdyPortForwardFallsBackToIpv6Localhost) {
  // A server on ::1 only (docker's bridge pods have IPv6 off, so a
  // host-network pod): 127.0.0.1 is refused, ::1 answers.
  std::ifstream if_inet6("/proc/net/if_inet6");
  std::string addrs((std::istreambuf_iterator<char>(if_inet6)),
                    std::istreambuf_iterator<char>());
  if (!absl::StrContains(addrs, "00000000000000000000000000000001")) {
    GTEST_SKIP() << "this machine has no ::1";
  }
  const std::string host_sandbox = RunPod(PodConfig("hostnet6"));
  ASSERT_FALSE(host_sandbox.empty());
  const int port = 20000 + (getpid() + 5000) % 10000;
  ASSERT_FALSE(Start(host_sandbox, "web6",
                     absl::StrCat("mkdir -p /www && echo crid-v6 > "
                                  "/www/index.html && exec httpd -f "
                                  "-p '[::1]:",
                                  port, "' -h /www"),
                     false)
                   .empty());
  std::string error;
  absl::StatusOr<std::string> reply =
      SpdyGetUntil(host_sandbox, port, "crid-v6", &error);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_TRUE(absl::StrContains(*reply, "crid-v6")) << *reply << " / " << error;
}

TEST_F(StreamingTest, ClientThatVanishesLeavesNoConnectionBehind) {
  // An exec that never ends, abandoned mid-session.
  absl::StatusOr<UpgradeReply> up =
      Upgrade(ExecUrl({"sleep", "600"}, false, false), "POST",
              {"Connection: Upgrade", "Upgrade: SPDY/3.1",
               "X-Stream-Protocol-Version: v4.channel.k8s.io"});
  ASSERT_TRUE(up.ok()) << up.status();
  ASSERT_EQ(up->status, 101);
  close(up->fd);
  // The daemon's threads and docker connections for it go away: count
  // the daemon's open sockets before and after a few more vanishing
  // sessions.
  auto sockets = [&] {
    int n = 0;
    std::string fd_dir = absl::StrCat("/proc/", cri_.process->pid(), "/fd");
    for (int i = 0; i < 4096; ++i) {
      char target[256];
      ssize_t len = readlink(absl::StrCat(fd_dir, "/", i).c_str(), target,
                             sizeof(target) - 1);
      if (len > 0 &&
          absl::StartsWith(absl::string_view(target, len), "socket:")) {
        ++n;
      }
    }
    return n;
  };
  // The count once the first session's teardown is over: unchanged for
  // 2 s (within 30 s).
  int before = sockets();
  for (absl::Time stable_since = absl::Now(),
                  give_up = absl::Now() + absl::Seconds(30);
       absl::Now() < stable_since + absl::Seconds(2) &&
       absl::Now() < give_up;) {
    absl::SleepFor(absl::Milliseconds(200));
    const int now = sockets();
    if (now != before) stable_since = absl::Now();
    before = now;
  }
  for (int i = 0; i < 5; ++i) {
    ExecOptions o;
    o.timeout = absl::Seconds(2);
    std::thread t([&] {
      // Times out waiting for output that never comes, then closes.
      (void)RunSpdyExec(ExecUrl({"sleep", "600"}, false, false), o);
    });
    t.join();
  }
  // Each torn-down session gives its sockets back (within 30 s).
  int after = sockets();
  for (const absl::Time give_up = absl::Now() + absl::Seconds(30);
       after > before && absl::Now() < give_up;) {
    absl::SleepFor(absl::Milliseconds(100));
    after = sockets();
  }
  EXPECT_LE(after, before) << "sockets leaked by vanished clients";
}

TEST_F(StreamingTest, WebSocketExecForEveryChannelProtocol) {
  for (const char* protocol :
       {"v5.channel.k8s.io", "v4.channel.k8s.io", "v4.base64.channel.k8s.io",
        "channel.k8s.io", "base64.channel.k8s.io", ""}) {
    ExecOptions o;
    o.protocol = protocol;
    absl::StatusOr<ExecResult> r = RunWebSocketExec(
        ExecUrl({"sh", "-c", "echo out; echo err >&2; exit 4"}, false, false),
        o);
    ASSERT_TRUE(r.ok()) << protocol << ": " << r.status();
    EXPECT_EQ(r->stdout, "out\n") << protocol;
    EXPECT_EQ(r->stderr, "err\n") << protocol;
    EXPECT_TRUE(absl::StrContains(r->error, "exit code 4"))
        << protocol << ": " << r->error;
    if (absl::StartsWith(protocol, "v4") || absl::StartsWith(protocol, "v5")) {
      EXPECT_TRUE(absl::StrContains(r->error, R"("message":"4")")) << r->error;
    }
  }
}

TEST_F(StreamingTest, WebSocketV5StdinCloseReachesTheCommand) {
  ExecOptions o;
  o.protocol = "v5.channel.k8s.io";
  o.stdin = true;
  o.input = "one\ntwo\n";
  absl::StatusOr<ExecResult> r =
      RunWebSocketExec(ExecUrl({"sh", "-c", "wc -l"}, false, true), o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stdout, "2\n");
  EXPECT_EQ(r->error, R"({"metadata":{},"status":"Success"})");
}

TEST_F(StreamingTest, WebSocketTtyResize) {
  ExecOptions o;
  o.protocol = "v5.channel.k8s.io";
  o.stdin = true;
  o.tty = true;
  o.stderr = false;
  o.sizes = {{120, 33}};
  o.timeout = absl::Seconds(90);
  o.input = "go\n";
  o.keep_stdin_open = true;
  absl::StatusOr<ExecResult> r = RunWebSocketExec(
      ExecUrl({"sh", "-c", ReadThenSize(33, 120)}, true, true), o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(absl::StrContains(r->stdout, "size=33 120")) << r->stdout;
}

TEST_F(StreamingTest, WebSocketUnknownSubprotocolIsRefused) {
  absl::StatusOr<UpgradeReply> r = Upgrade(
      ExecUrl({"true"}, false, false), "GET",
      {"Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 13",
       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
       "Sec-WebSocket-Protocol: v9.channel.k8s.io"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 403);
}

TEST_F(StreamingTest, WebSocketPortForward) {
  ASSERT_FALSE(Start(sandbox_, "web",
                     "mkdir -p /www && echo crid-ws-forwarded > "
                     "/www/index.html && exec httpd -f -p 8080 -h "
                     "/www",
                     false)
                   .empty());
  std::string error;
  absl::StatusOr<std::string> reply = ForwardUntil(
      [&](std::string* error) {
        return WebSocketPortForward(PortForwardUrl(sandbox_, 8080),
                                    "GET /index.html HTTP/1.0\r\n\r\n", error);
      },
      "crid-ws-forwarded", &error);
  ASSERT_TRUE(reply.ok()) << reply.status();
  ASSERT_GE(reply->size(), 2u);
  EXPECT_EQ(reply->substr(0, 2), std::string("\x90\x1f", 2)) << "port 8080";
  EXPECT_TRUE(absl::StrContains(*reply, "crid-ws-forwarded")) << *reply;
}

}  // namespace
}  // namespace cri_dockerd::testing_support
