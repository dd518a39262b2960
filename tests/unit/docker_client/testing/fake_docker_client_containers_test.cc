// FakeDockerClient's container store, which the unit tests of cri/ rely on
// to behave like dockerd: lifecycle, lookups, inspect defaults, list
// filters, error injection.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "docker_client/testing/fake_docker_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cri_dockerd::docker {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
using ::testing::SizeIs;

constexpr char kBusyboxId[] =
    "sha256:8b26e31365b6a98648ffa99ff5f89c51d188b39bd934ff2162285a9d6c2361df";
constexpr char kPauseId[] =
    "sha256:8b27aaaa5b6a98648ffa99ff5f89c51d188b39bd934ff2162285a9d6c2361df";

absl::Time Later() { return absl::Now() + absl::Seconds(10); }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class FakeDockerClientContainersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ImageInspect busybox;
    busybox.id = kBusyboxId;
    busybox.repo_tags = {"localhost:5000/busybox:1.36"};
    busybox.env = {"PATH=/bin", "A=image"};
    busybox.labels = {{"from", "image"}, {"over", "image"}};
    fake_.AddImage(busybox);
    ImageInspect pause;
    pause.id = kPauseId;
    pause.repo_tags = {"registry.k8s.io/pause:3.10"};
    fake_.AddImage(pause);
  }

  std::string Create(const std::string& name, const std::string& image,
                     std::map<std::string, std::string> labels = {}) {
    ContainerCreateConfig c;
    c.name = name;
    c.image = image;
    c.labels = std::move(labels);
    absl::StatusOr<std::string> id = fake_.CreateContainer(c, Later());
    EXPECT_TRUE(id.ok()) << id.status();
    return id.value_or("");
  }

  std::vector<std::string> ListNames(ListContainersOptions options) {
    std::vector<std::string> names;
    absl::StatusOr<std::vector<ContainerSummary>> list =
        fake_.ListContainers(options, Later());
    EXPECT_TRUE(list.ok()) << list.status();
    if (list.ok()) {
      for (const ContainerSummary& s : *list) names.push_back(s.names[0]);
    }
    return names;
  }

  FakeDockerClient fake_;
};

TEST_F(FakeDockerClientContainersTest, Lifecycle) {
  const std::string id = Create("app", "localhost:5000/busybox:1.36");
  EXPECT_THAT(id, MatchesRegex("[0-9a-f]{64}"));
  EXPECT_THAT(fake_.ContainerIds(), ElementsAre(id));
  absl::StatusOr<ContainerInspect> c = fake_.InspectContainer(id, Later());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->state.status, "created");
  EXPECT_EQ(c->state.started_at, "0001-01-01T00:00:00Z");
  EXPECT_EQ(c->sandbox_key, "");  // docker makes the sandbox at start

  ASSERT_TRUE(fake_.StartContainer("app", Later()).ok());
  ASSERT_TRUE(fake_.StartContainer(id, Later()).ok());  // docker's 304
  c = fake_.InspectContainer(id, Later());
  EXPECT_EQ(c->state.status, "running");
  EXPECT_TRUE(c->state.running);
  EXPECT_GT(c->state.pid, 0);
  EXPECT_NE(c->state.started_at, "0001-01-01T00:00:00Z");
  EXPECT_EQ(c->sandbox_key, "/var/run/docker/netns/" + id.substr(0, 12));
  EXPECT_THAT(c->networks["bridge"].ip_address, HasSubstr("172.17.0."));

  absl::Status s = fake_.RemoveContainer(id, false, false, Later());
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("You cannot remove a running container " + id));

  ASSERT_TRUE(fake_.StopContainer(id, absl::Seconds(1), Later()).ok());
  ASSERT_TRUE(fake_.StopContainer(id, absl::Seconds(1), Later()).ok());
  c = fake_.InspectContainer(id, Later());
  EXPECT_EQ(c->state.status, "exited");
  EXPECT_EQ(c->state.exit_code, 0);
  EXPECT_EQ(c->state.pid, 0);
  EXPECT_NE(c->state.finished_at, "0001-01-01T00:00:00Z");

  fake_.SetStopExitCode(137);
  ASSERT_TRUE(fake_.StartContainer(id, Later()).ok());
  ASSERT_TRUE(fake_.StopContainer(id, absl::Seconds(1), Later()).ok());
  EXPECT_EQ(fake_.InspectContainer(id, Later())->state.exit_code, 137);

  ASSERT_TRUE(fake_.RemoveContainer(id, false, true, Later()).ok());
  EXPECT_THAT(fake_.ContainerIds(), IsEmpty());
  EXPECT_EQ(fake_.CreatedConfig(id), nullptr);
  for (const absl::Status& gone :
       {fake_.RemoveContainer(id, true, false, Later()),
        fake_.StartContainer(id, Later()),
        fake_.StopContainer(id, absl::Seconds(1), Later()),
        fake_.InspectContainer(id, Later()).status()}) {
    EXPECT_EQ(gone, absl::NotFoundError("No such container: " + id));
  }
  // Force removes a running container.
  const std::string id2 = Create("app", "localhost:5000/busybox:1.36");
  ASSERT_TRUE(fake_.StartContainer(id2, Later()).ok());
  EXPECT_TRUE(fake_.RemoveContainer(id2, true, false, Later()).ok());
}

