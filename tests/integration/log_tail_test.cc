// The CRI log copied from docker's json-file log on the real dockerd,
// while docker rotates it: cri-dockerd runs with a tiny
// --docker-log-max-size, a container prints a counter fast, and the CRI
// log must hold every value exactly once, in order; also across a SIGKILL
// of the shim, and for a 64 KiB line docker stores in 16 KiB pieces.
#include <signal.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "cri/logs/cri_log_format.h"
#include "docker_client/curl_docker_client.h"
#include "gtest/gtest.h"
#include "tests/integration/cri_fixture.h"
#include "tests/poll_until.h"

namespace cri_dockerd::testing_support {
namespace {

constexpr int kCount = 6000;

class LogTailTest : public CriTest {};

// Checks that the CRI log text holds "n 0" .. "n <count-1>" once each, in
// order, as whole stdout lines.
void ExpectCounter(const std::string& text, int count) {
  int next = 0;
  for (absl::string_view raw : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    auto line = logs::ParseCriLogLine(raw);
    ASSERT_TRUE(line.has_value()) << raw;
    ASSERT_FALSE(line->partial) << raw;
    ASSERT_EQ(line->stream, "stdout");
    int n = -1;
    ASSERT_TRUE(absl::ConsumePrefix(&line->content, "n ") &&
                absl::SimpleAtoi(line->content, &n))
        << raw;
    ASSERT_EQ(n, next) << "after " << next << " lines";
    ++next;
  }
  EXPECT_EQ(next, count);
}

TEST_F(LogTailTest, EveryCounterValueOnceWhileDockerRotates) {
  ASSERT_NO_FATAL_FAILURE(
      StartCri({"--docker-log-max-size", "32k", "--docker-log-max-file", "3"}));
  const std::string pod = RunPod(PodConfig("tail"));
  ASSERT_FALSE(pod.empty());
  // ~75 bytes per docker entry: a rotation every ~430 lines. Paced so
  // that docker keeps a file the copy has not opened yet for a while.
  const std::string script =
      absl::StrCat("i=0; while [ $i -lt ", kCount,
                   " ]; do echo \"n $i\"; i=$((i+1)); "
                   "if [ $((i % 40)) -eq 0 ]; then sleep 0.01; fi; done");
  const std::string id = StartContainer(pod, Busybox("counter", script));
  ASSERT_FALSE(id.empty());
  v1::ContainerStatus st;
  ASSERT_TRUE(testing_util::PollUntil(
      [&] {
        st = StatusOf(id);
        return st.state() == v1::CONTAINER_EXITED;
      },
      kPatience));
  EXPECT_EQ(st.exit_code(), 0);

  // Docker did rotate under the copy.
  auto docker = docker::CurlDockerClient::Create(LabDockerEndpoint());
  ASSERT_TRUE(docker.ok());
  absl::StatusOr<docker::ContainerInspect> c =
      (*docker)->InspectContainer(id, absl::Now() + absl::Seconds(30));
  ASSERT_TRUE(c.ok()) << c.status();
  struct stat rotated;
  EXPECT_EQ(stat((c->log_path + ".1").c_str(), &rotated), 0)
      << "docker never rotated " << c->log_path;

  // The copy ends shortly after the exit (status waits for it only
  // briefly): wait for the last value, then check them all.
  std::string text;
  EXPECT_TRUE(testing_util::PollUntil(
      [&] {
        text = ReadFile(LogPath("counter"));
        return absl::StrContains(text, absl::StrCat(" n ", kCount - 1, "\n"));
      },
      kPatience))
      << "the last value never reached the CRI log";
  ExpectCounter(text, kCount);
}

// The shim is SIGKILLed while a container writes; the container goes on,
// exits while the shim is down, and the restarted shim completes its CRI
// log from docker's files: no value lost, none repeated.
TEST_F(LogTailTest, KilledShimResumesWithoutLossOrRepeat) {
  // Docker rotates a few times but keeps all ~300 KB of output: what the
  // shim missed while down is still there to copy.
  const std::vector<std::string> flags = {"--docker-log-max-size", "64k",
                                          "--docker-log-max-file", "6"};
  ASSERT_NO_FATAL_FAILURE(StartCri(flags));
  const std::string pod = RunPod(PodConfig("resume"));
  ASSERT_FALSE(pod.empty());
  v1::ContainerConfig config =
      Busybox("counter",
              "i=0; while [ $i -lt 2000 ]; do echo \"n $i\"; i=$((i+1)); "
              "if [ $((i % 40)) -eq 0 ]; then sleep 0.01; fi; done; "
              "while [ ! -e /gate/open ]; do sleep 0.05; done; "
              "while [ $i -lt 4000 ]; do echo \"n $i\"; i=$((i+1)); "
              "if [ $((i % 40)) -eq 0 ]; then sleep 0.01; fi; done");
  MountGate(&config);
  const std::string id = StartContainer(pod, config);
  ASSERT_FALSE(id.empty());
  WaitForText(LogPath("counter"), " n 1999\n");
  ASSERT_TRUE(cri_.process->Stop(SIGKILL, kPatience).ok());

  // The container finishes while the shim is down.
  OpenGate("open");
  auto docker = docker::CurlDockerClient::Create(LabDockerEndpoint());
  ASSERT_TRUE(docker.ok());
  ASSERT_TRUE(testing_util::PollUntil(
      [&] {
        auto c =
            (*docker)->InspectContainer(id, absl::Now() + absl::Seconds(10));
        return c.ok() && !c->state.running;
      },
      kPatience));

  ASSERT_NO_FATAL_FAILURE(StartCri(flags));
  std::string text;
  EXPECT_TRUE(testing_util::PollUntil(
      [&] {
        text = ReadFile(LogPath("counter"));
        return absl::StrContains(text, " n 3999\n");
      },
      kPatience))
      << "the restarted shim did not copy what the container wrote";
  ExpectCounter(text, 4000);
}

// A line longer than docker's 16 KiB buffer is stored in pieces; the CRI
// log tags all but the last P, and kubelet joins them back. With and
// without a TTY (whose lines end in "\r\n").
TEST_F(LogTailTest, SixtyFourKibLineArrivesAsPartialPieces) {
  ASSERT_NO_FATAL_FAILURE(StartCri());
  const std::string pod = RunPod(PodConfig("long"));
  ASSERT_FALSE(pod.empty());
  // 6554 x 10 bytes: 65540, four 16 KiB pieces and a rest.
  const std::string script =
      "i=0; while [ $i -lt 6554 ]; do printf 'x%09d' $i; i=$((i+1)); done; "
      "echo; echo after";
  std::string expected;
  for (int i = 0; i < 6554; ++i)
    absl::StrAppend(&expected, "x", absl::Dec(i, absl::kZeroPad9));
  for (bool tty : {false, true}) {
    SCOPED_TRACE(tty ? "tty" : "no tty");
    const std::string name = tty ? "long-tty" : "long";
    v1::ContainerConfig config = Busybox(name, script);
    config.set_tty(tty);
    ASSERT_FALSE(StartContainer(pod, config).empty());
    const std::string text = WaitForText(LogPath(name), " F after\n");
    std::string joined;
    int pieces = 0;
    std::vector<std::string> whole;
    for (absl::string_view raw :
         absl::StrSplit(text, '\n', absl::SkipEmpty())) {
      auto line = logs::ParseCriLogLine(raw);
      ASSERT_TRUE(line.has_value()) << raw.substr(0, 80);
      EXPECT_EQ(line->stream, "stdout");
      absl::StrAppend(&joined, line->content);
      if (line->partial) {
        ++pieces;
      } else {
        whole.push_back(joined);
        joined.clear();
      }
    }
    EXPECT_GE(pieces, 4);
    ASSERT_EQ(whole.size(), 2u);
    EXPECT_EQ(whole[0].size(), expected.size());
    EXPECT_TRUE(whole[0] == expected) << "the pieces do not join to the line";
    EXPECT_EQ(whole[1], "after");
  }
}

}  // namespace
}  // namespace cri_dockerd::testing_support
