// MuxStreamDecoder on docker's captured exec output
// (tests/testdata/docker/exec_start_multiplexed.bin) fed in pieces of every
// size, and on malformed streams.
#include "docker_client/mux_stream_decoder.h"

#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "tests/docker_testdata.h"

namespace cri_dockerd::docker {
namespace {

using Frames = std::vector<std::pair<MuxStream, std::string>>;

absl::Status Decode(const std::string& data, size_t piece, Frames* frames) {
  MuxStreamDecoder decoder;
  const MuxStreamDecoder::Sink sink = [frames](MuxStream s,
                                               absl::string_view d) {
    frames->emplace_back(s, std::string(d));
  };
  for (size_t i = 0; i < data.size(); i += piece) {
    absl::Status s =
        decoder.Feed(absl::string_view(data).substr(i, piece), sink);
    if (!s.ok()) return s;
  }
  return decoder.Finish();
}

std::string Frame(char stream, const std::string& payload) {
  const uint32_t n = static_cast<uint32_t>(payload.size());
  std::string h = {stream,
                   0,
                   0,
                   0,
                   static_cast<char>(n >> 24),
                   static_cast<char>(n >> 16),
                   static_cast<char>(n >> 8),
                   static_cast<char>(n)};
  return h + payload;
}

TEST(MuxStreamDecoderTest, GoldenExecOutputInPiecesOfAnySize) {
  const std::string golden = ReadTestdata("exec_start_multiplexed.bin");
  Frames whole;
  ASSERT_TRUE(Decode(golden, golden.size(), &whole).ok());
  // 3 stdout/stderr pairs, 70000 x in 4096-byte frames, "\n", "no-newline".
  ASSERT_EQ(whole.size(), 6u + 18u + 2u);
  EXPECT_EQ(whole[0],
            std::make_pair(MuxStream::kStdout, std::string("out 0\n")));
  EXPECT_EQ(whole[1],
            std::make_pair(MuxStream::kStderr, std::string("err 0\n")));
  EXPECT_EQ(whole.back().second, "no-newline");
  for (size_t piece : {1, 2, 7, 8, 9, 4096, 4104, 65536}) {
    Frames frames;
    ASSERT_TRUE(Decode(golden, piece, &frames).ok()) << piece;
    EXPECT_EQ(frames, whole) << piece;
  }
}

TEST(MuxStreamDecoderTest, EmptyFramesAndEveryStreamType) {
  Frames frames;
  ASSERT_TRUE(Decode(Frame(0, "in") + Frame(1, "") + Frame(2, "e") +
                         Frame(3, "docker says no"),
                     3, &frames)
                  .ok());
  EXPECT_EQ(frames, (Frames{{MuxStream::kStdin, "in"},
                            {MuxStream::kStdout, ""},
                            {MuxStream::kStderr, "e"},
                            {MuxStream::kSystemErr, "docker says no"}}));
}

TEST(MuxStreamDecoderTest, MalformedStreams) {
  Frames frames;
  EXPECT_EQ(Decode(Frame(4, "x"), 100, &frames).code(),
            absl::StatusCode::kInternal);
  std::string huge = Frame(1, "");
  huge[4] = 0x7f;  // a 2 GiB frame
  EXPECT_EQ(Decode(huge, 100, &frames).code(), absl::StatusCode::kInternal);
  // Cut inside the header, and inside the payload.
  EXPECT_EQ(Decode(Frame(1, "hello").substr(0, 5), 100, &frames).code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(Decode(Frame(1, "hello").substr(0, 10), 100, &frames).code(),
            absl::StatusCode::kUnavailable);
  EXPECT_TRUE(frames.empty());
}

}  // namespace
}  // namespace cri_dockerd::docker
