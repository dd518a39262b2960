// usage_nano_cores from successive CPU readings.
#include "cri/stats/cpu_rate.h"

#include "gtest/gtest.h"

namespace cri_dockerd::stats {
namespace {

absl::Time T(double seconds) {
  return absl::FromUnixSeconds(1000) + absl::Seconds(seconds);
}

TEST(CpuRateTest, FirstReadingHasNoRate) {
  CpuRateCache cache;
  EXPECT_FALSE(cache.Update("a", T(0), 5'000'000'000).has_value());
  // Half a core over 10 s.
  EXPECT_EQ(cache.Update("a", T(10), 10'000'000'000), 500'000'000u);
  // Two cores over 2 s.
  EXPECT_EQ(cache.Update("a", T(12), 14'000'000'000), 2'000'000'000u);
  EXPECT_FALSE(cache.Update("b", T(12), 1).has_value()) << "per key";
}

TEST(CpuRateTest, CloseReadingsAreRatedAgainstTheOneBefore) {
  CpuRateCache cache(absl::Seconds(1));
  cache.Update("a", T(0), 0);
  EXPECT_EQ(cache.Update("a", T(10), 1'000'000'000), 100'000'000u);
  // A second caller 10 ms later: rated over the last 10 s, not 10 ms.
  EXPECT_EQ(cache.Update("a", T(10.01), 1'201'200'000), 120'000'000u);
  // The next regular reading is rated against T(10), which was kept.
  EXPECT_EQ(cache.Update("a", T(20), 2'000'000'000), 100'000'000u);
}

TEST(CpuRateTest, CloseSecondReadingHasNoRateYet) {
  CpuRateCache cache(absl::Seconds(1));
  cache.Update("a", T(0), 0);
  EXPECT_FALSE(cache.Update("a", T(0.5), 100).has_value());
  EXPECT_EQ(cache.Update("a", T(2), 2'000'000'000), 1'000'000'000u);
}

TEST(CpuRateTest, CounterGoingBackStartsOver) {
  CpuRateCache cache;
  cache.Update("a", T(0), 5'000);
  EXPECT_FALSE(cache.Update("a", T(10), 1'000).has_value());
  EXPECT_EQ(cache.Update("a", T(20), 1'000 + 10'000'000'000), 1'000'000'000u);
}

TEST(CpuRateTest, ForgetsUnusedKeys) {
  CpuRateCache cache(absl::Seconds(1), absl::Minutes(10));
  cache.Update("old", T(0), 1);
  cache.Update("new", T(0), 1);
  cache.Update("new", T(500), 2);
  EXPECT_EQ(cache.size(), 2u);
  cache.Update("new", T(700), 3);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_FALSE(cache.Update("old", T(701), 10).has_value());
}

}  // namespace
}  // namespace cri_dockerd::stats
