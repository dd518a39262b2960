#include "bench/bench_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace cri_dockerd::bench {
namespace {

int DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

bool IsDockerd(pid_t pid) {
  return absl::StripAsciiWhitespace(
             ReadWholeFile(absl::StrCat("/proc/", pid, "/comm"))) == "dockerd";
}

// A connected unix stream socket with send/receive timeouts, or -1.
int ConnectUnix(const std::string& path, absl::Duration timeout) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const timeval tv = absl::ToTimeval(timeout);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// A TCP connection to 127.0.0.1:`port` with send/receive timeouts, or -1.
int ConnectLoopback(int port, absl::Duration timeout) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const timeval tv = absl::ToTimeval(timeout);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Sends one HTTP/1.0 request on connected `fd`, reads the reply to EOF and
// closes `fd`.
absl::StatusOr<HttpReply> Exchange(int fd, absl::string_view method,
                                   absl::string_view path,
                                   absl::string_view json_body) {
  std::string request =
      absl::StrCat(method, " ", path, " HTTP/1.0\r\nHost: docker\r\n");
  if (!json_body.empty()) {
    absl::StrAppend(&request,
                    "Content-Type: application/json\r\nContent-Length: ",
                    json_body.size(), "\r\n");
  }
  absl::StrAppend(&request, "\r\n", json_body);
  std::string reply;
  bool ok = send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(request.size());
  char buf[16384];
  ssize_t n = 0;
  while (ok && (n = read(fd, buf, sizeof(buf))) > 0) reply.append(buf, n);
  ok = ok && n == 0;  // n < 0: the receive timeout or an error
  close(fd);
  const size_t head_end = reply.find("\r\n\r\n");
  HttpReply out;
  std::vector<absl::string_view> status_line =
      absl::StrSplit(absl::string_view(reply).substr(0, reply.find('\r')), ' ');
  if (!ok || head_end == std::string::npos || status_line.size() < 2 ||
      !absl::SimpleAtoi(status_line[1], &out.status)) {
    return absl::UnavailableError(
        absl::StrCat(method, " ", path, ": no complete reply"));
  }
  out.body = reply.substr(head_end + 4);
  return out;
}

}  // namespace

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

ScratchDir::ScratchDir() {
  char tmpl[] = "/tmp/crid-bench-XXXXXX";
  if (mkdtemp(tmpl) != nullptr) path_ = tmpl;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;  // best effort: a leftover temp dir is harmless
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(
    const std::vector<std::string>& argv, const std::string& log_path) {
  // Everything the child needs is prepared before fork: the parent may
  // run threads, so the child only makes async-signal-safe calls.
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.data()));
  args.push_back(nullptr);
  const int out =
      open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) return absl::InternalError("cannot create " + log_path);
  const pid_t pid = fork();
  if (pid < 0) {
    close(out);
    return absl::InternalError("fork failed");
  }
  if (pid == 0) {
    setpgid(0, 0);  // own group: a kill also reaches anything it forks
    dup2(out, STDOUT_FILENO);
    dup2(out, STDERR_FILENO);
    const int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(out);
  return std::unique_ptr<ChildProcess>(new ChildProcess(pid));
}

