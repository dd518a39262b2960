#include "cri/streaming/websocket/ws_connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <thread>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace cri_dockerd::streaming::websocket {
namespace {

std::pair<int, int> SocketPair() {
  int fds[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  return {fds[0], fds[1]};
}

// A raw peer for feeding hand-made frames to a Connection.
struct RawPeer {
  int fd;
  ~RawPeer() { ::close(fd); }
  void Send(const std::string& bytes) {
    ASSERT_EQ(::write(fd, bytes.data(), bytes.size()),
              static_cast<ssize_t>(bytes.size()));
  }
  // Reads one whole frame (unmasked or masked).
  Frame ReadFrame() {
    std::string buf;
    for (;;) {
      Frame f;
      size_t consumed = 0;
      EXPECT_TRUE(ParseFrame(buf, 1 << 20, &f, &consumed).ok());
      if (consumed > 0) return f;
      char chunk[4096];
      ssize_t n = ::read(fd, chunk, sizeof(chunk));
      if (n <= 0) return Frame{};
      buf.append(chunk, static_cast<size_t>(n));
    }
  }
};

constexpr MaskKey kMask = {1, 2, 3, 4};

uint16_t CloseCode(const Frame& f) {
  if (f.payload.size() < 2) return 0;
  return static_cast<uint16_t>(static_cast<uint8_t>(f.payload[0]) << 8 |
                               static_cast<uint8_t>(f.payload[1]));
}

TEST(ConnectionTest, MessagesBothWays) {
  auto [a, b] = SocketPair();
  Connection server(a, Role::kServer);
  Connection client(b, Role::kClient);
  ASSERT_TRUE(client.WriteMessage(MessageType::kText, "hello").ok());
  std::string big(300000, 'x');
  ASSERT_TRUE(server.WriteMessage(MessageType::kBinary, "").ok());
  std::thread writer([&] {
    ASSERT_TRUE(server.WriteMessage(MessageType::kBinary, big).ok());
  });
  auto m = server.ReadMessage();
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->type, MessageType::kText);
  EXPECT_EQ(m->data, "hello");
  m = client.ReadMessage();
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->data, "");
  m = client.ReadMessage();
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->type, MessageType::kBinary);
  EXPECT_EQ(m->data, big);
  writer.join();
}

TEST(ConnectionTest, ReassemblesFragmentsAndAnswersPingInBetween) {
  auto [a, b] = SocketPair();
  Connection server(a, Role::kServer);
  RawPeer peer{b};
  peer.Send(SerializeFrame(Opcode::kBinary, "abc", false, kMask) +
            SerializeFrame(Opcode::kPing, "hb", true, kMask) +
            SerializeFrame(Opcode::kContinuation, "def", false, kMask) +
            SerializeFrame(Opcode::kPong, "", true, kMask) +
            SerializeFrame(Opcode::kContinuation, "g", true, kMask));
  auto m = server.ReadMessage();
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->data, "abcdefg");
  Frame pong = peer.ReadFrame();
  EXPECT_EQ(pong.opcode, Opcode::kPong);
  EXPECT_FALSE(pong.masked);
  EXPECT_EQ(pong.payload, "hb");
}

TEST(ConnectionTest, InitialBytesComeFirst) {
  auto [a, b] = SocketPair();
  RawPeer peer{b};
  Connection server(a, Role::kServer,
                    SerializeFrame(Opcode::kText, "early", true, kMask));
  peer.Send(SerializeFrame(Opcode::kText, "late", true, kMask));
  EXPECT_EQ(server.ReadMessage()->data, "early");
  EXPECT_EQ(server.ReadMessage()->data, "late");
}

TEST(ConnectionTest, CloseHandshake) {
  auto [a, b] = SocketPair();
  Connection server(a, Role::kServer);
  Connection client(b, Role::kClient);
  ASSERT_TRUE(client.Close(kCloseNormal, "bye").ok());
  ASSERT_TRUE(client.Close(kCloseNormal, "again").ok());  // idempotent
  EXPECT_FALSE(client.WriteMessage(MessageType::kText, "x").ok());
  auto m = server.ReadMessage();
  EXPECT_TRUE(absl::IsOutOfRange(m.status())) << m.status();
  EXPECT_NE(m.status().message().find("1000"), std::string::npos);
  EXPECT_TRUE(absl::IsOutOfRange(server.ReadMessage().status()));  // sticky
  m = client.ReadMessage();  // the server's echo
  EXPECT_TRUE(absl::IsOutOfRange(m.status())) << m.status();
}

