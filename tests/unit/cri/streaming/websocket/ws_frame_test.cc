#include "cri/streaming/websocket/ws_frame.h"

#include <string>

#include "gtest/gtest.h"

namespace cri_dockerd::streaming::websocket {
namespace {

constexpr uint64_t kMax = uint64_t{1} << 20;

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

absl::Status Parse(const std::string& buf, Frame* frame, size_t* consumed,
                   uint64_t max = kMax) {
  return ParseFrame(buf, max, frame, consumed);
}

TEST(FrameTest, RoundTripsEveryLengthClass) {
  const size_t sizes[] = {0, 1, 125, 126, 127, 65535, 65536, 200000};
  for (size_t size : sizes) {
    for (bool masked : {false, true}) {
      std::string payload(size, '\0');
      for (size_t i = 0; i < size; ++i) payload[i] = static_cast<char>(i * 7);
      std::optional<MaskKey> mask;
      if (masked) mask = MaskKey{0x12, 0x34, 0x56, 0x78};
      std::string wire = SerializeFrame(Opcode::kBinary, payload, true, mask);
      const size_t header = (size < 126      ? 2
                             : size <= 65535 ? 4
                                             : 10) +
                            (masked ? 4 : 0);
      EXPECT_EQ(wire.size(), header + size);
      // Every strict prefix is "need more bytes".
      for (size_t cut : {size_t{0}, size_t{1}, header - 1, wire.size() - 1}) {
        if (cut >= wire.size()) continue;
        Frame f;
        size_t consumed = 99;
        ASSERT_TRUE(Parse(wire.substr(0, cut), &f, &consumed).ok());
        EXPECT_EQ(consumed, 0u) << size << " cut " << cut;
      }
      Frame f;
      size_t consumed = 0;
      ASSERT_TRUE(Parse(wire + "trailing", &f, &consumed).ok());
      EXPECT_EQ(consumed, wire.size());
      EXPECT_TRUE(f.fin);
      EXPECT_EQ(f.opcode, Opcode::kBinary);
      EXPECT_EQ(f.masked, masked);
      EXPECT_EQ(f.payload, payload) << size;
    }
  }
}

TEST(FrameTest, Rfc6455Examples) {
  // Section 5.7: unmasked and masked "Hello".
  Frame f;
  size_t consumed = 0;
  ASSERT_TRUE(
      Parse(Bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}), &f, &consumed)
          .ok());
  EXPECT_EQ(consumed, 7u);
  EXPECT_EQ(f.opcode, Opcode::kText);
  EXPECT_EQ(f.payload, "Hello");
  std::string masked =
      Bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
  ASSERT_TRUE(Parse(masked, &f, &consumed).ok());
  EXPECT_TRUE(f.masked);
  EXPECT_EQ(f.payload, "Hello");
  EXPECT_EQ(SerializeFrame(Opcode::kText, "Hello", true,
                           MaskKey{0x37, 0xfa, 0x21, 0x3d}),
            masked);
  // A fragmented "Hel" + "lo" and an unmasked ping.
  ASSERT_TRUE(Parse(Bytes({0x01, 0x03, 0x48, 0x65, 0x6c}), &f, &consumed).ok());
  EXPECT_FALSE(f.fin);
  ASSERT_TRUE(Parse(Bytes({0x80, 0x02, 0x6c, 0x6f}), &f, &consumed).ok());
  EXPECT_TRUE(f.fin);
  EXPECT_EQ(f.opcode, Opcode::kContinuation);
  ASSERT_TRUE(
      Parse(Bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}), &f, &consumed)
          .ok());
  EXPECT_EQ(f.opcode, Opcode::kPing);
}

TEST(FrameTest, AcceptsNonMinimalLength) {
  std::string wire = Bytes({0x82, 126, 0, 3}) + "abc";
  Frame f;
  size_t consumed = 0;
  ASSERT_TRUE(Parse(wire, &f, &consumed).ok());
  EXPECT_EQ(f.payload, "abc");
}

TEST(FrameTest, RejectsMalformedHeaders) {
  const std::string cases[] = {
      Bytes({0xC2, 0x00}),                            // RSV1
      Bytes({0xA2, 0x00}),                            // RSV2
      Bytes({0x92, 0x00}),                            // RSV3
      Bytes({0x83, 0x00}),                            // opcode 3
      Bytes({0x8B, 0x00}),                            // opcode 0xB
      Bytes({0x09, 0x00}),                            // fragmented ping
      Bytes({0x88, 126, 0, 126}),                     // 126-byte close
      Bytes({0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0}),  // top bit set
      Bytes({0x82, 127, 0, 0, 0, 0, 0, 0x10, 0, 1}),  // over the limit
  };
  for (const std::string& wire : cases) {
    Frame f;
    size_t consumed = 0;
    absl::Status s = Parse(wire, &f, &consumed);
    EXPECT_TRUE(absl::IsInvalidArgument(s))
        << static_cast<int>(static_cast<uint8_t>(wire[0])) << ": " << s;
  }
}

TEST(FrameTest, OversizeRejectedFromHeaderAlone) {
  Frame f;
  size_t consumed = 0;
  // Only the 4-byte header: the limit applies before any payload arrives.
  absl::Status s = Parse(Bytes({0x82, 126, 0x01, 0x00}), &f, &consumed, 255);
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_EQ(f.declared_length, 256u);
}

}  // namespace
}  // namespace cri_dockerd::streaming::websocket
