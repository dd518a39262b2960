// CurlDockerClient's calls on existing containers (start, stop, remove,
// inspect, list) against the fake Docker server, with dockerd 20.10's
// replies from tests/testdata/docker/.
#include <optional>
#include <string>
#include <vector>

#include "docker_client/curl_docker_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/component/docker_client/test_util.h"
#include "tests/component/fake_docker_server.h"

namespace cri_dockerd::docker {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

using ContainerOpsTest = NegotiatedClientTest;

constexpr char kExitedId[] =
    "a819645f87f764d08d39cc843409bdb154a28f1571d606d7f3a034771fc7fa4e";

TEST_F(ContainerOpsTest, Start) {
  const std::string path = "/v1.41/containers/abc/start";
  server_->SetResponse("POST", path, {.status = 204});
  EXPECT_TRUE(client_->StartContainer("abc", In(absl::Seconds(5))).ok());
  server_->SetResponse("POST", path, {.status = 304});  // already started
  EXPECT_TRUE(client_->StartContainer("abc", In(absl::Seconds(5))).ok());
  server_->SetResponse(
      "POST", path,
      {.status = 404, .body = ReadTestdata("container_start_404.json")});
  EXPECT_EQ(client_->StartContainer("abc", In(absl::Seconds(5))),
            absl::NotFoundError("POST /containers/abc/start: No such "
                                "container: nosuchcontainer"));
  server_->SetResponse(
      "POST", path,
      {.status = 500,
       .body = ReadTestdata("container_start_500_propagation.json")});
  EXPECT_EQ(client_->StartContainer("abc", In(absl::Seconds(5))).code(),
            absl::StatusCode::kInternal);
  EXPECT_THAT(server_->Paths(), ElementsAre(path, path, path, path));
}

TEST_F(ContainerOpsTest, StopSendsGraceInWholeSecondsRoundedUp) {
  server_->SetResponse("POST", "/v1.41/containers/abc/stop", {.status = 204});
  for (absl::Duration grace :
       {absl::Seconds(10), absl::Milliseconds(1500), absl::Milliseconds(1),
        absl::ZeroDuration(), absl::Seconds(-3), absl::Hours(1e9),
        absl::InfiniteDuration()}) {
    EXPECT_TRUE(
        client_->StopContainer("abc", grace, In(absl::Seconds(5))).ok());
  }
  EXPECT_THAT(server_->Paths(),
              ElementsAre("/v1.41/containers/abc/stop?t=10",
                          "/v1.41/containers/abc/stop?t=2",
                          "/v1.41/containers/abc/stop?t=1",
                          "/v1.41/containers/abc/stop?t=0",
                          "/v1.41/containers/abc/stop?t=0",
                          // docker's int32-safe maximum
                          "/v1.41/containers/abc/stop?t=2147483647",
                          "/v1.41/containers/abc/stop?t=2147483647"));
}

TEST_F(ContainerOpsTest, StopOutcomes) {
  const std::string path = "/v1.41/containers/abc/stop";
  server_->SetResponse("POST", path, {.status = 304});  // not running
  EXPECT_TRUE(
      client_->StopContainer("abc", absl::Seconds(1), In(absl::Seconds(5)))
          .ok());
  server_->SetResponse(
      "POST", path,
      {.status = 404, .body = ReadTestdata("container_stop_404.json")});
  EXPECT_EQ(
      client_->StopContainer("abc", absl::Seconds(1), In(absl::Seconds(5)))
          .code(),
      absl::StatusCode::kNotFound);
  // The caller's deadline holds even when shorter than the grace period.
  server_->SetResponse("POST", path,
                       {.status = 204, .delay = absl::Seconds(60)});
  const absl::Time start = absl::Now();
  EXPECT_EQ(
      client_
          ->StopContainer("abc", absl::Seconds(30), In(absl::Milliseconds(200)))
          .code(),
      absl::StatusCode::kDeadlineExceeded);
  // Not the 30 s grace period, nor the 60 s reply.
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

TEST_F(ContainerOpsTest, Remove) {
  const std::string path = "/v1.41/containers/abc";
  server_->SetResponse("DELETE", path, {.status = 204});
  EXPECT_TRUE(
      client_->RemoveContainer("abc", true, false, In(absl::Seconds(5))).ok());
  EXPECT_TRUE(
      client_->RemoveContainer("abc", false, true, In(absl::Seconds(5))).ok());
  EXPECT_THAT(server_->Paths(),
              ElementsAre("/v1.41/containers/abc?force=true&v=false",
                          "/v1.41/containers/abc?force=false&v=true"));
  const struct {
    int status;
    std::string golden;
    absl::StatusCode code;
  } cases[] = {
      {404, "container_remove_404.json", absl::StatusCode::kNotFound},
      {409, "container_remove_409_running.json",
       absl::StatusCode::kFailedPrecondition},
      // Someone else is removing it: done as far as we are concerned.
      {409, "container_remove_409_in_progress.json", absl::StatusCode::kOk},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.golden);
    server_->SetResponse("DELETE", path,
                         {.status = c.status, .body = ReadTestdata(c.golden)});
    EXPECT_EQ(
        client_->RemoveContainer("abc", false, false, In(absl::Seconds(5)))
            .code(),
        c.code);
  }
}

TEST_F(ContainerOpsTest, InspectRunningGolden) {
  const std::string body = ReadTestdata("container_inspect_running.json");
  server_->SetResponse("GET", "/v1.41/containers/crid-golden-rich/json",
                       {.body = body});
  absl::StatusOr<ContainerInspect> c =
      client_->InspectContainer("crid-golden-rich", In(absl::Seconds(5)));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->id,
            "92731e1b5da2c352b59c3e34d716115ea74e2adab9b551c0218ae4d0e1174d53");
  EXPECT_EQ(c->name, "crid-golden-rich");
  EXPECT_EQ(c->created, "2026-11-22T01:02:19.966416136Z");
  EXPECT_EQ(c->image,
            "sha256:12cffc0eb14f57a2b6667ee4661639982f5fd716aad2d0f262312b0e307"
            "b40ba");
  EXPECT_EQ(c->state.status, "running");
  EXPECT_TRUE(c->state.running);
  EXPECT_EQ(c->state.pid, 636);
  EXPECT_EQ(c->state.started_at, "2026-11-22T01:02:20.250632659Z");
  EXPECT_EQ(c->state.finished_at, "0001-01-01T00:00:00Z");
  EXPECT_EQ(c->resolv_conf_path,
            "/var/lib/docker/containers/" + c->id + "/resolv.conf");
  EXPECT_EQ(c->hostname_path,
            "/var/lib/docker/containers/" + c->id + "/hostname");
  EXPECT_EQ(c->hosts_path, "/var/lib/docker/containers/" + c->id + "/hosts");
  EXPECT_EQ(c->log_path,
            "/var/lib/docker/containers/" + c->id + "/" + c->id + "-json.log");
  EXPECT_EQ(c->config_image, "localhost:5000/busybox:1.36");
  EXPECT_EQ(c->hostname, "rich-host");
  EXPECT_THAT(
      c->labels,
      ElementsAre(Pair("io.kubernetes.container.name", "rich"),
                  Pair("io.kubernetes.pod.name", "pod-a"),
                  Pair("org.crid-lab.image", "localhost:5000/busybox:1.36")));
  EXPECT_EQ(c->env.size(), 3u);
  EXPECT_FALSE(c->tty);
  EXPECT_EQ(c->network_mode, "default");
  EXPECT_EQ(c->ipc_mode, "private");
  EXPECT_EQ(c->runtime, "runc");
  EXPECT_EQ(c->cgroup_parent, "/crid-golden");
  ASSERT_EQ(c->port_bindings.size(), 1u);
  EXPECT_EQ(c->port_bindings[0].container_port, "80/tcp");
  EXPECT_EQ(c->port_bindings[0].host_ip, "127.0.0.1");
  EXPECT_EQ(c->port_bindings[0].host_port, "18080");
  ASSERT_EQ(c->networks.count("bridge"), 1u);
  EXPECT_EQ(c->networks["bridge"].ip_address, "172.17.0.3");
  EXPECT_EQ(c->sandbox_key, "/var/run/docker/netns/85edfaff0d46");
  ASSERT_EQ(c->mounts.size(), 2u);
  EXPECT_EQ(c->mounts[0].destination, "/data2");
  EXPECT_FALSE(c->mounts[0].rw);
  EXPECT_EQ(c->mounts[0].propagation, "rprivate");
  EXPECT_EQ(c->stop_signal, "SIGTERM");
  EXPECT_EQ(c->resources.cpu_shares, 512);
  EXPECT_EQ(c->resources.cpu_period, 100000);
  EXPECT_EQ(c->resources.cpu_quota, 50000);
  EXPECT_EQ(c->resources.memory, 64 << 20);
  EXPECT_EQ(c->resources.memory_swap, 128 << 20);
  EXPECT_EQ(c->resources.pids_limit, 100);
  EXPECT_EQ(c->oom_score_adj, 100);
  EXPECT_EQ(c->raw_json, body);
}

