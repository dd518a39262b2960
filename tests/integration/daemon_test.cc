// The real binary against the host's real dockerd, over its real socket.
#include <grp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <map>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/integration/daemon_process.h"
#include "tests/integration/private_dockerd.h"

namespace cri_dockerd::testing_support {
namespace {

namespace v1 = ::runtime::v1;

constexpr char kHostDockerSocket[] = "/var/run/docker.sock";
constexpr char kCniBinDir[] = "/usr/lib/cni";  // Debian's CNI plugins

std::map<std::string, v1::RuntimeCondition> Conditions(
    const v1::StatusResponse& resp) {
  std::map<std::string, v1::RuntimeCondition> out;
  for (const auto& c : resp.status().conditions()) out[c.type()] = c;
  return out;
}

// Extracts "Key":"value" from docker's JSON reply (flat string fields).
std::string JsonString(const std::string& reply, const std::string& key) {
  const std::string needle = absl::StrCat("\"", key, "\":\"");
  const size_t at = reply.find(needle);
  if (at == std::string::npos) return "";
  const size_t start = at + needle.size();
  return reply.substr(start, reply.find('"', start) - start);
}

class DaemonTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(PingDocker(kHostDockerSocket))
        << "integration tests need dockerd on " << kHostDockerSocket
        << " (tests/harness/lab_up.sh starts one)";
    socket_ = dir_.path() + "/run/cri-dockerd.sock";
    endpoint_ = "unix://" + socket_;
    conf_dir_ = dir_.path() + "/net.d";
    mkdir(conf_dir_.c_str(), 0755);
  }

  void StartDaemon(std::vector<std::string> extra = {}) {
    std::vector<std::string> flags = {"--cni-conf-dir",
                                      conf_dir_,
                                      "--cni-bin-dir",
                                      kCniBinDir,
                                      "--cri-dockerd-root-directory",
                                      dir_.path() + "/root"};
    flags.insert(flags.end(), extra.begin(), extra.end());
    daemon_ = DaemonProcess::StartCriDockerd(socket_, flags);
    absl::Status serving = WaitUntilServing(endpoint_, absl::Seconds(20));
    ASSERT_TRUE(serving.ok()) << serving << "\n" << daemon_->Output();
    runtime_ = v1::RuntimeService::NewStub(Dial(endpoint_));
    images_ = v1::ImageService::NewStub(Dial(endpoint_));
  }

  v1::StatusResponse Status(bool verbose = false) {
    v1::StatusRequest req;
    req.set_verbose(verbose);
    v1::StatusResponse resp;
    grpc::Status s = runtime_->Status(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  ScratchDir dir_;
  std::string socket_, endpoint_, conf_dir_;
  std::unique_ptr<DaemonProcess> daemon_;
  std::unique_ptr<v1::RuntimeService::Stub> runtime_;
  std::unique_ptr<v1::ImageService::Stub> images_;
};

TEST_F(DaemonTest, VersionReportsTheRealDockerEngine) {
  StartDaemon();
  v1::VersionResponse resp;
  ASSERT_TRUE(runtime_->Version(Ctx().get(), {}, &resp).ok());
  const std::string docker_version =
      JsonString(DockerGet(kHostDockerSocket, "/version"), "Version");
  ASSERT_FALSE(docker_version.empty());
  EXPECT_EQ(resp.runtime_version(), docker_version);
  EXPECT_EQ(resp.runtime_name(), "docker");
  EXPECT_EQ(resp.runtime_api_version(), "v1");
  EXPECT_EQ(resp.version(), "0.1.0");
}

TEST_F(DaemonTest, RuntimeConfigFollowsDockerInfo) {
  StartDaemon();
  const std::string driver =
      JsonString(DockerGet(kHostDockerSocket, "/info"), "CgroupDriver");
  ASSERT_FALSE(driver.empty());
  v1::RuntimeConfigResponse resp;
  ASSERT_TRUE(runtime_->RuntimeConfig(Ctx().get(), {}, &resp).ok());
  EXPECT_EQ(resp.linux().cgroup_driver(),
            driver == "systemd" ? v1::SYSTEMD : v1::CGROUPFS);
}

TEST_F(DaemonTest, NetworkTurnsReadyWhenACniConfigAppears) {
  StartDaemon();
  auto conds = Conditions(Status());
  EXPECT_TRUE(conds["RuntimeReady"].status())
      << conds["RuntimeReady"].message();
  EXPECT_FALSE(conds["NetworkReady"].status());
  EXPECT_EQ(conds["NetworkReady"].reason(), "NetworkPluginNotReady");
  EXPECT_NE(conds["NetworkReady"].message().find(conf_dir_), std::string::npos);

  std::ofstream(conf_dir_ + "/10-test.conflist") << R"({
    "cniVersion": "0.4.0", "name": "test",
    "plugins": [{"type": "bridge", "bridge": "crid0", "ipMasq": false,
                 "ipam": {"type": "host-local",
                          "ranges": [[{"subnet": "10.251.0.0/24"}]]}},
                {"type": "portmap", "capabilities": {"portMappings": true}}]})";
  conds = Conditions(Status());
  EXPECT_TRUE(conds["NetworkReady"].status())
      << conds["NetworkReady"].message();
}