TEST_F(FakeDockerClientContainersTest, CreateErrorsLikeDocker) {
  ContainerCreateConfig c;
  c.name = "app";
  c.image = "localhost:5000/nosuch:1";
  EXPECT_EQ(fake_.CreateContainer(c, Later()).status(),
            absl::NotFoundError("No such image: localhost:5000/nosuch:1"));
  c.image = "localhost:5000/busybox:1.36";
  absl::StatusOr<std::string> id = fake_.CreateContainer(c, Later());
  ASSERT_TRUE(id.ok());
  absl::Status s = fake_.CreateContainer(c, Later()).status();
  EXPECT_EQ(s, absl::AlreadyExistsError(
                   "Conflict. The container name \"/app\" is already in use "
                   "by container \"" +
                   *id +
                   "\". You have to remove (or rename) that container to be "
                   "able to reuse that name."));
  c.name = "bad/name";
  EXPECT_EQ(fake_.CreateContainer(c, Later()).status().code(),
            absl::StatusCode::kInvalidArgument);
  c.name = "other";
  c.ipc_mode = "container:nonexist";
  EXPECT_EQ(fake_.CreateContainer(c, Later()).status(),
            absl::InvalidArgumentError("No such container: nonexist"));
  // By image ID and prefix too; no name: docker makes one up.
  c.ipc_mode = "";
  c.name = "";
  c.image = "8b27aaaa";
  id = fake_.CreateContainer(c, Later());
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(fake_.InspectContainer(*id, Later())->image, kPauseId);
  EXPECT_THAT(fake_.ContainerIds(), SizeIs(2));
}

TEST_F(FakeDockerClientContainersTest, LookupByNamePrefixAndId) {
  const std::string a = Create("a1", "localhost:5000/busybox:1.36");
  const std::string b = Create("b1", "localhost:5000/busybox:1.36");
  ASSERT_NE(a.substr(0, 4), b.substr(0, 4));
  EXPECT_EQ(fake_.InspectContainer("a1", Later())->id, a);
  EXPECT_EQ(fake_.InspectContainer("b1", Later())->id, b);
  EXPECT_EQ(fake_.InspectContainer("/b1", Later()).status().code(),
            absl::StatusCode::kInvalidArgument)
      << "as CurlDockerClient: the name goes into the URL path";
  EXPECT_EQ(fake_.InspectContainer(a.substr(0, 4), Later())->id, a);
  EXPECT_EQ(fake_.InspectContainer(a.substr(0, 3), Later()).status().code(),
            absl::StatusCode::kNotFound);  // prefixes need >= 4 characters
  ASSERT_NE(fake_.CreatedConfig("b1"), nullptr);
  EXPECT_EQ(fake_.CreatedConfig("b1")->name, "b1");
  EXPECT_THAT(fake_.ContainerIds(), ElementsAre(a, b));
}

