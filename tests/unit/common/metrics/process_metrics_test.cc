// process_* metrics read from the real /proc of the test itself.
#include "common/metrics/process_metrics.h"

#include <map>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace cri_dockerd::metrics {
namespace {

std::map<std::string, Sample> ByName(const std::vector<Sample>& samples) {
  std::map<std::string, Sample> out;
  for (const Sample& s : samples) out[s.name] = s;
  return out;
}

TEST(ProcessMetricsTest, ReportsPlausibleValues) {
  // A second thread that lives until the metrics have been read.
  absl::Notification read;
  std::thread sleeper([&read] { read.WaitForNotification(); });
  auto m = ByName(ReadProcessMetrics());
  read.Notify();
  sleeper.join();
  ASSERT_EQ(m.count("process_resident_memory_bytes"), 1u);
  EXPECT_GT(m["process_resident_memory_bytes"].value, 100 * 1024);
  EXPECT_LT(m["process_resident_memory_bytes"].value, 4e9);
  EXPECT_GE(m["process_virtual_memory_bytes"].value,
            m["process_resident_memory_bytes"].value);
  EXPECT_GE(m["process_open_fds"].value, 3);  // stdin, stdout, stderr
  EXPECT_GE(m["process_threads"].value, 2);   // main + sleeper
  EXPECT_GE(m["process_cpu_seconds_total"].value, 0);
  EXPECT_EQ(m["process_cpu_seconds_total"].type, Sample::Type::kCounter);
  const double now = absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch());
  EXPECT_GT(m["process_start_time_seconds"].value, now - 3600);
  EXPECT_LE(m["process_start_time_seconds"].value, now + 1);
  EXPECT_GT(m["process_max_fds"].value, 0);
}

TEST(ProcessMetricsTest, MissingProcReportsNothingRatherThanZeros) {
  auto m = ByName(ReadProcessMetrics("/nonexistent-proc"));
  EXPECT_EQ(m.count("process_resident_memory_bytes"), 0u);
  EXPECT_EQ(m.count("process_open_fds"), 0u);
}

}  // namespace
}  // namespace cri_dockerd::metrics