TEST_F(ContainerOpsTest, InspectExitedAndHostNetworkGoldens) {
  server_->SetResponse("GET", "/v1.41/containers/exited/json",
                       {.body = ReadTestdata("container_inspect_exited.json")});
  server_->SetResponse(
      "GET", "/v1.41/containers/hostnet/json",
      {.body = ReadTestdata("container_inspect_hostnet.json")});
  absl::StatusOr<ContainerInspect> c =
      client_->InspectContainer("exited", In(absl::Seconds(5)));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->id, kExitedId);
  EXPECT_EQ(c->state.status, "exited");
  EXPECT_FALSE(c->state.running);
  EXPECT_EQ(c->state.exit_code, 3);
  EXPECT_EQ(c->state.pid, 0);
  EXPECT_EQ(c->state.finished_at, "2026-11-22T01:01:54.973749156Z");
  EXPECT_THAT(c->port_bindings, IsEmpty());  // null once exited
  EXPECT_EQ(c->stop_signal, "");             // Config.StopSignal left out
  EXPECT_EQ(c->resources.memory, 0);
  EXPECT_EQ(c->resources.pids_limit, std::nullopt);  // null
  EXPECT_EQ(c->networks["bridge"].ip_address, "");

  c = client_->InspectContainer("hostnet", In(absl::Seconds(5)));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->name, "crid-golden-hostnet");
  EXPECT_EQ(c->network_mode, "host");
  EXPECT_EQ(c->ipc_mode, "shareable");
  EXPECT_EQ(c->pid_mode, "host");
  EXPECT_EQ(c->hostname, "vm");
  EXPECT_THAT(c->networks, ElementsAre(Pair("host", testing::_)));
  EXPECT_EQ(c->sandbox_key, "/var/run/docker/netns/default");

  // Never started: docker has made neither sandbox nor resolv.conf yet.
  server_->SetResponse(
      "GET", "/v1.41/containers/created/json",
      {.body = ReadTestdata("container_inspect_created.json")});
  c = client_->InspectContainer("created", In(absl::Seconds(5)));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->state.status, "created");
  EXPECT_EQ(c->sandbox_key, "");
  EXPECT_EQ(c->resolv_conf_path, "");
}

