// The streaming server's front door on its own: connections waiting for
// their request cost no thread and are capped (the oldest goes), a silent
// one is cut off, sessions have a budget of their own that a refused
// client's token survives, a thread that cannot be created refuses that
// one session, and a session without traffic is closed.
#include "cri/streaming/http_server.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/thread.h"
#include "gtest/gtest.h"
#include "tests/integration/stream_client.h"
#include "tests/poll_until.h"
#include "tests/thread_count.h"

namespace cri_dockerd::streaming {
namespace {

using testing_util::PollUntil;
using testing_util::ThreadCount;

// A client connection to `server` (blocking).
int Dial(const HttpServer& server) {
  std::string path;
  absl::StatusOr<int> fd =
      testing_support::DialUrl("http://" + server.dial_address() + "/", &path);
  EXPECT_TRUE(fd.ok()) << fd.status();
  return fd.ok() ? *fd : -1;
}

void Send(int fd, absl::string_view data) {
  ASSERT_EQ(send(fd, data.data(), data.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(data.size()));
}

// Whether the server has closed `fd`: EOF or a reset, after any reply.
bool ClosedByServer(int fd) {
  char buf[512];
  while (true) {
    const ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n > 0) continue;
    return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
  }
}

// Everything the server sends until it closes `fd` (30 s at most).
std::string ReadToEof(int fd) {
  timeval tv{30, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string out;
  char buf[512];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) out.append(buf, n);
  return out;
}

// Routes: /reply answers at once; /session/<anything> becomes a session
// that blocks in recv(2) on its socket -- never touching its activity
// clock -- until the socket ends; every other path is 404.
class HttpServerTest : public testing::Test {
 protected:
  void Start(HttpServerOptions options) {
    auto server =
        HttpServer::Start(options, [this](const HttpRequestHead& head) {
          ++routed_;
          HttpRoute route;
          if (head.path == "/reply") {
            route.reply = PlainResponse(404, "replied");
          } else if (absl::StartsWith(head.path, "/session/")) {
            route.description = "test session";
            route.session = [this](HttpConnection& conn) {
              SendAllTo(conn.fd, "HTTP/1.1 101 Switching Protocols\r\n\r\n");
              ++sessions_started_;
              char c;
              while (recv(conn.fd, &c, 1, 0) > 0) {
              }
              ++sessions_ended_;
            };
          } else {
            route.reply = PlainResponse(404, "no such path");
          }
          return route;
        });
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }
  void TearDown() override {
    if (server_) server_->Stop();
    for (int fd : fds_) close(fd);
  }
  // A connection the test closes at its end.
  int Open() {
    const int fd = Dial(*server_);
    fds_.push_back(fd);
    return fd;
  }
  // A session on a new connection, once its handler runs.
  int OpenSession() {
    const int fd = Open();
    const int before = sessions_started_.load();
    Send(fd, "GET /session/x HTTP/1.1\r\nHost: h\r\n\r\n");
    EXPECT_TRUE(PollUntil([&] { return sessions_started_.load() > before; }))
        << "the session never started";
    return fd;
  }

