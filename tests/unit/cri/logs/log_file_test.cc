// The CRI log file: path checks, creation (directories, mode), the Go
// shim's symlinks, reopening after a rename, and failed writes.
#include "cri/logs/log_file.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "common/testing/temp_dir.h"
#include "gtest/gtest.h"

namespace cri_dockerd::logs {
namespace {

using testing_util::TempDir;

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(LogFileTest, ValidatesThePath) {
  for (const char* bad :
       {"", "relative/0.log", "0.log", "/var/log/pods/../etc/passwd",
        "/var/log/pods/x/..", "/var/log/pods/a..b/0.log", "/var/log/pods/",
        "/var/log//pods/0.log", "/var/log/./pods/0.log", "/"}) {
    EXPECT_EQ(ValidateLogPath(bad).code(), absl::StatusCode::kInvalidArgument)
        << bad;
    EXPECT_EQ(LogFile::Open(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_TRUE(ValidateLogPath("/var/log/pods/ns_pod_uid/container/0.log").ok());
}

TEST(LogFileTest, CreatesDirectoriesAndAppends) {
  TempDir dir;
  const std::string path = dir.path() + "/ns_pod_uid/app/0.log";
  absl::StatusOr<std::unique_ptr<LogFile>> file = LogFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_TRUE((*file)->Write("one\n").ok());
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  file->reset();
  file = LogFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_TRUE((*file)->Write("two\n").ok());
  EXPECT_EQ(Read(path), "one\ntwo\n");
  (*file)->Close();
  EXPECT_FALSE((*file)->Write("three\n").ok());
  EXPECT_FALSE((*file)->Reopen().ok());
}

// WriteLogged keeps the failing state across calls: false while writes
// fail, true (and the state cleared) once they work again.
TEST(LogFileTest, WriteLoggedCarriesTheFailingState) {
  TempDir dir;
  const std::string path = dir.path() + "/app/0.log";
  absl::StatusOr<std::unique_ptr<LogFile>> file = LogFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  bool failing = false;
  EXPECT_TRUE((*file)->WriteLogged("c1", "one\n", &failing));
  EXPECT_FALSE(failing);
  // Writes past 100 bytes fail (EFBIG) while the limit holds.
  signal(SIGXFSZ, SIG_IGN);
  struct rlimit old;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  struct rlimit small = old;
  small.rlim_cur = 100;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  const bool first =
      (*file)->WriteLogged("c1", std::string(200, 'x'), &failing);
  const bool failing_after_first = failing;
  const bool second =
      (*file)->WriteLogged("c1", std::string(200, 'y'), &failing);
  const bool failing_after_second = failing;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &old), 0);
  EXPECT_FALSE(first);
  EXPECT_TRUE(failing_after_first);
  EXPECT_FALSE(second);
  EXPECT_TRUE(failing_after_second);
  EXPECT_TRUE((*file)->WriteLogged("c1", "two\n", &failing));
  EXPECT_FALSE(failing);
  EXPECT_EQ(Read(path), "one\ntwo\n");
}

TEST(LogFileTest, ReplacesTheGoShimsSymlinkWithoutWritingThroughIt) {
  TempDir dir;
  const std::string target = dir.Write("json.log", "{\"log\":\"x\\n\"}\n");
  const std::string path = dir.path() + "/0.log";
  ASSERT_EQ(symlink(target.c_str(), path.c_str()), 0);
  absl::StatusOr<std::unique_ptr<LogFile>> file = LogFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_TRUE((*file)->Write("cri\n").ok());
  struct stat st;
  ASSERT_EQ(lstat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(Read(path), "cri\n");
  EXPECT_EQ(Read(target), "{\"log\":\"x\\n\"}\n");
}

// A pod with a writable hostPath under /var/log can put a symlink where
// kubelet expects the pod's or the container's log directory: the daemon
// must neither create nor write anything where it points.
TEST(LogFileTest, RefusesASymlinkedLogDirectory) {
  TempDir dir;
  const std::string outside = dir.path() + "/outside";
  ASSERT_EQ(mkdir(outside.c_str(), 0755), 0);
  ASSERT_EQ(mkdir((dir.path() + "/pods").c_str(), 0755), 0);
  ASSERT_EQ(mkdir((dir.path() + "/pods/ns_real_uid").c_str(), 0755), 0);
  const std::string pod_link = dir.path() + "/pods/ns_pod_uid";
  ASSERT_EQ(symlink(outside.c_str(), pod_link.c_str()), 0);
  const std::string app_link = dir.path() + "/pods/ns_real_uid/app";
  ASSERT_EQ(symlink(outside.c_str(), app_link.c_str()), 0);
  struct {
    std::string path;
    std::string link;
  } cases[] = {
      {pod_link + "/app/0.log", pod_link},  // the pod's directory
      {app_link + "/0.log", app_link},      // the container's directory
  };
  for (const auto& c : cases) {
    absl::StatusOr<std::unique_ptr<LogFile>> file = LogFile::Open(c.path);
    EXPECT_EQ(file.status().code(), absl::StatusCode::kFailedPrecondition)
        << c.path << ": " << file.status();
    EXPECT_NE(file.status().message().find(c.link + " is a symlink"),
              std::string::npos)
        << file.status();
  }
  EXPECT_NE(access((outside + "/app").c_str(), F_OK), 0);
  EXPECT_NE(access((outside + "/0.log").c_str(), F_OK), 0);
}

// Reopen walks the path again: a directory swapped for a symlink after
// the first open is refused, and writes stay with the old file.
TEST(LogFileTest, ReopenRefusesADirectorySwappedForASymlink) {
  TempDir dir;
  const std::string outside = dir.path() + "/outside";
  ASSERT_EQ(mkdir(outside.c_str(), 0755), 0);
  const std::string app = dir.path() + "/pod/app";
  absl::StatusOr<std::unique_ptr<LogFile>> file = LogFile::Open(app + "/0.log");
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_EQ(std::rename(app.c_str(), (app + ".old").c_str()), 0);
  ASSERT_EQ(symlink(outside.c_str(), app.c_str()), 0);
  EXPECT_EQ((*file)->Reopen().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE((*file)->Write("still here\n").ok());
  EXPECT_EQ(Read(app + ".old/0.log"), "still here\n");
  EXPECT_NE(access((outside + "/0.log").c_str(), F_OK), 0);
}

TEST(LogFileTest, RefusesAFifoWithoutBlocking) {
  TempDir dir;
  const std::string path = dir.path() + "/0.log";
  ASSERT_EQ(mkfifo(path.c_str(), 0644), 0);
  EXPECT_EQ(LogFile::Open(path).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(LogFileTest, RefusesADirectory) {
  TempDir dir;
  ASSERT_EQ(mkdir((dir.path() + "/0.log").c_str(), 0755), 0);
  EXPECT_EQ(LogFile::Open(dir.path() + "/0.log").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(LogFileTest, ReopenAfterRotation) {
  TempDir dir;
  const std::string path = dir.path() + "/0.log";
  absl::StatusOr<std::unique_ptr<LogFile>> file = LogFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_TRUE((*file)->Write("before\n").ok());
  ASSERT_EQ(std::rename(path.c_str(), (path + ".1").c_str()), 0);
  ASSERT_TRUE((*file)->Write("renamed\n").ok());
  ASSERT_TRUE((*file)->Reopen().ok());
  ASSERT_TRUE((*file)->Write("after\n").ok());
  EXPECT_EQ(Read(path + ".1"), "before\nrenamed\n");
  EXPECT_EQ(Read(path), "after\n");
}

// A write that fails part way (here: the file size limit, as with a full
// disk) leaves no torn line behind, and later writes work again.
TEST(LogFileTest, FailedWriteLeavesNoTornLine) {
  TempDir dir;
  const std::string path = dir.path() + "/0.log";
  absl::StatusOr<std::unique_ptr<LogFile>> file = LogFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_TRUE((*file)->Write("first\n").ok());
  signal(SIGXFSZ, SIG_IGN);
  struct rlimit old;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  struct rlimit small = old;
  small.rlim_cur = 100;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  const absl::Status s = (*file)->Write(std::string(500, 'x') + "\n");
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &old), 0);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(Read(path), "first\n");
  ASSERT_TRUE((*file)->Write("second\n").ok());
  EXPECT_EQ(Read(path), "first\nsecond\n");
}

}  // namespace
}  // namespace cri_dockerd::logs
