// Fault: the filesystem of the pods' logs fills up while a container
// writes. A 2 MiB tmpfs is kubelet's log root (the pod's log_directory
// lies in it) and a busybox container logs a 4 KiB line every 50 ms (a
// line longer than a page: tmpfs cannot take any of it once full). With
// the lab's dockerd and the real daemon:
//  1. a filler file takes every free block: the daemon warns once (not
//     per line) and drops the output, stays up and answers Status and
//     ContainerStatus; the container keeps running and writing (docker's
//     own log grows); once the filler is deleted new lines reach the CRI
//     log without any call, and the daemon says writing works again;
//  2. the container's own log fills what is left: kubelet's rotation
//     (rename the file, ReopenContainerLog, delete the rotated file) gets
//     lines flowing into the new file.
// Neither file ever holds a torn line. The tmpfs is unmounted in TearDown.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/integration/cri_fixture.h"
#include "tests/integration/lab_engine.h"
#include "tests/integration/private_dockerd.h"
#include "tests/poll_until.h"

namespace cri_dockerd::testing_support {
namespace {

using testing_util::PollUntil;

constexpr char kDropping[] = "dropping its output until writes work again";
constexpr char kWorksAgain[] = "works again";
// Longer than a page, so that no line fits in the slack of a file's last
// page once the filesystem has no free block.
constexpr size_t kPad = 4200;

int Occurrences(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos;
       at = text.find(what, at + what.size())) {
    ++n;
  }
  return n;
}

// The number of the last "line <n> " in `text`; -1 if none.
int64_t LastLine(const std::string& text) {
  for (size_t at = text.rfind("line "); at != std::string::npos;
       at = at == 0 ? std::string::npos : text.rfind("line ", at - 1)) {
    const size_t start = at + 5;
    const size_t end = text.find(' ', start);
    int64_t n;
    if (end != std::string::npos &&
        absl::SimpleAtoi(text.substr(start, end - start), &n)) {
      return n;
    }
  }
  return -1;
}

// The first line of a CRI log that is not one whole line the container
// wrote ("<time> stdout F line <n> <pad>"); "" if all are.
std::string FirstBadLine(const std::string& text) {
  if (!text.empty() && text.back() != '\n') return "(a torn last line)";
  const std::string pad(kPad, 'x');
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ');
    int64_t n;
    if (f.size() != 6 || f[1] != "stdout" || f[2] != "F" || f[3] != "line" ||
        !absl::SimpleAtoi(f[4], &n) || f[5] != pad) {
      return std::string(line.substr(0, 120));
    }
  }
  return "";
}

// The last `bytes` of the file at `path`.
std::string Tail(const std::string& path, off_t bytes) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  struct stat st;
  std::string out;
  if (fstat(fd, &st) == 0) {
    const off_t from = st.st_size > bytes ? st.st_size - bytes : 0;
    out.resize(static_cast<size_t>(st.st_size - from));
    const ssize_t n = pread(fd, out.data(), out.size(), from);
    out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  }
  close(fd);
  return out;
}

uint64_t FreeBytes(const std::string& path) {
  struct statvfs sv;
  if (statvfs(path.c_str(), &sv) != 0) return 0;
  return static_cast<uint64_t>(sv.f_bavail) * sv.f_frsize;
}

class LogDiskFullTest : public CriTest {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0) << "needs root (mounts a tmpfs)";
    ASSERT_EQ(mkdir(mnt_.c_str(), 0755), 0) << strerror(errno);
    ASSERT_EQ(mount("crid-logs", mnt_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV,
                    "size=2m,mode=0755"),
              0)
        << strerror(errno);
    mounted_ = true;
  }
  void TearDown() override {
    CriTest::TearDown();
    // Lazily: the daemon may still hold a file open in it.
    if (mounted_ && umount2(mnt_.c_str(), MNT_DETACH) != 0) {
      ADD_FAILURE() << "cannot unmount " << mnt_ << ": " << strerror(errno);
    }
  }

  // Writes `path` until the tmpfs has no more than `leave` bytes free.
  void Fill(const std::string& path, uint64_t leave) {
    const int fd =
        open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0) << strerror(errno);
    const std::string block(4096, 'f');
    while (FreeBytes(mnt_) > leave) {
      // ENOSPC: the container's log took the rest meanwhile.
      if (write(fd, block.data(), block.size()) < 0) break;
    }
    close(fd);
    if (leave == 0) {
      EXPECT_EQ(FreeBytes(mnt_), 0u);
    }
  }

  // The daemon is up and answers, the container runs: while the log
  // filesystem is full.
  void ExpectHealthy(const std::string& id) {
    ASSERT_TRUE(cri_.process->Running()) << cri_.process->Output();
    EXPECT_EQ(cri_.process->pid(), daemon_pid_);
    v1::StatusResponse status;
    grpc::Status s =
        runtime_->Status(Ctx(absl::Seconds(10)).get(), {}, &status);
    EXPECT_TRUE(s.ok()) << s.error_message();
    for (const auto& c : status.status().conditions()) {
      if (c.type() == "RuntimeReady") {
        EXPECT_TRUE(c.status()) << c.message();
      }
    }
    EXPECT_EQ(StatusOf(id).state(), v1::CONTAINER_RUNNING);
    v1::ListContainersResponse listed;
    s = runtime_->ListContainers(Ctx(absl::Seconds(10)).get(), {}, &listed);
    EXPECT_TRUE(s.ok()) << s.error_message();
  }

  // Polls for `what` to appear in the daemon's output `n` times.
  bool DaemonSays(const std::string& what, int n) {
    return PollUntil(
        [&] { return Occurrences(cri_.process->Output(), what) >= n; },
        kPatience);
  }

  const std::string mnt_ = dir_.path() + "/log-root";
  bool mounted_ = false;
  pid_t daemon_pid_ = -1;
};

