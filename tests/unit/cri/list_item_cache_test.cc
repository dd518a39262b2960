#include "cri/list_item_cache.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "proto/cri_api.h"

namespace cri_dockerd {
namespace {

namespace v1 = ::runtime::v1;

container_view::SummaryPtr Summary(const std::string& id,
                                   const std::string& state) {
  auto s = std::make_shared<docker::ContainerSummary>();
  s->id = id;
  s->state = state;
  return s;
}

// A converter that counts its calls; "skip" converts to nothing.
struct CountingConvert {
  int calls = 0;
  std::optional<v1::Container> operator()(const docker::ContainerSummary& s) {
    ++calls;
    if (s.id == "skip") return std::nullopt;
    v1::Container c;
    c.set_id(s.id);
    c.set_state(s.state == "running" ? v1::CONTAINER_RUNNING
                                     : v1::CONTAINER_EXITED);
    return c;
  }
};

TEST(ListItemCacheTest, ConvertsEachSummaryOnce) {
  ListItemCache<v1::Container> cache;
  CountingConvert convert;
  container_view::SummaryPtr a = Summary("a", "running");
  ListItemPtr<v1::Container> first = cache.Get(a, std::ref(convert));
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->message.id(), "a");
  EXPECT_EQ(first->wire, first->message.SerializeAsString());
  EXPECT_EQ(cache.Get(a, std::ref(convert)), first);
  EXPECT_EQ(convert.calls, 1);

  // docker's container changed: the view holds a new summary for it.
  container_view::SummaryPtr a2 = Summary("a", "exited");
  ListItemPtr<v1::Container> second = cache.Get(a2, std::ref(convert));
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(second->message.state(), v1::CONTAINER_EXITED);
  EXPECT_EQ(convert.calls, 2);
  EXPECT_EQ(cache.Get(a, std::ref(convert)), first);  // both still alive
  EXPECT_EQ(convert.calls, 2);
}

TEST(ListItemCacheTest, NothingIsRememberedToo) {
  ListItemCache<v1::Container> cache;
  CountingConvert convert;
  container_view::SummaryPtr skip = Summary("skip", "running");
  EXPECT_EQ(cache.Get(skip, std::ref(convert)), nullptr);
  EXPECT_EQ(cache.Get(skip, std::ref(convert)), nullptr);
  EXPECT_EQ(convert.calls, 1);
}

// A summary freed and another made at its address is converted anew.
TEST(ListItemCacheTest, AFreedSummaryIsNeverTakenForANewOne) {
  ListItemCache<v1::Container> cache;
  CountingConvert convert;
  for (int i = 0; i < 200; ++i) {
    container_view::SummaryPtr s =
        Summary("c" + std::to_string(i), i % 2 == 0 ? "running" : "exited");
    ListItemPtr<v1::Container> item = cache.Get(s, std::ref(convert));
    ASSERT_NE(item, nullptr);
    EXPECT_EQ(item->message.id(), s->id);
  }
  EXPECT_EQ(convert.calls, 200);
}

TEST(ListItemCacheTest, EntriesOfFreedSummariesAreSwept) {
  ListItemCache<v1::Container> cache;
  CountingConvert convert;
  std::vector<container_view::SummaryPtr> live;
  for (int i = 0; i < 10; ++i) {
    live.push_back(Summary("live" + std::to_string(i), "running"));
    cache.Get(live.back(), std::ref(convert));
  }
  for (int round = 0; round < 1000; ++round) {
    cache.Get(Summary("gone" + std::to_string(round), "running"),
              std::ref(convert));
    EXPECT_LE(cache.size(), 128u);
  }
  for (const container_view::SummaryPtr& s : live) {
    cache.Get(s, std::ref(convert));
  }
  EXPECT_EQ(convert.calls, 1010);  // the live ones were kept
}

TEST(ListItemCacheTest, EncodedReplyIsTheParsedReplysBytes) {
  std::vector<ListItemPtr<v1::Container>> items;
  v1::ListContainersResponse plain;
  for (const char* id : {"x", "y", "z"}) {
    v1::Container c;
    c.set_id(id);
    (*c.mutable_labels())["app"] = id;
    *plain.add_containers() = c;
    items.push_back(MakeListItem(std::move(c)));
  }
  const v1::ListContainersResponse encoded =
      EncodedReply<v1::ListContainersResponse>(
          items, v1::ListContainersResponse::kContainersFieldNumber);
  EXPECT_EQ(encoded.SerializeAsString(), plain.SerializeAsString());
  v1::ListContainersResponse parsed;
  ASSERT_TRUE(parsed.ParseFromString(encoded.SerializeAsString()));
  EXPECT_EQ(parsed.ShortDebugString(), plain.ShortDebugString());
}

}  // namespace
}  // namespace cri_dockerd