TEST_F(FakeDockerClientContainersTest, InspectReportsDockersDefaults) {
  ContainerCreateConfig c;
  c.name = "app";
  c.image = "localhost:5000/busybox:1.36";
  c.env = {"A=mine"};
  c.labels = {{"over", "mine"}};
  c.tty = true;
  c.privileged = true;
  c.cgroup_parent = "/kubepods";
  c.uts_mode = "host";
  c.port_bindings = {{"80/tcp", "", "8080"}};
  c.mounts.emplace_back();
  c.mounts[0].source = "/h";
  c.mounts[0].target = "/c";
  c.mounts[0].read_only = true;
  absl::StatusOr<std::string> id = fake_.CreateContainer(c, Later());
  ASSERT_TRUE(id.ok());
  absl::StatusOr<ContainerInspect> got = fake_.InspectContainer(*id, Later());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->name, "app");
  EXPECT_EQ(got->image, kBusyboxId);
  EXPECT_EQ(got->config_image, "localhost:5000/busybox:1.36");
  EXPECT_EQ(got->hostname, id->substr(0, 12));
  EXPECT_THAT(got->env, ElementsAre("A=mine", "PATH=/bin"));
  EXPECT_EQ(got->labels, (std::map<std::string, std::string>{
                             {"from", "image"}, {"over", "mine"}}));
  EXPECT_TRUE(got->tty);
  EXPECT_TRUE(got->privileged);
  EXPECT_EQ(got->network_mode, "default");
  EXPECT_EQ(got->ipc_mode, "private");
  EXPECT_EQ(got->uts_mode, "host");
  EXPECT_EQ(got->runtime, "runc");
  EXPECT_EQ(got->cgroup_parent, "/kubepods");
  ASSERT_THAT(got->port_bindings, SizeIs(1));
  EXPECT_EQ(got->port_bindings[0].host_port, "8080");
  ASSERT_THAT(got->mounts, SizeIs(1));
  EXPECT_FALSE(got->mounts[0].rw);

  // A host-network sandbox joined by a container sharing its namespaces.
  ContainerCreateConfig sandbox;
  sandbox.name = "sandbox";
  sandbox.image = "registry.k8s.io/pause:3.10";
  sandbox.network_mode = "host";
  sandbox.ipc_mode = "shareable";
  sandbox.runtime = "runsc";
  absl::StatusOr<std::string> sid = fake_.CreateContainer(sandbox, Later());
  ASSERT_TRUE(sid.ok());
  ASSERT_TRUE(fake_.StartContainer(*sid, Later()).ok());
  got = fake_.InspectContainer("sandbox", Later());
  EXPECT_EQ(got->network_mode, "host");
  EXPECT_EQ(got->runtime, "runsc");
  EXPECT_EQ(got->hostname, "fake-node");
  EXPECT_EQ(got->sandbox_key, "/var/run/docker/netns/default");
  ContainerCreateConfig joined;
  joined.name = "joined";
  joined.image = "localhost:5000/busybox:1.36";
  joined.network_mode = "container:sandbox";
  joined.ipc_mode = "container:sandbox";
  joined.pid_mode = "container:" + sid->substr(0, 6);
  ASSERT_TRUE(fake_.CreateContainer(joined, Later()).ok());
  ASSERT_TRUE(fake_.StartContainer("joined", Later()).ok());
  got = fake_.InspectContainer("joined", Later());
  EXPECT_EQ(got->network_mode, "container:" + *sid);
  EXPECT_EQ(got->ipc_mode, "container:" + *sid);
  EXPECT_EQ(got->pid_mode, "container:" + *sid);
  EXPECT_EQ(got->sandbox_key, "");
  EXPECT_THAT(got->networks, IsEmpty());
  EXPECT_EQ(got->resolv_conf_path,
            fake_.InspectContainer("sandbox", Later())->resolv_conf_path);
}

