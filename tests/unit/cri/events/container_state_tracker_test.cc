// ContainerStateTracker: docker actions to CRI events, the shim's
// containers only, replays dropped, listings diffed.
#include "cri/events/container_state_tracker.h"

#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace cri_dockerd::events {
namespace {

docker::Event Ev(const std::string& id, const std::string& action, int64_t t,
                 const std::string& type = "container",
                 const std::string& sandbox = "sb1") {
  docker::Event e;
  e.type = "container";
  e.action = action;
  e.id = id;
  e.time_nano = t;
  e.attributes["name"] = "k8s_app_web_default_uid1_0";
  e.attributes["image"] = "busybox";
  if (!type.empty()) e.attributes["io.kubernetes.docker.type"] = type;
  if (type == "container") e.attributes["io.kubernetes.sandbox.id"] = sandbox;
  return e;
}

docker::ContainerSummary Listed(const std::string& id, const std::string& state,
                                const std::string& type = "container") {
  docker::ContainerSummary s;
  s.id = id;
  s.state = state;
  s.names = {"/k8s_app_web_default_uid1_0"};
  s.labels["io.kubernetes.docker.type"] = type;
  if (type == "container") s.labels["io.kubernetes.sandbox.id"] = "sb1";
  return s;
}

TEST(CriEventTypeTest, MapsLifecycleActions) {
  struct Case {
    std::string action;
    std::optional<v1::ContainerEventType> want;
  } cases[] = {
      {"create", v1::CONTAINER_CREATED_EVENT},
      {"start", v1::CONTAINER_STARTED_EVENT},
      {"die", v1::CONTAINER_STOPPED_EVENT},
      {"destroy", v1::CONTAINER_DELETED_EVENT},
      {"stop", std::nullopt},
      {"kill", std::nullopt},
      {"exec_start: sh", std::nullopt},
      {"health_status: healthy", std::nullopt},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(CriEventType(c.action), c.want) << c.action;
  }
}

TEST(ContainerStateTrackerTest, ReportsContainerLifecycleOnce) {
  ContainerStateTracker t;
  std::vector<v1::ContainerEventType> got;
  for (const auto& [action, time] :
       std::vector<std::pair<std::string, int64_t>>{
           {"create", 10}, {"start", 20}, {"die", 30}, {"destroy", 40}}) {
    std::optional<ContainerChange> c = t.OnEvent(Ev("c1", action, time));
    ASSERT_TRUE(c.has_value()) << action;
    EXPECT_EQ(c->id, "c1");
    EXPECT_EQ(c->sandbox_id, "sb1");
    EXPECT_FALSE(c->is_sandbox);
    EXPECT_EQ(c->time_nano, time);
    EXPECT_EQ(c->name, "k8s_app_web_default_uid1_0");
    EXPECT_EQ(c->labels.count("image"), 0u);  // attributes, not labels
    EXPECT_EQ(c->labels.at("io.kubernetes.sandbox.id"), "sb1");
    got.push_back(c->type);
  }
  EXPECT_EQ(got,
            (std::vector<v1::ContainerEventType>{
                v1::CONTAINER_CREATED_EVENT, v1::CONTAINER_STARTED_EVENT,
                v1::CONTAINER_STOPPED_EVENT, v1::CONTAINER_DELETED_EVENT}));
  // The replay after a reconnect (docker's since is inclusive).
  EXPECT_FALSE(t.OnEvent(Ev("c1", "create", 10)));
  EXPECT_FALSE(t.OnEvent(Ev("c1", "die", 30)));
  EXPECT_FALSE(t.OnEvent(Ev("c1", "destroy", 40)));
}

TEST(ContainerStateTrackerTest, SandboxEventsCarryTheirOwnId) {
  ContainerStateTracker t;
  std::optional<ContainerChange> c =
      t.OnEvent(Ev("sb1", "start", 5, "podsandbox"));
  ASSERT_TRUE(c.has_value());
  EXPECT_TRUE(c->is_sandbox);
  EXPECT_EQ(c->sandbox_id, "sb1");
  EXPECT_EQ(c->type, v1::CONTAINER_STARTED_EVENT);
}

TEST(ContainerStateTrackerTest, IgnoresOtherContainersAndTypes) {
  ContainerStateTracker t;
  EXPECT_FALSE(t.OnEvent(Ev("x", "start", 1, /*type=*/"")));
  EXPECT_FALSE(t.OnEvent(Ev("x", "start", 1, "something-else")));
  docker::Event image = Ev("x", "start", 1);
  image.type = "image";
  EXPECT_FALSE(t.OnEvent(image));
  EXPECT_FALSE(t.OnEvent(Ev("x", "stop", 1)));
  EXPECT_EQ(t.size(), 0u);
}

TEST(ContainerStateTrackerTest, ResyncReportsWhatChangedMeanwhile) {
  ContainerStateTracker t;
  ASSERT_TRUE(t.OnEvent(Ev("gone", "start", 1)));
  ASSERT_TRUE(t.OnEvent(Ev("died", "start", 2)));
  ASSERT_TRUE(t.OnEvent(Ev("same", "start", 3)));
  std::vector<ContainerChange> changes = t.Resync(
      {Listed("died", "exited"), Listed("same", "running"),
       Listed("new", "created"), Listed("sb9", "running", "podsandbox")},
      100);
  std::map<std::string, v1::ContainerEventType> by_id;
  for (const ContainerChange& c : changes) {
    EXPECT_EQ(c.time_nano, 100);
    by_id[c.id] = c.type;
  }
  EXPECT_EQ(by_id, (std::map<std::string, v1::ContainerEventType>{
                       {"gone", v1::CONTAINER_DELETED_EVENT},
                       {"died", v1::CONTAINER_STOPPED_EVENT},
                       {"new", v1::CONTAINER_CREATED_EVENT},
                       {"sb9", v1::CONTAINER_STARTED_EVENT}}));
  // docker's replay of what the listing already explained: dropped.
  EXPECT_FALSE(t.OnEvent(Ev("died", "die", 50)));
  EXPECT_FALSE(t.OnEvent(Ev("gone", "die", 60)));
  EXPECT_FALSE(t.OnEvent(Ev("gone", "destroy", 61)));
  EXPECT_FALSE(t.OnEvent(Ev("new", "create", 70)));
  // Real news still passes.
  EXPECT_TRUE(t.OnEvent(Ev("new", "start", 120)));
  // A second listing with nothing new reports nothing.
  EXPECT_TRUE(t.Resync({Listed("died", "exited"), Listed("same", "running"),
                        Listed("new", "running"),
                        Listed("sb9", "running", "podsandbox")},
                       200)
                  .empty());
}

TEST(ContainerStateTrackerTest, BaselineRecordsWithoutReporting) {
  ContainerStateTracker t;
  t.Baseline({Listed("old", "running"), Listed("fresh", "running")}, 1000);
  EXPECT_EQ(t.size(), 2u);
  // Before the first subscriber: history, not news.
  EXPECT_FALSE(t.OnEvent(Ev("old", "start", 900)));
  // After it: reported even though the listing already saw it.
  std::optional<ContainerChange> c = t.OnEvent(Ev("fresh", "create", 1001));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->type, v1::CONTAINER_CREATED_EVENT);
  EXPECT_TRUE(t.OnEvent(Ev("fresh", "start", 1002)));
  EXPECT_FALSE(t.OnEvent(Ev("fresh", "start", 1002)));  // now a replay
  EXPECT_TRUE(t.OnEvent(Ev("old", "die", 1500)));
}

TEST(ContainerStateTrackerTest, ForgetsDeletedContainersEventually) {
  ContainerStateTracker t;
  ASSERT_TRUE(t.OnEvent(Ev("c1", "destroy", 1)));
  ASSERT_TRUE(t.OnEvent(Ev("c2", "create", 2)));
  EXPECT_EQ(t.size(), 2u);
  t.Resync({Listed("c2", "created")},
           2 + ContainerStateTracker::kForgetDeletedNanos + 1);
  EXPECT_EQ(t.size(), 1u);
}

}  // namespace
}  // namespace cri_dockerd::events
