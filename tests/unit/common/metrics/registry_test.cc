// The registry and the text format: exact exposition text, escaping,
// value formatting, and exact totals under concurrent updates.
#include "common/metrics/registry.h"

#include <thread>
#include <vector>

#include "common/metrics/text_format.h"
#include "gtest/gtest.h"

namespace cri_dockerd::metrics {
namespace {

TEST(TextFormatTest, FormatsValuesLikeTheGoClient) {
  EXPECT_EQ(FormatValue(0), "0");
  EXPECT_EQ(FormatValue(3), "3");
  EXPECT_EQ(FormatValue(-2), "-2");
  EXPECT_EQ(FormatValue(0.25), "0.25");
  EXPECT_EQ(FormatValue(0.005), "0.005");
  EXPECT_EQ(FormatValue(0.0005), "0.0005");
  EXPECT_EQ(FormatValue(2.5), "2.5");
  EXPECT_EQ(FormatValue(1.5e300), "1.5e+300");
  EXPECT_EQ(FormatValue(1e-05), "1e-05");
  EXPECT_EQ(FormatValue(1.0 / 0.0), "+Inf");
  EXPECT_EQ(FormatValue(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(FormatValue(0.0 / 0.0), "NaN");
  EXPECT_EQ(FormatValue(123456789012.0), "123456789012");
}

TEST(TextFormatTest, EscapesLabelValues) {
  EXPECT_EQ(EscapeLabelValue("plain"), "plain");
  EXPECT_EQ(EscapeLabelValue("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
}

TEST(RegistryTest, RendersCountersSortedWithEscapedLabels) {
  Registry registry;
  CounterFamily* c = registry.AddCounter(
      "x_requests_total", "Requests.\nBy \\ method.", {"method", "code"});
  c->WithLabels({"Version", "OK"})->Increment();
  c->WithLabels({"Version", "OK"})->Increment(2);
  c->WithLabels({"Bad\"Name\\\n", "NotFound"})->Increment();
  EXPECT_EQ(registry.Render(),
            "# HELP x_requests_total Requests.\\nBy \\\\ method.\n"
            "# TYPE x_requests_total counter\n"
            "x_requests_total{method=\"Bad\\\"Name\\\\\\n\",code=\"NotFound\"}"
            " 1\n"
            "x_requests_total{method=\"Version\",code=\"OK\"} 3\n");
}

TEST(RegistryTest, FamilyWithoutSeriesRendersOnlyItsHeader) {
  Registry registry;
  registry.AddCounter("x_total", "Nothing yet.", {});
  EXPECT_EQ(registry.Render(),
            "# HELP x_total Nothing yet.\n# TYPE x_total counter\n");
}

TEST(RegistryTest, RendersHistogramsCumulativeWithInfSumAndCount) {
  Registry registry;
  HistogramFamily* h = registry.AddHistogram("x_duration_seconds", "Latency.",
                                             {"method"}, {0.125, 0.25, 1});
  Histogram* version = h->WithLabels({"Version"});
  version->Observe(0.0625);
  version->Observe(0.125);  // on a bound: counted in that bucket ("le")
  version->Observe(0.5);
  version->Observe(2);
  EXPECT_EQ(registry.Render(),
            "# HELP x_duration_seconds Latency.\n"
            "# TYPE x_duration_seconds histogram\n"
            "x_duration_seconds_bucket{method=\"Version\",le=\"0.125\"} 2\n"
            "x_duration_seconds_bucket{method=\"Version\",le=\"0.25\"} 2\n"
            "x_duration_seconds_bucket{method=\"Version\",le=\"1\"} 3\n"
            "x_duration_seconds_bucket{method=\"Version\",le=\"+Inf\"} 4\n"
            "x_duration_seconds_sum{method=\"Version\"} 2.6875\n"
            "x_duration_seconds_count{method=\"Version\"} 4\n");
}

TEST(RegistryTest, RendersUnlabelledHistogramAndCollectorsInOrder) {
  Registry registry;
  registry.AddCollector([] {
    return std::vector<Sample>{
        {"a_bytes", "A.", Sample::Type::kGauge, 1024},
        {"b_seconds_total", "B.", Sample::Type::kCounter, 1.5}};
  });
  registry.AddHistogram("c_seconds", "C.", {}, {1})
      ->WithLabels({})
      ->Observe(0.5);
  EXPECT_EQ(registry.Render(),
            "# HELP a_bytes A.\n# TYPE a_bytes gauge\na_bytes 1024\n"
            "# HELP b_seconds_total B.\n# TYPE b_seconds_total counter\n"
            "b_seconds_total 1.5\n"
            "# HELP c_seconds C.\n# TYPE c_seconds histogram\n"
            "c_seconds_bucket{le=\"1\"} 1\n"
            "c_seconds_bucket{le=\"+Inf\"} 1\n"
            "c_seconds_sum 0.5\n"
            "c_seconds_count 1\n");
}

TEST(RegistryTest, SeriesPointersAreStable) {
  Registry registry;
  CounterFamily* c = registry.AddCounter("x_total", "X.", {"k"});
  Counter* first = c->WithLabels({"a"});
  for (int i = 0; i < 1000; ++i) c->WithLabels({std::to_string(i)});
  EXPECT_EQ(c->WithLabels({"a"}), first);
}

TEST(RegistryTest, ConcurrentUpdatesAreExact) {
  Registry registry;
  CounterFamily* c = registry.AddCounter("x_total", "X.", {"method", "code"});
  HistogramFamily* h =
      registry.AddHistogram("x_seconds", "X.", {"method"}, {0.1, 1});
  constexpr int kThreads = 8;
  constexpr int kPerThread = 50000;
  const char* methods[] = {"A", "B", "C"};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const char* method = methods[(t + i) % 3];
        c->WithLabels({method, i % 2 ? "OK" : "Internal"})->Increment();
        // 0.5 and 0.25 are exact in binary: the sum must be exact too.
        h->WithLabels({method})->Observe(i % 2 ? 0.5 : 0.25);
      }
    });
  }
  // Scrapes while updates run must not disturb them.
  for (int i = 0; i < 20; ++i) (void)registry.Render();
  for (auto& th : threads) th.join();

  uint64_t total = 0;
  for (const char* m : methods) {
    for (const char* code : {"OK", "Internal"}) {
      total += c->WithLabels({m, code})->Value();
    }
  }
  EXPECT_EQ(total, uint64_t{kThreads} * kPerThread);
  uint64_t count = 0;
  double sum = 0;
  for (const char* m : methods) {
    const Histogram::Snapshot snap = h->WithLabels({m})->Read();
    EXPECT_EQ(snap.cumulative[0], 0u);
    count += snap.cumulative.back();
    sum += snap.sum;
  }
  EXPECT_EQ(count, uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(sum, kThreads * (kPerThread / 2) * 0.75);
}

TEST(RegistryTest, ValidatesNames) {
  EXPECT_TRUE(ValidMetricName("cri_dockerd:x_total"));
  EXPECT_FALSE(ValidMetricName("1x"));
  EXPECT_FALSE(ValidMetricName("a-b"));
  EXPECT_TRUE(ValidLabelName("method"));
  EXPECT_FALSE(ValidLabelName("a:b"));
  EXPECT_FALSE(ValidLabelName(""));
}

}  // namespace
}  // namespace cri_dockerd::metrics
