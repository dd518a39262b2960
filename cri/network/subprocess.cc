#include "cri/network/subprocess.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <climits>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace cri_dockerd::network {
namespace {

constexpr size_t kMaxOut = 16 << 20;
constexpr size_t kMaxErr = 1 << 20;
constexpr size_t kChunk = 64 << 10;
// How long output is still read after the child exited (a grandchild may
// hold the pipes open forever).
constexpr absl::Duration kExitGrace = absl::Milliseconds(200);
// Poll period when pidfd_open is unavailable (kernels before 5.3).
constexpr absl::Duration kExitPollPeriod = absl::Milliseconds(10);

// A file descriptor closed on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  bool open() const { return fd_ >= 0; }
  void Reset(int fd = -1) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// Blocks SIGPIPE in this thread while we write to the child's stdin, so a
// child that exits without reading cannot kill the daemon; a SIGPIPE raised
// meanwhile is discarded before the old mask returns.
class ScopedSigpipeBlock {
 public:
  ScopedSigpipeBlock() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &set_, &old_);
  }
  ~ScopedSigpipeBlock() {
    sigset_t pending;
    sigpending(&pending);
    if (!was_pending_ && sigismember(&pending, SIGPIPE) == 1) {
      const timespec zero = {0, 0};
      sigtimedwait(&set_, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t set_;
  sigset_t old_;
  bool was_pending_ = false;
};

// A close-on-exec pipe whose ends are not 0-2 (so dup2 onto 0-2 in the
// child never meets the same number).
bool MakePipe(Fd* read_end, Fd* write_end) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return false;
  for (int& fd : fds) {
    if (fd <= 2) {
      const int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
      close(fd);
      fd = moved;
    }
  }
  read_end->Reset(fds[0]);
  write_end->Reset(fds[1]);
  return read_end->open() && write_end->open();
}

void SetNonBlocking(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// True once the child has exited; it stays a zombie (WNOWAIT) so its pid,
// and so its process group, cannot be reused before we reap it.
bool HasExited(pid_t pid) {
  siginfo_t info = {};
  if (waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    return errno == ECHILD;  // reaped by someone else (SIGCHLD ignored)
  }
  return info.si_pid == pid;
}

int OpenPidFd(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
#else
  return -1;
#endif
}

// Reaps `pid`, retrying on EINTR; false if it was reaped elsewhere.
bool Reap(pid_t pid, int* status) {
  while (waitpid(pid, status, 0) < 0) {
    if (errno != EINTR) return false;
  }
  return true;
}

int PollTimeoutMs(absl::Duration d) {
  if (d <= absl::ZeroDuration()) return 0;
  return static_cast<int>(
      std::min<int64_t>(absl::ToInt64Milliseconds(d + absl::Milliseconds(1) -
                                                  absl::Nanoseconds(1)),
                        INT_MAX));
}

// Reads what is available from `fd` into `out` (keeping at most `cap`
// bytes); closes `fd` at EOF or on error.
void Drain(Fd* fd, std::string* out, size_t cap) {
  char buf[kChunk];
  const ssize_t n = read(fd->get(), buf, sizeof(buf));
  if (n > 0) {
    out->append(buf, std::min(static_cast<size_t>(n),
                              cap - std::min(cap, out->size())));
  } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
    fd->Reset();
  }
}

}  // namespace

std::string SubprocessResult::Describe() const {
  if (term_signal != 0) return absl::StrCat("killed by signal ", term_signal);
  return absl::StrCat("exit status ", exit_code);
}

