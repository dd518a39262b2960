#include "cri/streaming/remote_status.h"

#include "gtest/gtest.h"

namespace cri_dockerd::streaming {
namespace {

TEST(RemoteStatusTest, V4StatusJsonMatchesClientGo) {
  EXPECT_EQ(V4StatusJson({0, absl::OkStatus()}),
            R"({"metadata":{},"status":"Success"})");
  EXPECT_EQ(V4StatusJson({7, absl::OkStatus()}),
            R"({"metadata":{},"status":"Failure","message":"command )"
            R"(terminated with non-zero exit code: error executing command, )"
            R"(exit code 7","reason":"NonZeroExitCode","details":{"causes":)"
            R"([{"reason":"ExitCode","message":"7"}]}})");
  EXPECT_EQ(V4StatusJson({std::nullopt, absl::NotFoundError("no \"x\"\n")}),
            R"({"metadata":{},"status":"Failure","message":"Internal error )"
            R"(occurred: no \"x\"\n","reason":"InternalError","details":)"
            R"({"causes":[{"message":"no \"x\"\n"}]},"code":500})");
}

TEST(RemoteStatusTest, LegacyText) {
  EXPECT_EQ(LegacyStatusText({0, absl::OkStatus()}), "");
  EXPECT_NE(LegacyStatusText({2, absl::OkStatus()}).find("exit code 2"),
            std::string::npos);
  EXPECT_NE(LegacyStatusText({std::nullopt, absl::InternalError("boom")})
                .find("boom"),
            std::string::npos);
}

TEST(RemoteStatusTest, ResizeParserSplitsAndResynchronises) {
  ResizeParser p;
  p.Feed(R"({"Width":80,"Height":24}{"Height": 40,)");
  auto a = p.Next();
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->width, 80);
  EXPECT_EQ(a->height, 24);
  EXPECT_FALSE(p.Next().has_value());
  p.Feed(
      R"( "Width":100}garbage{"Width":99999,"Height":1}{"Width":1,"Height":2})");
  auto b = p.Next();
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->width, 100);
  EXPECT_EQ(b->height, 40);
  auto c = p.Next();  // 99999 does not fit: skipped
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->width, 1);
  EXPECT_EQ(c->height, 2);
  EXPECT_FALSE(p.Next().has_value());
  p.Feed(std::string(10000, '{'));
  EXPECT_FALSE(p.Next().has_value());
}

}  // namespace
}  // namespace cri_dockerd::streaming