TEST_F(FakeDockerClientContainersTest, ResolvConfInStateDir) {
  const std::string dir = ::testing::TempDir() + "/fake-state";
  std::filesystem::create_directories(dir);
  fake_.SetStateDir(dir);
  const std::string id = Create("app", "localhost:5000/busybox:1.36");
  EXPECT_EQ(fake_.InspectContainer(id, Later())->resolv_conf_path, "")
      << "docker writes it at the first start";
  ASSERT_TRUE(fake_.StartContainer(id, Later()).ok());
  const std::string path =
      fake_.InspectContainer(id, Later())->resolv_conf_path;
  EXPECT_EQ(path, dir + "/" + id + "/resolv.conf");
  EXPECT_EQ(ReadFile(path), "nameserver 8.8.8.8\n");
  ASSERT_TRUE(fake_.RemoveContainer(id, true, false, Later()).ok());
  EXPECT_FALSE(std::filesystem::exists(path));
  std::filesystem::remove_all(dir);

  // Without SetStateDir: a temp dir that goes away with the fake.
  std::string temp_path;
  {
    FakeDockerClient fake;
    ImageInspect image;
    image.id = kPauseId;
    fake.AddImage(image);
    ContainerCreateConfig c;
    c.image = kPauseId;
    absl::StatusOr<std::string> id2 = fake.CreateContainer(c, Later());
    ASSERT_TRUE(id2.ok()) << id2.status();
    ASSERT_TRUE(fake.StartContainer(*id2, Later()).ok());
    temp_path = fake.InspectContainer(*id2, Later())->resolv_conf_path;
    EXPECT_EQ(ReadFile(temp_path), "nameserver 8.8.8.8\n");
  }
  EXPECT_FALSE(std::filesystem::exists(temp_path));
}

TEST_F(FakeDockerClientContainersTest, ListHonoursAllAndFilters) {
  const std::string a = Create("xa", "localhost:5000/busybox:1.36",
                               {{"pod", "p1"}, {"type", "sandbox"}});
  Create("xb", "localhost:5000/busybox:1.36", {{"pod", "p1"}});
  Create("xc", "registry.k8s.io/pause:3.10", {{"pod", "p2"}});
  ASSERT_TRUE(fake_.StartContainer("xa", Later()).ok());
  EXPECT_THAT(ListNames({.all = false, .filters = {}}), ElementsAre("xa"));
  EXPECT_THAT(ListNames({}), ElementsAre("xc", "xb", "xa"));  // newest first
  EXPECT_THAT(ListNames({.filters = {{"label", {"pod=p1"}}}}),
              ElementsAre("xb", "xa"));
  EXPECT_THAT(ListNames({.filters = {{"label", {"pod=p1", "type"}}}}),
              ElementsAre("xa"));
  EXPECT_THAT(ListNames({.filters = {{"id", {a.substr(0, 5)}}}}),
              ElementsAre("xa"));
  EXPECT_THAT(ListNames({.filters = {{"name", {"b", "c"}}}}),
              ElementsAre("xc", "xb"));
  // A status filter implies all, as in docker.
  EXPECT_THAT(ListNames({.all = false, .filters = {{"status", {"created"}}}}),
              ElementsAre("xc", "xb"));
  EXPECT_EQ(
      fake_.ListContainers({.filters = {{"bogus", {"x"}}}}, Later()).status(),
      absl::InvalidArgumentError("Invalid filter 'bogus'"));
  EXPECT_EQ(
      fake_.ListContainers({.filters = {{"status", {"up"}}}}, Later()).status(),
      absl::InvalidArgumentError("Invalid filter 'status=up'"));
  absl::StatusOr<std::vector<ContainerSummary>> list =
      fake_.ListContainers({.filters = {{"name", {"xa"}}}}, Later());
  ASSERT_TRUE(list.ok());
  ASSERT_THAT(*list, SizeIs(1));
  EXPECT_EQ((*list)[0].id, a);
  EXPECT_EQ((*list)[0].image, "localhost:5000/busybox:1.36");
  EXPECT_EQ((*list)[0].image_id, kBusyboxId);
  EXPECT_EQ((*list)[0].state, "running");
  EXPECT_EQ((*list)[0].labels.at("from"), "image");
  EXPECT_GT((*list)[0].created, 0);
}