TEST_F(ContainerOpsTest, InspectToleratesNullsAndRejectsGarbage) {
  server_->SetResponse(
      "GET", "/v1.41/containers/x/json",
      {.body = R"({"Id":"x","Name":null,"State":null,"Config":null,
                   "HostConfig":{"PortBindings":{"80/tcp":null}},
                   "NetworkSettings":{"Networks":null},"Mounts":null})"});
  absl::StatusOr<ContainerInspect> c =
      client_->InspectContainer("x", In(absl::Seconds(5)));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->id, "x");
  EXPECT_EQ(c->name, "");
  EXPECT_EQ(c->state.status, "");
  EXPECT_THAT(c->port_bindings, IsEmpty());
  EXPECT_THAT(c->networks, IsEmpty());
  EXPECT_THAT(c->mounts, IsEmpty());
  server_->SetResponse("GET", "/v1.41/containers/x/json", {.body = "[1]"});
  EXPECT_EQ(
      client_->InspectContainer("x", In(absl::Seconds(5))).status().code(),
      absl::StatusCode::kInternal);
  server_->SetResponse(
      "GET", "/v1.41/containers/x/json",
      {.status = 404, .body = ReadTestdata("container_inspect_404.json")});
  EXPECT_EQ(client_->InspectContainer("x", In(absl::Seconds(5))).status(),
            absl::NotFoundError("GET /containers/x/json: No such container: "
                                "nosuchcontainer"));
}