TEST_F(DaemonTest, VerboseStatusDescribesConfig) {
  StartDaemon({"--pod-infra-container-image", "localhost:5000/pause:3.10"});
  v1::StatusResponse resp = Status(/*verbose=*/true);
  ASSERT_EQ(resp.info().count("config"), 1u);
  EXPECT_NE(resp.info().at("config").find("localhost:5000/pause:3.10"),
            std::string::npos);
  ASSERT_GE(resp.runtime_handlers_size(), 2) << "default + runc";
  EXPECT_EQ(resp.runtime_handlers(0).name(), "");
}

TEST_F(DaemonTest, CheckpointContainerSaysWhyItIsUnsupported) {
  StartDaemon();
  // The one RPC left unimplemented: its error names it and the reason.
  v1::CheckpointContainerResponse resp;
  grpc::Status s = runtime_->CheckpointContainer(Ctx().get(), {}, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_NE(s.error_message().find("CheckpointContainer"), std::string::npos);
  EXPECT_NE(s.error_message().find("CRIU"), std::string::npos)
      << s.error_message();
  // Formerly unimplemented RPCs answer: a missing argument is named.
  v1::PortForwardResponse pf;
  s = runtime_->PortForward(Ctx().get(), {}, &pf);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("pod_sandbox_id"), std::string::npos);
  v1::ListPodSandboxMetricsResponse metrics;
  s = runtime_->ListPodSandboxMetrics(Ctx().get(), {}, &metrics);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

TEST_F(DaemonTest, SocketIsGroupDockerMode0660) {
  StartDaemon();
  struct stat st;
  ASSERT_EQ(stat(socket_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  if (const group* g = getgrnam("docker")) {
    EXPECT_EQ(st.st_gid, g->gr_gid);
  }
}

TEST_F(DaemonTest, SigtermAndSigintStopCleanlyAndRemoveTheSocket) {
  for (int sig : {SIGTERM, SIGINT}) {
    StartDaemon();
    absl::StatusOr<int> code = daemon_->Stop(sig, absl::Seconds(15));
    ASSERT_TRUE(code.ok()) << code.status();
    EXPECT_EQ(*code, 0) << daemon_->Output();
    EXPECT_NE(access(socket_.c_str(), F_OK), 0) << "socket left behind";
    EXPECT_NE(daemon_->Output().find("shutting down"), std::string::npos);
  }
}

TEST_F(DaemonTest, SecondInstanceOnABusySocketRefusesToStart) {
  StartDaemon();
  ProcessResult second = RunToExit({CRID_BINARY, "--container-runtime-endpoint",
                                    endpoint_, "--cni-conf-dir", conf_dir_},
                                   absl::Seconds(20));
  EXPECT_EQ(second.exit_code, 1) << second.output;
  EXPECT_NE(second.output.find("already serving " + socket_), std::string::npos)
      << second.output;
  // The first daemon is unharmed.
  EXPECT_TRUE(daemon_->Running());
  EXPECT_TRUE(Conditions(Status())["RuntimeReady"].status());
}

TEST_F(DaemonTest, StaleSocketFileIsReplaced) {
  mkdir((dir_.path() + "/run").c_str(), 0755);
  const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, socket_.c_str());
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  close(fd);  // a socket file nobody serves, as after a crash
  StartDaemon();
  EXPECT_NE(daemon_->Output().find("removing stale socket"), std::string::npos);
}

TEST_F(DaemonTest, UnreachableDockerStillServesAndStatusSaysWhy) {
  const std::string missing = dir_.path() + "/no-docker.sock";
  StartDaemon({"--docker-endpoint", "unix://" + missing});
  auto runtime = Conditions(Status())["RuntimeReady"];
  EXPECT_FALSE(runtime.status());
  EXPECT_EQ(runtime.reason(), "DockerDaemonNotReady");
  EXPECT_NE(runtime.message().find(missing), std::string::npos)
      << runtime.message();
  v1::VersionResponse version;
  grpc::Status s = runtime_->Version(Ctx().get(), {}, &version);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_NE(daemon_->Output().find("not reachable"), std::string::npos);
}

TEST_F(DaemonTest, NotifiesSystemdReadyAndStopping) {
  const std::string notify = dir_.path() + "/notify.sock";
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, notify.c_str());
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  // A bound on each wait below, generous for a loaded machine: READY=1
  // may follow the first answered call by a moment.
  timeval tv{30, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setenv("NOTIFY_SOCKET", notify.c_str(), 1);
  StartDaemon();
  unsetenv("NOTIFY_SOCKET");
  char buf[256];
  ssize_t n = recv(fd, buf, sizeof(buf), 0);
  ASSERT_GT(n, 0);
  EXPECT_NE(std::string(buf, n).find("READY=1"), std::string::npos);
  ASSERT_TRUE(daemon_->Stop(SIGTERM, absl::Seconds(15)).ok());
  n = recv(fd, buf, sizeof(buf), 0);
  ASSERT_GT(n, 0);
  EXPECT_NE(std::string(buf, n).find("STOPPING=1"), std::string::npos);
  close(fd);
}

struct BadFlagCase {
  std::vector<std::string> args;
  const char* mention;
};

TEST(CommandLineTest, BadFlagsExit2WithOneClearLine) {
  const BadFlagCase cases[] = {
      {{"--bogus"}, "unknown flag: --bogus"},
      {{"--image-pull-progress-deadline=forever"},
       "--image-pull-progress-deadline"},
      {{"--network-plugin=kubenet"}, "kubenet"},
      {{"--docker-endpoint=npipe:////./pipe/docker"}, "npipe"},
      {{"--log-level"}, "--log-level"},
  };
  for (const BadFlagCase& c : cases) {
    std::vector<std::string> argv = {CRID_BINARY};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    ProcessResult r = RunToExit(argv, absl::Seconds(10));
    EXPECT_EQ(r.exit_code, 2) << c.args[0] << "\n" << r.output;
    EXPECT_NE(r.output.find(c.mention), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("cri-dockerd: "), 0u) << r.output;
  }
}

TEST(CommandLineTest, HelpVersionAndBuildinfo) {
  ProcessResult help = RunToExit({CRID_BINARY, "--help"}, absl::Seconds(10));
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.output.find("--container-runtime-endpoint"),
            std::string::npos);
  ProcessResult h = RunToExit({CRID_BINARY, "-h"}, absl::Seconds(10));
  EXPECT_EQ(h.output, help.output);
  ProcessResult version =
      RunToExit({CRID_BINARY, "--version"}, absl::Seconds(10));
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.output.find("cri-dockerd "), 0u) << version.output;
  ProcessResult info =
      RunToExit({CRID_BINARY, "--buildinfo"}, absl::Seconds(10));
  EXPECT_EQ(info.exit_code, 0);
  EXPECT_NE(info.output.find("runtime.v1"), std::string::npos);
}

TEST(CommandLineTest, FdEndpointWithoutSystemdExplains) {
  ProcessResult r =
      RunToExit({CRID_BINARY, "--container-runtime-endpoint", "fd://"},
                absl::Seconds(20));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("socket activation"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace cri_dockerd::testing_support
