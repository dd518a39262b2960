#include "cri/image/pull_progress.h"

#include "gtest/gtest.h"

namespace cri_dockerd::image {
namespace {

class PullProgressTest : public testing::Test {
 protected:
  PullProgressTracker Make(absl::Duration limit) {
    return PullProgressTracker("docker.io/library/busybox:latest", limit,
                               [this] { return now_; });
  }
  docker::PullProgress Msg(const std::string& id, const std::string& status,
                           int64_t current = 0, int64_t total = 0) {
    return docker::PullProgress{id, status, current, total};
  }
  absl::Time now_ = absl::FromUnixSeconds(1000);
};

TEST_F(PullProgressTest, StallsOnlyAfterTheLimitWithoutProgress) {
  PullProgressTracker t = Make(absl::Seconds(10));
  now_ += absl::Seconds(9);
  EXPECT_TRUE(t.Check().ok());
  now_ += absl::Seconds(1);
  absl::Status s = t.Check();
  ASSERT_TRUE(absl::IsDeadlineExceeded(s)) << s;
  EXPECT_NE(s.message().find("no progress for 10s"), std::string::npos) << s;
  EXPECT_NE(s.message().find("busybox"), std::string::npos);
  EXPECT_NE(s.message().find("last progress: none"), std::string::npos);
}

TEST_F(PullProgressTest, GrowingBytesKeepALongLayerAlive) {
  PullProgressTracker t = Make(absl::Seconds(10));
  for (int i = 1; i <= 100; ++i) {
    now_ += absl::Seconds(5);  // 500 s in all, far past the limit
    t.Observe(Msg("abc", "Downloading", i * 1000, 100000));
    ASSERT_TRUE(t.Check().ok()) << "cut off a moving layer at step " << i;
  }
  EXPECT_NE(t.LastProgress().find("abc: Downloading 100000/100000"),
            std::string::npos)
      << t.LastProgress();
}

TEST_F(PullProgressTest, RepeatedMessagesAreNotProgress) {
  PullProgressTracker t = Make(absl::Seconds(10));
  t.Observe(Msg("abc", "Downloading", 500, 1000));
  for (int i = 0; i < 5; ++i) {
    now_ += absl::Seconds(3);
    t.Observe(Msg("abc", "Downloading", 500, 1000));  // same bytes
  }
  EXPECT_TRUE(absl::IsDeadlineExceeded(t.Check()));
  EXPECT_NE(t.Check().message().find("abc: Downloading 500/1000"),
            std::string::npos);
}

TEST_F(PullProgressTest, ExtractionAndNewLayersCountAsProgress) {
  PullProgressTracker t = Make(absl::Seconds(10));
  t.Observe(Msg("a", "Downloading", 1000, 1000));
  now_ += absl::Seconds(8);
  t.Observe(Msg("a", "Extracting", 10, 1000));  // new status
  now_ += absl::Seconds(8);
  EXPECT_TRUE(t.Check().ok());
  t.Observe(Msg("b", "Pulling fs layer"));  // new layer
  now_ += absl::Seconds(8);
  EXPECT_TRUE(t.Check().ok());
  t.Observe(Msg("a", "Extracting", 900, 1000));  // more bytes
  now_ += absl::Seconds(9);
  EXPECT_TRUE(t.Check().ok());
  now_ += absl::Seconds(1);
  EXPECT_FALSE(t.Check().ok());
}

}  // namespace
}  // namespace cri_dockerd::image
