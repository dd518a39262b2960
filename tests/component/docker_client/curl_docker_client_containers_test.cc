// CurlDockerClient's container calls against the fake Docker server: the
// create body, request paths and escaping, docker's replies (goldens from
// dockerd 20.10) and how they map to statuses.
#include <string>
#include <utility>
#include <vector>

#include "docker_client/curl_docker_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/component/docker_client/test_util.h"
#include "tests/component/fake_docker_server.h"

namespace cri_dockerd::docker {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using json = nlohmann::json;

using CurlDockerClientContainersTest = NegotiatedClientTest;

constexpr char kRunningId[] =
    "92731e1b5da2c352b59c3e34d716115ea74e2adab9b551c0218ae4d0e1174d53";

// A bind mount; designated initializers would trip -Wmissing-field-
// initializers on the fields left out.
BindMount Mount(std::string source, std::string target, bool read_only,
                std::string propagation = "", bool recursive_read_only = false,
                bool selinux_relabel = false) {
  BindMount m;
  m.source = std::move(source);
  m.target = std::move(target);
  m.read_only = read_only;
  m.propagation = std::move(propagation);
  m.recursive_read_only = recursive_read_only;
  m.selinux_relabel = selinux_relabel;
  return m;
}

ContainerCreateConfig RichConfig() {
  ContainerCreateConfig c;
  c.name = "k8s_app_pod_ns_uid_0";
  c.image = "localhost:5000/busybox:1.36";
  c.hostname = "pod-host";
  c.user = "1000:1000";
  c.env = {"A=1", "B=two"};
  c.entrypoint = std::vector<std::string>{"sh", "-c"};
  c.cmd = std::vector<std::string>{"sleep 3600"};
  c.working_dir = "/work";
  c.labels = {{"io.kubernetes.pod.name", "pod"}};
  c.tty = true;
  c.open_stdin = true;
  c.stdin_once = true;
  c.attach_stdin = true;
  c.exposed_ports = {"53/udp"};
  c.stop_signal = "SIGQUIT";
  c.network_mode = "container:abc";
  c.ipc_mode = "container:abc";
  c.pid_mode = "host";
  c.uts_mode = "host";
  c.port_bindings = {{"80/tcp", "", "8080"}, {"80/tcp", "::1", "8081"}};
  c.oom_score_adj = 1000;
  c.shm_size = 64 << 20;
  c.cgroup_parent = "/kubepods/pod1";
  c.runtime = "runsc";
  c.privileged = true;
  c.readonly_rootfs = true;
  c.security_opt = {"seccomp=unconfined", "no-new-privileges"};
  c.sysctls = {{"net.core.somaxconn", "1024"}};
  c.cap_add = {"NET_ADMIN"};
  c.cap_drop = {"ALL"};
  c.group_add = {"1234"};
  c.mounts = {Mount("/h/a", "/a", true, "rslave"), Mount("/h/b", "/b", false),
              Mount("/h/c", "/c", true, "rshared", false, true),
              Mount("/h/d", "/d", false, "", false, true)};
  c.devices = {{"/dev/fuse", "/dev/fuse", "rwm"}};
  c.masked_paths = std::vector<std::string>{};
  c.readonly_paths = std::vector<std::string>{"/proc/bus"};
  c.extra_hosts = {"db:10.0.0.5"};
  c.resources = {.cpu_shares = 512,
                 .cpu_period = 100000,
                 .cpu_quota = 50000,
                 .cpuset_cpus = "0-1",
                 .cpuset_mems = "0",
                 .memory = 64 << 20,
                 .memory_swap = -1,
                 .hugepage_limits = {{"2MB", 1 << 21}},
                 .pids_limit = 100};
  c.log_driver = "json-file";
  c.log_options = {{"max-size", "10m"}};
  return c;
}

class ContainersTest : public CurlDockerClientContainersTest {
 protected:
  // Creates `config` against a scripted 201 and returns the body sent.
  json CreateAndGetBody(const ContainerCreateConfig& config) {
    server_->SetResponse(
        "POST", "/containers/create",
        {.status = 201, .body = ReadTestdata("container_create.json")});
    absl::StatusOr<std::string> id =
        client_->CreateContainer(config, In(absl::Seconds(5)));
    EXPECT_TRUE(id.ok()) << id.status();
    std::vector<RecordedRequest> requests = server_->Requests();
    if (requests.empty()) return json();
    EXPECT_EQ(requests.back().headers["content-type"], "application/json");
    json body = json::parse(requests.back().body, nullptr, false);
    EXPECT_FALSE(body.is_discarded());
    return body;
  }
};

TEST_F(ContainersTest, CreateEncodesRichConfig) {
  const json b = CreateAndGetBody(RichConfig());
  EXPECT_THAT(
      server_->Paths(),
      ElementsAre("/v1.41/containers/create?name=k8s_app_pod_ns_uid_0"));
  EXPECT_EQ(b["Image"], "localhost:5000/busybox:1.36");
  EXPECT_EQ(b["Hostname"], "pod-host");
  EXPECT_EQ(b["User"], "1000:1000");
  EXPECT_EQ(b["Env"], json({"A=1", "B=two"}));
  EXPECT_EQ(b["Entrypoint"], json({"sh", "-c"}));
  EXPECT_EQ(b["Cmd"], json({"sleep 3600"}));
  EXPECT_EQ(b["WorkingDir"], "/work");
  EXPECT_EQ(b["Labels"], json({{"io.kubernetes.pod.name", "pod"}}));
  for (const char* key : {"Tty", "OpenStdin", "StdinOnce", "AttachStdin",
                          "AttachStdout", "AttachStderr"}) {
    EXPECT_EQ(b[key], true) << key;
  }
  // Published ports are exposed too, as the docker CLI does.
  EXPECT_EQ(b["ExposedPorts"],
            json({{"53/udp", json::object()}, {"80/tcp", json::object()}}));
  EXPECT_EQ(b["StopSignal"], "SIGQUIT");
  EXPECT_FALSE(b.contains("NetworkingConfig"));

  const json& h = b["HostConfig"];
  EXPECT_EQ(h["NetworkMode"], "container:abc");
  EXPECT_EQ(h["IpcMode"], "container:abc");
  EXPECT_EQ(h["PidMode"], "host");
  EXPECT_EQ(h["UTSMode"], "host");
  EXPECT_EQ(h["PortBindings"],
            json::parse(R"({"80/tcp":[{"HostIp":"","HostPort":"8080"},
                                      {"HostIp":"::1","HostPort":"8081"}]})"));
  EXPECT_EQ(h["OomScoreAdj"], 1000);
  EXPECT_EQ(h["ShmSize"], 64 << 20);
  EXPECT_EQ(h["CgroupParent"], "/kubepods/pod1");
  EXPECT_EQ(h["Runtime"], "runsc");
  EXPECT_EQ(h["Privileged"], true);
  EXPECT_EQ(h["ReadonlyRootfs"], true);
  EXPECT_EQ(h["SecurityOpt"],
            json({"seccomp=unconfined", "no-new-privileges"}));
  EXPECT_EQ(h["Sysctls"], json({{"net.core.somaxconn", "1024"}}));
  EXPECT_EQ(h["CapAdd"], json({"NET_ADMIN"}));
  EXPECT_EQ(h["CapDrop"], json({"ALL"}));
  EXPECT_EQ(h["GroupAdd"], json({"1234"}));
  EXPECT_EQ(h["Mounts"], json::parse(R"([
      {"Type":"bind","Source":"/h/a","Target":"/a","ReadOnly":true,
       "BindOptions":{"Propagation":"rslave"}},
      {"Type":"bind","Source":"/h/b","Target":"/b","ReadOnly":false}])"));
  // Relabelling is only expressible as a bind string.
  EXPECT_EQ(h["Binds"], json({"/h/c:/c:ro,Z,rshared", "/h/d:/d:Z"}));
  EXPECT_EQ(h["Devices"], json::parse(R"([{"PathOnHost":"/dev/fuse",
      "PathInContainer":"/dev/fuse","CgroupPermissions":"rwm"}])"));
  EXPECT_EQ(h["MaskedPaths"], json::array());  // set but empty
  EXPECT_EQ(h["ReadonlyPaths"], json({"/proc/bus"}));
  EXPECT_EQ(h["ExtraHosts"], json({"db:10.0.0.5"}));
  EXPECT_EQ(h["CpuShares"], 512);
  EXPECT_EQ(h["CpuPeriod"], 100000);
  EXPECT_EQ(h["CpuQuota"], 50000);
  EXPECT_EQ(h["CpusetCpus"], "0-1");
  EXPECT_EQ(h["CpusetMems"], "0");
  EXPECT_EQ(h["Memory"], 64 << 20);
  EXPECT_EQ(h["MemorySwap"], -1);
  EXPECT_EQ(h["PidsLimit"], 100);
  EXPECT_EQ(h["LogConfig"],
            json::parse(R"({"Type":"json-file","Config":{"max-size":"10m"}})"));
  // No hugepage field exists in docker's API.
  EXPECT_EQ(h.dump().find("uge"), std::string::npos) << h.dump();
}