TEST_F(ContainerOpsTest, ListEncodesFiltersAndDecodesGolden) {
  server_->SetResponse("GET", "/containers/json",
                       {.body = ReadTestdata("containers_json.json")});
  ListContainersOptions options;
  options.filters = {{"label", {"io.kubernetes.pod.name=pod-a", "x"}},
                     {"status", {"running"}},
                     {"id", {}}};
  absl::StatusOr<std::vector<ContainerSummary>> list =
      client_->ListContainers(options, In(absl::Seconds(5)));
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 5u);
  const ContainerSummary& first = (*list)[0];
  EXPECT_EQ(first.id,
            "92731e1b5da2c352b59c3e34d716115ea74e2adab9b551c0218ae4d0e1174d53");
  EXPECT_THAT(first.names, ElementsAre("crid-golden-rich"));
  EXPECT_EQ(first.image, "localhost:5000/busybox:1.36");
  EXPECT_EQ(first.image_id,
            "sha256:12cffc0eb14f57a2b6667ee4661639982f5fd716aad2d0f262312b0e307"
            "b40ba");
  EXPECT_EQ(first.created, 1795309339);
  EXPECT_EQ(first.state, "running");
  EXPECT_EQ(first.status, "Up 7 seconds");
  EXPECT_EQ(first.labels.at("io.kubernetes.pod.name"), "pod-a");
  EXPECT_EQ((*list)[3].state, "exited");
  EXPECT_EQ((*list)[3].status, "Exited (3) 32 seconds ago");

  options.all = false;
  options.filters.clear();
  ASSERT_TRUE(client_->ListContainers(options, In(absl::Seconds(5))).ok());
  // {"label":{"io.kubernetes.pod.name=pod-a":true,"x":true},
  //  "status":{"running":true}}
  EXPECT_THAT(
      server_->Paths(),
      ElementsAre("/v1.41/containers/json?all=1&filters=%7B%22label%22%3A%7B%"
                  "22io.kubernetes.pod.name%3Dpod-a%22%3Atrue%2C%22x%22%"
                  "3Atrue%7D%2C%22status%22%3A%7B%22running%22%3Atrue%7D%7D",
                  "/v1.41/containers/json"));
}

TEST_F(ContainerOpsTest, IdsAreEscapedOrRejected) {
  EXPECT_EQ(
      client_->InspectContainer("a b:c%", In(absl::Seconds(5))).status().code(),
      absl::StatusCode::kNotFound);  // unscripted: docker's 404
  EXPECT_EQ(client_->StartContainer("x?y#z", In(absl::Seconds(5))).code(),
            absl::StatusCode::kNotFound);
  EXPECT_THAT(server_->Paths(),
              ElementsAre("/v1.41/containers/a%20b%3Ac%25/json",
                          "/v1.41/containers/x%3Fy%23z/start"));
  server_->ClearRequests();
  const absl::Time deadline = In(absl::Seconds(5));
  for (const char* bad : {"", ".", "..", "../images/x", "a/b", "/name"}) {
    SCOPED_TRACE(bad);
    const absl::StatusCode kBad = absl::StatusCode::kInvalidArgument;
    EXPECT_EQ(client_->InspectContainer(bad, deadline).status().code(), kBad);
    EXPECT_EQ(client_->StartContainer(bad, deadline).code(), kBad);
    EXPECT_EQ(client_->StopContainer(bad, absl::Seconds(1), deadline).code(),
              kBad);
    EXPECT_EQ(client_->RemoveContainer(bad, true, true, deadline).code(), kBad);
  }
  EXPECT_THAT(server_->Paths(), IsEmpty());
}

}  // namespace
}  // namespace cri_dockerd::docker
