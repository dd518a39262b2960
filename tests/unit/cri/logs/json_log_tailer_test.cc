// JsonLogTailer against json-file logs the test writes and rotates the
// way docker does: tags and long lines, rotation (also twice before the
// tailer reads, and a rotated file deleted unread), torn lines, resuming
// where a CRI file ends without loss or repeat, ReopenContainerLog under
// a writer, and the end of a copy when docker closes the log.
#include "cri/logs/json_log_tailer.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "common/testing/temp_dir.h"
#include "cri/logs/cri_log_format.h"
#include "gtest/gtest.h"
#include "tests/poll_until.h"
#include "tests/unit/cri/logs/docker_json_log_writer.h"

namespace cri_dockerd::logs {
namespace {

using testing_util::DockerJsonLogWriter;
using testing_util::PollUntil;

const absl::Time kBase = absl::FromUnixSeconds(1700000000);
absl::Time At(int ms) { return kBase + absl::Milliseconds(ms); }

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> Lines(const std::string& path) {
  std::vector<std::string> out;
  for (absl::string_view l : absl::StrSplit(Read(path), '\n')) {
    if (!l.empty()) out.emplace_back(l);
  }
  return out;
}

// The CRI line of a complete stdout entry.
std::string Cri(absl::Time t, const std::string& text,
                const std::string& stream = "stdout", bool partial = false) {
  return absl::StrCat(FormatCriTimestamp(t), " ", stream,
                      partial ? " P " : " F ", text);
}

std::string Counter(int i) { return absl::StrFormat("line %06d", i); }

// Holds the tailer's thread before its reads while closed.
class Gate {
 public:
  void Close() {
    absl::MutexLock lock(&mu_);
    closed_ = true;
  }
  void Open() {
    absl::MutexLock lock(&mu_);
    closed_ = false;
  }
  void Pass() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](bool* closed) { return !*closed; }, &closed_));
  }

 private:
  absl::Mutex mu_;
  bool closed_ = false;
};

class JsonLogTailerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    docker_dir_ = tmp_.path() + "/docker";
    cri_path_ = tmp_.path() + "/pods/app/0.log";
    ASSERT_EQ(mkdir(docker_dir_.c_str(), 0755), 0);
    writer_ = std::make_unique<DockerJsonLogWriter>(docker_dir_, "c1");
  }
  void TearDown() override { tailer_.reset(); }

  void MakeTailer(TailerOptions options = {}) {
    options.before_turn = [this] { gate_.Pass(); };
    auto t = JsonLogTailer::Create(options, [this](const std::string& id) {
      absl::MutexLock lock(&mu_);
      closed_reports_.push_back(id);
    });
    ASSERT_TRUE(t.ok()) << t.status();
    tailer_ = std::move(*t);
  }

  absl::Status StartCopy(ResumeTracker resume = {}, bool running = true) {
    auto file = LogFile::Open(cri_path_);
    if (!file.ok()) return file.status();
    CopyRequest req;
    req.id = "c1";
    req.file = std::move(*file);
    req.resume = std::move(resume);
    req.docker_log_path = writer_->path();
    req.running = running;
    return tailer_->Start(std::move(req));
  }

  bool HasLines(size_t n) {
    return PollUntil([&] { return Lines(cri_path_).size() >= n; });
  }

  std::vector<std::string> ClosedReports() {
    absl::MutexLock lock(&mu_);
    return closed_reports_;
  }

  testing_util::TempDir tmp_;
  std::string docker_dir_;
  std::string cri_path_;
  std::unique_ptr<DockerJsonLogWriter> writer_;
  Gate gate_;
  absl::Mutex mu_;
  std::vector<std::string> closed_reports_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<JsonLogTailer> tailer_;
};

