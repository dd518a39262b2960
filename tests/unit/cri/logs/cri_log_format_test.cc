// The CRI log line format kubelet and crictl parse: timestamps, stream and
// F/P tags, TTY carriage returns, and the parser the resume logic uses.
#include "cri/logs/cri_log_format.h"

#include <string>

#include "gtest/gtest.h"

namespace cri_dockerd::logs {
namespace {

docker::LogEntry Entry(const std::string& stream, int64_t nanos,
                       const std::string& line, bool partial) {
  return docker::LogEntry{.stream = stream,
                          .timestamp = absl::FromUnixNanos(nanos),
                          .line = line,
                          .partial = partial};
}

std::string Format(const docker::LogEntry& e) {
  std::string out;
  AppendCriLogLines(e, &out);
  return out;
}

TEST(CriLogFormatTest, TimestampIsUtcWithNineDigits) {
  // The example of k8s.io/cri-api's log format.
  EXPECT_EQ(FormatCriTimestamp(absl::FromUnixNanos(1475713029669794202)),
            "2016-10-06T00:17:09.669794202Z");
  EXPECT_EQ(FormatCriTimestamp(absl::FromUnixSeconds(1475713029)),
            "2016-10-06T00:17:09.000000000Z");
  EXPECT_EQ(FormatCriTimestamp(absl::FromUnixNanos(1475713029000000100)),
            "2016-10-06T00:17:09.000000100Z");
}

TEST(CriLogFormatTest, Lines) {
  const int64_t t = 1475713029669794202;
  struct Case {
    docker::LogEntry entry;
    std::string want;
  } cases[] = {
      {Entry("stdout", t, "log content", false),
       "2016-10-06T00:17:09.669794202Z stdout F log content\n"},
      {Entry("stderr", t, "oops", false),
       "2016-10-06T00:17:09.669794202Z stderr F oops\n"},
      {Entry("stdout", t, "first piece", true),
       "2016-10-06T00:17:09.669794202Z stdout P first piece\n"},
      {Entry("stdout", t, "", false),
       "2016-10-06T00:17:09.669794202Z stdout F \n"},
      // TTY output: "\r\n" line ends lose the '\r', like containerd's.
      {Entry("stdout", t, "tty line\r", false),
       "2016-10-06T00:17:09.669794202Z stdout F tty line\n"},
      // ... but a piece keeps it: it is content in the middle of a line.
      {Entry("stdout", t, "piece\r", true),
       "2016-10-06T00:17:09.669794202Z stdout P piece\r\n"},
      {Entry("stdout", t, "  spaces \t tab ", false),
       "2016-10-06T00:17:09.669794202Z stdout F   spaces \t tab \n"},
      // Never sent by docker, but a line must stay one line.
      {Entry("stdout", t, "a\nb", true),
       "2016-10-06T00:17:09.669794202Z stdout F a\n"
       "2016-10-06T00:17:09.669794202Z stdout P b\n"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Format(c.entry), c.want) << c.entry.line;
  }
}

TEST(CriLogFormatTest, ParseLikeKubelet) {
  auto line =
      ParseCriLogLine("2016-10-06T00:17:09.669794202Z stdout F log content");
  ASSERT_TRUE(line.has_value());
  EXPECT_EQ(line->timestamp, absl::FromUnixNanos(1475713029669794202));
  EXPECT_EQ(line->stream, "stdout");
  EXPECT_FALSE(line->partial);
  EXPECT_EQ(line->content, "log content");

  line = ParseCriLogLine("2016-10-06T00:17:09.669794202Z stderr P:x a  b ");
  ASSERT_TRUE(line.has_value());
  EXPECT_TRUE(line->partial);
  EXPECT_EQ(line->content, "a  b ");

  // Fewer fractional digits and offsets parse too (kubelet's
  // time.RFC3339Nano does).
  line = ParseCriLogLine("2016-10-06T02:17:09.5+02:00 stdout F x");
  ASSERT_TRUE(line.has_value());
  EXPECT_EQ(line->timestamp, absl::FromUnixMillis(1475713029500));

  line = ParseCriLogLine("2016-10-06T00:17:09.669794202Z stdout F");
  ASSERT_TRUE(line.has_value());
  EXPECT_EQ(line->content, "");

  for (const char* bad :
       {"", "garbage", "2016-10-06T00:17:09Z stdin F x",
        "2016-10-06T00:17:09Z stdout X x", "yesterday stdout F x",
        "{\"log\":\"docker json\\n\",\"stream\":\"stdout\"}"}) {
    EXPECT_FALSE(ParseCriLogLine(bad).has_value()) << bad;
  }
}

TEST(CriLogFormatTest, FormattedLinesParseBack) {
  const docker::LogEntry e = Entry("stderr", 1700000000000000001, "x y", true);
  std::string out = Format(e);
  out.pop_back();
  auto line = ParseCriLogLine(out);
  ASSERT_TRUE(line.has_value());
  EXPECT_EQ(line->timestamp, e.timestamp);
  EXPECT_EQ(line->stream, "stderr");
  EXPECT_TRUE(line->partial);
  EXPECT_EQ(line->content, "x y");
}

}  // namespace
}  // namespace cri_dockerd::logs
