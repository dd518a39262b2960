#include "cri/docker_streaming/exec_process.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/logging.h"

namespace cri_dockerd {
namespace {

// The fields of /proc/<pid>/stat that tell whose process it is.
struct ProcStat {
  int pid = 0;
  int pgrp = 0;
  int session = 0;
  uint64_t start_ticks = 0;  // clock ticks after boot
};

std::optional<std::string> ReadSmallFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > (1 << 20)) break;  // /proc files are small
  }
  close(fd);
  return out;
}

// "pid (comm) state ppid pgrp session ... starttime ...": comm may hold
// spaces and parentheses, so fields are counted from its last ')'.
std::optional<ProcStat> ReadProcStat(int pid) {
  const std::optional<std::string> text =
      ReadSmallFile(absl::StrCat("/proc/", pid, "/stat"));
  if (!text) return std::nullopt;
  const size_t paren = text->rfind(')');
  if (paren == std::string::npos) return std::nullopt;
  const std::vector<absl::string_view> f = absl::StrSplit(
      absl::string_view(*text).substr(paren + 1), ' ', absl::SkipEmpty());
  // f[0] is field 3 (state); starttime is field 22.
  if (f.size() < 20) return std::nullopt;
  ProcStat st;
  st.pid = pid;
  if (!absl::SimpleAtoi(f[2], &st.pgrp) ||
      !absl::SimpleAtoi(f[3], &st.session) ||
      !absl::SimpleAtoi(f[19], &st.start_ticks)) {
    return std::nullopt;
  }
  return st;
}

// Pids of the processes that may be the exec's: itself, and those in its
// session or process group.
std::vector<int> Candidates(int exec_pid) {
  std::vector<int> out;
  DIR* dir = opendir("/proc");
  if (dir == nullptr) return out;
  while (const dirent* e = readdir(dir)) {
    int pid = 0;
    if (!absl::SimpleAtoi(e->d_name, &pid) || pid <= 0) continue;
    if (pid == exec_pid) {
      out.push_back(pid);
      continue;
    }
    const std::optional<ProcStat> st = ReadProcStat(pid);
    if (st && (st->pgrp == exec_pid || st->session == exec_pid)) {
      out.push_back(pid);
    }
  }
  closedir(dir);
  return out;
}

int PidfdOpen(int pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
#else
  errno = ENOSYS;
  return -1;
#endif
}

bool PidfdKill(int pidfd) {
#ifdef SYS_pidfd_send_signal
  return syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0) == 0;
#else
  (void)pidfd;
  return false;
#endif
}

}  // namespace

absl::Duration BootTimeNow() {
  timespec ts{};
  clock_gettime(CLOCK_BOOTTIME, &ts);
  return absl::DurationFromTimespec(ts);
}

absl::StatusOr<int> KillExecProcesses(const ExecProcessIdentity& id) {
  if (id.pid <= 0) return 0;
  const std::optional<std::string> container_cgroup =
      id.container_pid > 0
          ? ReadSmallFile(absl::StrCat("/proc/", id.container_pid, "/cgroup"))
          : std::nullopt;
  if (!container_cgroup || container_cgroup->empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot read the cgroups of the container's init process (pid ",
        id.container_pid, ") to recognise the exec's processes"));
  }
  const long hz = sysconf(_SC_CLK_TCK);
  // Ticks are truncated: a process started at or after created_after has
  // at least this many.
  const uint64_t min_ticks = static_cast<uint64_t>(
      absl::ToInt64Nanoseconds(id.created_after) / (1000000000 / hz));
  int signalled = 0;
  for (const int pid : Candidates(id.pid)) {
    const int pidfd = PidfdOpen(pid);
    if (pidfd < 0 && errno == ESRCH) continue;  // gone
    // Checked while held by the pidfd: if the pid is reused after this,
    // the pidfd still means the process checked.
    const std::optional<ProcStat> st = ReadProcStat(pid);
    const std::optional<std::string> cgroup =
        ReadSmallFile(absl::StrCat("/proc/", pid, "/cgroup"));
    const bool related =
        st && (pid == id.pid || st->pgrp == id.pid || st->session == id.pid);
    if (!related || !cgroup) {
      if (pidfd >= 0) close(pidfd);
      continue;  // gone, or no longer in the exec's session
    }
    if (st->start_ticks < min_ticks || *cgroup != *container_cgroup) {
      LOG(WARNING) << "not killing pid " << pid << " for exec pid " << id.pid
                   << ": it "
                   << (st->start_ticks < min_ticks
                           ? "started before the exec was created"
                           : "is not in the container's cgroups")
                   << ", so it is another process";
      if (pidfd >= 0) close(pidfd);
      continue;
    }
    bool ok;
    if (pidfd >= 0) {
      ok = PidfdKill(pidfd);
      close(pidfd);
    } else {
      ok = ::kill(pid, SIGKILL) == 0;
    }
    if (ok) ++signalled;
  }
  return signalled;
}

}  // namespace cri_dockerd