TEST_F(JsonLogTailerTest, CopiesEntriesWithStreamsAndTags) {
  MakeTailer();
  writer_->Entry(At(1), "stdout", "hello <world>\tand \"quotes\"");
  ASSERT_TRUE(StartCopy().ok());
  writer_->Entry(At(2), "stderr", "oops");
  writer_->Entry(At(3), "stdout", "first piece", /*partial=*/true);
  writer_->Entry(At(3), "stdout", " and the rest");
  writer_->Entry(At(4), "stdout", "");
  ASSERT_TRUE(HasLines(5));
  EXPECT_EQ(Lines(cri_path_),
            (std::vector<std::string>{
                Cri(At(1), "hello <world>\tand \"quotes\""),
                Cri(At(2), "oops", "stderr"),
                Cri(At(3), "first piece", "stdout", /*partial=*/true),
                Cri(At(3), " and the rest"), Cri(At(4), "")}));
  EXPECT_EQ(tailer_->CopyPath("c1"), cri_path_);
}

// A regression test for the tailer that woke once per line written: a
// container writing every 2 ms for half a second gets at most one turn
// per min_turn_interval (100 ms), and every line.
TEST_F(JsonLogTailerTest, ChattyContainerIsReadTenTimesASecond) {
  std::atomic<int> turns{0};
  TailerOptions options;
  options.before_turn = [&turns] { ++turns; };
  auto t = JsonLogTailer::Create(options, [](const std::string&) {});
  ASSERT_TRUE(t.ok()) << t.status();
  tailer_ = std::move(*t);
  ASSERT_TRUE(StartCopy().ok());
  const int before = turns.load();
  const absl::Time start = absl::Now();
  for (int i = 0; i < 250; ++i) {
    writer_->Entry(At(i), "stdout", Counter(i));
    absl::SleepFor(absl::Milliseconds(2));
  }
  const int during = turns.load() - before;
  const absl::Duration took = absl::Now() - start;
  ASSERT_TRUE(HasLines(250));
  EXPECT_LE(during, took / options.min_turn_interval + 2)
      << "turns while 250 lines were written over "
      << absl::FormatDuration(took);
}

TEST_F(JsonLogTailerTest, TtyLinesLoseTheirCarriageReturn) {
  MakeTailer();
  ASSERT_TRUE(StartCopy().ok());
  writer_->Entry(At(1), "stdout", "prompt$ ls\r");
  writer_->Entry(At(2), "stdout", "a  b\r");
  ASSERT_TRUE(HasLines(2));
  EXPECT_EQ(
      Lines(cri_path_),
      (std::vector<std::string>{Cri(At(1), "prompt$ ls"), Cri(At(2), "a  b")}));
}

TEST_F(JsonLogTailerTest, LongLineInDockerPiecesIsPPPF) {
  MakeTailer();
  ASSERT_TRUE(StartCopy().ok());
  // A 64 KiB line (with its '\n'), as docker cuts it: 16 KiB pieces.
  const std::string a(16384, 'a'), b(16384, 'b'), c(16384, 'c'), d(16383, 'd');
  writer_->Entry(At(1), "stdout", a, true);
  writer_->Entry(At(1), "stdout", b, true);
  writer_->Entry(At(1), "stdout", c, true);
  writer_->Entry(At(1), "stdout", d);
  ASSERT_TRUE(HasLines(4));
  EXPECT_EQ(Lines(cri_path_),
            (std::vector<std::string>{
                Cri(At(1), a, "stdout", true), Cri(At(1), b, "stdout", true),
                Cri(At(1), c, "stdout", true), Cri(At(1), d)}));
}

TEST_F(JsonLogTailerTest, TornLineWaitsForItsEnd) {
  MakeTailer();
  ASSERT_TRUE(StartCopy().ok());
  writer_->Entry(At(1), "stdout", "whole");
  const std::string torn = DockerJsonLogWriter::Line(At(2), "stdout", "torn");
  writer_->Write(torn.substr(0, 20));
  ASSERT_TRUE(HasLines(1));
  writer_->Write(torn.substr(20));
  ASSERT_TRUE(HasLines(2));
  EXPECT_EQ(Lines(cri_path_), (std::vector<std::string>{Cri(At(1), "whole"),
                                                        Cri(At(2), "torn")}));
}

