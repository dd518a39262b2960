// The streaming server's limits in the real daemon: a valid exec still
// works while 300 connections without a valid token stay open (and are
// re-opened as the server closes them), with the daemon's threads and fds
// bounded meanwhile; sessions without traffic are closed after
// --streaming-connection-idle-timeout; and a thread the system refuses
// (a pids cgroup with no room) fails only the one session while the
// daemon keeps serving.
#include <dirent.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <iostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "cri/streaming/limits.h"
#include "cri/streaming/spdy/spdy_session.h"
#include "gtest/gtest.h"
#include "tests/integration/cri_fixture.h"
#include "tests/integration/stream_client.h"
#include "tests/poll_until.h"

namespace cri_dockerd::testing_support {
namespace {

using testing_util::PollUntil;

// Entries of /proc/<pid>/<dir> (threads: "task", descriptors: "fd").
int CountEntries(pid_t pid, const char* dir) {
  DIR* d = opendir(absl::StrCat("/proc/", pid, "/", dir).c_str());
  if (d == nullptr) return -1;
  int n = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(d);
  return n;
}

// The highest thread and fd counts of a process, sampled every 10 ms
// while this object lives.
class Sampler {
 public:
  explicit Sampler(pid_t pid)
      : thread_([this, pid] {
          while (
              !stop_.WaitForNotificationWithTimeout(absl::Milliseconds(10))) {
            max_threads_ =
                std::max(max_threads_.load(), CountEntries(pid, "task"));
            max_fds_ = std::max(max_fds_.load(), CountEntries(pid, "fd"));
          }
        }) {}
  ~Sampler() { Stop(); }
  void Stop() {
    if (!stop_.HasBeenNotified()) stop_.Notify();
    if (thread_.joinable()) thread_.join();
  }
  int max_threads() const { return max_threads_; }
  int max_fds() const { return max_fds_; }

 private:
  absl::Notification stop_;
  std::atomic<int> max_threads_{0};
  std::atomic<int> max_fds_{0};
  std::thread thread_;
};

// Keeps `count` connections open to the streaming server that never send
// a whole request (half send nothing, half the start of one), opening a
// new one for each the server closes -- at most 10 per 50 ms, so that the
// server, which keeps only kMaxPendingConnections, closes connections all
// the time.
class IdleFlood {
 public:
  IdleFlood(std::string url, int count)
      : url_(std::move(url)), fds_(count, -1), thread_([this] { Run(); }) {}
  ~IdleFlood() {
    stop_.Notify();
    thread_.join();
    for (int fd : fds_) {
      if (fd >= 0) close(fd);
    }
  }
  // Each of the `count` connections was opened at least once.
  bool full() const { return full_; }
  int reopened() const { return reopened_; }

 private:
  int Open(size_t i) {
    std::string path;
    absl::StatusOr<int> fd = DialUrl(url_, &path);
    if (!fd.ok()) return -1;
    if (i % 2 == 1) {
      const char partial[] = "GET /exec/";
      (void)!send(*fd, partial, sizeof(partial) - 1, MSG_NOSIGNAL);
    }
    return *fd;
  }
  void Run() {
    while (!stop_.HasBeenNotified()) {
      // The first round opens them all, later ones at most 10 per 50 ms.
      const absl::Time now = absl::Now();
      int budget = !full_                        ? static_cast<int>(fds_.size())
                   : now - last_round_ >= kRound ? 10
                                                 : 0;
      if (budget > 0) last_round_ = now;
      for (size_t i = 0; i < fds_.size() && budget > 0; ++i) {
        if (fds_[i] < 0) {
          fds_[i] = Open(i);
          --budget;
          if (full_) ++reopened_;
        }
      }
      full_ = true;
      std::vector<pollfd> p;
      for (int fd : fds_) p.push_back({fd, POLLIN, 0});
      if (poll(p.data(), p.size(), 10) <= 0) continue;
      for (size_t i = 0; i < p.size(); ++i) {
        if (p[i].revents == 0) continue;
        char buf[512];
        const ssize_t n = recv(fds_[i], buf, sizeof(buf), MSG_DONTWAIT);
        if (n > 0) continue;  // the 503, then EOF
        close(fds_[i]);
        fds_[i] = -1;
      }
    }
  }

  static constexpr absl::Duration kRound = absl::Milliseconds(50);

