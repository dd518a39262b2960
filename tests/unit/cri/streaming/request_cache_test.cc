#include "cri/streaming/request_cache.h"

#include <set>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace cri_dockerd::streaming {
namespace {

class RequestCacheTest : public testing::Test {
 protected:
  absl::Time now_ = absl::FromUnixSeconds(1000000);
  RequestCache cache_{[this] { return now_; }};
};

TEST_F(RequestCacheTest, TokensAreRandom128BitUrlSafe) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    absl::StatusOr<std::string> t = cache_.Insert(ExecRequest{});
    ASSERT_TRUE(t.ok()) << t.status();
    std::string raw;
    ASSERT_TRUE(absl::WebSafeBase64Unescape(*t, &raw)) << *t;
    EXPECT_EQ(raw.size(), 16u);
    EXPECT_EQ(t->find_first_of("/+="), std::string::npos) << *t;
    EXPECT_TRUE(seen.insert(*t).second) << "duplicate token " << *t;
  }
}

TEST_F(RequestCacheTest, ConsumeIsSingleUse) {
  ExecRequest req;
  req.container_id = "c1";
  req.cmd = {"ls"};
  absl::StatusOr<std::string> t = cache_.Insert(req);
  ASSERT_TRUE(t.ok());
  absl::StatusOr<PendingRequest> got = cache_.Consume(*t);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(std::get<ExecRequest>(*got).container_id, "c1");
  EXPECT_TRUE(absl::IsNotFound(cache_.Consume(*t).status()));
  EXPECT_TRUE(absl::IsNotFound(cache_.Consume("nope").status()));
  EXPECT_TRUE(absl::IsNotFound(cache_.Consume("").status()));
}

TEST_F(RequestCacheTest, TokensExpireAfterAMinute) {
  absl::StatusOr<std::string> early = cache_.Insert(AttachRequest{});
  now_ += absl::Seconds(30);
  absl::StatusOr<std::string> late = cache_.Insert(PortForwardRequest{});
  now_ += absl::Seconds(31);  // early is 61 s old, late 31 s
  EXPECT_TRUE(absl::IsNotFound(cache_.Consume(*early).status()));
  EXPECT_TRUE(cache_.Consume(*late).ok());
  EXPECT_EQ(cache_.size(), 0);
}

TEST_F(RequestCacheTest, BoundedInFlight) {
  for (int i = 0; i < RequestCache::kMaxInFlight; ++i) {
    ASSERT_TRUE(cache_.Insert(ExecRequest{}).ok()) << i;
  }
  absl::StatusOr<std::string> over = cache_.Insert(ExecRequest{});
  EXPECT_TRUE(absl::IsResourceExhausted(over.status())) << over.status();
  // Room again once they expire.
  now_ += RequestCache::kTokenTtl + absl::Seconds(1);
  EXPECT_TRUE(cache_.Insert(ExecRequest{}).ok());
  EXPECT_EQ(cache_.size(), 1);
}

}  // namespace
}  // namespace cri_dockerd::streaming
