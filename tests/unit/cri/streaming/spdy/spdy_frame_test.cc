#include "cri/streaming/spdy/spdy_frame.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "tests/unit/cri/streaming/spdy/spdy_test_vectors.h"

namespace cri_dockerd::streaming::spdy {
namespace {

std::string Wire(const Frame& f) {
  std::string out;
  EXPECT_TRUE(AppendFrame(f, &out).ok());
  return out;
}

Frame MustParse(const std::string& wire) {
  Frame f;
  size_t used = 0;
  absl::Status s = ParseFrame(wire, kMaxFramePayload, &f, &used);
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(used, wire.size());
  return f;
}

std::vector<Frame> OneOfEachType() {
  std::vector<Frame> frames;
  frames.push_back(DataFrame(7, "payload", true));
  frames.push_back(DataFrame(kMaxStreamId, "", false));
  Frame syn;
  syn.type = FrameType::kSynStream;
  syn.stream_id = 3;
  syn.associated_stream_id = 1;
  syn.priority = 5;
  syn.slot = 9;
  syn.flags = kFlagFin | kFlagUnidirectional;
  syn.payload = std::string("\x78\x00compressed", 12);
  frames.push_back(syn);
  Frame reply;
  reply.type = FrameType::kSynReply;
  reply.stream_id = 3;
  reply.flags = kFlagFin;
  reply.payload = "block";
  frames.push_back(reply);
  frames.push_back(RstStreamFrame(3, RstStatus::kCancel));
  Frame settings;
  settings.type = FrameType::kSettings;
  settings.flags = 1;
  settings.settings = {{1, 4, 100}, {0, 7, 65536}};
  frames.push_back(settings);
  frames.push_back(PingFrame(0xfffffffe));
  frames.push_back(GoAwayFrame(5, GoAwayStatus::kProtocolError));
  Frame headers;
  headers.type = FrameType::kHeaders;
  headers.stream_id = 2;
  headers.payload = "h";
  frames.push_back(headers);
  Frame window;
  window.type = FrameType::kWindowUpdate;
  window.stream_id = 0;
  window.delta_window = 0x7fffffff;
  frames.push_back(window);
  return frames;
}

TEST(SpdyFrameTest, RoundTripsEveryType) {
  for (const Frame& f : OneOfEachType()) {
    SCOPED_TRACE(FrameTypeName(f.type));
    EXPECT_EQ(MustParse(Wire(f)), f);
  }
}

TEST(SpdyFrameTest, EveryPrefixNeedsMoreBytes) {
  for (const Frame& f : OneOfEachType()) {
    std::string wire = Wire(f);
    for (size_t n = 0; n < wire.size(); ++n) {
      Frame out;
      size_t used = 99;
      ASSERT_TRUE(
          ParseFrame(wire.substr(0, n), kMaxFramePayload, &out, &used).ok());
      EXPECT_EQ(used, 0u) << FrameTypeName(f.type) << " prefix " << n;
    }
  }
}

TEST(SpdyFrameTest, ParsesOneFrameOfMany) {
  std::string wire = Wire(PingFrame(1)) + Wire(DataFrame(1, "x", false));
  Frame f;
  size_t used = 0;
  ASSERT_TRUE(ParseFrame(wire, kMaxFramePayload, &f, &used).ok());
  EXPECT_EQ(used, 12u);
  EXPECT_EQ(f.type, FrameType::kPing);
}

TEST(SpdyFrameTest, DataFrameMatchesSpdystream) {
  EXPECT_EQ(absl::BytesToHexString(Wire(DataFrame(1, "hi", true))),
            testvectors::kSpdystreamDataFin);
}

TEST(SpdyFrameTest, ParsesSpdystreamSynStream) {
  Frame f = MustParse(absl::HexStringToBytes(testvectors::kSpdystreamSyn1));
  EXPECT_EQ(f.type, FrameType::kSynStream);
  EXPECT_EQ(f.stream_id, 1u);
  EXPECT_EQ(f.flags, 0);
  EXPECT_EQ(f.payload.size(), 0x29u - 10);
  Frame g = MustParse(absl::HexStringToBytes(testvectors::kSpdystreamSyn3));
  EXPECT_EQ(g.stream_id, 3u);
  EXPECT_EQ(g.flags, kFlagFin);
}

TEST(SpdyFrameTest, UnknownControlTypeIsSkipped) {
  // CREDENTIAL (type 10), which SPDY/3.1 peers may send and we ignore.
  std::string wire = absl::HexStringToBytes("8003000a00000003616263");
  Frame f = MustParse(wire);
  EXPECT_EQ(f.type, FrameType::kUnknown);
  EXPECT_EQ(f.unknown_type, 10);
  EXPECT_EQ(f.payload, "abc");
}

TEST(SpdyFrameTest, RejectsMalformedFrames) {
  const struct {
    const char* name;
    const char* hex;
  } kCases[] = {
      {"SPDY/2", "800200060000000400000001"},
      {"DATA stream 0", "000000000000000161"},
      {"SYN_STREAM short", "800300010000000400000001"},
      {"SYN_STREAM stream 0", "800300010000000a00000000000000000000"},
      {"RST_STREAM short", "800300030000000400000001"},
      {"RST_STREAM status 0", "80030003000000080000000100000000"},
      {"SETTINGS count too big", "800300040000000c000000020000000100000002"},
      {"SETTINGS ragged", "800300040000000700000000000000"},
      {"PING long", "80030006000000050000000100"},
      {"GOAWAY SPDY/2 size", "800300070000000400000001"},
      {"WINDOW_UPDATE short", "800300090000000400000001"},
      {"HEADERS stream 0", "800300080000000400000000"},
  };
  for (const auto& c : kCases) {
    std::string wire = absl::HexStringToBytes(c.hex);
    Frame f;
    size_t used = 0;
    absl::Status s = ParseFrame(wire, kMaxFramePayload, &f, &used);
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << c.name << ": " << s;
  }
}

TEST(SpdyFrameTest, RejectsOversizeBeforeBufferingIt) {
  // Only the header is present: the limit applies before the payload.
  std::string wire = absl::HexStringToBytes("0000000100100000");
  Frame f;
  size_t used = 0;
  absl::Status s = ParseFrame(wire, 1024, &f, &used);
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_NE(s.message().find("exceeds"), absl::string_view::npos);
}

TEST(SpdyFrameTest, SerializerRejectsWhatTheWireCannotHold) {
  std::string out;
  EXPECT_FALSE(AppendFrame(DataFrame(0, "x", false), &out).ok());
  EXPECT_FALSE(AppendFrame(DataFrame(kMaxStreamId + 1, "x", false), &out).ok());
  EXPECT_FALSE(
      AppendFrame(DataFrame(1, std::string(kMaxFramePayload + 1, 'x'), false),
                  &out)
          .ok());
  Frame unknown;
  unknown.type = FrameType::kUnknown;
  EXPECT_FALSE(AppendFrame(unknown, &out).ok());
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace cri_dockerd::streaming::spdy
