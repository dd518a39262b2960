// Resume points: the tracker's window, the replay filter, and reading
// the end of a CRI log file (torn lines, long files, rotated siblings).
#include "cri/logs/log_resume.h"

#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/testing/temp_dir.h"
#include "cri/logs/cri_log_format.h"
#include "gtest/gtest.h"

namespace cri_dockerd::logs {
namespace {

using testing_util::TempDir;

const absl::Time kBase = absl::FromUnixSeconds(1700000000);

absl::Time At(absl::Duration d) { return kBase + d; }

std::string Line(absl::Time t, const std::string& text,
                 const char* stream = "stdout", bool partial = false) {
  std::string out;
  AppendCriLogLines(
      {.stream = stream, .timestamp = t, .line = text, .partial = partial},
      &out);
  return out;
}

TEST(ResumeTrackerTest, EmptyMeansFromTheStart) {
  ResumeTracker tracker;
  EXPECT_TRUE(tracker.empty());
  EXPECT_EQ(tracker.Since(), absl::InfinitePast());
  EXPECT_TRUE(tracker.RecordedSince().empty());
  ReplayFilter filter(tracker);
  EXPECT_FALSE(filter.Skip(kBase));
}

TEST(ResumeTrackerTest, SinceIsTheLastTimestampLessTheSlack) {
  ResumeTracker tracker;
  tracker.Record(At(absl::Seconds(-10)));
  tracker.Record(At(absl::Milliseconds(-1500)));
  tracker.Record(At(absl::Milliseconds(-500)));
  tracker.Record(At(absl::Milliseconds(2)));  // out of order, as docker's
  tracker.Record(kBase);
  tracker.Record(kBase);  // pieces of one line share a timestamp
  EXPECT_EQ(tracker.Since(), kBase - kResumeSlack);
  EXPECT_EQ(tracker.RecordedSince(),
            (std::vector<absl::Time>{At(absl::Milliseconds(-500)),
                                     At(absl::Milliseconds(2)), kBase, kBase}));
}

TEST(ResumeTrackerTest, KeepsABoundedWindow) {
  ResumeTracker tracker;
  for (size_t i = 0; i < kMaxTrackedEntries + 10; ++i) tracker.Record(kBase);
  EXPECT_EQ(tracker.RecordedSince().size(), kMaxTrackedEntries);
}

TEST(ReplayFilterTest, SkipsWhatMatchesThenNothing) {
  ResumeTracker tracker;
  tracker.Record(At(absl::Milliseconds(1)));
  tracker.Record(At(absl::Milliseconds(3)));
  tracker.Record(At(absl::Milliseconds(3)));
  ReplayFilter filter(tracker);
  EXPECT_TRUE(filter.Skip(At(absl::Seconds(-5))));  // before since
  EXPECT_TRUE(filter.Skip(At(absl::Milliseconds(1))));
  EXPECT_TRUE(filter.Skip(At(absl::Milliseconds(3))));
  EXPECT_TRUE(filter.Skip(At(absl::Milliseconds(3))));
  EXPECT_FALSE(filter.Skip(At(absl::Milliseconds(3))));  // a new entry
  EXPECT_FALSE(filter.Skip(At(absl::Milliseconds(4))));
}

TEST(ReplayFilterTest, StopsSkippingAtTheFirstMismatch) {
  ResumeTracker tracker;
  tracker.Record(At(absl::Milliseconds(1)));
  tracker.Record(At(absl::Milliseconds(2)));
  ReplayFilter filter(tracker);
  EXPECT_FALSE(filter.Skip(At(absl::Milliseconds(5))));  // not ours
  EXPECT_FALSE(filter.Skip(At(absl::Milliseconds(1))));
  EXPECT_FALSE(filter.Skip(At(absl::Milliseconds(2))));
}

TEST(ReadLogFileTailTest, MissingAndEmpty) {
  TempDir dir;
  EXPECT_EQ(ReadLogFileTail(dir.path() + "/none.log").status().code(),
            absl::StatusCode::kNotFound);
  absl::StatusOr<LogFileTail> tail =
      ReadLogFileTail(dir.Write("empty.log", ""));
  ASSERT_TRUE(tail.ok()) << tail.status();
  EXPECT_TRUE(tail->resume.empty());
  EXPECT_EQ(tail->size, 0u);
  EXPECT_EQ(tail->complete_size, 0u);
  EXPECT_EQ(ReadLogFileTail(dir.path()).status().code(),
            absl::StatusCode::kFailedPrecondition);
  const std::string link = dir.path() + "/link.log";
  ASSERT_EQ(symlink("empty.log", link.c_str()), 0);
  EXPECT_EQ(ReadLogFileTail(link).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(ReadLogFileTailTest, LastLinesAndATornOne) {
  TempDir dir;
  const std::string complete =
      Line(At(absl::Seconds(-60)), "old") + "not a CRI line\n" +
      Line(At(absl::Milliseconds(-800)), "recent") +
      Line(kBase, "piece", "stdout", true) + Line(kBase, "end") +
      Line(At(absl::Milliseconds(-3)), "err", "stderr");
  const std::string torn = "2023-11-14T22:13:20.000000000Z stdout F cut sh";
  absl::StatusOr<LogFileTail> tail =
      ReadLogFileTail(dir.Write("0.log", complete + torn));
  ASSERT_TRUE(tail.ok()) << tail.status();
  EXPECT_EQ(tail->size, complete.size() + torn.size());
  EXPECT_EQ(tail->complete_size, complete.size());
  // The last line (the stderr one) sets `since`.
  EXPECT_EQ(tail->resume.Since(), At(absl::Milliseconds(-3)) - kResumeSlack);
  EXPECT_EQ(tail->resume.RecordedSince(),
            (std::vector<absl::Time>{At(absl::Milliseconds(-800)), kBase, kBase,
                                     At(absl::Milliseconds(-3))}));
}

TEST(ReadLogFileTailTest, LongFilesAndLongTornLines) {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 5000; ++i) {
    text += Line(At(absl::Milliseconds(i - 5000)), std::string(100, 'x'));
  }
  const size_t complete = text.size();
  text += "2023-11-14T22:13:20.000000000Z stdout F " + std::string(200000, 'y');
  absl::StatusOr<LogFileTail> tail = ReadLogFileTail(dir.Write("0.log", text));
  ASSERT_TRUE(tail.ok()) << tail.status();
  EXPECT_EQ(tail->complete_size, complete);
  // The lines of the last 2 * kResumeSlack are tracked, from 3 s back
  // those of the last kResumeSlack count.
  EXPECT_EQ(tail->resume.RecordedSince().size(), 1001u);
  EXPECT_EQ(tail->resume.Since(), At(absl::Milliseconds(-1001)));
}

TEST(ReadRotatedResumePointTest, NewestUncompressedSibling) {
  TempDir dir;
  const std::string path = dir.path() + "/0.log";
  EXPECT_TRUE(ReadRotatedResumePoint(path).empty());
  dir.Write("0.log.20231114-221000", Line(At(absl::Seconds(-100)), "a"));
  dir.Write("0.log.20231114-221320", Line(At(absl::Seconds(-5)), "b"));
  dir.Write("0.log.20231114-221500.gz", "\x1f\x8b compressed");
  dir.Write("0.log.20231114-221600.tmp", Line(kBase, "c"));
  dir.Write("1.log", Line(At(absl::Seconds(50)), "other container"));
  EXPECT_EQ(ReadRotatedResumePoint(path).Since(),
            At(absl::Seconds(-5)) - kResumeSlack);
}

// The file and its rotated siblings are read only where no symlink leads.
TEST(ReadRotatedResumePointTest, NothingIsReadThroughASymlinkedDirectory) {
  TempDir dir;
  ASSERT_EQ(mkdir((dir.path() + "/outside").c_str(), 0755), 0);
  dir.Write("outside/0.log", Line(At(absl::Seconds(-5)), "a"));
  dir.Write("outside/0.log.20231114-221320", Line(At(absl::Seconds(-5)), "b"));
  const std::string link = dir.path() + "/app";
  ASSERT_EQ(symlink((dir.path() + "/outside").c_str(), link.c_str()), 0);
  EXPECT_EQ(ReadLogFileTail(link + "/0.log").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(ReadRotatedResumePoint(link + "/0.log").empty());
  // The same files where no symlink leads are read.
  EXPECT_FALSE(ReadRotatedResumePoint(dir.path() + "/outside/0.log").empty());
}

}  // namespace
}  // namespace cri_dockerd::logs