TEST_F(ContainersTest, CdiDevicesBecomeDeviceRequests) {
  ContainerCreateConfig c;
  c.image = "busybox";
  c.cdi_devices = {"vendor.com/gpu=0", "vendor.com/gpu=1"};
  c.disable_healthcheck = true;
  const json b = CreateAndGetBody(c);
  EXPECT_EQ(b["HostConfig"]["DeviceRequests"], json::parse(R"([
      {"Driver":"cdi","DeviceIDs":["vendor.com/gpu=0"]},
      {"Driver":"cdi","DeviceIDs":["vendor.com/gpu=1"]}])"));
  EXPECT_EQ(b["Healthcheck"], json::parse(R"({"Test":["NONE"]})"));
}

TEST_F(ContainersTest, CreateLeavesUnsetOptionalsOut) {
  ContainerCreateConfig c;
  c.image = "busybox";
  const json b = CreateAndGetBody(c);
  // No name: docker picks one.
  EXPECT_THAT(server_->Paths(), ElementsAre("/v1.41/containers/create"));
  for (const char* key : {"Entrypoint", "Cmd", "StopSignal"}) {
    EXPECT_FALSE(b.contains(key)) << key;
  }
  EXPECT_EQ(b["AttachStdout"], true);
  EXPECT_EQ(b["AttachStderr"], true);
  EXPECT_EQ(b["AttachStdin"], false);
  EXPECT_EQ(b["Env"], json::array());
  const json& h = b["HostConfig"];
  for (const char* key :
       {"ShmSize", "Runtime", "MaskedPaths", "ReadonlyPaths", "PidsLimit",
        "LogConfig", "Binds", "DeviceRequests"}) {
    EXPECT_FALSE(h.contains(key)) << key;
  }
  EXPECT_EQ(h["Mounts"], json::array());

  // Set-but-empty entrypoint/cmd are sent: [] replaces the image's.
  c.entrypoint = std::vector<std::string>{};
  c.cmd = std::vector<std::string>{};
  c.readonly_paths = std::vector<std::string>{};
  server_->ClearRequests();
  const json b2 = CreateAndGetBody(c);
  EXPECT_EQ(b2["Entrypoint"], json::array());
  EXPECT_EQ(b2["Cmd"], json::array());
  EXPECT_EQ(b2["HostConfig"]["ReadonlyPaths"], json::array());
  EXPECT_FALSE(b2["HostConfig"].contains("MaskedPaths"));
}