absl::StatusOr<SubprocessResult> RunSubprocess(
    const std::string& path, const std::vector<std::string>& argv,
    const std::vector<std::string>& env, const std::string& input,
    absl::Time deadline) {
  Fd in_r, in_w, out_r, out_w, err_r, err_w;
  if (!MakePipe(&in_r, &in_w) || !MakePipe(&out_r, &out_w) ||
      !MakePipe(&err_r, &err_w)) {
    return absl::InternalError(absl::StrCat("pipe: ", strerror(errno)));
  }
  std::vector<char*> c_argv, c_env;
  for (const std::string& a : argv) {
    c_argv.push_back(const_cast<char*>(a.c_str()));
  }
  for (const std::string& e : env) {
    c_env.push_back(const_cast<char*>(e.c_str()));
  }
  c_argv.push_back(nullptr);
  c_env.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_r.get(), 0);
  posix_spawn_file_actions_adddup2(&actions, out_w.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err_w.get(), 2);
  // Whatever the rest of the daemon opened without O_CLOEXEC stays here.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
                                      POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  pid_t pid = -1;
  // glibc's posix_spawn reports exec failures here (and reaps that child).
  const int rc = posix_spawn(&pid, path.c_str(), &actions, &attr, c_argv.data(),
                             c_env.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    const std::string msg =
        absl::StrCat("cannot run ", path, ": ", strerror(rc));
    if (rc == ENOENT) return absl::NotFoundError(msg);
    if (rc == EACCES) return absl::PermissionDeniedError(msg);
    return absl::InternalError(msg);
  }
  in_r.Reset();
  out_w.Reset();
  err_w.Reset();
  SetNonBlocking(in_w.get());
  SetNonBlocking(out_r.get());
  SetNonBlocking(err_r.get());
  Fd pidfd(OpenPidFd(pid));
  ScopedSigpipeBlock no_sigpipe;

  SubprocessResult result;
  size_t written = 0;
  if (input.empty()) in_w.Reset();
  bool exited = false;
  absl::Time exited_at;
  while (true) {
    if (!exited && HasExited(pid)) {
      exited = true;
      exited_at = absl::Now();
    }
    if (exited && !out_r.open() && !err_r.open()) break;
    const absl::Time now = absl::Now();
    if (exited && now >= exited_at + kExitGrace) break;
    if (!exited && now >= deadline) {
      // The pid is still ours (unreaped), so the group id is too.
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      int status = 0;
      Reap(pid, &status);
      return absl::DeadlineExceededError(absl::StrCat(
          path, " did not finish in time; killed. stderr: ", result.err));
    }
    absl::Duration wait =
        exited ? exited_at + kExitGrace - now : deadline - now;
    if (!exited && !pidfd.open()) wait = std::min(wait, kExitPollPeriod);
    pollfd fds[4];
    nfds_t n = 0;
    const auto add = [&](const Fd& fd, short events) {
      if (fd.open()) fds[n++] = {fd.get(), events, 0};
      return fd.open() ? static_cast<int>(n - 1) : -1;
    };
    const int in_i = add(in_w, POLLOUT);
    const int out_i = add(out_r, POLLIN);
    const int err_i = add(err_r, POLLIN);
    if (!exited) add(pidfd, POLLIN);
    if (poll(fds, n, PollTimeoutMs(wait)) < 0 && errno != EINTR) {
      kill(-pid, SIGKILL);
      int status = 0;
      Reap(pid, &status);
      return absl::InternalError(absl::StrCat("poll: ", strerror(errno)));
    }
    if (in_i >= 0 && fds[in_i].revents != 0) {
      const size_t len = std::min(kChunk, input.size() - written);
      const ssize_t w = write(in_w.get(), input.data() + written, len);
      if (w > 0) written += static_cast<size_t>(w);
      if (written == input.size() ||
          (w < 0 && errno != EAGAIN && errno != EINTR)) {
        in_w.Reset();  // all sent, or the child stopped reading (EPIPE)
      }
    }
    if (out_i >= 0 && fds[out_i].revents != 0) {
      Drain(&out_r, &result.out, kMaxOut);
    }
    if (err_i >= 0 && fds[err_i].revents != 0) {
      Drain(&err_r, &result.err, kMaxErr);
    }
  }
  int status = 0;
  if (!Reap(pid, &status)) {
    return absl::InternalError(absl::StrCat("cannot read the exit status of ",
                                            path, " (is SIGCHLD ignored?)"));
  }
  if (WIFSIGNALED(status)) {
    result.term_signal = WTERMSIG(status);
  } else {
    result.exit_code = WEXITSTATUS(status);
  }
  return result;
}

}  // namespace cri_dockerd::network
