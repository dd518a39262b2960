// The json-file log decoder against lines dockerd 20.10 wrote: escapes
// (docker's \u003c-style and invalid UTF-8 as \ufffd), stderr, a long line
// docker cut into 16 KiB pieces, and a torn last line.
#include "docker_client/json_log_decoder.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "docker_client/log_stream_decoder.h"
#include "gtest/gtest.h"

namespace cri_dockerd::docker {
namespace {

absl::Time Ts(const std::string& text) {
  absl::Time t;
  EXPECT_TRUE(ParseDockerLogTimestamp(text, &t)) << text;
  return t;
}

struct Golden {
  const char* name;
  std::string line;
  const char* stream;
  std::string text;
  bool partial;
  const char* time;
};

TEST(DecodeJsonLogLine, GoldenLines) {
  const std::vector<Golden> cases = {
      {"escapes",
       R"({"log":"tab\u0009here \u003ca\u0026b\u003e \"q\" back\\slash\n",)"
       R"("stream":"stdout","time":"2026-12-02T13:32:56.762899287Z"})",
       "stdout", "tab\there <a&b> \"q\" back\\slash", false,
       "2026-12-02T13:32:56.762899287Z"},
      {"invalid utf-8",
       R"({"log":"\ufffd\ufffd bad utf8\n","stream":"stdout",)"
       R"("time":"2026-12-02T13:32:56.768224939Z"})",
       "stdout", "\xEF\xBF\xBD\xEF\xBF\xBD bad utf8", false,
       "2026-12-02T13:32:56.768224939Z"},
      {"stderr",
       R"({"log":"err\n","stream":"stderr","time":"2026-12-02T13:32:56.768302937Z"})",
       "stderr", "err", false, "2026-12-02T13:32:56.768302937Z"},
      {"partial piece",
       R"({"log":"no newline at end","stream":"stdout","time":"2026-12-02T13:32:56.77Z"})",
       "stdout", "no newline at end", true, "2026-12-02T13:32:56.77Z"},
      {"empty line",
       R"({"log":"\n","stream":"stdout","time":"2026-12-02T13:32:56Z"})",
       "stdout", "", false, "2026-12-02T13:32:56Z"},
      {"tty line keeps its \\r",
       R"({"log":"hi\r\n","stream":"stdout","time":"2026-12-02T13:32:56Z"})",
       "stdout", "hi\r", false, "2026-12-02T13:32:56Z"},
      {"attrs before time",
       R"({"log":"a\n","stream":"stdout","attrs":{"time":"x"},)"
       R"("time":"2026-12-02T13:32:57Z"})",
       "stdout", "a", false, "2026-12-02T13:32:57Z"},
  };
  for (const Golden& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<LogEntry> e = DecodeJsonLogLine(c.line);
    ASSERT_TRUE(e.ok()) << e.status();
    EXPECT_EQ(e->stream, c.stream);
    EXPECT_EQ(e->line, c.text);
    EXPECT_EQ(e->partial, c.partial);
    EXPECT_EQ(e->timestamp, Ts(c.time));
    absl::Time t;
    ASSERT_TRUE(JsonLogLineTime(c.line, &t));
    EXPECT_EQ(t, Ts(c.time));
  }
}

TEST(DecodeJsonLogLine, RejectsWhatIsNotAnEntry) {
  for (const char* line :
       {"", "{", "[]", "not json", R"({"log":"x\n","stream":"stdout"})",
        R"({"log":"x\n","time":"yesterday"})",
        R"({"log":"x\n","stream":"stdout","time":"2026-12-02T13)"}) {
    SCOPED_TRACE(line);
    EXPECT_TRUE(absl::IsInvalidArgument(DecodeJsonLogLine(line).status()));
    absl::Time t;
    EXPECT_FALSE(JsonLogLineTime(line, &t));
  }
}

TEST(DecodeJsonLogLine, TimeKeyInsideTheTextIsNotTheTime) {
  // An escaped quote can never form the "time":" key.
  const std::string line =
      R"({"log":"\"time\":\"2001-01-01T00:00:00Z\"\n","stream":"stdout",)"
      R"("time":"2026-12-02T13:32:56Z"})";
  absl::Time t;
  ASSERT_TRUE(JsonLogLineTime(line, &t));
  EXPECT_EQ(t, Ts("2026-12-02T13:32:56Z"));
}

std::string Piece(const std::string& text, const char* time) {
  return absl::StrCat(R"({"log":")", text, R"(","stream":"stdout","time":")",
                      time, "\"}\n");
}

TEST(DecodeJsonLogLines, LongLineInPiecesAndATornEnd) {
  const std::string a(16384, 'a'), b(16384, 'b'), c(7233, 'c');
  const char* t = "2026-12-02T13:33:01.522153973Z";
  const std::string whole = Piece(a, t) + Piece(b, t) + Piece(c + "\\n", t) +
                            Piece("next\\n", "2026-12-02T13:33:02Z");
  // Cut inside the last line: it is torn and stays for later.
  const size_t cut = whole.size() - 10;
  std::vector<LogEntry> got;
  JsonLogChunkResult r =
      DecodeJsonLogLines(absl::string_view(whole).substr(0, cut),
                         [&](LogEntry&& e) { got.push_back(std::move(e)); });
  EXPECT_EQ(r.malformed, 0u);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(r.consumed,
            whole.size() - Piece("next\\n", "2026-12-02T13:33:02Z").size());
  EXPECT_TRUE(got[0].partial);
  EXPECT_EQ(got[0].line, a);
  EXPECT_TRUE(got[1].partial);
  EXPECT_EQ(got[1].line, b);
  EXPECT_FALSE(got[2].partial);
  EXPECT_EQ(got[2].line, c);
  EXPECT_EQ(got[0].timestamp, got[2].timestamp);
  // The rest, once complete.
  got.clear();
  const size_t first = r.consumed;
  r = DecodeJsonLogLines(absl::string_view(whole).substr(first),
                         [&](LogEntry&& e) { got.push_back(std::move(e)); });
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].line, "next");
  EXPECT_EQ(r.consumed, Piece("next\\n", "2026-12-02T13:33:02Z").size());
}

TEST(DecodeJsonLogLines, SkipsMalformedAndBlankLines) {
  const std::string data =
      "garbage\n\n" + Piece("ok\\n", "2026-12-02T13:33:02Z") + "{\"log\"";
  std::vector<LogEntry> got;
  JsonLogChunkResult r = DecodeJsonLogLines(
      data, [&](LogEntry&& e) { got.push_back(std::move(e)); });
  EXPECT_EQ(r.malformed, 1u);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].line, "ok");
  EXPECT_EQ(r.consumed, data.size() - 6);
}

}  // namespace
}  // namespace cri_dockerd::docker