TEST_F(FakeDockerClientContainersTest, SetContainerStateAndImagesInUse) {
  const std::string id = Create("app", "localhost:5000/busybox:1.36");
  ContainerState oom;
  oom.status = "exited";
  oom.oom_killed = true;
  oom.exit_code = 137;
  fake_.SetContainerState(id, oom);
  absl::StatusOr<ContainerInspect> c = fake_.InspectContainer(id, Later());
  EXPECT_TRUE(c->state.oom_killed);
  EXPECT_EQ(c->state.exit_code, 137);
  fake_.SetContainerState("unknown", oom);  // ignored
  // The image is in use by the container: docker's 409 unless forced.
  EXPECT_EQ(fake_.RemoveImage(kBusyboxId, false, Later()).status().code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(fake_.RemoveContainer(id, false, false, Later()).ok());
  EXPECT_TRUE(fake_.RemoveImage(kBusyboxId, false, Later()).ok());
}

TEST_F(FakeDockerClientContainersTest, RecordsCallsAndInjectsErrors) {
  fake_.InjectErrorOnce("CreateContainer", absl::UnavailableError("down"));
  fake_.InjectErrorOnce("CreateContainer", absl::InternalError("boom"));
  ContainerCreateConfig c;
  c.name = "app";
  c.image = "localhost:5000/busybox:1.36";
  EXPECT_EQ(fake_.CreateContainer(c, Later()).status(),
            absl::UnavailableError("down"));
  EXPECT_EQ(fake_.CreateContainer(c, Later()).status(),
            absl::InternalError("boom"));
  ASSERT_TRUE(fake_.CreateContainer(c, Later()).ok());
  fake_.InjectError("StartContainer", absl::InternalError("sticky"));
  EXPECT_FALSE(fake_.StartContainer("app", Later()).ok());
  EXPECT_FALSE(fake_.StartContainer("app", Later()).ok());
  fake_.ClearError("StartContainer");
  EXPECT_TRUE(fake_.StartContainer("app", Later()).ok());
  fake_.InjectErrorOnce("StopContainer", absl::DeadlineExceededError("slow"));
  fake_.InjectErrorOnce("RemoveContainer", absl::InternalError("x"));
  fake_.InjectErrorOnce("InspectContainer", absl::InternalError("x"));
  fake_.InjectErrorOnce("ListContainers", absl::InternalError("x"));
  EXPECT_FALSE(fake_.StopContainer("app", absl::Seconds(1), Later()).ok());
  EXPECT_FALSE(fake_.RemoveContainer("app", true, false, Later()).ok());
  EXPECT_FALSE(fake_.InspectContainer("app", Later()).ok());
  EXPECT_FALSE(fake_.ListContainers({}, Later()).ok());
  // The failed calls left the container as it was.
  EXPECT_TRUE(fake_.InspectContainer("app", Later())->state.running);
  EXPECT_THAT(
      fake_.Calls(),
      ElementsAre("CreateContainer", "CreateContainer", "CreateContainer",
                  "StartContainer", "StartContainer", "StartContainer",
                  "StopContainer", "RemoveContainer", "InspectContainer",
                  "ListContainers", "InspectContainer"));
}

}  // namespace
}  // namespace cri_dockerd::docker