TEST_F(JsonLogTailerTest, FollowsRotationWithoutLossOrRepeat) {
  MakeTailer();
  ASSERT_TRUE(StartCopy().ok());
  std::vector<std::string> want;
  for (int i = 0; i < 3000; ++i) {
    writer_->Entry(At(i), "stdout", Counter(i));
    want.push_back(Cri(At(i), Counter(i)));
    // Enough files kept that none goes unread however slow the tailer.
    if (i % 250 == 249) writer_->Rotate(/*max_file=*/100);
  }
  ASSERT_TRUE(HasLines(want.size()));
  EXPECT_EQ(Lines(cri_path_), want);
  EXPECT_EQ(tailer_->Counters().lost_files, 0);
}

TEST_F(JsonLogTailerTest, TwoRotationsBeforeTheTailerReads) {
  MakeTailer();
  ASSERT_TRUE(StartCopy().ok());
  writer_->Entry(At(0), "stdout", "a");
  ASSERT_TRUE(HasLines(1));
  gate_.Close();
  writer_->Entry(At(1), "stdout", "b");  // still into the file in hand
  writer_->Rotate(3);
  writer_->Entry(At(2), "stdout", "c");
  writer_->Rotate(3);
  writer_->Entry(At(3), "stdout", "d");
  gate_.Open();
  ASSERT_TRUE(HasLines(4));
  EXPECT_EQ(Lines(cri_path_),
            (std::vector<std::string>{Cri(At(0), "a"), Cri(At(1), "b"),
                                      Cri(At(2), "c"), Cri(At(3), "d")}));
  EXPECT_EQ(tailer_->Counters().lost_files, 0);
}

TEST_F(JsonLogTailerTest, RotatedFileDeletedUnreadIsCountedAsLost) {
  MakeTailer();
  ASSERT_TRUE(StartCopy().ok());
  writer_->Entry(At(0), "stdout", "a");
  ASSERT_TRUE(HasLines(1));
  gate_.Close();
  writer_->Entry(At(1), "stdout", "b");  // the file in hand: kept open
  writer_->Rotate(2);
  writer_->Entry(At(2), "stdout", "lost");
  writer_->Rotate(2);  // deletes the file in hand (still readable)
  writer_->Entry(At(3), "stdout", "c");
  writer_->Rotate(2);  // deletes the file with "lost", never read
  writer_->Entry(At(4), "stdout", "d");
  gate_.Open();
  ASSERT_TRUE(HasLines(4));
  EXPECT_EQ(Lines(cri_path_),
            (std::vector<std::string>{Cri(At(0), "a"), Cri(At(1), "b"),
                                      Cri(At(3), "c"), Cri(At(4), "d")}));
  EXPECT_EQ(tailer_->Counters().lost_files, 1);
}

