#include "cri/network/cni_json.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cri_dockerd::network {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

TEST(CniJsonTest, SplitsObjectsKeepingRawValuesByteForByte) {
  auto m = SplitJsonObject(
      R"( {"a": 123456789012345678, "b" :1e15,"c":{"x":[1, 2]},)"
      R"("d\u00e9":"q\"\n","e":null,"f":true,"g":-0.5E-3} )");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_THAT(
      *m,
      ElementsAre(Pair("a", "123456789012345678"), Pair("b", "1e15"),
                  Pair("c", R"({"x":[1, 2]})"), Pair("d\xc3\xa9", R"("q\"\n")"),
                  Pair("e", "null"), Pair("f", "true"), Pair("g", "-0.5E-3")));
  EXPECT_EQ(FindMember(*m, "c"), R"({"x":[1, 2]})");
  EXPECT_EQ(FindMember(*m, "zz"), "");
  EXPECT_EQ(*JsonUnquote(FindMember(*m, "d\xc3\xa9")), "q\"\n");
}

TEST(CniJsonTest, RejectsMalformedText) {
  for (const char* bad :
       {"", "{", "[1,2]", "{\"a\":}", "{\"a\":1,}", "{\"a\" 1}", "{a:1}",
        "{\"a\":01}", "{\"a\":1.}", "{\"a\":tru}", "{\"a\":\"x}", "{\"a\":1} x",
        "{\"a\":\"\\q\"}", "{\"a\":[1,2}"}) {
    EXPECT_FALSE(SplitJsonObject(bad).ok()) << bad;
  }
  EXPECT_FALSE(SplitJsonArray("{}").ok());
  std::string deep(1000, '[');
  EXPECT_FALSE(SplitJsonArray(deep + std::string(1000, ']')).ok());
}

TEST(CniJsonTest, ArraysAndBuilders) {
  auto a = SplitJsonArray(R"([ "x", {"y":2} ,[3] ])");
  ASSERT_TRUE(a.ok());
  EXPECT_THAT(*a, ElementsAre("\"x\"", R"({"y":2})", "[3]"));
  EXPECT_EQ(JsonQuote("a\"b\\c\n\x01"), R"("a\"b\\c\n\u0001")");
  EXPECT_EQ(JoinJsonObject({{"k", "1"}, {"q\"", "[]"}}), R"({"k":1,"q\"":[]})");
  EXPECT_EQ(JsonStringArray({"a", "b"}), R"(["a","b"])");
  EXPECT_EQ(JoinJsonArray({}), "[]");
  EXPECT_FALSE(JsonUnquote("1").ok());
}

}  // namespace
}  // namespace cri_dockerd::network