TEST_F(LogDiskFullTest, DaemonAndContainerSurviveAndLoggingResumes) {
  ASSERT_NO_FATAL_FAILURE(StartCri());
  daemon_pid_ = cri_.process->pid();
  v1::PodSandboxConfig config = PodConfig("diskfull");
  // As kubelet lays out /var/log/pods: <ns>_<name>_<uid>/<container>/0.log.
  const std::string pod_logs =
      absl::StrCat(mnt_, "/crid-it_diskfull_", config.metadata().uid());
  config.set_log_directory(pod_logs);
  const std::string pod = RunPod(config);
  ASSERT_FALSE(pod.empty());
  v1::ContainerConfig app = Busybox(
      "app", absl::StrCat("trap 'exit 0' TERM; pad=", std::string(kPad, 'x'),
                          "; i=0; while true; do echo \"line $i $pad\"; "
                          "i=$((i+1)); sleep 0.05; done"));
  app.set_log_path("app/0.log");
  const std::string id = StartContainer(pod, app);
  ASSERT_FALSE(id.empty());
  const std::string log = pod_logs + "/app/0.log";
  WaitForText(log, " line 3 ");
  // docker's own copy of the output, on the host's disk.
  const std::string inspect =
      DockerGet(LabDockerSocket(), "/containers/" + id + "/json");
  const size_t at = inspect.find("\"LogPath\":\"");
  ASSERT_NE(at, std::string::npos) << inspect;
  const std::string docker_log =
      inspect.substr(at + 11, inspect.find('"', at + 11) - at - 11);

  // 1. Every block taken by another file.
  ASSERT_NO_FATAL_FAILURE(Fill(mnt_ + "/filler", 0));
  ASSERT_TRUE(DaemonSays(kDropping, 1)) << cri_.process->Output();
  ASSERT_NO_FATAL_FAILURE(ExpectHealthy(id));
  // The container goes on writing: 40 more lines (2 s) reach docker's
  // log while the CRI log cannot take them.
  const int64_t stuck_at = LastLine(Tail(log, 64 << 10));
  ASSERT_GE(stuck_at, 3);
  EXPECT_TRUE(PollUntil(
      [&] { return LastLine(Tail(docker_log, 64 << 10)) >= stuck_at + 40; },
      kPatience))
      << "the container stopped writing; docker's log ends at line "
      << LastLine(Tail(docker_log, 64 << 10));
  ASSERT_NO_FATAL_FAILURE(ExpectHealthy(id));
  EXPECT_EQ(LastLine(Tail(log, 64 << 10)), stuck_at)
      << "the full tmpfs took lines";
  // Space comes back: so do the lines, without any call.
  ASSERT_EQ(unlink((mnt_ + "/filler").c_str()), 0);
  EXPECT_TRUE(PollUntil(
      [&] { return LastLine(Tail(log, 64 << 10)) > stuck_at; }, kPatience))
      << "no line reached " << log << " after space was freed";
  EXPECT_TRUE(DaemonSays(kWorksAgain, 1)) << cri_.process->Output();
  // Once per outage, however many lines were dropped.
  EXPECT_EQ(Occurrences(cri_.process->Output(), kDropping), 1)
      << cri_.process->Output();
  EXPECT_EQ(FirstBadLine(ReadFile(log)), "");

  // 2. The container's own log takes the last 128 KiB.
  ASSERT_NO_FATAL_FAILURE(Fill(mnt_ + "/filler", 128 << 10));
  ASSERT_TRUE(DaemonSays(kDropping, 2)) << cri_.process->Output();
  ASSERT_NO_FATAL_FAILURE(ExpectHealthy(id));
  // kubelet's rotation: rename, reopen, then drop the old file.
  const std::string rotated = log + ".20240101-000000";
  ASSERT_EQ(rename(log.c_str(), rotated.c_str()), 0) << strerror(errno);
  v1::ReopenContainerLogRequest reopen;
  reopen.set_container_id(id);
  v1::ReopenContainerLogResponse reopened;
  grpc::Status s = runtime_->ReopenContainerLog(Ctx().get(), reopen, &reopened);
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << cri_.process->Output();
  const std::string old_text = ReadFile(rotated);
  EXPECT_EQ(FirstBadLine(old_text), "");
  const int64_t rotated_at = LastLine(old_text);
  ASSERT_EQ(unlink(rotated.c_str()), 0);
  EXPECT_TRUE(PollUntil(
      [&] { return LastLine(Tail(log, 64 << 10)) > rotated_at; }, kPatience))
      << "no line reached the reopened " << log;
  EXPECT_TRUE(DaemonSays(kWorksAgain, 2)) << cri_.process->Output();
  EXPECT_EQ(FirstBadLine(ReadFile(log)), "");
  ASSERT_NO_FATAL_FAILURE(ExpectHealthy(id));
}

}  // namespace
}  // namespace cri_dockerd::testing_support
