#include "cri/streaming/websocket/ws_channels.h"

#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <thread>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace cri_dockerd::streaming::websocket {
namespace {

struct Pair {
  std::unique_ptr<ChannelConnection> server;
  std::unique_ptr<ChannelConnection> client;
};

std::pair<int, int> SocketPair() {
  int fds[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  return {fds[0], fds[1]};
}

Pair MakePair(ChannelProtocol protocol, int channels,
              ChannelOptions options = {}) {
  auto [a, b] = SocketPair();
  Pair p;
  p.server =
      *ChannelConnection::Create(std::make_unique<Connection>(a, Role::kServer),
                                 protocol, channels, options);
  p.client =
      *ChannelConnection::Create(std::make_unique<Connection>(b, Role::kClient),
                                 protocol, channels, options);
  return p;
}

std::string ReadSome(io::ByteStream* s) {
  char buf[256];
  auto n = s->Read(buf, sizeof(buf));
  EXPECT_TRUE(n.ok()) << n.status();
  return n.ok() ? std::string(buf, *n) : "";
}

// Reads until EOF; fails the test on an error.
std::string ReadAll(io::ByteStream* s) {
  std::string out;
  char buf[65536];
  for (;;) {
    auto n = s->Read(buf, sizeof(buf));
    EXPECT_TRUE(n.ok()) << n.status();
    if (!n.ok() || *n == 0) return out;
    out.append(buf, *n);
  }
}

TEST(ChannelProtocolTest, NamesAndLists) {
  EXPECT_EQ(*ParseChannelProtocol(""), ChannelProtocol::kChannel);
  EXPECT_EQ(*ParseChannelProtocol("channel.k8s.io"), ChannelProtocol::kChannel);
  EXPECT_EQ(*ParseChannelProtocol("v4.base64.channel.k8s.io"),
            ChannelProtocol::kV4Base64Channel);
  EXPECT_EQ(*ParseChannelProtocol("v5.channel.k8s.io"),
            ChannelProtocol::kV5Channel);
  EXPECT_FALSE(ParseChannelProtocol("v5.base64.channel.k8s.io").ok());
  EXPECT_EQ(PortForwardSubprotocols(),
            (std::vector<std::string>{"v4.channel.k8s.io",
                                      "v4.base64.channel.k8s.io", ""}));
  EXPECT_EQ(ExecAttachSubprotocols().size(), 6u);
  EXPECT_FALSE(
      ChannelConnection::Create(nullptr, ChannelProtocol::kChannel, 1).ok());
}

class EveryProtocolTest : public ::testing::TestWithParam<ChannelProtocol> {};

TEST_P(EveryProtocolTest, ChannelsCarryDataBothWays) {
  Pair p = MakePair(GetParam(), 3);
  ASSERT_TRUE(p.client->channel(0)->Write("stdin data").ok());
  ASSERT_TRUE(p.server->channel(2)->Write("to stderr").ok());
  ASSERT_TRUE(p.server->channel(1)->Write("to stdout").ok());
  EXPECT_EQ(ReadSome(p.server->channel(0)), "stdin data");
  EXPECT_EQ(ReadSome(p.client->channel(1)), "to stdout");
  EXPECT_EQ(ReadSome(p.client->channel(2)), "to stderr");
  EXPECT_EQ(p.server->channel(3), nullptr);
}

TEST_P(EveryProtocolTest, CleanCloseEndsEveryChannel) {
  Pair p = MakePair(GetParam(), 2);
  ASSERT_TRUE(p.server->channel(1)->Write("last words").ok());
  std::thread reader(
      [&] { EXPECT_EQ(ReadAll(p.client->channel(1)), "last words"); });
  p.server->Close();
  reader.join();
  EXPECT_TRUE(p.client->Wait(absl::Seconds(5)).ok());
  EXPECT_EQ(*p.client->channel(0)->Read(nullptr, 1), 0u);
  EXPECT_FALSE(p.client->channel(0)->Write("x").ok());
}

TEST_P(EveryProtocolTest, TenMegabytesThroughAChannel) {
  Pair p = MakePair(GetParam(), 2);
  std::string data(10 << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) {
    data[i] = static_cast<char>((i * 131) ^ (i >> 9));
  }
  std::string received;
  std::thread reader([&] {
    char buf[40000];
    while (received.size() < data.size()) {
      auto n = p.server->channel(1)->Read(buf, sizeof(buf));
      ASSERT_TRUE(n.ok()) << n.status();
      ASSERT_GT(*n, 0u);
      received.append(buf, *n);
    }
  });
  ASSERT_TRUE(p.client->channel(1)->Write(data).ok());
  reader.join();
  EXPECT_TRUE(received == data);
}

INSTANTIATE_TEST_SUITE_P(Protocols, EveryProtocolTest,
                         ::testing::Values(ChannelProtocol::kChannel,
                                           ChannelProtocol::kBase64Channel,
                                           ChannelProtocol::kV4Channel,
                                           ChannelProtocol::kV4Base64Channel,
                                           ChannelProtocol::kV5Channel));

// A server ChannelConnection with a bare client Connection on the other end,
// to look at and forge the wire format.
struct RawPair {
  std::unique_ptr<ChannelConnection> server;
  std::unique_ptr<Connection> peer;
};

RawPair MakeRaw(ChannelProtocol protocol, int channels,
                ChannelOptions options = {}) {
  auto [a, b] = SocketPair();
  RawPair p;
  p.server =
      *ChannelConnection::Create(std::make_unique<Connection>(a, Role::kServer),
                                 protocol, channels, options);
  p.peer = std::make_unique<Connection>(b, Role::kClient);
  return p;
}

std::string Bin(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

TEST(ChannelWireTest, BinaryFraming) {
  RawPair p = MakeRaw(ChannelProtocol::kV4Channel, 4);
  ASSERT_TRUE(p.server->channel(1)->Write("").ok());  // "ready" notice
  ASSERT_TRUE(p.server->channel(3)->Write("hi").ok());
  auto m = p.peer->ReadMessage();
  EXPECT_EQ(m->type, MessageType::kBinary);
  EXPECT_EQ(m->data, Bin({1}));
  EXPECT_EQ(p.peer->ReadMessage()->data, Bin({3, 'h', 'i'}));
  // CloseWrite sends nothing before v5.
  ASSERT_TRUE(p.server->channel(0)->CloseWrite().ok());
  ASSERT_TRUE(p.server->channel(0)->CloseWrite().ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(p.server->channel(0)->Write("x")));
  ASSERT_TRUE(p.server->channel(2)->Write("z").ok());
  EXPECT_EQ(p.peer->ReadMessage()->data, Bin({2, 'z'}));
}

TEST(ChannelWireTest, Base64Framing) {
  RawPair p = MakeRaw(ChannelProtocol::kBase64Channel, 2);
  ASSERT_TRUE(p.server->channel(1)->Write("\n").ok());
  ASSERT_TRUE(p.server->channel(1)->Write("").ok());
  auto m = p.peer->ReadMessage();
  EXPECT_EQ(m->type, MessageType::kText);
  EXPECT_EQ(m->data, "1Cg==");
  EXPECT_EQ(p.peer->ReadMessage()->data, "1");
  // wsstream's example: "foo\n" on stdin.
  ASSERT_TRUE(p.peer->WriteMessage(MessageType::kText, "0Zm9vCg==").ok());
  EXPECT_EQ(ReadSome(p.server->channel(0)), "foo\n");
}

TEST(ChannelWireTest, LargeWritesAreSplit) {
  ChannelOptions options;
  options.max_write_chunk = 1000;
  RawPair p = MakeRaw(ChannelProtocol::kChannel, 1, options);
  ASSERT_TRUE(p.server->channel(0)->Write(std::string(2500, 'a')).ok());
  EXPECT_EQ(p.peer->ReadMessage()->data.size(), 1001u);
  EXPECT_EQ(p.peer->ReadMessage()->data.size(), 1001u);
  EXPECT_EQ(p.peer->ReadMessage()->data.size(), 501u);
}

TEST(ChannelWireTest, IgnoresEmptyUnknownAndUndecodableMessages) {
  RawPair p = MakeRaw(ChannelProtocol::kV4Base64Channel, 2);
  ASSERT_TRUE(p.peer->WriteMessage(MessageType::kText, "").ok());
  ASSERT_TRUE(p.peer->WriteMessage(MessageType::kText, "7YWJj").ok());
  ASSERT_TRUE(p.peer->WriteMessage(MessageType::kText, "/YWJj").ok());
  ASSERT_TRUE(p.peer->WriteMessage(MessageType::kText, "0!!!").ok());
  ASSERT_TRUE(p.peer->WriteMessage(MessageType::kText, "0").ok());
  ASSERT_TRUE(p.peer->WriteMessage(MessageType::kText, "0YWJj").ok());
  EXPECT_EQ(ReadSome(p.server->channel(0)), "abc");
}

TEST(ChannelWireTest, V5CloseSignal) {
  RawPair p = MakeRaw(ChannelProtocol::kV5Channel, 3);
  ASSERT_TRUE(
      p.peer->WriteMessage(MessageType::kBinary, Bin({0, 'i', 'n'})).ok());
  ASSERT_TRUE(p.peer->WriteMessage(MessageType::kBinary, Bin({255, 0})).ok());
  EXPECT_EQ(ReadAll(p.server->channel(0)), "in");
  ASSERT_TRUE(p.server->channel(1)->CloseWrite().ok());
  ASSERT_TRUE(p.server->channel(1)->CloseWrite().ok());
  EXPECT_EQ(p.peer->ReadMessage()->data, Bin({255, 1}));
  // Other channels still work.
  ASSERT_TRUE(p.server->channel(2)->Write("e").ok());
  EXPECT_EQ(p.peer->ReadMessage()->data, Bin({2, 'e'}));
}

TEST(ChannelWireTest, V5CloseSignalBetweenOurOwnEnds) {
  Pair p = MakePair(ChannelProtocol::kV5Channel, 2);
  ASSERT_TRUE(p.client->channel(0)->Write("abc").ok());
  ASSERT_TRUE(p.client->channel(0)->CloseWrite().ok());
  EXPECT_EQ(ReadAll(p.server->channel(0)), "abc");
}

TEST(ChannelWireTest, MalformedCloseSignalEndsConnection) {
  for (const std::string& bad : {Bin({255}), Bin({255, 1, 2}), Bin({255, 9})}) {
    RawPair p = MakeRaw(ChannelProtocol::kV5Channel, 2);
    ASSERT_TRUE(p.peer->WriteMessage(MessageType::kBinary, bad).ok());
    char buf[8];
    EXPECT_TRUE(absl::IsUnavailable(
        p.server->channel(0)->Read(buf, sizeof(buf)).status()));
    EXPECT_TRUE(absl::IsInvalidArgument(p.server->Wait()));
  }
}

TEST(ChannelWireTest, CloseSignalIsDataBeforeV5) {
  RawPair p = MakeRaw(ChannelProtocol::kV4Channel, 2);
  ASSERT_TRUE(p.peer->WriteMessage(MessageType::kBinary, Bin({255, 0})).ok());
  ASSERT_TRUE(p.peer->WriteMessage(MessageType::kBinary, Bin({0, 'x'})).ok());
  EXPECT_EQ(ReadSome(p.server->channel(0)), "x");
}

TEST(ChannelConnectionTest, PeerVanishingUnblocksReaders) {
  RawPair p = MakeRaw(ChannelProtocol::kV5Channel, 3);
  std::vector<std::thread> readers;
  for (int i = 0; i < 3; ++i) {
    readers.emplace_back([&, i] {
      char buf[8];
      auto n = p.server->channel(i)->Read(buf, sizeof(buf));
      EXPECT_TRUE(absl::IsUnavailable(n.status())) << n.status();
    });
  }
  absl::SleepFor(absl::Milliseconds(50));
  p.peer.reset();  // closes the socket without a close frame
  for (auto& t : readers) t.join();
  EXPECT_TRUE(absl::IsUnavailable(p.server->channel(1)->Write("x")));
}

TEST(ChannelConnectionTest, ResetWakesReaderAndDropsInput) {
  RawPair p = MakeRaw(ChannelProtocol::kChannel, 2);
  std::thread reader([&] {
    char buf[8];
    EXPECT_TRUE(absl::IsCancelled(
        p.server->channel(0)->Read(buf, sizeof(buf)).status()));
  });
  absl::SleepFor(absl::Milliseconds(50));
  p.server->channel(0)->Reset();
  reader.join();
  p.server->channel(0)->Reset();
  EXPECT_TRUE(absl::IsCancelled(p.server->channel(0)->Write("x")));
  ASSERT_TRUE(p.peer->WriteMessage(MessageType::kBinary, Bin({0, 'a'})).ok());
  ASSERT_TRUE(p.peer->WriteMessage(MessageType::kBinary, Bin({1, 'b'})).ok());
  EXPECT_EQ(ReadSome(p.server->channel(1)), "b");
}

TEST(ChannelConnectionTest, FullChannelHoldsBackTheOthers) {
  ChannelOptions options;
  options.max_buffered_bytes = 4;
  RawPair p = MakeRaw(ChannelProtocol::kChannel, 2, options);
  ASSERT_TRUE(
      p.peer->WriteMessage(MessageType::kBinary, Bin({0, 'a', 'b', 'c', 'd'}))
          .ok());
  ASSERT_TRUE(p.peer->WriteMessage(MessageType::kBinary, Bin({0, 'e'})).ok());
  ASSERT_TRUE(p.peer->WriteMessage(MessageType::kBinary, Bin({1, 'z'})).ok());
  // Channel 0 is full, so channel 1's message waits behind "e".
  std::thread reader([&] { EXPECT_EQ(ReadSome(p.server->channel(1)), "z"); });
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(ReadSome(p.server->channel(0)), "abcd");
  reader.join();
  EXPECT_EQ(ReadSome(p.server->channel(0)), "e");
}

TEST(ChannelConnectionTest, CloseDoesNotWaitForeverForSilentPeer) {
  ChannelOptions options;
  options.close_timeout = absl::Milliseconds(100);
  auto [a, b] = SocketPair();
  auto server =
      *ChannelConnection::Create(std::make_unique<Connection>(a, Role::kServer),
                                 ChannelProtocol::kV5Channel, 1, options);
  absl::Time start = absl::Now();
  server->Close();
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  server->Close();
  ::close(b);
}

}  // namespace
}  // namespace cri_dockerd::streaming::websocket
