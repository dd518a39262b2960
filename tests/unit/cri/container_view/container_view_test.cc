// ContainerView against the fake docker client, with the watch's calls
// made by hand: when it serves from memory, what makes an entry stale,
// what it asks docker then, and that its answers are docker's.
#include "cri/container_view/container_view.h"

#include <algorithm>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "docker_client/testing/fake_docker_client.h"
#include "gtest/gtest.h"

namespace cri_dockerd::container_view {
namespace {

using docker::FakeDockerClient;

constexpr char kImageId[] =
    "sha256:1111111111111111111111111111111111111111111111111111111111111111";
constexpr char kType[] = "io.kubernetes.docker.type";

absl::Time Soon() { return absl::Now() + absl::Seconds(5); }

docker::ListContainersOptions Ours(std::vector<std::string> labels = {}) {
  docker::ListContainersOptions o;
  o.filters["label"] = {kType};
  for (std::string& l : labels) o.filters["label"].push_back(std::move(l));
  return o;
}

std::vector<std::string> Ids(const std::vector<SummaryPtr>& listed) {
  std::vector<std::string> ids;
  for (const SummaryPtr& s : listed) ids.push_back(s->id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::vector<std::string> Ids(std::vector<docker::ContainerSummary> listed) {
  std::vector<std::string> ids;
  for (const docker::ContainerSummary& s : listed) ids.push_back(s.id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

class ContainerViewTest : public ::testing::Test {
 protected:
  ContainerViewTest() {
    docker::ImageInspect image;
    image.id = kImageId;
    image.repo_tags = {"busybox:latest"};
    docker_.AddImage(image);
  }

  // A container of pod `pod`: an infra container when `type` is
  // "podsandbox"; "" makes someone else's (unlabelled) container.
  std::string Create(const std::string& name, const std::string& type,
                     const std::string& pod = "pod1") {
    docker::ContainerCreateConfig config;
    config.name = name;
    config.image = "busybox:latest";
    if (!type.empty()) {
      config.labels[kType] = type;
      config.labels["io.kubernetes.sandbox.id"] = pod;
      config.labels["app"] = name;
    }
    absl::StatusOr<std::string> id = docker_.CreateContainer(config, Soon());
    EXPECT_TRUE(id.ok()) << id.status();
    return id.value_or("");
  }
  // The event docker logs for `action` on container `id`.
  docker::Event EventOf(const std::string& id, const std::string& action) {
    docker::Event e;
    e.type = "container";
    e.action = action;
    e.id = id;
    if (const docker::ContainerCreateConfig* c = docker_.CreatedConfig(id)) {
      e.attributes = c->labels;
      e.attributes["name"] = c->name;
    }
    return e;
  }
  // Connects the watch and makes the view serve (one listing).
  void Serve() {
    view_.OnWatchConnecting();
    ASSERT_TRUE(view_.ListContainers(Ours(), Soon()).ok());
    ASSERT_TRUE(view_.Serving());
    docker_.ResetCalls();
  }
  std::vector<std::string> List(docker::ListContainersOptions o = Ours()) {
    absl::StatusOr<std::vector<SummaryPtr>> listed =
        view_.ListContainers(o, Soon());
    EXPECT_TRUE(listed.ok()) << listed.status();
    return listed.ok() ? Ids(*listed) : std::vector<std::string>{};
  }
  std::string StateOf(const std::string& id) {
    absl::StatusOr<InspectPtr> c = view_.InspectContainer(id, Soon());
    if (!c.ok())
      return std::string(absl::StatusCodeToString(c.status().code()));
    return (*c)->state.status;
  }

  FakeDockerClient docker_;
  ContainerView view_{&docker_};
};

TEST_F(ContainerViewTest, AsksDockerUntilTheWatchIsConnected) {
  const std::string a = Create("k8s_a", "container");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(List(), std::vector<std::string>{a});
  EXPECT_EQ(StateOf(a), "created");
  EXPECT_EQ(docker_.CallCount("ListContainers"), 3);
  EXPECT_EQ(docker_.CallCount("InspectContainer"), 1);
  EXPECT_FALSE(view_.Serving());
  // Invalidations while not connected are not kept.
  view_.Invalidate(a);
  view_.OnDockerEvent(EventOf(a, "start"));
  EXPECT_FALSE(view_.Serving());
}

TEST_F(ContainerViewTest, ServesFromMemoryOnceConnectedAndListed) {
  const std::string a = Create("k8s_a", "container");
  const std::string s = Create("k8s_POD_p", "podsandbox");
  Create("someone_else", "");
  view_.OnWatchConnecting();
  docker_.ResetCalls();
  std::vector<std::string> both = {a, s};
  std::sort(both.begin(), both.end());
  EXPECT_EQ(List(), both);
  EXPECT_EQ(docker_.CallCount("ListContainers"), 1) << "the build listing";
  EXPECT_EQ(StateOf(a), "created");
  EXPECT_EQ(StateOf(a.substr(0, 10)), "created") << "by unique prefix";
  EXPECT_EQ(StateOf("k8s_a"), "created") << "by name";
  EXPECT_EQ(docker_.CallCount("InspectContainer"), 1) << "fetched once";
  docker_.ResetCalls();
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(List(), both);
    EXPECT_EQ(List(Ours({"app=k8s_a"})), std::vector<std::string>{a});
    EXPECT_EQ(StateOf(a), "created");
  }
  EXPECT_TRUE(docker_.Calls().empty());
}

TEST_F(ContainerViewTest, AnEventMakesTheNextReadAskDockerForThatEntryOnly) {
  const std::string a = Create("k8s_a", "container");
  const std::string b = Create("k8s_b", "container");
  Serve();
  ASSERT_EQ(StateOf(a), "created");
  ASSERT_EQ(StateOf(b), "created");
  docker_.ResetCalls();
  // Behind the view's back; the event then says so.
  ASSERT_TRUE(docker_.StartContainer(a, Soon()).ok());
  docker_.ResetCalls();
  EXPECT_EQ(StateOf(a), "created") << "no event yet: memory answers";
  view_.OnDockerEvent(EventOf(a, "start"));
  EXPECT_EQ(StateOf(a), "running");
  EXPECT_EQ(StateOf(b), "created");
  EXPECT_EQ(docker_.CallCount("InspectContainer"), 1);
  absl::StatusOr<std::vector<SummaryPtr>> listed =
      view_.ListContainers(Ours(), Soon());
  ASSERT_TRUE(listed.ok());
  for (const SummaryPtr& s : *listed) {
    EXPECT_EQ(s->state, s->id == a ? "running" : "created");
  }
  ASSERT_EQ(docker_.CallCount("ListContainers"), 1);
  // Docker was asked for the stale entry alone.
  EXPECT_EQ(docker_.Calls().size(), 2u);
  docker_.ResetCalls();
  List();
  StateOf(a);
  EXPECT_TRUE(docker_.Calls().empty());
}

// While nothing changes, a listing hands out the very summaries of the
// one before; every kind of change makes the next one anew.
TEST_F(ContainerViewTest, AListingIsReusedUntilSomethingChanges) {
  const std::string a = Create("k8s_a", "container");
  const std::string b = Create("k8s_b", "container");
  Serve();
  absl::StatusOr<std::vector<SummaryPtr>> first =
      view_.ListContainers(Ours(), Soon());
  ASSERT_TRUE(first.ok());
  absl::StatusOr<std::vector<SummaryPtr>> again =
      view_.ListContainers(Ours(), Soon());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *first);
  EXPECT_EQ(List(Ours({"app=k8s_b"})), std::vector<std::string>{b});
  EXPECT_EQ(List(Ours({"app=k8s_b"})), std::vector<std::string>{b});
  EXPECT_TRUE(docker_.Calls().empty());

  // An event: the next listing asks docker for a, the one after that
  // is made from memory, both with a's new state.
  ASSERT_TRUE(docker_.StartContainer(a, Soon()).ok());
  view_.OnDockerEvent(EventOf(a, "start"));
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<std::vector<SummaryPtr>> listed =
        view_.ListContainers(Ours(), Soon());
    ASSERT_TRUE(listed.ok());
    ASSERT_EQ(listed->size(), 2u);
    for (const SummaryPtr& s : *listed) {
      EXPECT_EQ(s->state, s->id == a ? "running" : "created") << i;
    }
  }
  // Read-your-writes.
  ASSERT_TRUE(docker_.StartContainer(b, Soon()).ok());
  view_.Invalidate(b);
  EXPECT_EQ(List(Ours({"app=k8s_b"})), std::vector<std::string>{b});
  absl::StatusOr<std::vector<SummaryPtr>> only_b =
      view_.ListContainers(Ours({"app=k8s_b"}), Soon());
  ASSERT_TRUE(only_b.ok());
  ASSERT_EQ(only_b->size(), 1u);
  EXPECT_EQ((*only_b)[0]->state, "running");

  // Removed behind the view's back, found out by an inspect before the
  // event comes: gone from the next listing.
  ASSERT_EQ(List(), (std::vector<std::string>{std::min(a, b), std::max(a, b)}));
  ASSERT_TRUE(docker_.RemoveContainer(a, true, false, Soon()).ok());
  EXPECT_EQ(StateOf(a), "NOT_FOUND");
  EXPECT_EQ(List(), std::vector<std::string>{b});
  EXPECT_EQ(List(), std::vector<std::string>{b});

  // A new connection starts over.
  view_.OnWatchConnecting();
  const std::string c = Create("k8s_c", "container");
  EXPECT_EQ(List(), (std::vector<std::string>{std::min(b, c), std::max(b, c)}));
}

TEST_F(ContainerViewTest, CreatedAndDestroyedContainersComeAndGo) {
  const std::string a = Create("k8s_a", "container");
  Serve();
  const std::string b = Create("k8s_b", "container");
  view_.OnDockerEvent(EventOf(b, "create"));
  std::vector<std::string> both = {a, b};
  std::sort(both.begin(), both.end());
  EXPECT_EQ(List(), both);
  const docker::Event destroy = EventOf(a, "destroy");
  ASSERT_TRUE(docker_.RemoveContainer(a, true, false, Soon()).ok());
  view_.OnDockerEvent(destroy);
  EXPECT_EQ(List(), std::vector<std::string>{b});
  EXPECT_EQ(StateOf(a), "NOT_FOUND");
  // Events of someone else's containers change nothing.
  const std::string other = Create("someone_else", "");
  view_.OnDockerEvent(EventOf(other, "create"));
  docker_.ResetCalls();
  EXPECT_EQ(List(), std::vector<std::string>{b});
  EXPECT_TRUE(docker_.Calls().empty());
}

TEST_F(ContainerViewTest, WhatItDoesNotHoldIsNotFoundWithoutAskingDocker) {
  const std::string a = Create("k8s_a", "container");
  const std::string other = Create("someone_else", "");
  Serve();
  EXPECT_EQ(StateOf(a), "created");
  docker_.ResetCalls();
  EXPECT_EQ(StateOf(other), "NOT_FOUND");
  EXPECT_EQ(StateOf("someone_else"), "NOT_FOUND");
  EXPECT_EQ(StateOf(std::string(64, 'f')), "NOT_FOUND");
  EXPECT_TRUE(docker_.Calls().empty());
  // Among 17 IDs two start with the same hex digit: that digit is an
  // ambiguous prefix.
  std::map<char, int> first_digits = {{a[0], 1}};
  for (int i = 0; i < 16; ++i) {
    const std::string id = Create("k8s_x" + std::to_string(i), "container");
    view_.Invalidate(id);
    ++first_digits[id[0]];
  }
  List();
  for (const auto& [digit, n] : first_digits) {
    EXPECT_EQ(StateOf(std::string(1, digit)),
              n > 1 ? "INVALID_ARGUMENT" : "created");
  }
  // A container the shim just made is found by name before any listing.
  const std::string c = Create("k8s_c", "container");
  view_.Invalidate(c);
  EXPECT_EQ(StateOf("k8s_c"), "created");
}

TEST_F(ContainerViewTest, InvalidateGivesReadYourWrites) {
  const std::string a = Create("k8s_a", "container");
  Serve();
  ASSERT_EQ(StateOf(a), "created");
  ASSERT_TRUE(docker_.StartContainer(a, Soon()).ok());
  view_.Invalidate(a);  // before docker's event arrives
  EXPECT_EQ(StateOf(a), "running");
  // A container the view never saw, created by the shim.
  const std::string b = Create("k8s_b", "container");
  view_.Invalidate(b);
  std::vector<std::string> both = {a, b};
  std::sort(both.begin(), both.end());
  EXPECT_EQ(List(), both);
}

// docker answers a read while the entry changes again: the answer is
// returned but not kept.
class RacingDocker : public FakeDockerClient {
 public:
  absl::StatusOr<docker::ContainerInspect> InspectContainer(
      const std::string& id, absl::Time deadline) override {
    absl::StatusOr<docker::ContainerInspect> c =
        FakeDockerClient::InspectContainer(id, deadline);
    if (during_inspect) std::exchange(during_inspect, nullptr)();
    return c;
  }
  std::function<void()> during_inspect;
};

TEST(ContainerViewRaceTest, AnAnswerOlderThanTheLastChangeIsNotKept) {
  RacingDocker docker;
  docker::ImageInspect image;
  image.id = kImageId;
  image.repo_tags = {"busybox:latest"};
  docker.AddImage(image);
  docker::ContainerCreateConfig config;
  config.name = "k8s_a";
  config.image = "busybox:latest";
  config.labels[kType] = "container";
  const std::string a = docker.CreateContainer(config, Soon()).value();
  ContainerView view(&docker);
  view.OnWatchConnecting();
  docker.during_inspect = [&] {
    ASSERT_TRUE(docker.StartContainer(a, Soon()).ok());
    view.Invalidate(a);
  };
  absl::StatusOr<InspectPtr> first = view.InspectContainer(a, Soon());
  ASSERT_TRUE(first.ok());
  EXPECT_EQ((*first)->state.status, "created") << "docker's answer then";
  absl::StatusOr<InspectPtr> second = view.InspectContainer(a, Soon());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ((*second)->state.status, "running") << "not the older answer";
}

TEST_F(ContainerViewTest, ABrokenStreamSendsReadsToDockerUntilRebuilt) {
  const std::string a = Create("k8s_a", "container");
  Serve();
  view_.OnWatchDisconnected(absl::UnavailableError("connection reset"));
  EXPECT_FALSE(view_.Serving());
  // Meanwhile (no events reach anyone) a changes and b appears.
  ASSERT_TRUE(docker_.StartContainer(a, Soon()).ok());
  const std::string b = Create("k8s_b", "container");
  std::vector<std::string> both = {a, b};
  std::sort(both.begin(), both.end());
  EXPECT_EQ(List(), both);
  EXPECT_EQ(StateOf(a), "running");
  EXPECT_EQ(List(), both);
  EXPECT_EQ(docker_.CallCount("ListContainers"), 2) << "each read asks";
  // Connected again: one listing rebuilds, then memory answers.
  view_.OnWatchConnecting();
  docker_.ResetCalls();
  EXPECT_EQ(List(), both);
  EXPECT_EQ(List(), both);
  EXPECT_EQ(docker_.CallCount("ListContainers"), 1);
  EXPECT_EQ(StateOf(a), "running");
}

TEST_F(ContainerViewTest, ImagesAreCachedUntilAnImageEvent) {
  Serve();
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<ImagePtr> image = view_.InspectImage(kImageId, Soon());
    ASSERT_TRUE(image.ok()) << image.status();
    EXPECT_EQ((*image)->repo_tags, std::vector<std::string>{"busybox:latest"});
  }
  EXPECT_EQ(docker_.CallCount("InspectImage"), 1);
  docker::ImageInspect retagged;
  retagged.id = kImageId;
  retagged.repo_tags = {"busybox:1.36"};
  docker_.AddImage(retagged);
  docker::Event tag;
  tag.type = "image";
  tag.action = "tag";
  tag.id = kImageId;
  view_.OnDockerEvent(tag);
  absl::StatusOr<ImagePtr> image = view_.InspectImage(kImageId, Soon());
  ASSERT_TRUE(image.ok());
  EXPECT_EQ((*image)->repo_tags, std::vector<std::string>{"busybox:1.36"});
  EXPECT_EQ(docker_.CallCount("InspectImage"), 2);
}

// Listings the view cannot answer from what it holds go to docker.
TEST_F(ContainerViewTest, OtherListingsGoToDocker) {
  Create("k8s_a", "container");
  Create("someone_else", "");
  Serve();
  docker::ListContainersOptions running = Ours();
  running.all = false;
  docker::ListContainersOptions by_name = Ours();
  by_name.filters["name"] = {"k8s_a"};
  docker::ListContainersOptions everyone;
  for (const auto& o : {running, by_name, everyone}) {
    docker_.ResetCalls();
    absl::StatusOr<std::vector<SummaryPtr>> got =
        view_.ListContainers(o, Soon());
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(docker_.CallCount("ListContainers"), 1);
  }
}

// The label filters, against docker's (the fake's) own answer.
TEST_F(ContainerViewTest, LabelFiltersAnswerLikeDocker) {
  Create("k8s_a", "container", "pod1");
  Create("k8s_b", "container", "pod2");
  Create("k8s_POD_1", "podsandbox", "pod1");
  Create("someone_else", "");
  Serve();
  const std::vector<std::vector<std::string>> cases = {
      {kType},
      {"io.kubernetes.docker.type=container"},
      {"io.kubernetes.docker.type=podsandbox"},
      {"io.kubernetes.docker.type=other"},
      {"io.kubernetes.docker.type=container", "io.kubernetes.sandbox.id=pod1"},
      {kType, "io.kubernetes.sandbox.id=pod2"},
      {kType, "io.kubernetes.sandbox.id"},
      {kType, "app=k8s_POD_1"},
      {kType, "app=k8s_a", "app=k8s_b"},
      {kType, "missing"},
      {kType, "app="},
  };
  for (const std::vector<std::string>& labels : cases) {
    docker::ListContainersOptions o;
    o.filters["label"] = labels;
    absl::StatusOr<std::vector<docker::ContainerSummary>> want =
        docker_.ListContainers(o, Soon());
    ASSERT_TRUE(want.ok());
    docker_.ResetCalls();
    EXPECT_EQ(List(o), Ids(*want)) << testing::PrintToString(labels);
    EXPECT_TRUE(docker_.Calls().empty()) << testing::PrintToString(labels);
  }
}

}  // namespace
}  // namespace cri_dockerd::container_view