TEST_F(ContainersTest, CreateEscapesTheName) {
  ContainerCreateConfig c;
  c.image = "busybox";
  c.name = "a b&c=d";
  CreateAndGetBody(c);
  EXPECT_THAT(server_->Paths(),
              ElementsAre("/v1.41/containers/create?name=a%20b%26c%3Dd"));
}

TEST_F(ContainersTest, RecursiveReadOnlyNeedsApi144) {
  ContainerCreateConfig c;
  c.image = "busybox";
  c.mounts = {Mount("/h/a", "/a", true, "", true)};
  absl::Status s = client_->CreateContainer(c, In(absl::Seconds(5))).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("recursive read-only mounts need Docker Engine 25 "
                        "(API 1.44)"));
  EXPECT_THAT(server_->Paths(), IsEmpty());

  StartDaemon("1.44");
  c.mounts.push_back(Mount("/h/b", "/b", true));
  c.mounts.push_back(Mount("/h/c", "/c", false));
  const json b = CreateAndGetBody(c);
  EXPECT_THAT(server_->Paths(), ElementsAre("/v1.44/containers/create"));
  EXPECT_EQ(b["HostConfig"]["Mounts"], json::parse(R"([
      {"Type":"bind","Source":"/h/a","Target":"/a","ReadOnly":true,
       "BindOptions":{"ReadOnlyForceRecursive":true}},
      {"Type":"bind","Source":"/h/b","Target":"/b","ReadOnly":true,
       "BindOptions":{"ReadOnlyNonRecursive":true}},
      {"Type":"bind","Source":"/h/c","Target":"/c","ReadOnly":false}])"));

  // No docker syntax has both a relabel and recursive read-only.
  c.mounts[0].selinux_relabel = true;
  server_->ClearRequests();
  s = client_->CreateContainer(c, In(absl::Seconds(5))).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(server_->Paths(), IsEmpty());
}

