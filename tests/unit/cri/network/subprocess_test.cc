#include "cri/network/subprocess.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cri_dockerd::network {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<SubprocessResult> Sh(const std::string& script,
                                    const std::string& input = "",
                                    absl::Duration timeout = absl::Seconds(10),
                                    std::vector<std::string> env = {}) {
  return RunSubprocess("/bin/sh", {"sh", "-c", script}, env, input,
                       absl::Now() + timeout);
}

TEST(SubprocessTest, ExitStatusOutputsAndExactEnvironment) {
  auto r = Sh("echo out; echo err >&2; echo \"$A|$HOME\"; exit 4", "",
              absl::Seconds(10), {"A=1"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 4);
  EXPECT_EQ(r->out, "out\n1|\n");
  EXPECT_EQ(r->err, "err\n");
  EXPECT_EQ(r->Describe(), "exit status 4");
  r = Sh("kill -TERM $$");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->term_signal, SIGTERM);
  EXPECT_EQ(r->Describe(), "killed by signal 15");
}

TEST(SubprocessTest, LargeInputAndOutputDoNotDeadlock) {
  const std::string big(3 << 20, 'x');
  auto r = Sh("cat; cat /dev/null >&2", big);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(r->out.size(), big.size());
  // A child that never reads its stdin: no SIGPIPE kills us.
  r = Sh("exit 0", big);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0);
}

TEST(SubprocessTest, InheritsOnlyTheThreePipes) {
  const int leaked = open("/dev/null", O_RDONLY);  // no O_CLOEXEC on purpose
  ASSERT_GE(leaked, 3);
  auto r = Sh("ls /proc/self/fd");
  close(leaked);
  ASSERT_TRUE(r.ok());
  // 0-2, plus the directory ls itself has open.
  EXPECT_EQ(r->out, "0\n1\n2\n3\n");
}

TEST(SubprocessTest, DeadlineKillsTheGroupAndReaps) {
  const absl::Time start = absl::Now();
  auto r = Sh("echo $$; sleep 30 & sleep 30; echo never", "",
              absl::Milliseconds(300));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_LT(absl::Now() - start, absl::Seconds(10)) << "waited for the sleeps";
  EXPECT_EQ(waitpid(-1, nullptr, WNOHANG), -1) << "no child left to reap";
  EXPECT_EQ(errno, ECHILD);
}

TEST(SubprocessTest, GrandchildHoldingThePipesDoesNotHangUs) {
  const absl::Time start = absl::Now();
  // The sleep keeps stdout open; its pid comes first.
  auto r = Sh("sleep 60 & echo $!; echo done", "", absl::Seconds(120));
  const absl::Duration took = absl::Now() - start;
  ASSERT_TRUE(r.ok()) << r.status();
  const std::vector<std::string> lines = absl::StrSplit(r->out, '\n');
  ASSERT_EQ(lines.size(), 3u) << r->out;
  EXPECT_EQ(lines[1], "done");
  kill(std::stoi(lines[0]), SIGKILL);
  EXPECT_LT(took, absl::Seconds(10)) << "waited for the grandchild";
}

TEST(SubprocessTest, MissingProgramIsNotFound) {
  auto r = RunSubprocess("/nonexistent/plugin", {"plugin"}, {}, "",
                         absl::Now() + absl::Seconds(5));
  EXPECT_TRUE(absl::IsNotFound(r.status())) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("/nonexistent/plugin"));
}

}  // namespace
}  // namespace cri_dockerd::network