TEST_F(JsonLogTailerTest, ResumesWhereTheCriFileEndsAcrossRotatedFiles) {
  // Docker's files: 40000 entries over a rotated file and the current
  // one, with stdout/stderr a little out of order and split lines
  // sharing a timestamp, as docker writes them.
  std::vector<std::string> all;
  absl::Time piece_time = absl::InfinitePast();
  auto entry = [&](int i) {
    const bool err = i % 7 == 3;
    // stderr entries come 2 ms "early", as docker stores them; the
    // pieces of a split line share the first piece's time.
    absl::Time t = At(i * 10 - (err ? 2 : 0));
    if (piece_time != absl::InfinitePast()) t = piece_time;
    const bool piece = !err && i % 11 == 5;
    piece_time = piece ? t : absl::InfinitePast();
    const char* stream = err ? "stderr" : "stdout";
    writer_->Entry(t, stream, Counter(i), piece);
    all.push_back(Cri(t, Counter(i), stream, piece));
  };
  for (int i = 0; i < 20000; ++i) entry(i);
  writer_->Rotate(3);
  for (int i = 20000; i < 40000; ++i) entry(i);
  for (int resume_at : {100, 19990, 20000, 20003, 31234, 39999, 40000}) {
    SCOPED_TRACE(resume_at);
    // The CRI file holds the first `resume_at` lines, as a copy that died
    // there left it.
    {
      std::filesystem::create_directories(tmp_.path() + "/pods/app");
      std::ofstream out(cri_path_, std::ios::trunc);
      for (int i = 0; i < resume_at; ++i) out << all[i] << "\n";
    }
    absl::StatusOr<LogFileTail> tail = ReadLogFileTail(cri_path_);
    ASSERT_TRUE(tail.ok());
    MakeTailer();
    ASSERT_TRUE(StartCopy(tail->resume, /*running=*/false).ok());
    ASSERT_TRUE(tailer_->AwaitCopyEnd("c1", absl::Now() + absl::Seconds(30)));
    const std::vector<std::string> got = Lines(cri_path_);
    ASSERT_EQ(got.size(), all.size());
    for (size_t i = 0; i < all.size(); ++i) {
      ASSERT_EQ(got[i], all[i]) << "line " << i;
    }
    tailer_.reset();
  }
}

TEST_F(JsonLogTailerTest, StoppedContainerEndsAfterItsLastOutput) {
  MakeTailer();
  writer_->Entry(At(0), "stdout", "last words");
  writer_->Close();
  ASSERT_TRUE(StartCopy({}, /*running=*/false).ok());
  ASSERT_TRUE(tailer_->AwaitCopyEnd("c1", absl::Now() + absl::Seconds(30)));
  EXPECT_EQ(Lines(cri_path_),
            (std::vector<std::string>{Cri(At(0), "last words")}));
  EXPECT_FALSE(tailer_->CopyPath("c1").has_value());
  EXPECT_TRUE(absl::IsNotFound(tailer_->Reopen("c1")));
}

TEST_F(JsonLogTailerTest, DockerClosingTheLogIsReportedAndStopEndsTheCopy) {
  MakeTailer();
  ASSERT_TRUE(StartCopy().ok());
  writer_->Entry(At(0), "stdout", "x");
  writer_->Rotate(2);  // a close followed by a new file
  writer_->Entry(At(1), "stdout", "y");
  ASSERT_TRUE(HasLines(2));
  writer_->Close();  // the container stopped
  ASSERT_TRUE(PollUntil([&] { return !ClosedReports().empty(); }));
  EXPECT_EQ(ClosedReports().back(), "c1");
  EXPECT_TRUE(tailer_->CopyPath("c1").has_value());
  tailer_->ContainerStopped("c1");
  ASSERT_TRUE(tailer_->AwaitCopyEnd("c1", absl::Now() + absl::Seconds(30)));
  EXPECT_EQ(Lines(cri_path_),
            (std::vector<std::string>{Cri(At(0), "x"), Cri(At(1), "y")}));
}

TEST_F(JsonLogTailerTest, MissingDockerLogIsRetriedUntilItAppears) {
  writer_.reset();
  unlink((docker_dir_ + "/c1-json.log").c_str());
  TailerOptions options;
  options.initial_retry = absl::Milliseconds(10);
  MakeTailer(options);
  CopyRequest req;
  auto file = LogFile::Open(cri_path_);
  ASSERT_TRUE(file.ok());
  req.id = "c1";
  req.file = std::move(*file);
  req.docker_log_path = docker_dir_ + "/c1-json.log";
  ASSERT_TRUE(tailer_->Start(std::move(req)).ok());
  ASSERT_TRUE(PollUntil([&] { return !ClosedReports().empty(); }));
  writer_ = std::make_unique<DockerJsonLogWriter>(docker_dir_, "c1");
  writer_->Entry(At(0), "stdout", "late");
  ASSERT_TRUE(HasLines(1));
  EXPECT_EQ(Lines(cri_path_), std::vector<std::string>{Cri(At(0), "late")});
}

