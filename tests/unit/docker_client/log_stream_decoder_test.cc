// LogStreamDecoder against replies captured from dockerd 20.10 (see
// tests/testdata/docker/README.md): multiplexed and TTY streams, fed whole
// and in pieces of every awkward size, long lines split by docker, and
// malformed framing.
#include "docker_client/log_stream_decoder.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/docker_testdata.h"

namespace cri_dockerd::docker {
namespace {

// The 40 KiB line the golden containers printed.
std::string LongLine() {
  std::string s;
  for (int i = 0; i < 4096; ++i)
    absl::StrAppend(&s, absl::StrFormat("x%09d", i));
  return s;
}

absl::Time Ts(const std::string& text) {
  absl::Time t;
  EXPECT_TRUE(ParseDockerLogTimestamp(text, &t)) << text;
  return t;
}

// Decodes `data` fed in pieces of `piece` bytes (0: whole).
std::vector<LogEntry> Decode(const std::string& data, bool tty, size_t piece,
                             absl::Status* finish = nullptr) {
  std::vector<LogEntry> out;
  LogStreamDecoder decoder(tty);
  auto sink = [&](const LogEntry& e) { out.push_back(e); };
  const size_t step = piece == 0 ? data.size() : piece;
  for (size_t i = 0; i < data.size(); i += step) {
    absl::Status s =
        decoder.Feed(absl::string_view(data).substr(i, step), sink);
    EXPECT_TRUE(s.ok()) << s;
  }
  absl::Status s = decoder.Finish(sink);
  if (finish != nullptr) {
    *finish = s;
  } else {
    EXPECT_TRUE(s.ok()) << s;
  }
  return out;
}

std::string Frame(int stream, const std::string& payload) {
  std::string h(8, '\0');
  h[0] = static_cast<char>(stream);
  const uint32_t n = static_cast<uint32_t>(payload.size());
  h[4] = static_cast<char>(n >> 24);
  h[5] = static_cast<char>(n >> 16);
  h[6] = static_cast<char>(n >> 8);
  h[7] = static_cast<char>(n);
  return h + payload;
}

void ExpectMultiplexedGolden(const std::vector<LogEntry>& e) {
  ASSERT_EQ(e.size(), 9u);
  EXPECT_EQ(e[0].stream, "stdout");
  EXPECT_EQ(e[0].line, "hello from stdout");
  EXPECT_FALSE(e[0].partial);
  EXPECT_EQ(e[0].timestamp, Ts("2026-11-22T01:22:38.968960068Z"));
  EXPECT_EQ(e[1].line, "tab\there, unicode \u2713, trailing spaces  ");
  EXPECT_EQ(e[2].line, "");
  EXPECT_FALSE(e[2].partial);
  // Docker stores stderr by its own copier: out of order with stdout.
  EXPECT_EQ(e[3].stream, "stderr");
  EXPECT_EQ(e[3].line, "hello from stderr");
  // The long line in three pieces sharing one timestamp, with a stderr
  // line in between.
  EXPECT_EQ(e[5].stream, "stderr");
  EXPECT_EQ(e[5].line, "after the long line");
  for (int i : {4, 6, 7}) {
    EXPECT_EQ(e[i].stream, "stdout");
    EXPECT_EQ(e[i].timestamp, Ts("2026-11-22T01:22:38.972495038Z"));
  }
  EXPECT_TRUE(e[4].partial);
  EXPECT_TRUE(e[6].partial);
  EXPECT_FALSE(e[7].partial);
  EXPECT_EQ(e[4].line.size(), kDockerLogPieceSize);
  EXPECT_EQ(e[4].line + e[6].line + e[7].line, LongLine());
  EXPECT_EQ(e[8].line, "no newline at the end");
  EXPECT_TRUE(e[8].partial);
}

TEST(LogStreamDecoderTest, MultiplexedGoldenWhole) {
  ExpectMultiplexedGolden(
      Decode(ReadTestdata("logs_multiplexed.bin"), /*tty=*/false, 0));
}

TEST(LogStreamDecoderTest, MultiplexedGoldenInAwkwardPieces) {
  const std::string golden = ReadTestdata("logs_multiplexed.bin");
  for (size_t piece : {1, 3, 7, 8, 9, 13, 31, 4096, 16383}) {
    SCOPED_TRACE(piece);
    ExpectMultiplexedGolden(Decode(golden, /*tty=*/false, piece));
  }
}

void ExpectTtyGolden(const std::vector<LogEntry>& e) {
  ASSERT_EQ(e.size(), 9u);
  for (const LogEntry& entry : e) EXPECT_EQ(entry.stream, "stdout");
  // The terminal ends lines with "\r\n"; the decoder keeps the '\r'.
  EXPECT_EQ(e[0].line, "hello from stdout\r");
  EXPECT_EQ(e[0].timestamp, Ts("2026-11-22T01:22:39.346504855Z"));
  EXPECT_EQ(e[1].line, "hello from stderr\r");
  EXPECT_EQ(e[2].line, "tab\there, unicode \u2713, trailing spaces  \r");
  EXPECT_EQ(e[3].line, "\r");
  EXPECT_TRUE(e[4].partial);
  EXPECT_TRUE(e[5].partial);
  EXPECT_FALSE(e[6].partial);
  EXPECT_EQ(e[4].line.size(), kDockerLogPieceSize);
  EXPECT_EQ(e[5].line.size(), kDockerLogPieceSize);
  EXPECT_EQ(e[4].line + e[5].line + e[6].line, LongLine() + "\r");
  EXPECT_EQ(e[6].timestamp, e[4].timestamp);
  EXPECT_EQ(e[7].line, "after the long line\r");
  EXPECT_FALSE(e[7].partial);
  EXPECT_EQ(e[8].line, "no newline at the end");
  EXPECT_TRUE(e[8].partial);
}

TEST(LogStreamDecoderTest, TtyGoldenWholeAndInPieces) {
  const std::string golden = ReadTestdata("logs_tty.bin");
  for (size_t piece : {0, 1, 5, 30, 31, 32, 1000, 16384, 16415}) {
    SCOPED_TRACE(piece);
    ExpectTtyGolden(Decode(golden, /*tty=*/true, piece));
  }
}

TEST(LogStreamDecoderTest, TtyLongLineNotSplitByDockerStaysWhole) {
  const std::string ts = "2026-11-22T01:22:39.350582555Z";
  const std::string text(20000, 'y');
  std::vector<LogEntry> e =
      Decode(absl::StrCat(ts, " ", text, "\n", ts, " next\n"), true, 1000);
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].line, text);
  EXPECT_FALSE(e[0].partial);
  EXPECT_EQ(e[1].line, "next");
}

