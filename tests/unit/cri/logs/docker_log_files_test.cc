// Docker's json-file log set on disk: listing in write order, the binary
// search for a time, and the choice of where to resume.
#include "cri/logs/docker_log_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/testing/temp_dir.h"
#include "cri/logs/log_resume.h"
#include "docker_client/json_log_decoder.h"
#include "gtest/gtest.h"
#include "tests/unit/cri/logs/docker_json_log_writer.h"

namespace cri_dockerd::logs {
namespace {

using testing_util::DockerJsonLogWriter;

const absl::Time kBase = absl::FromUnixSeconds(1700000000);
absl::Time At(int ms) { return kBase + absl::Milliseconds(ms); }

// How far FindOffsetBefore may land before the exact place: its linear
// scan span, plus a line.
constexpr uint64_t kSlack = (64 << 10) + 4096;

// The offset of the first line of `path` stamped at or after `t` (the
// file's size if none), by reading it all.
uint64_t ExactOffset(const std::string& path, absl::Time t) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  uint64_t offset = 0;
  while (std::getline(in, line)) {
    absl::Time lt;
    if (docker::JsonLogLineTime(line, &lt) && lt >= t) return offset;
    offset += line.size() + 1;
  }
  return offset;
}

// The time of the line starting at `offset` of `path`.
absl::Time TimeAt(const std::string& path, uint64_t offset) {
  FdHandle fd(open(path.c_str(), O_RDONLY));
  std::string buf(4096, '\0');
  const ssize_t n = pread(fd.get(), buf.data(), buf.size(), offset);
  EXPECT_GT(n, 0);
  buf.resize(static_cast<size_t>(n));
  absl::Time t;
  EXPECT_TRUE(docker::JsonLogLineTime(buf.substr(0, buf.find('\n')), &t));
  return t;
}

TEST(StatDockerLogFiles, WriteOrderOldestFirst) {
  testing_util::TempDir tmp;
  DockerJsonLogWriter w(tmp.path(), "c");
  w.Entry(At(0), "stdout", "0");
  w.Rotate(4);
  w.Entry(At(1), "stdout", "1");
  w.Rotate(4);
  w.Entry(At(2), "stdout", "2");
  tmp.Write("c-json.log.3.gz", "compressed");
  tmp.Write("c-json.logx", "other");
  const std::vector<DockerLogFileId> files = StatDockerLogFiles(w.path());
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].index, 2);
  EXPECT_EQ(files[1].index, 1);
  EXPECT_EQ(files[2].index, 0);
  EXPECT_TRUE(absl::IsNotFound(
      OpenDockerLogFile(w.path(), DockerLogFileId{files[0].dev, 1, 2})
          .status()));
  EXPECT_TRUE(OpenDockerLogFile(w.path(), files[0]).ok());
}

TEST(IsCurrentDockerLogFile, UntilDockerRotatesIt) {
  testing_util::TempDir tmp;
  DockerJsonLogWriter w(tmp.path(), "c");
  w.Entry(At(0), "stdout", "0");
  const std::vector<DockerLogFileId> before = StatDockerLogFiles(w.path());
  ASSERT_EQ(before.size(), 1u);
  EXPECT_TRUE(IsCurrentDockerLogFile(w.path(), before[0]));
  w.Rotate(4);
  EXPECT_FALSE(IsCurrentDockerLogFile(w.path(), before[0]));
  w.Entry(At(1), "stdout", "1");
  const std::vector<DockerLogFileId> after = StatDockerLogFiles(w.path());
  ASSERT_EQ(after.size(), 2u);
  EXPECT_TRUE(after[0].SameFile(before[0]));  // now ".1"
  EXPECT_TRUE(IsCurrentDockerLogFile(w.path(), after[1]));
  ASSERT_EQ(unlink(w.path().c_str()), 0);
  EXPECT_FALSE(IsCurrentDockerLogFile(w.path(), after[1]));
}

TEST(FindOffsetBefore, LandsJustBeforeTheTime) {
  testing_util::TempDir tmp;
  DockerJsonLogWriter w(tmp.path(), "c");
  for (int i = 0; i < 50000; ++i) {
    w.Entry(At(i), i % 3 ? "stdout" : "stderr", absl::StrCat("entry ", i));
  }
  FdHandle fd(open(w.path().c_str(), O_RDONLY));
  struct stat st;
  ASSERT_EQ(fstat(fd.get(), &st), 0);
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  for (int target : {0, 1, 777, 25000, 49999, 60000}) {
    SCOPED_TRACE(target);
    const uint64_t off = FindOffsetBefore(fd.get(), size, At(target));
    if (target == 0) {
      EXPECT_EQ(off, 0u);
      continue;
    }
    // A line start stamped before the target, at most a scan span before
    // the first line at or after it.
    EXPECT_LT(TimeAt(w.path(), off), At(target));
    const uint64_t exact = ExactOffset(w.path(), At(target));
    EXPECT_LE(off, exact);
    EXPECT_LE(exact - off, kSlack);
  }
}

TEST(FindDockerLogResumePoint, PicksTheFileAndOffset) {
  testing_util::TempDir tmp;
  DockerJsonLogWriter w(tmp.path(), "c");
  for (int f = 0; f < 3; ++f) {
    for (int i = 0; i < 10000; ++i) {
      w.Entry(At((f * 10000 + i) * 10), "stdout", absl::StrCat(f, ":", i));
    }
    if (f < 2) w.Rotate(3);
  }
  // From the start: the oldest file at 0.
  absl::StatusOr<DockerLogResumePoint> p =
      FindDockerLogResumePoint(w.path(), absl::InfinitePast());
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->file.index, 2);
  EXPECT_EQ(p->offset, 0u);
  EXPECT_EQ(p->newer_files, 2);
  EXPECT_FALSE(p->maybe_lost);
  // Inside the middle file.
  p = FindDockerLogResumePoint(w.path(), At(150000));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->file.index, 1);
  EXPECT_EQ(p->newer_files, 1);
  const std::string middle = w.path() + ".1";
  EXPECT_LT(TimeAt(middle, p->offset), At(150000) - kResumeSlack);
  const uint64_t exact = ExactOffset(middle, At(150000) - kResumeSlack);
  EXPECT_LE(p->offset, exact);
  EXPECT_LE(exact - p->offset, kSlack);
  // Just after the current file's first entry: the middle file still
  // holds what lies within the slack.
  p = FindDockerLogResumePoint(w.path(), At(200000) + absl::Milliseconds(500));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->file.index, 1);
  // Before everything docker still has, with files rotated away: a loss.
  p = FindDockerLogResumePoint(w.path(), At(-100000));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->file.index, 2);
  EXPECT_TRUE(p->maybe_lost);
  // Nothing there.
  EXPECT_TRUE(absl::IsNotFound(
      FindDockerLogResumePoint(tmp.path() + "/x-json.log", absl::InfinitePast())
          .status()));
}

}  // namespace
}  // namespace cri_dockerd::logs