TEST_F(JsonLogTailerTest, ReopenUnderAWriterLosesAndRepeatsNothing) {
  MakeTailer();
  ASSERT_TRUE(StartCopy().ok());
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::thread docker([&] {
    for (int i = 0; !stop || i < 2000; ++i) {
      writer_->Entry(At(i), "stdout", Counter(i));
      written = i + 1;
    }
  });
  std::vector<std::string> rotated;
  for (int r = 0; r < 5; ++r) {
    // Each file gets lines before kubelet renames it.
    ASSERT_TRUE(PollUntil([&] { return !Lines(cri_path_).empty(); }));
    const std::string to = absl::StrCat(cri_path_, ".", r);
    ASSERT_EQ(rename(cri_path_.c_str(), to.c_str()), 0);
    rotated.push_back(to);
    ASSERT_TRUE(tailer_->Reopen("c1").ok());
  }
  stop = true;
  docker.join();
  const size_t lines = static_cast<size_t>(written.load());
  std::vector<std::string> got;
  auto all = [&] {
    got.clear();
    for (const std::string& p : rotated) {
      for (std::string& l : Lines(p)) got.push_back(std::move(l));
    }
    for (std::string& l : Lines(cri_path_)) got.push_back(std::move(l));
    return got.size() >= lines;
  };
  ASSERT_TRUE(PollUntil(all));
  ASSERT_EQ(got.size(), lines);
  for (size_t i = 0; i < lines; ++i) {
    ASSERT_EQ(got[i],
              Cri(At(static_cast<int>(i)), Counter(static_cast<int>(i))))
        << "line " << i;
  }
}

TEST_F(JsonLogTailerTest, StopIsPromptAndFinal) {
  MakeTailer();
  ASSERT_TRUE(StartCopy().ok());
  writer_->Entry(At(0), "stdout", "one");
  ASSERT_TRUE(HasLines(1));
  EXPECT_TRUE(absl::IsAlreadyExists(StartCopy()));
  tailer_->Stop("c1");
  EXPECT_FALSE(tailer_->CopyPath("c1").has_value());
  writer_->Entry(At(1), "stdout", "two");
  // A new copy of the same container resumes after "one".
  absl::StatusOr<LogFileTail> tail = ReadLogFileTail(cri_path_);
  ASSERT_TRUE(tail.ok());
  ASSERT_TRUE(StartCopy(tail->resume).ok());
  ASSERT_TRUE(HasLines(2));
  EXPECT_EQ(Lines(cri_path_),
            (std::vector<std::string>{Cri(At(0), "one"), Cri(At(1), "two")}));
}

TEST_F(JsonLogTailerTest, ManyContainersShareOneThreadFairly) {
  MakeTailer();
  std::vector<std::unique_ptr<DockerJsonLogWriter>> writers;
  for (int c = 0; c < 20; ++c) {
    const std::string id = absl::StrCat("k", c);
    writers.push_back(std::make_unique<DockerJsonLogWriter>(docker_dir_, id));
    auto file = LogFile::Open(absl::StrCat(tmp_.path(), "/pods/", id, ".log"));
    ASSERT_TRUE(file.ok());
    CopyRequest req;
    req.id = id;
    req.file = std::move(*file);
    req.docker_log_path = writers.back()->path();
    ASSERT_TRUE(tailer_->Start(std::move(req)).ok());
  }
  for (int i = 0; i < 100; ++i) {
    for (auto& w : writers) w->Entry(At(i), "stdout", Counter(i));
  }
  for (int c = 0; c < 20; ++c) {
    const std::string path = absl::StrCat(tmp_.path(), "/pods/k", c, ".log");
    ASSERT_TRUE(PollUntil([&] { return Lines(path).size() >= 100; }));
    EXPECT_EQ(Lines(path).size(), 100u);
  }
}

}  // namespace
}  // namespace cri_dockerd::logs