ChildProcess::~ChildProcess() {
  if (Running()) {
    kill(-pid_, SIGKILL);
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

bool ChildProcess::Running() {
  if (exit_code_ != -1 || pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    exit_code_ = DecodeWaitStatus(status);
    return false;
  }
  return true;
}

int ChildProcess::Kill() {
  if (!Running()) return exit_code_;
  kill(-pid_, SIGKILL);
  kill(pid_, SIGKILL);
  int status = 0;
  if (waitpid(pid_, &status, 0) == pid_) exit_code_ = DecodeWaitStatus(status);
  return exit_code_;
}

int ChildProcess::Stop(absl::Duration grace) {
  if (!Running()) return exit_code_;
  kill(pid_, SIGTERM);
  const absl::Time end = absl::Now() + grace;
  while (Running() && absl::Now() < end) absl::SleepFor(absl::Milliseconds(20));
  return Kill();
}

double CpuSeconds(pid_t pid) {
  const std::string stat = ReadWholeFile(absl::StrCat("/proc/", pid, "/stat"));
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so
  // count fields from the last ')'. utime and stime are fields 14 and 15.
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return -1;
  std::vector<absl::string_view> f =
      absl::StrSplit(absl::string_view(stat).substr(paren + 2), ' ');
  uint64_t utime = 0;
  uint64_t stime = 0;
  if (f.size() < 13 || !absl::SimpleAtoi(f[11], &utime) ||
      !absl::SimpleAtoi(f[12], &stime)) {
    return -1;
  }
  return static_cast<double>(utime + stime) /
         static_cast<double>(sysconf(_SC_CLK_TCK));
}

double CpuSeconds(const std::vector<pid_t>& pids) {
  double sum = 0;
  for (pid_t pid : pids) sum += std::max(0.0, CpuSeconds(pid));
  return sum;
}

std::vector<pid_t> PidsWithCommPrefix(absl::string_view prefix) {
  std::vector<pid_t> pids;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return pids;
  while (dirent* e = readdir(proc)) {
    pid_t pid = 0;
    if (!absl::SimpleAtoi(e->d_name, &pid)) continue;
    if (absl::StartsWith(ReadWholeFile(absl::StrCat("/proc/", pid, "/comm")),
                         prefix)) {
      pids.push_back(pid);
    }
  }
  closedir(proc);
  return pids;
}

Cpu operator-(const Cpu& a, const Cpu& b) {
  return {a.shim - b.shim, a.dockerd - b.dockerd, a.containerd - b.containerd};
}

CpuMeter::CpuMeter(pid_t shim, pid_t dockerd)
    : shim_(shim),
      dockerd_(dockerd),
      containerd_(PidsWithCommPrefix("containerd")) {}

Cpu CpuMeter::Read() const {
  return {CpuSeconds(shim_), CpuSeconds(dockerd_), CpuSeconds(containerd_)};
}

absl::StatusOr<pid_t> DockerdPid(const std::string& socket_path) {
  const int fd = ConnectUnix(socket_path, absl::Seconds(5));
  if (fd >= 0) {
    ucred cred = {};
    socklen_t len = sizeof(cred);
    const int r = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len);
    close(fd);
    // A socket-activated engine's listener may belong to another process.
    if (r == 0 && IsDockerd(cred.pid)) return cred.pid;
  }
  std::vector<pid_t> named = PidsWithCommPrefix("dockerd");
  std::erase_if(named, [](pid_t pid) { return !IsDockerd(pid); });
  if (named.size() == 1) return named[0];
  return absl::NotFoundError(
      absl::StrCat("cannot tell dockerd's pid (", named.size(),
                   " processes named dockerd, none owns ", socket_path, ")"));
}

absl::StatusOr<HttpReply> DockerRequest(const std::string& socket_path,
                                        absl::string_view method,
                                        absl::string_view path,
                                        absl::Duration timeout,
                                        absl::string_view json_body) {
  const int fd = ConnectUnix(socket_path, timeout);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot connect to ", socket_path, ": ", strerror(errno)));
  }
  return Exchange(fd, method, path, json_body);
}

absl::StatusOr<HttpReply> LoopbackRequest(int port, absl::string_view method,
                                          absl::string_view path,
                                          absl::Duration timeout) {
  const int fd = ConnectLoopback(port, timeout);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot connect to 127.0.0.1:", port, ": ", strerror(errno)));
  }
  return Exchange(fd, method, path, "");
}

double SweepDockerStats(const std::string& socket_path,
                        const std::vector<std::string>& ids, int parallel,
                        const std::atomic<bool>& stop,
                        std::atomic<int>* errors) {
  std::atomic<size_t> next{0};
  auto work = [&] {
    while (!stop) {
      const size_t i = next++;
      if (i >= ids.size()) break;
      absl::StatusOr<HttpReply> reply = DockerRequest(
          socket_path, "GET", "/containers/" + ids[i] + "/stats?stream=false",
          absl::Seconds(60));
      if (!reply.ok() || reply->status != 200 ||
          !absl::StrContains(reply->body, "\"cpu_stats\"")) {
        ++*errors;
      }
    }
  };
  const absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  for (int t = 1; t < parallel; ++t) threads.emplace_back(work);
  work();
  for (std::thread& t : threads) t.join();
  return absl::ToDoubleMilliseconds(absl::Now() - start);
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double rank = std::ceil(p / 100.0 * static_cast<double>(values.size()));
  const size_t i = static_cast<size_t>(std::max(1.0, rank)) - 1;
  return values[std::min(i, values.size() - 1)];
}

}  // namespace cri_dockerd::bench
