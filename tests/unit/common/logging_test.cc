#include "common/logging.h"

#include "gtest/gtest.h"

namespace cri_dockerd {
namespace {

TEST(LoggingTest, ParsesGoLogLevels) {
  struct {
    const char* text;
    LogSeverity want;
  } cases[] = {
      {"trace", LogSeverity::kTrace},  {"debug", LogSeverity::kDebug},
      {"info", LogSeverity::kInfo},    {"INFO", LogSeverity::kInfo},
      {"warn", LogSeverity::kWarning}, {"warning", LogSeverity::kWarning},
      {"error", LogSeverity::kError},  {"fatal", LogSeverity::kError},
      {"panic", LogSeverity::kError}};
  for (const auto& c : cases) {
    LogSeverity got = LogSeverity::kTrace;
    ASSERT_TRUE(ParseLogLevel(c.text, &got)) << c.text;
    EXPECT_EQ(got, c.want) << c.text;
  }
  LogSeverity unused;
  EXPECT_FALSE(ParseLogLevel("verbose", &unused));
  EXPECT_FALSE(ParseLogLevel("", &unused));
}

TEST(LoggingTest, WritesKlogStyleLinesAtOrAboveTheLevel) {
  SetMinLogSeverity(LogSeverity::kInfo);
  testing::internal::CaptureStderr();
  LOG(INFO) << "hello " << 42;
  LOG(DEBUG) << "hidden";
  LOG(ERROR) << "bad";
  const std::string out = testing::internal::GetCapturedStderr();
  EXPECT_NE(out.find("logging_test.cc:"), std::string::npos) << out;
  EXPECT_NE(out.find("] hello 42\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("hidden"), std::string::npos) << out;
  EXPECT_EQ(out[0], 'I') << out;
  EXPECT_NE(out.find("\nE"), std::string::npos) << out;
}

TEST(LoggingTest, DisabledLevelDoesNotEvaluateArguments) {
  SetMinLogSeverity(LogSeverity::kWarning);
  int evaluated = 0;
  auto count = [&evaluated] { return ++evaluated; };
  LOG(INFO) << count();
  EXPECT_EQ(evaluated, 0);
  SetMinLogSeverity(LogSeverity::kInfo);
}

}  // namespace
}  // namespace cri_dockerd