TEST(LogStreamDecoderTest, DockerErrorsAreSkippedAndDecodingGoesOn) {
  const std::string ts = "2026-11-22T01:22:39.350582555Z";
  std::string mux = Frame(3, "Error grabbing logs: invalid character\n") +
                    Frame(1, ts + " still here\n");
  std::vector<LogEntry> e = Decode(mux, false, 0);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].line, "still here");
  e = Decode("Error grabbing logs: invalid character\n" + ts + " tty\n", true,
             0);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].line, "tty");
}

TEST(LogStreamDecoderTest, MessageWithoutTimestampTakesThePreviousOne) {
  const std::string ts = "2026-11-22T01:22:39.350582555Z";
  std::vector<LogEntry> e =
      Decode(Frame(1, ts + " a\n") + Frame(2, "no stamp\n"), false, 0);
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[1].stream, "stderr");
  EXPECT_EQ(e[1].line, "no stamp");
  EXPECT_EQ(e[1].timestamp, Ts(ts));
}

TEST(LogStreamDecoderTest, BadFraming) {
  LogStreamDecoder decoder(false);
  EXPECT_EQ(decoder.Feed(Frame(7, "x"), nullptr).code(),
            absl::StatusCode::kInternal);
  std::string huge(8, '\0');
  huge[0] = 1;
  huge[4] = 0x7f;
  LogStreamDecoder decoder2(false);
  EXPECT_EQ(decoder2.Feed(huge, nullptr).code(), absl::StatusCode::kInternal);
  // Cut inside a frame: the connection broke.
  absl::Status finish;
  const std::string frame = Frame(1, "2026-11-22T01:22:39.350582555Z a\n");
  EXPECT_TRUE(Decode(frame.substr(0, 12), false, 0, &finish).empty());
  EXPECT_EQ(finish.code(), absl::StatusCode::kUnavailable) << finish;
}

TEST(LogStreamDecoderTest, FormatLogSince) {
  EXPECT_EQ(FormatLogSince(absl::InfinitePast()), "");
  EXPECT_EQ(FormatLogSince(absl::UnixEpoch()), "");
  EXPECT_EQ(FormatLogSince(absl::FromUnixNanos(1700000000123456789)),
            "1700000000.123456789");
  EXPECT_EQ(FormatLogSince(absl::FromUnixSeconds(1700000000)),
            "1700000000.000000000");
}

}  // namespace
}  // namespace cri_dockerd::docker