TEST(ConnectionTest, ServerRejectsUnmaskedFrames) {
  auto [a, b] = SocketPair();
  Connection server(a, Role::kServer);
  RawPeer peer{b};
  peer.Send(SerializeFrame(Opcode::kText, "plain", true));
  EXPECT_TRUE(absl::IsInvalidArgument(server.ReadMessage().status()));
  Frame close = peer.ReadFrame();
  EXPECT_EQ(close.opcode, Opcode::kClose);
  EXPECT_EQ(CloseCode(close), kCloseProtocolError);
}

TEST(ConnectionTest, ClientRejectsMaskedFrames) {
  auto [a, b] = SocketPair();
  Connection client(a, Role::kClient);
  RawPeer peer{b};
  peer.Send(SerializeFrame(Opcode::kText, "masked", true, kMask));
  EXPECT_TRUE(absl::IsInvalidArgument(client.ReadMessage().status()));
}

TEST(ConnectionTest, RejectsBadFragmentation) {
  for (const std::string& wire :
       {SerializeFrame(Opcode::kContinuation, "x", true, kMask),
        SerializeFrame(Opcode::kText, "a", false, kMask) +
            SerializeFrame(Opcode::kText, "b", true, kMask),
        SerializeFrame(Opcode::kClose, "x", true, kMask)}) {
    auto [a, b] = SocketPair();
    Connection server(a, Role::kServer);
    RawPeer peer{b};
    peer.Send(wire);
    EXPECT_TRUE(absl::IsInvalidArgument(server.ReadMessage().status()));
  }
}

TEST(ConnectionTest, MessageLimitAppliesToFramesAndFragments) {
  ConnectionOptions options;
  options.max_message_bytes = 1000;
  for (const std::string& wire :
       {SerializeFrame(Opcode::kBinary, std::string(1001, 'a'), true, kMask),
        SerializeFrame(Opcode::kBinary, std::string(600, 'a'), false, kMask) +
            SerializeFrame(Opcode::kContinuation, std::string(600, 'a'), true,
                           kMask)}) {
    auto [a, b] = SocketPair();
    Connection server(a, Role::kServer, "", options);
    RawPeer peer{b};
    peer.Send(wire);
    EXPECT_TRUE(absl::IsInvalidArgument(server.ReadMessage().status()));
    Frame close = peer.ReadFrame();
    EXPECT_EQ(CloseCode(close), kCloseMessageTooBig);
  }
}

TEST(ConnectionTest, PeerVanishingIsUnavailable) {
  auto [a, b] = SocketPair();
  Connection server(a, Role::kServer);
  std::thread reader(
      [&] { EXPECT_TRUE(absl::IsUnavailable(server.ReadMessage().status())); });
  ::close(b);
  reader.join();
}

TEST(ConnectionTest, ShutdownUnblocksReader) {
  auto [a, b] = SocketPair();
  auto server = std::make_unique<Connection>(a, Role::kServer);
  std::thread reader([&] {
    EXPECT_TRUE(absl::IsUnavailable(server->ReadMessage().status()));
  });
  absl::SleepFor(absl::Milliseconds(50));
  server->Shutdown();
  reader.join();
  EXPECT_FALSE(server->WriteMessage(MessageType::kText, "x").ok());
  ::close(b);
}

TEST(ConnectionTest, IdleTimeout) {
  auto [a, b] = SocketPair();
  ConnectionOptions options;
  options.read_idle_timeout = absl::Milliseconds(50);
  Connection server(a, Role::kServer, "", options);
  EXPECT_TRUE(absl::IsDeadlineExceeded(server.ReadMessage().status()));
  ::close(b);
}

}  // namespace
}  // namespace cri_dockerd::streaming::websocket
