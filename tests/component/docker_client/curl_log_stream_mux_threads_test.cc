// What following many streams costs this process: CurlLogStreamMux adds one
// thread, whatever the number of streams. The fake dockerd runs in a
// process of its own (log_stream_server) so that its threads (one per
// connection) are not counted. With CRID_MEASURE_IDLE=<seconds> set, one
// more test prints the threads, mux wake-ups and CPU time of 100 slow
// streams, against 100 FollowContainerLogs threads.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "docker_client/curl_docker_client.h"
#include "docker_client/curl_log_stream_mux.h"
#include "docker_client/testing/log_stream_recorder.h"
#include "gtest/gtest.h"
#include "tests/poll_until.h"
#include "tests/thread_count.h"

extern char** environ;

namespace cri_dockerd::docker {
namespace {

using testing_util::PollUntil;

// log_stream_server as a child process; it exits when its stdin closes.
class ServerProcess {
 public:
  ServerProcess(int streams, int lines, int interval_ms) {
    int to_child[2];
    int from_child[2];
    if (pipe2(to_child, O_CLOEXEC) != 0 || pipe2(from_child, O_CLOEXEC) != 0) {
      return;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, to_child[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, from_child[1], STDOUT_FILENO);
    const std::string a1 = absl::StrCat(streams);
    const std::string a2 = absl::StrCat(lines);
    const std::string a3 = absl::StrCat(interval_ms);
    char* argv[] = {const_cast<char*>(CRID_LOG_STREAM_SERVER),
                    const_cast<char*>(a1.c_str()),
                    const_cast<char*>(a2.c_str()),
                    const_cast<char*>(a3.c_str()), nullptr};
    if (posix_spawn(&pid_, CRID_LOG_STREAM_SERVER, &actions, nullptr, argv,
                    environ) != 0) {
      pid_ = -1;
    }
    posix_spawn_file_actions_destroy(&actions);
    close(to_child[0]);
    close(from_child[1]);
    stdin_ = to_child[1];
    FILE* out = fdopen(from_child[0], "r");
    char line[512] = {0};
    if (pid_ > 0 && out != nullptr &&
        fgets(line, sizeof(line), out) != nullptr) {
      endpoint_ = std::string(absl::StripTrailingAsciiWhitespace(line));
    }
    if (out != nullptr) fclose(out);
  }
  ~ServerProcess() {
    if (stdin_ >= 0) close(stdin_);
    if (pid_ > 0) waitpid(pid_, nullptr, 0);
  }
  // Empty if the server did not start.
  const std::string& endpoint() const { return endpoint_; }

 private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  std::string endpoint_;
};

using testing_util::ThreadCount;

absl::Duration CpuTime() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return absl::DurationFromTimeval(usage.ru_utime) +
         absl::DurationFromTimeval(usage.ru_stime);
}

// This process's resident memory, from /proc/self/status ("" if unknown).
std::string Rss() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, "VmRSS:")) {
      return std::string(absl::StripAsciiWhitespace(line.substr(6)));
    }
  }
  return "";
}

std::unique_ptr<CurlDockerClient> Client(const std::string& endpoint) {
  absl::StatusOr<std::unique_ptr<CurlDockerClient>> client =
      CurlDockerClient::Create(endpoint);
  EXPECT_TRUE(client.ok()) << client.status();
  if (!client.ok()) return nullptr;
  EXPECT_TRUE((*client)->Version(absl::Now() + absl::Seconds(10)).ok());
  return std::move(*client);
}

// Follows c0..c<n-1> as log_stream_server serves them.
void FollowAll(LogStreamMux& mux, std::vector<LogStreamRecorder>& recs) {
  for (size_t i = 0; i < recs.size(); ++i) {
    LogFollowOptions options;
    options.id = absl::StrCat("c", i);
    options.tty = i % 2 == 1;
    options.deadline = absl::Now() + absl::Minutes(10);
    ASSERT_TRUE(
        mux.Follow(options, recs[i].EntrySink(), recs[i].EndSink()).ok());
  }
}

bool AllHaveAtLeast(const std::vector<LogStreamRecorder>& recs, size_t n) {
  for (const auto& r : recs) {
    if (r.count() < n) return false;
  }
  return true;
}

// For failures: how far the streams got.
std::string Describe(const std::vector<LogStreamRecorder>& recs) {
  size_t silent = 0;
  std::string out;
  for (size_t i = 0; i < recs.size(); ++i) {
    if (recs[i].count() == 0) ++silent;
    if (recs[i].ended()) {
      absl::StrAppend(&out, " c", i, " ended after ", recs[i].count(),
                      " entries: ", recs[i].end().ToString(), ";");
    }
  }
  return absl::StrCat(silent, " of ", recs.size(), " streams without entries;",
                      out);
}

