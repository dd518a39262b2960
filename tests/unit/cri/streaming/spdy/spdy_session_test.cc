// Sessions over a socketpair: a client Session against a server Session,
// and a server Session against a raw peer writing bytes by hand.
#include "cri/streaming/spdy/spdy_session.h"

#include <sys/socket.h>
#include <unistd.h>

#include <deque>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "tests/unit/cri/streaming/spdy/spdy_test_vectors.h"

namespace cri_dockerd::streaming::spdy {
namespace {

absl::Time Soon() { return absl::Now() + absl::Seconds(10); }

// Collects the streams a server session accepts.
class Acceptor {
 public:
  void Push(std::shared_ptr<Stream> s) {
    absl::MutexLock lock(&mu_);
    streams_.push_back(std::move(s));
  }
  std::shared_ptr<Stream> Next() {
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !streams_.empty();
    };
    if (!mu_.AwaitWithDeadline(absl::Condition(&ready), Soon())) return nullptr;
    auto s = streams_.front();
    streams_.pop_front();
    return s;
  }

 private:
  absl::Mutex mu_;
  std::deque<std::shared_ptr<Stream>> streams_ ABSL_GUARDED_BY(mu_);
};

std::string ReadAll(io::ByteStream& s) {
  std::string out;
  char buf[8192];
  for (;;) {
    absl::StatusOr<size_t> n = s.Read(buf, sizeof(buf));
    if (!n.ok() || *n == 0) return out;
    out.append(buf, *n);
  }
}

class SpdySessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    client_ = std::make_unique<Session>(fds[0], Role::kClient);
    server_ = std::make_unique<Session>(fds[1], Role::kServer);
    ASSERT_TRUE(
        server_->Start([this](std::shared_ptr<Stream> s) { accepted_.Push(s); })
            .ok());
    ASSERT_TRUE(client_->Start(nullptr).ok());
  }

  std::shared_ptr<Stream> Open(Headers h = {{"streamType", "stdin"}}) {
    auto s = client_->OpenStream(h, false, Soon());
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *s : nullptr;
  }

  Acceptor accepted_;
  std::unique_ptr<Session> client_;
  std::unique_ptr<Session> server_;
};

TEST_F(SpdySessionTest, BothDirectionsAndHalfClose) {
  auto c = Open({{"streamType", "stdin"}, {"port", "8080"}});
  ASSERT_NE(c, nullptr);
  auto s = accepted_.Next();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->id(), 1u);
  EXPECT_EQ(s->Header("StreamType"), "stdin");
  EXPECT_EQ(s->Header("port"), "8080");

  ASSERT_TRUE(c->Write("hello").ok());
  ASSERT_TRUE(c->CloseWrite().ok());
  ASSERT_TRUE(c->CloseWrite().ok());  // idempotent
  EXPECT_FALSE(c->Write("late").ok());
  EXPECT_EQ(ReadAll(*s), "hello");
  // Our side is still open after the peer's FIN.
  ASSERT_TRUE(s->Write("world").ok());
  ASSERT_TRUE(s->CloseWrite().ok());
  EXPECT_EQ(ReadAll(*c), "world");
  // A ping round trip: each reader has finished the frames before it.
  ASSERT_TRUE(client_->Ping(Soon()).ok());
  ASSERT_TRUE(server_->Ping(Soon()).ok());
  EXPECT_EQ(client_->ActiveStreams(), 0u);
  EXPECT_EQ(server_->ActiveStreams(), 0u);
}

TEST_F(SpdySessionTest, FinishedStreamsAreForgotten) {
  for (int i = 0; i < 50; ++i) {
    auto c = Open();
    ASSERT_NE(c, nullptr);
    auto s = accepted_.Next();
    ASSERT_NE(s, nullptr);
    ASSERT_TRUE(c->CloseWrite().ok());
    ASSERT_TRUE(s->CloseWrite().ok());
    EXPECT_EQ(ReadAll(*c), "");
    EXPECT_EQ(ReadAll(*s), "");
    if (i % 2) c->Reset();  // a reset after both ends closed is harmless
  }
  ASSERT_TRUE(client_->Ping(Soon()).ok());  // the server has seen everything
  ASSERT_TRUE(server_->Ping(Soon()).ok());
  EXPECT_EQ(client_->ActiveStreams(), 0u);
  EXPECT_EQ(server_->ActiveStreams(), 0u);
}

TEST_F(SpdySessionTest, ResetReachesBothEnds) {
  auto c = Open();
  auto s = accepted_.Next();
  ASSERT_NE(s, nullptr);
  std::thread reader([&] {
    char buf[16];
    absl::StatusOr<size_t> n = s->Read(buf, sizeof(buf));
    EXPECT_TRUE(absl::IsCancelled(n.status())) << n.status();
  });
  c->Reset();
  c->Reset();  // idempotent
  reader.join();
  char buf[16];
  EXPECT_TRUE(absl::IsCancelled(c->Read(buf, sizeof(buf)).status()));
  EXPECT_TRUE(absl::IsCancelled(c->Write("x")));
  EXPECT_FALSE(s->Write("x").ok());
  EXPECT_EQ(server_->ActiveStreams(), 0u);
  // The session itself is fine.
  EXPECT_TRUE(client_->Ping(Soon()).ok());
}

