#include "common/go_duration.h"

#include "gtest/gtest.h"

namespace cri_dockerd {
namespace {

struct ParseCase {
  const char* text;
  absl::Duration want;
};

TEST(ParseGoDurationTest, AcceptsGoSyntax) {
  const ParseCase cases[] = {
      {"0", absl::ZeroDuration()},
      {"0s", absl::ZeroDuration()},
      {"1m0s", absl::Minutes(1)},
      {"90s", absl::Seconds(90)},
      {"1h2m3.5s",
       absl::Hours(1) + absl::Minutes(2) + absl::Milliseconds(3500)},
      {"500ms", absl::Milliseconds(500)},
      {"1.5h", absl::Minutes(90)},
      {"10us", absl::Microseconds(10)},
      {"10\xC2\xB5s", absl::Microseconds(10)},
      {"7ns", absl::Nanoseconds(7)},
      {"-2s", absl::Seconds(-2)},
      {"+3m", absl::Minutes(3)},
      {".5s", absl::Milliseconds(500)},
  };
  for (const ParseCase& c : cases) {
    absl::StatusOr<absl::Duration> got = ParseGoDuration(c.text);
    ASSERT_TRUE(got.ok()) << c.text << ": " << got.status();
    EXPECT_EQ(*got, c.want) << c.text;
  }
}

TEST(ParseGoDurationTest, RejectsMalformed) {
  for (const char* text : {"", "1", "s", "1x", "1m0", "m1", "1..5s", ".s",
                           "inf", "1 m", "99999999999h", "-"}) {
    absl::StatusOr<absl::Duration> got = ParseGoDuration(text);
    EXPECT_FALSE(got.ok()) << "accepted \"" << text << "\"";
    if (!got.ok()) {
      EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_NE(got.status().message().find(text), std::string::npos);
    }
  }
}

TEST(FormatGoDurationTest, MatchesGoString) {
  EXPECT_EQ(FormatGoDuration(absl::ZeroDuration()), "0s");
  EXPECT_EQ(FormatGoDuration(absl::Minutes(1)), "1m0s");
  EXPECT_EQ(FormatGoDuration(absl::Minutes(2)), "2m0s");
  EXPECT_EQ(FormatGoDuration(absl::Hours(1)), "1h0m0s");
  EXPECT_EQ(FormatGoDuration(absl::Milliseconds(1500)), "1.5s");
  EXPECT_EQ(FormatGoDuration(absl::Milliseconds(100)), "100ms");
  EXPECT_EQ(FormatGoDuration(absl::Microseconds(1500)), "1.5ms");
  EXPECT_EQ(FormatGoDuration(absl::Nanoseconds(42)), "42ns");
  EXPECT_EQ(FormatGoDuration(absl::Seconds(-90)), "-1m30s");
  EXPECT_EQ(FormatGoDuration(absl::Hours(1) + absl::Seconds(1)), "1h0m1s");
}

TEST(GoDurationTest, RoundTrips) {
  for (absl::Duration d :
       {absl::Seconds(1), absl::Minutes(3) + absl::Milliseconds(250),
        absl::Hours(26), absl::Nanoseconds(1)}) {
    absl::StatusOr<absl::Duration> back = ParseGoDuration(FormatGoDuration(d));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, d);
  }
}

}  // namespace
}  // namespace cri_dockerd