  const std::string url_;
  // Used by the thread only until it ends.
  std::vector<int> fds_;
  absl::Time last_round_ = absl::InfinitePast();
  absl::Notification stop_;
  std::atomic<bool> full_{false};
  std::atomic<int> reopened_{0};
  std::thread thread_;
};

constexpr char kIdleTimeout[] = "--streaming-connection-idle-timeout=2s";

class StreamingLimitsTest : public CriTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StartCri({"--network-plugin=", kIdleTimeout}));
    sandbox_ = RunPod(PodConfig("limits", /*host_network=*/false));
    ASSERT_FALSE(sandbox_.empty());
    v1::ContainerConfig c = Busybox("sleeper", "sleep 600");
    container_ = StartContainer(sandbox_, c);
    ASSERT_FALSE(container_.empty());
  }

  std::string ExecUrl(std::vector<std::string> cmd, bool tty = false,
                      bool stdin = false) {
    v1::ExecRequest req;
    req.set_container_id(container_);
    for (const std::string& a : cmd) req.add_cmd(a);
    req.set_tty(tty);
    req.set_stdin(stdin);
    req.set_stdout(true);
    req.set_stderr(!tty);
    v1::ExecResponse resp;
    grpc::Status s = runtime_->Exec(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.url();
  }
  std::string PortForwardUrl(int port) {
    v1::PortForwardRequest req;
    req.set_pod_sandbox_id(sandbox_);
    req.add_port(port);
    v1::PortForwardResponse resp;
    grpc::Status s = runtime_->PortForward(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.url();
  }
  // A TTY exec with stdin and a resize stream, over SPDY or WebSocket:
  // every thread an exec session can use.
  absl::StatusOr<ExecResult> FullExec(bool websocket, absl::Duration timeout) {
    ExecOptions o;
    if (websocket) o.protocol = "v5.channel.k8s.io";
    o.stdin = true;
    o.tty = true;
    o.stderr = false;
    o.sizes = {{80, 24}};
    o.input = "hi\n";
    o.keep_stdin_open = true;  // closing a TTY's stdin hangs it up
    o.timeout = timeout;
    const std::string url =
        ExecUrl({"sh", "-c", "read x; echo got-$x"}, true, true);
    return websocket ? RunWebSocketExec(url, o) : RunSpdyExec(url, o);
  }
  pid_t pid() const { return cri_.process->pid(); }

  std::string sandbox_, container_;
};

TEST_F(StreamingLimitsTest,
       ValidExecWorksWhile300IdleUnauthenticatedConnectionsAreOpen) {
  // Warm up: gRPC's and the server's threads exist before the baseline.
  absl::StatusOr<ExecResult> warm = RunSpdyExec(ExecUrl({"echo", "warm"}), {});
  ASSERT_TRUE(warm.ok()) << warm.status();
  ASSERT_TRUE(FullExec(false, absl::Seconds(60)).ok());
  const int threads_before = CountEntries(pid(), "task");
  const int fds_before = CountEntries(pid(), "fd");
  const std::string url = ExecUrl({"true"});
  const std::string base = url.substr(0, url.find("/exec/")) + "/";

  Sampler sampler(pid());
  IdleFlood flood(base, 300);
  ASSERT_TRUE(PollUntil([&] { return flood.full(); }))
      << "could not open 300 connections";
  for (int i = 0; i < 3; ++i) {
    const std::string word = absl::StrCat("valid-", i);
    absl::StatusOr<ExecResult> r = RunSpdyExec(ExecUrl({"echo", word}), {});
    ASSERT_TRUE(r.ok()) << r.status() << "\n" << cri_.process->Output();
    EXPECT_EQ(r->stdout, word + "\n");
    ExecOptions ws;
    ws.protocol = "v5.channel.k8s.io";
    r = RunWebSocketExec(ExecUrl({"echo", word}), ws);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->stdout, word + "\n");
  }
  for (bool websocket : {false, true}) {
    absl::StatusOr<ExecResult> r = FullExec(websocket, absl::Seconds(60));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(absl::StrContains(r->stdout, "got-hi")) << r->stdout;
  }
  // The server kept closing waiting connections (the oldest to make room,
  // or at their 5 s head timeout) and the flood kept re-opening them.
  EXPECT_TRUE(PollUntil([&] { return flood.reopened() > 100; }))
      << flood.reopened();
  sampler.Stop();
  // No thread per waiting connection: at most one exec session's worth
  // (the execs ran one at a time), plus a little for gRPC's pool.
  const int kGrpcSlack = 4;
  EXPECT_LE(sampler.max_threads(),
            threads_before + streaming::kMaxExecSessionThreads +
                streaming::kMaxRuntimeExecThreads + kGrpcSlack)
      << "threads before: " << threads_before;
  // Waiting connections hold at most kMaxPendingConnections fds, an exec
  // a handful.
  EXPECT_LE(sampler.max_fds(),
            fds_before + streaming::kMaxPendingConnections + 16)
      << "fds before: " << fds_before;
  EXPECT_TRUE(absl::StrContains(cri_.process->Output(),
                                "closed before they sent a request"));
  std::cout << "[ figures  ] daemon threads " << threads_before << " -> max "
            << sampler.max_threads() << ", fds " << fds_before << " -> max "
            << sampler.max_fds() << " with 300 idle connections ("
            << flood.reopened() << " re-opened)\n";
}

