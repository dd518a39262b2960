// SendInBatches: a List verb's items as a server stream.
#include "cri/base/stream_batches.h"

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "proto/cri_api.h"

namespace cri_dockerd {
namespace {

namespace v1 = ::runtime::v1;

TEST(SendInBatchesTest, BatchesOfAHundred) {
  google::protobuf::RepeatedPtrField<v1::ContainerStats> items;
  for (int i = 0; i < 250; ++i) {
    items.Add()->mutable_attributes()->set_id(absl::StrCat(i));
  }
  std::vector<int> sizes;
  std::vector<std::string> ids;
  const std::function<bool(const v1::StreamContainerStatsResponse&)> send =
      [&](const v1::StreamContainerStatsResponse& r) {
        sizes.push_back(r.container_stats_size());
        for (const auto& s : r.container_stats()) {
          ids.push_back(s.attributes().id());
        }
        return true;
      };
  auto field = [](v1::StreamContainerStatsResponse& r) {
    return r.mutable_container_stats();
  };
  ASSERT_TRUE(SendInBatches(items, field, send).ok());
  EXPECT_EQ(sizes, (std::vector<int>{100, 100, 50}));
  ASSERT_EQ(ids.size(), 250u);
  EXPECT_EQ(ids.front(), "0");
  EXPECT_EQ(ids.back(), "249");

  // The client goes away after the first batch.
  int sent = 0;
  const std::function<bool(const v1::StreamContainerStatsResponse&)> gone =
      [&](const v1::StreamContainerStatsResponse&) { return ++sent < 1; };
  EXPECT_TRUE(absl::IsCancelled(SendInBatches(items, field, gone)));
  EXPECT_EQ(sent, 1);
}

}  // namespace
}  // namespace cri_dockerd