TEST_F(ContainersTest, RecursiveReadOnlyLostToADaemonDowngradeIsUndone) {
  StartDaemon("1.44");
  server_->SetResponse(
      "POST", "/containers/create",
      {.status = 201, .body = ReadTestdata("container_create.json")});
  // dockerd is replaced by 20.10 under us: /v1.44 is refused, the client
  // renegotiates and retries the 1.44 body on /v1.41, which would drop
  // ReadOnlyForceRecursive silently.
  server_->SetDaemonVersion("1.41", "1.12");
  ContainerCreateConfig c;
  c.image = "busybox";
  c.mounts = {Mount("/h/a", "/a", true, "", true)};
  absl::Status s = client_->CreateContainer(c, In(absl::Seconds(5))).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  const std::string id =
      "2593c7ea3048e1ebddea07196bc5154f2488d7ecf7422fc2619bc308567b81db";
  EXPECT_THAT(server_->Paths(),
              ElementsAre("/v1.44/containers/create", "/version",
                          "/v1.41/containers/create",
                          "/v1.41/containers/" + id + "?force=true&v=false"));
}

TEST_F(ContainersTest, CreateDockerErrors) {
  const struct {
    int status;
    std::string golden;
    absl::StatusCode code;
    std::string message;
  } cases[] = {
      {409, "container_create_409_conflict.json",
       absl::StatusCode::kAlreadyExists,
       "POST /containers/create: Conflict. The container name "
       "\"/crid-golden-run\" is already in use by container "
       "\"4599200979d6984f200bcc7cdb0acb6187d0f849337bc4f12b32122e150574c7\". "
       "You have to remove (or rename) that container to be able to reuse "
       "that name."},
      {404, "container_create_404_no_image.json", absl::StatusCode::kNotFound,
       "POST /containers/create: No such image: localhost:5000/nosuch:1"},
      {400, "container_create_400_bad_name.json",
       absl::StatusCode::kInvalidArgument,
       "POST /containers/create: Invalid container name (bad/name), only "
       "[a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"},
  };
  ContainerCreateConfig c;
  c.image = "localhost:5000/busybox:1.36";
  c.name = "x";
  for (const auto& tc : cases) {
    SCOPED_TRACE(tc.golden);
    server_->SetResponse(
        "POST", "/containers/create",
        {.status = tc.status, .body = ReadTestdata(tc.golden)});
    absl::Status s = client_->CreateContainer(c, In(absl::Seconds(5))).status();
    EXPECT_EQ(s, absl::Status(tc.code, tc.message));
  }
}

TEST_F(ContainersTest, CreateReturnsIdAndToleratesWarnings) {
  server_->SetResponse(
      "POST", "/containers/create",
      {.status = 201, .body = ReadTestdata("container_create_warnings.json")});
  ContainerCreateConfig c;
  c.image = "busybox";
  absl::StatusOr<std::string> id =
      client_->CreateContainer(c, In(absl::Seconds(5)));
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id,
            "ca24d9e5aaf87e65c0b788554c4eba40fc38784442774f972289531e0d8a2198");
  server_->SetResponse("POST", "/containers/create",
                       {.status = 201, .body = R"({"Warnings":null})"});
  EXPECT_EQ(client_->CreateContainer(c, In(absl::Seconds(5))).status().code(),
            absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace cri_dockerd::docker