TEST_F(StreamingLimitsTest, SessionsWithoutTrafficAreClosed) {
  // An exec whose command runs for two minutes and prints nothing.
  std::atomic<bool> exec_returned{false};
  ExecOptions o;
  o.timeout = absl::Minutes(5);
  std::thread exec([&] {
    (void)RunSpdyExec(ExecUrl({"sleep", "120"}), o);
    exec_returned = true;
  });
  // A port-forward session that never forwards anything.
  absl::StatusOr<UpgradeReply> up =
      Upgrade(PortForwardUrl(80), "POST",
              {"Connection: Upgrade", "Upgrade: SPDY/3.1",
               "X-Stream-Protocol-Version: portforward.k8s.io"});
  ASSERT_TRUE(up.ok()) << up.status();
  ASSERT_EQ(up->status, 101);
  streaming::spdy::Session forward(up->fd, streaming::spdy::Role::kClient,
                                   up->extra);
  ASSERT_TRUE(
      forward
          .Start([](std::shared_ptr<streaming::spdy::Stream> s) { s->Reset(); })
          .ok());
  // Both are closed at the 2 s idle timeout, long before their own end.
  EXPECT_TRUE(forward.Wait(absl::Now() + absl::Seconds(60)))
      << "the idle port-forward is still open";
  EXPECT_TRUE(
      PollUntil([&] { return exec_returned.load(); }, absl::Seconds(60)))
      << "the idle exec is still open";
  exec.join();
  EXPECT_TRUE(absl::StrContains(cri_.process->Output(), "had no traffic for"))
      << cri_.process->Output();

  // Output every half second keeps a 4 s exec open past the timeout.
  absl::StatusOr<ExecResult> busy =
      RunSpdyExec(ExecUrl({"sh", "-c",
                           "for i in 1 2 3 4 5 6 7 8; do echo $i; sleep 0.5; "
                           "done"}),
                  {});
  ASSERT_TRUE(busy.ok()) << busy.status();
  EXPECT_EQ(busy->stdout, "1\n2\n3\n4\n5\n6\n7\n8\n");
  EXPECT_EQ(busy->error, R"({"metadata":{},"status":"Success"})");
}

// The daemon in a pids cgroup of its own whose pids.max the test sets:
// `room` more tasks than it has now, or no limit.
class PidsCgroup {
 public:
  static constexpr char kRoot[] = "/sys/fs/cgroup/pids";
  static bool Available() {
    return geteuid() == 0 &&
           access(absl::StrCat(kRoot, "/cgroup.procs").c_str(), W_OK) == 0;
  }
  explicit PidsCgroup(pid_t pid)
      : pid_(pid), dir_(absl::StrCat(kRoot, "/crid-it-", getpid())) {
    rmdir(dir_.c_str());
    ok_ = mkdir(dir_.c_str(), 0755) == 0 && Write("cgroup.procs", pid_);
  }
  ~PidsCgroup() {
    Unlimit();
    std::ofstream(absl::StrCat(kRoot, "/cgroup.procs")) << pid_;
    PollUntil([&] { return rmdir(dir_.c_str()) == 0 || errno == ENOENT; },
              absl::Seconds(10));
  }
  bool ok() const { return ok_; }
  int current() const {
    std::ifstream in(dir_ + "/pids.current");
    int n = -1;
    in >> n;
    return n;
  }
  // Once the count has settled (threads of a session that just ended
  // may still be leaving).
  bool Limit(int room) {
    int settled = current();
    PollUntil(
        [&] {
          absl::SleepFor(absl::Milliseconds(100));
          const int now = current();
          const bool stable = now == settled;
          settled = now;
          return stable;
        },
        absl::Seconds(5));
    return Write("pids.max", settled + room);
  }
  bool Unlimit() {
    std::ofstream out(dir_ + "/pids.max");
    out << "max";
    out.flush();
    return out.good();
  }