TEST_F(SpdySessionTest, PingsBothWays) {
  EXPECT_TRUE(client_->Ping(Soon()).ok());
  EXPECT_TRUE(server_->Ping(Soon()).ok());
}

TEST_F(SpdySessionTest, TenMegabytesAcrossStreamsConcurrently) {
  constexpr int kStreams = 4;
  constexpr size_t kBytes = 10 * 1024 * 1024 / kStreams;
  std::vector<std::thread> threads;
  for (int i = 0; i < kStreams; ++i) {
    threads.emplace_back([this, i] {
      std::mt19937 rng(static_cast<unsigned>(i));
      std::string data(kBytes, '\0');
      for (char& ch : data) ch = static_cast<char>(rng());
      auto c = Open();
      ASSERT_NE(c, nullptr);
      std::thread writer([&] {
        // Odd-sized writes cross frame boundaries.
        for (size_t at = 0; at < data.size(); at += 100003) {
          ASSERT_TRUE(
              c->Write(absl::string_view(data).substr(at, 100003)).ok());
        }
        ASSERT_TRUE(c->CloseWrite().ok());
      });
      std::string echoed = ReadAll(*c);
      writer.join();
      EXPECT_EQ(echoed.size(), data.size());
      EXPECT_TRUE(echoed == data) << "stream " << i << " corrupted";
    });
  }
  // The server echoes each stream from its own thread.
  std::vector<std::thread> echoers;
  for (int i = 0; i < kStreams; ++i) {
    auto s = accepted_.Next();
    ASSERT_NE(s, nullptr);
    echoers.emplace_back([s] {
      char buf[50000];
      for (;;) {
        absl::StatusOr<size_t> n = s->Read(buf, sizeof(buf));
        ASSERT_TRUE(n.ok()) << n.status();
        if (*n == 0) break;
        ASSERT_TRUE(s->Write(absl::string_view(buf, *n)).ok());
      }
      ASSERT_TRUE(s->CloseWrite().ok());
    });
  }
  for (auto& t : threads) t.join();
  for (auto& t : echoers) t.join();
  ASSERT_TRUE(client_->Ping(Soon()).ok());
  EXPECT_EQ(client_->ActiveStreams(), 0u);
}

TEST_F(SpdySessionTest, PeerVanishingUnblocksReadersAndWriters) {
  auto c = Open();
  auto s = accepted_.Next();
  ASSERT_NE(s, nullptr);
  std::thread reader([&] {
    char buf[16];
    absl::StatusOr<size_t> n = c->Read(buf, sizeof(buf));
    EXPECT_TRUE(absl::IsUnavailable(n.status())) << n.status();
  });
  // Nobody reads `s`: the server's buffer fills, its reader thread stalls,
  // the socket fills and this writer blocks in send().
  std::thread writer([&] {
    std::string chunk(1 << 20, 'w');
    absl::Status st;
    while ((st = c->Write(chunk)).ok()) {
    }
    EXPECT_TRUE(absl::IsUnavailable(st) || absl::IsCancelled(st)) << st;
  });
  absl::SleepFor(absl::Milliseconds(300));
  server_->Close();
  reader.join();
  writer.join();
  EXPECT_TRUE(client_->Wait(Soon()));
  EXPECT_FALSE(client_->status().ok());
  // What the server had buffered is still readable, then the loss shows.
  char buf[65536];
  absl::StatusOr<size_t> n;
  while ((n = s->Read(buf, sizeof(buf))).ok() && *n > 0) {
  }
  EXPECT_TRUE(absl::IsUnavailable(n.status())) << n.status();
  EXPECT_FALSE(client_->OpenStream({}, false, Soon()).ok());
}

TEST_F(SpdySessionTest, CloseFromStreamHandlerDoesNotDeadlock) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  Session client(fds[0], Role::kClient);
  auto server = std::make_shared<Session>(fds[1], Role::kServer);
  ASSERT_TRUE(
      server->Start([server](std::shared_ptr<Stream>) { server->Close(); })
          .ok());
  ASSERT_TRUE(client.Start(nullptr).ok());
  client.OpenStream({}, false, Soon()).IgnoreError();
  EXPECT_TRUE(server->Wait(Soon()));
  EXPECT_TRUE(client.Wait(Soon()));
  EXPECT_TRUE(server->Start(nullptr).ok());  // no effect after Close
}

