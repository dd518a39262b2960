#include "cri/streaming/spdy/spdy_header_block.h"

#include <string>

#include "absl/strings/escaping.h"
#include "cri/streaming/spdy/spdy_frame.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/cri/streaming/spdy/spdy_test_vectors.h"

namespace cri_dockerd::streaming::spdy {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

std::string HeaderBlockOf(const char* hex) {
  Frame f;
  size_t used = 0;
  EXPECT_TRUE(
      ParseFrame(absl::HexStringToBytes(hex), kMaxFramePayload, &f, &used)
          .ok());
  return f.payload;
}

TEST(SpdyHeaderBlockTest, EncodeLowercasesAndDecodes) {
  absl::StatusOr<std::string> block =
      EncodeHeaderBlock({{"streamType", "stdin"},
                         {"Port", std::string("80\0"
                                              "81",
                                              5)}});
  ASSERT_TRUE(block.ok()) << block.status();
  absl::StatusOr<Headers> h = DecodeHeaderBlock(*block);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_THAT(*h, ElementsAre(Pair("streamtype", "stdin"),
                              Pair("port", std::string("80\0"
                                                       "81",
                                                       5))));
  EXPECT_EQ(FirstHeaderValue(*h, "StreamType"), "stdin");
  EXPECT_EQ(FirstHeaderValue(*h, "port"), "80");
  EXPECT_EQ(FirstHeaderValue(*h, "missing"), "");
}

TEST(SpdyHeaderBlockTest, EncodeRejectsEmptyAndDuplicateNames) {
  EXPECT_FALSE(EncodeHeaderBlock({{"", "x"}}).ok());
  EXPECT_FALSE(EncodeHeaderBlock({{"a", "1"}, {"A", "2"}}).ok());
  EXPECT_TRUE(EncodeHeaderBlock({}).ok());
}

TEST(SpdyHeaderBlockTest, DecodeRejectsBadBlocks) {
  const struct {
    const char* name;
    std::string block;
  } kCases[] = {
      {"empty", ""},
      {"short count", std::string("\0\0\0", 3)},
      {"huge count", std::string("\x7f\xff\xff\xff", 4)},
      {"truncated name", std::string("\0\0\0\1\0\0\0\5ab", 10)},
      {"truncated value", std::string("\0\0\0\1\0\0\0\1a\0\0\0\x09x", 13)},
      {"empty name", std::string("\0\0\0\1\0\0\0\0\0\0\0\0", 12)},
      {"uppercase name", std::string("\0\0\0\1\0\0\0\1A\0\0\0\0", 13)},
      {"duplicate",
       std::string("\0\0\0\2\0\0\0\1a\0\0\0\0\0\0\0\1a\0\0\0\0", 22)},
      {"trailing bytes", std::string("\0\0\0\0x", 5)},
  };
  for (const auto& c : kCases) {
    absl::StatusOr<Headers> h = DecodeHeaderBlock(c.block);
    EXPECT_TRUE(absl::IsInvalidArgument(h.status()))
        << c.name << ": " << h.status();
  }
}

TEST(SpdyHeaderBlockTest, DecompressesSpdystreamBlocksInOrder) {
  HeaderDecompressor d;
  absl::StatusOr<Headers> h1 =
      DecompressHeaders(d, HeaderBlockOf(testvectors::kSpdystreamSyn1));
  ASSERT_TRUE(h1.ok()) << h1.status();
  EXPECT_THAT(*h1, ElementsAre(Pair("streamtype", "error")));
  // The second block only decodes with the first one's zlib history.
  absl::StatusOr<Headers> h3 =
      DecompressHeaders(d, HeaderBlockOf(testvectors::kSpdystreamSyn3));
  ASSERT_TRUE(h3.ok()) << h3.status();
  EXPECT_THAT(*h3, ElementsAre(Pair("multi", std::string("a\0bc", 4))));

  HeaderDecompressor fresh;
  absl::StatusOr<Headers> reply =
      DecompressHeaders(fresh, HeaderBlockOf(testvectors::kSpdystreamReply));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_TRUE(reply->empty());
}

TEST(SpdyHeaderBlockTest, SecondBlockAloneFailsWithoutHistory) {
  HeaderDecompressor d;
  EXPECT_FALSE(
      DecompressHeaders(d, HeaderBlockOf(testvectors::kSpdystreamSyn3)).ok());
}

TEST(SpdyHeaderBlockTest, CompressorRoundTripsManyBlocks) {
  HeaderCompressor c;
  HeaderDecompressor d;
  for (int i = 0; i < 200; ++i) {
    Headers in = {{"streamtype", i % 2 ? "stdout" : "stderr"},
                  {"port", std::to_string(i)},
                  {"requestid", std::string(static_cast<size_t>(i), 'r')}};
    absl::StatusOr<std::string> block = EncodeHeaderBlock(in);
    ASSERT_TRUE(block.ok());
    absl::StatusOr<std::string> z = c.Compress(*block);
    ASSERT_TRUE(z.ok()) << z.status();
    absl::StatusOr<Headers> out = DecompressHeaders(d, *z);
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_EQ(*out, in);
  }
}

TEST(SpdyHeaderBlockTest, DecompressionIsBounded) {
  HeaderCompressor c;
  HeaderDecompressor d;
  absl::StatusOr<std::string> block =
      EncodeHeaderBlock({{"bomb", std::string(kMaxHeaderBlockBytes, 'a')}});
  ASSERT_TRUE(block.ok());
  absl::StatusOr<std::string> z = c.Compress(*block);
  ASSERT_TRUE(z.ok());
  EXPECT_LT(z->size(), 4096u);
  absl::StatusOr<std::string> out = d.Decompress(*z);
  EXPECT_TRUE(absl::IsInvalidArgument(out.status())) << out.status();
  // The context is now broken for good.
  EXPECT_FALSE(d.Decompress(*z).ok());
}

TEST(SpdyHeaderBlockTest, GarbageIsRejected) {
  HeaderDecompressor d;
  EXPECT_FALSE(d.Decompress("this is not zlib").ok());
  HeaderDecompressor d2;
  std::string truncated = HeaderBlockOf(testvectors::kSpdystreamSyn1);
  truncated.resize(truncated.size() / 2);
  EXPECT_FALSE(DecompressHeaders(d2, truncated).ok());
}

}  // namespace
}  // namespace cri_dockerd::streaming::spdy