 private:
  bool Write(const char* file, int value) {
    std::ofstream out(absl::StrCat(dir_, "/", file));
    out << value;
    out.flush();
    return out.good();
  }
  const pid_t pid_;
  const std::string dir_;
  bool ok_ = false;
};

TEST_F(StreamingLimitsTest, ARefusedThreadFailsOnlyItsSession) {
  if (!PidsCgroup::Available()) {
    GTEST_SKIP() << "needs root and the cgroup v1 pids controller at "
                 << PidsCgroup::kRoot;
  }
  // Warm: the threads a first exec leaves (gRPC's pool) exist already.
  ASSERT_TRUE(FullExec(false, absl::Seconds(60)).ok());
  PidsCgroup cgroup(pid());
  ASSERT_TRUE(cgroup.ok()) << "cannot make a pids cgroup";
  int failed = 0, worked = 0;
  // From no room at all to enough for a whole session: each thread an
  // exec needs, on each path, is refused in turn.
  for (int room = 0; room <= streaming::kMaxExecSessionThreads +
                                 streaming::kMaxRuntimeExecThreads + 1;
       ++room) {
    for (bool websocket : {false, true}) {
      ASSERT_TRUE(cgroup.Unlimit());
      // gRPC may need a thread: the URL is fetched before the limit.
      ExecOptions o;
      if (websocket) o.protocol = "v5.channel.k8s.io";
      o.stdin = true;
      o.tty = true;
      o.stderr = false;
      o.sizes = {{80, 24}};
      o.input = "hi\n";
      o.keep_stdin_open = true;
      o.timeout = absl::Seconds(60);
      const std::string url =
          ExecUrl({"sh", "-c", "read x; echo got-$x"}, true, true);
      ASSERT_TRUE(cgroup.Limit(room));
      absl::StatusOr<ExecResult> r =
          websocket ? RunWebSocketExec(url, o) : RunSpdyExec(url, o);
      const bool ok = r.ok() && absl::StrContains(r->stdout, "got-hi");
      (ok ? worked : failed)++;
      if (room == 0) {
        EXPECT_FALSE(ok) << "an exec with no room for a thread worked";
        EXPECT_TRUE(!r.ok() && absl::StrContains(r.status().message(), "503"))
            << (r.ok() ? r->stdout + r->error : r.status().ToString());
      }
      ASSERT_TRUE(cri_.process->Running())
          << "the daemon died at room " << room << "\n"
          << cri_.process->Output();
    }
  }
  ASSERT_TRUE(cgroup.Unlimit());
  EXPECT_GT(failed, 0);
  // Port-forwards too (nothing listens on the pod's port 80: with room
  // enough, the error stream says the connection was refused).
  for (int room = 0; room <= 4; ++room) {
    const std::string pf = PortForwardUrl(80);
    ASSERT_TRUE(cgroup.Limit(room));
    std::string error;
    absl::StatusOr<std::string> forwarded = SpdyPortForward(pf, 80, "", &error);
    if (room == 0) {
      EXPECT_TRUE(!forwarded.ok() &&
                  absl::StrContains(forwarded.status().message(), "503"))
          << (forwarded.ok() ? "forwarded; error stream: " + error
                             : forwarded.status().ToString());
    }
    ASSERT_TRUE(cgroup.Unlimit());
    ASSERT_TRUE(cri_.process->Running())
        << "the daemon died forwarding at room " << room << "\n"
        << cri_.process->Output();
  }
  // Room again: everything works, on both paths.
  for (bool websocket : {false, true}) {
    absl::StatusOr<ExecResult> r = FullExec(websocket, absl::Seconds(60));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(absl::StrContains(r->stdout, "got-hi")) << r->stdout;
  }
  EXPECT_TRUE(absl::StrContains(cri_.process->Output(), "cannot start"))
      << "the refusals are logged";
  // Which threads were refused, by name (common/thread.h's message).
  std::set<std::string> refused;
  const std::string log = cri_.process->Output();
  const std::string marker = "cannot start a thread (";
  for (size_t at = log.find(marker); at != std::string::npos;
       at = log.find(marker, at + 1)) {
    const size_t from = at + marker.size();
    refused.insert(log.substr(from, log.find(')', from) - from));
  }
  std::cout << "[ figures  ] under a pids limit: " << failed
            << " exec(s) refused, " << worked
            << " worked; daemon up; threads refused: "
            << absl::StrJoin(refused, ", ") << "\n";
}

}  // namespace
}  // namespace cri_dockerd::testing_support