TEST(SpdySessionRawTest, OpenStreamTimesOutWithoutReply) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  Session client(fds[0], Role::kClient);
  ASSERT_TRUE(client.Start(nullptr).ok());
  auto s = client.OpenStream({}, false, absl::Now() + absl::Milliseconds(100));
  EXPECT_TRUE(absl::IsDeadlineExceeded(s.status())) << s.status();
  EXPECT_EQ(client.ActiveStreams(), 0u);
  close(fds[1]);
  EXPECT_TRUE(client.Wait(Soon()));
}

// SYN_STREAMs with the given ids, header blocks from one zlib context.
std::string SynStreams(std::vector<uint32_t> ids) {
  HeaderCompressor compressor;
  std::string wire;
  for (uint32_t id : ids) {
    Frame f;
    f.type = FrameType::kSynStream;
    f.stream_id = id;
    f.payload = *compressor.Compress(*EncodeHeaderBlock({{"a", "b"}}));
    EXPECT_TRUE(AppendFrame(f, &wire).ok());
  }
  return wire;
}

// Reads from a raw fd until EOF.
std::string Drain(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) out.append(buf, n);
  return out;
}

TEST(SpdySessionRawTest, InitialBytesAreParsedFirst) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  // The HTTP layer read a PING (odd id: the client's) past the upgrade.
  Session server(fds[1], Role::kServer,
                 absl::HexStringToBytes("800300060000000400000007"));
  ASSERT_TRUE(server.Start(nullptr).ok());
  char buf[12];
  ASSERT_EQ(read(fds[0], buf, sizeof(buf)), 12);
  EXPECT_EQ(absl::BytesToHexString(absl::string_view(buf, 12)),
            "800300060000000400000007");
  close(fds[0]);
  EXPECT_TRUE(server.Wait(Soon()));
}

TEST(SpdySessionRawTest, SpdystreamFramesAreAccepted) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  Session server(fds[1], Role::kServer);
  Acceptor accepted;
  ASSERT_TRUE(
      server.Start([&](std::shared_ptr<Stream> s) { accepted.Push(s); }).ok());
  std::string wire = absl::HexStringToBytes(
      std::string(testvectors::kSpdystreamSyn1) + testvectors::kSpdystreamSyn3 +
      testvectors::kSpdystreamDataFin);
  ASSERT_EQ(write(fds[0], wire.data(), wire.size()),
            static_cast<ssize_t>(wire.size()));
  auto s1 = accepted.Next();
  auto s3 = accepted.Next();
  ASSERT_NE(s1, nullptr);
  ASSERT_NE(s3, nullptr);
  EXPECT_EQ(s1->Header("streamType"), "error");
  EXPECT_EQ(s3->Header("multi"), "a");
  EXPECT_EQ(ReadAll(*s1), "hi");
  EXPECT_EQ(ReadAll(*s3), "");  // opened with FIN
  server.Close();
  close(fds[0]);
}

TEST(SpdySessionRawTest, MalformedInputClosesWithGoAway) {
  const struct {
    const char* name;
    std::string wire;
  } kCases[] = {
      {"not SPDY at all", absl::HexStringToBytes("ffffffffffffffff")},
      {"SPDY/2", absl::HexStringToBytes("800200060000000400000001")},
      {"even stream id from a client",
       absl::HexStringToBytes(std::string(testvectors::kSpdystreamSyn1)
                                  .replace(16, 8, "00000002"))},
      {"stream ids going down", SynStreams({3, 1})},
      {"stream id reused", SynStreams({5, 5})},
      {"garbage header block",
       absl::HexStringToBytes("800300010000000e000000010000000000000102030405")
           .substr(0, 22)},
      {"RST_STREAM too short",
       absl::HexStringToBytes("800300030000000400000001")},
      {"DATA on stream 0", absl::HexStringToBytes("000000000000000161")},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    int fds[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    Session server(fds[1], Role::kServer);
    ASSERT_TRUE(server.Start(nullptr).ok());
    ASSERT_EQ(write(fds[0], c.wire.data(), c.wire.size()),
              static_cast<ssize_t>(c.wire.size()));
    std::string reply = Drain(fds[0]);
    EXPECT_TRUE(server.Wait(Soon()));
    EXPECT_TRUE(absl::IsInvalidArgument(server.status())) << server.status();
    // GOAWAY(PROTOCOL_ERROR) naming the last stream accepted, then EOF;
    // a stream accepted before the error also got its SYN_REPLY.
    ASSERT_GE(reply.size(), 16u);
    std::string goaway =
        absl::BytesToHexString(reply.substr(reply.size() - 16));
    EXPECT_EQ(goaway.substr(0, 16), "8003000700000008");
    EXPECT_EQ(goaway.substr(24), "00000001");
    EXPECT_EQ(server.ActiveStreams(), 0u);
    close(fds[0]);
  }
}

}  // namespace
}  // namespace cri_dockerd::streaming::spdy
