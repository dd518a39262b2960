// StartThread: runs the function on a named thread, and turns a thread
// the system refuses into ResourceExhausted instead of std::terminate.
#include "common/thread.h"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "absl/strings/match.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace cri_dockerd {
namespace {

TEST(StartThreadTest, RunsTheFunctionOnANamedThread) {
  std::string name;
  absl::Notification ran;
  absl::StatusOr<std::thread> t = StartThread("a-rather-long-thread-name", [&] {
    char buf[16] = {};
    pthread_getname_np(pthread_self(), buf, sizeof(buf));
    name = buf;
    ran.Notify();
  });
  ASSERT_TRUE(t.ok()) << t.status();
  t->join();
  EXPECT_TRUE(ran.HasBeenNotified());
  EXPECT_EQ(name, "a-rather-long-t");  // the kernel keeps 15 characters
}

// In a child of its own (a death test): root ignores RLIMIT_NPROC, so a
// root child first becomes an unprivileged user.
int RefusedScenario() {
  if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) {
    return 2;
  }
  rlimit lim;
  if (getrlimit(RLIMIT_NPROC, &lim) != 0) return 3;
  const rlim_t hard = lim.rlim_max;
  lim.rlim_cur = 0;
  if (setrlimit(RLIMIT_NPROC, &lim) != 0) return 4;
  bool ran = false;
  absl::StatusOr<std::thread> t = StartThread("refused", [&] { ran = true; });
  if (t.ok()) {
    t->join();
    fprintf(stderr, "a thread started under RLIMIT_NPROC=0\n");
    return 5;
  }
  if (!absl::IsResourceExhausted(t.status()) ||
      !absl::StrContains(t.status().message(), "refused")) {
    fprintf(stderr, "%s\n", t.status().ToString().c_str());
    return 6;
  }
  lim.rlim_cur = hard;
  if (setrlimit(RLIMIT_NPROC, &lim) != 0) return 7;
  t = StartThread("allowed", [&] { ran = true; });
  if (!t.ok()) return 8;
  t->join();
  return ran ? 0 : 9;
}

TEST(StartThreadTest, ARefusedThreadIsAStatus) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        const int code = RefusedScenario();
        fflush(stderr);
        _exit(code);
      },
      testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace cri_dockerd