TEST(CurlLogStreamMuxThreadsTest, OneThreadForFiftyStreams) {
  ServerProcess server(50, 1000, 100);
  ASSERT_FALSE(server.endpoint().empty()) << "log_stream_server did not start";
  std::unique_ptr<CurlDockerClient> client = Client(server.endpoint());
  ASSERT_NE(client, nullptr);
  std::vector<LogStreamRecorder> recs(50);  // outlives the mux
  const int before_mux = ThreadCount();
  absl::StatusOr<std::unique_ptr<LogStreamMux>> mux = client->NewLogStreamMux();
  ASSERT_TRUE(mux.ok()) << mux.status();
  const int with_mux = ThreadCount();
  EXPECT_EQ(with_mux, before_mux + 1);
  FollowAll(**mux, recs);
  // Every stream is connected and delivering.
  ASSERT_TRUE(PollUntil([&] { return AllHaveAtLeast(recs, 3); }))
      << Describe(recs);
  EXPECT_EQ(ThreadCount(), with_mux);
  mux->reset();
  for (const auto& r : recs) {
    EXPECT_EQ(r.end().code(), absl::StatusCode::kCancelled) << r.end();
  }
  EXPECT_EQ(ThreadCount(), before_mux);
}

// Prints what 100 streams sending a line every interval cost while the
// process does nothing else: with the mux, and with a FollowContainerLogs
// thread per stream (which polls its check every 100 ms).
TEST(CurlLogStreamMuxThreadsTest, MeasureIdleCost) {
  const char* env = std::getenv("CRID_MEASURE_IDLE");
  int seconds = 0;
  if (env == nullptr || !absl::SimpleAtoi(env, &seconds) || seconds <= 0) {
    GTEST_SKIP() << "set CRID_MEASURE_IDLE=<seconds> to measure";
  }
  constexpr int kStreams = 100;
  int interval_ms = 1000;
  if (const char* iv = std::getenv("CRID_MEASURE_INTERVAL_MS")) {
    ASSERT_TRUE(absl::SimpleAtoi(iv, &interval_ms));
  }
  // Enough lines to last the measurements and the start-up around them.
  const int lines = 2 * seconds * 1000 / std::max(interval_ms, 1) + 60;
  ServerProcess server(kStreams, lines, interval_ms);
  ASSERT_FALSE(server.endpoint().empty());
  std::unique_ptr<CurlDockerClient> client = Client(server.endpoint());
  ASSERT_NE(client, nullptr);
  const int base_threads = ThreadCount();
  {
    // Declared before the mux, which calls them until it is destroyed.
    std::vector<LogStreamRecorder> recs(kStreams);
    absl::StatusOr<std::unique_ptr<LogStreamMux>> mux =
        client->NewLogStreamMux();
    ASSERT_TRUE(mux.ok());
    auto* curl_mux = static_cast<CurlLogStreamMux*>(mux->get());
    FollowAll(**mux, recs);
    ASSERT_TRUE(PollUntil([&] { return AllHaveAtLeast(recs, 1); }))
        << Describe(recs);
    const absl::Duration cpu0 = CpuTime();
    const uint64_t wake0 = curl_mux->wakeups();
    size_t entries0 = 0;
    for (const auto& r : recs) entries0 += r.count();
    absl::SleepFor(absl::Seconds(seconds));
    size_t entries1 = 0;
    for (const auto& r : recs) entries1 += r.count();
    std::printf(
        "mux: %d streams, a line every %d ms each: %d threads (%d before), "
        "%llu wake-ups and %s CPU in %d s, %zu entries, RSS %s\n",
        kStreams, interval_ms, ThreadCount(), base_threads,
        static_cast<unsigned long long>(curl_mux->wakeups() - wake0),
        absl::FormatDuration(CpuTime() - cpu0).c_str(), seconds,
        entries1 - entries0, Rss().c_str());
  }
  std::atomic<bool> stop{false};
  std::atomic<size_t> entries{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kStreams; ++i) {
    threads.emplace_back([&, i] {
      LogStreamOptions options;
      options.id = absl::StrCat("c", i);
      options.tty = i % 2 == 1;
      options.on_entry = [&](const LogEntry&) { ++entries; };
      options.check = [&] {
        return stop ? absl::CancelledError("stop") : absl::OkStatus();
      };
      (void)client->FollowContainerLogs(options,
                                        absl::Now() + absl::Minutes(10));
    });
  }
  ASSERT_TRUE(PollUntil([&] { return entries >= kStreams; }));
  const absl::Duration cpu0 = CpuTime();
  const size_t entries0 = entries;
  absl::SleepFor(absl::Seconds(seconds));
  std::printf(
      "thread per stream: %d streams: %d threads (%d before), %s CPU in %d s, "
      "%zu entries, RSS %s\n",
      kStreams, ThreadCount(), base_threads,
      absl::FormatDuration(CpuTime() - cpu0).c_str(), seconds,
      entries - entries0, Rss().c_str());
  stop = true;
  for (auto& t : threads) t.join();
}

}  // namespace
}  // namespace cri_dockerd::docker