  std::atomic<int> routed_{0};
  std::atomic<int> sessions_started_{0};
  std::atomic<int> sessions_ended_{0};
  std::unique_ptr<HttpServer> server_;
  std::vector<int> fds_;
};

TEST_F(HttpServerTest, WaitingConnectionsCostNoThreadAndTheOldestMakesRoom) {
  HttpServerOptions options;
  options.max_pending = 8;
  options.head_timeout = absl::Minutes(5);  // only eviction closes them
  Start(options);
  const int threads_before = ThreadCount();
  std::vector<int> idle;
  for (int i = 0; i < 20; ++i) {
    idle.push_back(Open());
    // Half send nothing, half part of a head.
    if (i % 2 == 1) Send(idle.back(), "GET /session/x HTTP/1.1\r\nHo");
  }
  // The first 12 are closed to make room for the last 8.
  ASSERT_TRUE(PollUntil([&] {
    for (int i = 0; i < 12; ++i) {
      if (!ClosedByServer(idle[i])) return false;
    }
    return server_->pending_connections() == 8;
  })) << "pending: "
      << server_->pending_connections();
  for (int i = 12; i < 20; ++i) EXPECT_FALSE(ClosedByServer(idle[i])) << i;
  EXPECT_EQ(ThreadCount(), threads_before)
      << "a waiting connection must not cost a thread";
  EXPECT_EQ(routed_.load(), 0);

  // A client that sends its request at once still gets in.
  const int fd = Open();
  Send(fd, "GET /reply HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_TRUE(absl::StrContains(ReadToEof(fd), "replied"));
  OpenSession();
  EXPECT_EQ(server_->sessions(), 1);
  EXPECT_LE(server_->pending_connections(), 8);
}

TEST_F(HttpServerTest, AConnectionThatSendsNoRequestIsCutOff) {
  HttpServerOptions options;
  options.head_timeout = absl::Milliseconds(100);
  Start(options);
  const int silent = Open();
  const int partial = Open();
  Send(partial, "GET /reply HTTP/1.1\r\n");
  EXPECT_EQ(ReadToEof(silent), "");
  EXPECT_EQ(ReadToEof(partial), "");
  EXPECT_TRUE(PollUntil([&] { return server_->pending_connections() == 0; }));
  EXPECT_EQ(routed_.load(), 0);
}

TEST_F(HttpServerTest, MalformedAndOversizedHeadsAreAnsweredByTheLoop) {
  Start({});
  const int bad = Open();
  Send(bad, "NONSENSE\r\n\r\n");
  EXPECT_TRUE(absl::StartsWith(ReadToEof(bad), "HTTP/1.1 400"));
  const int big = Open();
  Send(big, "GET /reply HTTP/1.1\r\nX: " + std::string(20000, 'a'));
  EXPECT_TRUE(absl::StartsWith(ReadToEof(big), "HTTP/1.1 431"));
  EXPECT_EQ(routed_.load(), 0);
}

TEST_F(HttpServerTest, SessionsHaveTheirOwnBudgetAndARefusalIsNotRouted) {
  HttpServerOptions options;
  options.max_sessions = 2;
  options.max_pending = 1;
  Start(options);
  OpenSession();
  OpenSession();
  ASSERT_EQ(server_->sessions(), 2);
  const int routed = routed_.load();
  const int third = Open();
  Send(third, "GET /session/x HTTP/1.1\r\nHost: h\r\n\r\n");
  const std::string reply = ReadToEof(third);
  EXPECT_TRUE(absl::StartsWith(reply, "HTTP/1.1 503")) << reply;
  EXPECT_TRUE(absl::StrContains(reply, "too many streaming sessions"));
  EXPECT_EQ(routed_.load(), routed) << "a token would have been spent";
  // The sessions do not count against the waiting connections either.
  const int waiting = Open();
  EXPECT_TRUE(PollUntil([&] { return server_->pending_connections() == 1; }));
  EXPECT_FALSE(ClosedByServer(waiting));
}

TEST_F(HttpServerTest, AThreadThatCannotStartRefusesOnlyThatSession) {
  std::atomic<int> refusals{1};
  HttpServerOptions options;
  options.start_thread =
      [&](absl::string_view name,
          std::function<void()> fn) -> absl::StatusOr<std::thread> {
    if (refusals.fetch_sub(1) > 0) {
      return absl::ResourceExhaustedError("no thread for you");
    }
    return StartThread(name, std::move(fn));
  };
  Start(options);
  const int refused = Open();
  Send(refused, "GET /session/x HTTP/1.1\r\nHost: h\r\n\r\n");
  const std::string reply = ReadToEof(refused);
  EXPECT_TRUE(absl::StartsWith(reply, "HTTP/1.1 503")) << reply;
  EXPECT_TRUE(absl::StrContains(reply, "no thread for you")) << reply;
  EXPECT_EQ(server_->sessions(), 0);
  OpenSession();
  EXPECT_EQ(server_->sessions(), 1);
}

TEST_F(HttpServerTest, ASessionWithoutTrafficIsClosedAndOneWithTrafficIsNot) {
  HttpServerOptions options;
  options.idle_timeout = absl::Milliseconds(200);
  Start(options);
  const int fd = OpenSession();
  // The handler never touches its activity clock: closed once idle.
  EXPECT_TRUE(PollUntil([&] { return sessions_ended_.load() == 1; }));
  EXPECT_TRUE(PollUntil([&] { return server_->sessions() == 0; }));
  ReadToEof(fd);  // the server's side is gone
}

TEST_F(HttpServerTest, TrafficKeepsASessionOpen) {
  HttpServerOptions options;
  // Long enough that a loaded machine's stalls cannot fake idleness.
  options.idle_timeout = absl::Seconds(3);
  std::shared_ptr<io::ActivityClock> activity;  // set before `started`
  absl::Notification started, release;
  auto server = HttpServer::Start(options, [&](const HttpRequestHead&) {
    HttpRoute route;
    route.description = "busy session";
    route.session = [&](HttpConnection& conn) {
      activity = conn.activity;
      started.Notify();
      char c;
      while (recv(conn.fd, &c, 1, 0) > 0) {
      }
      release.Notify();
    };
    return route;
  });
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = std::move(*server);
  const int fd = Open();
  Send(fd, "GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(started.WaitForNotificationWithTimeout(absl::Seconds(30)));
  const absl::Time until = absl::Now() + absl::Seconds(5);
  while (absl::Now() < until) {
    // What the SPDY and WebSocket connections do on each read and write.
    activity->Touch();
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_FALSE(release.HasBeenNotified())
      << "closed although it carried traffic";
  EXPECT_EQ(server_->sessions(), 1);
  // Quiet from now on: closed.
  EXPECT_TRUE(release.WaitForNotificationWithTimeout(absl::Seconds(30)));
  server_->Stop();  // before `started` and `release` go
}

TEST_F(HttpServerTest, StopEndsSessionsAndWaitingConnections) {
  Start({});
  const int waiting = Open();
  const int session = OpenSession();
  server_->Stop();
  EXPECT_EQ(sessions_ended_.load(), 1);
  EXPECT_EQ(ReadToEof(waiting), "");
  ReadToEof(session);
  server_->Stop();  // idempotent
}

}  // namespace
}  // namespace cri_dockerd::streaming
