// The release tarball's binary (deploy/release/: the cri-dockerd-static
// target) is fully static: no interpreter, no shared library. Proven by
// running it in a root filesystem that holds nothing but the binary, an
// /etc/group and an /etc/nsswitch.conf naming services that only shared
// NSS modules provide (`docker import`ed, run on the lab's dockerd):
// --version, then the CRI served on a bind-mounted socket directory to the
// generated client on the host, carried out against the lab's dockerd
// through the bind-mounted docker.sock, and through a tcp:// endpoint
// whose host name only /etc/hosts knows.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "tests/integration/cri_daemon.h"
#include "tests/integration/daemon_process.h"
#include "tests/integration/lab_engine.h"
#include "tests/integration/private_dockerd.h"
#include "tests/poll_until.h"

namespace cri_dockerd::testing_support {
namespace {

namespace v1 = ::runtime::v1;

// tests/harness/lab_env.sh: pulled through the static daemon (present on
// the lab's engine already: the pull only checks the registry's digest).
constexpr char kPause[] = "registry.k8s.io/pause:3.10";
// The docker group in the image's /etc/group: the socket must get it.
constexpr int kDockerGid = 4242;

ProcessResult Docker(std::vector<std::string> args,
                     absl::Duration timeout = absl::Seconds(120)) {
  std::vector<std::string> argv = {"docker", "-H", LabDockerEndpoint()};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunToExit(argv, timeout);
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

TEST(StaticBinaryTest, HasNoInterpreterAndNoSharedLibraries) {
  ASSERT_EQ(access(CRID_STATIC_BINARY, X_OK), 0)
      << CRID_STATIC_BINARY
      << " is missing: cmake --build build --target cri-dockerd-static";
  ProcessResult headers =
      RunToExit({"readelf", "-lW", CRID_STATIC_BINARY}, absl::Seconds(30));
  ASSERT_EQ(headers.exit_code, 0) << headers.output;
  EXPECT_TRUE(absl::StrContains(headers.output, "LOAD")) << headers.output;
  EXPECT_FALSE(absl::StrContains(headers.output, "INTERP")) << headers.output;
  ProcessResult dynamic =
      RunToExit({"readelf", "-dW", CRID_STATIC_BINARY}, absl::Seconds(30));
  ASSERT_EQ(dynamic.exit_code, 0) << dynamic.output;
  EXPECT_FALSE(absl::StrContains(dynamic.output, "(NEEDED)")) << dynamic.output;
  ProcessResult file =
      RunToExit({"file", "-b", CRID_STATIC_BINARY}, absl::Seconds(30));
  EXPECT_TRUE(absl::StrContains(file.output, "static-pie linked") ||
              absl::StrContains(file.output, "statically linked"))
      << file.output;
}

class StaticRootfsTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(access(CRID_STATIC_BINARY, X_OK), 0)
        << CRID_STATIC_BINARY
        << " is missing: cmake --build build --target cri-dockerd-static";
    ASSERT_TRUE(PingDocker(LabDockerSocket())) << "needs the lab's dockerd";
    // rootfs/: the binary, empty /tmp and /run, and two files a node has.
    const std::string root = dir_.path() + "/rootfs";
    ASSERT_EQ(RunToExit({"mkdir", "-p", root + "/tmp", root + "/run",
                         root + "/etc", sock_dir_},
                        absl::Seconds(10))
                  .exit_code,
              0);
    ASSERT_EQ(RunToExit({"cp", CRID_STATIC_BINARY, root + "/cri-dockerd"},
                        absl::Seconds(30))
                  .exit_code,
              0);
    WriteFile(root + "/etc/group",
              absl::StrCat("root:x:0:\ndocker:x:", kDockerGid, ":\n"));
    // Services only shared NSS modules provide (SSSD's, systemd's): a
    // static glibc that honoured this file would dlopen libnss_sss.so.2
    // (absent here; built for another libc on a real host) and find no
    // group, so the socket's group shows that the binary never does.
    WriteFile(root + "/etc/nsswitch.conf",
              "passwd: sss\ngroup: sss\nhosts: resolve\n");
    ProcessResult tar =
        RunToExit({"tar", "-C", root, "-cf", dir_.path() + "/rootfs.tar", "."},
                  absl::Seconds(30));
    ASSERT_EQ(tar.exit_code, 0) << tar.output;
    ProcessResult import =
        Docker({"import", dir_.path() + "/rootfs.tar", image_});
    ASSERT_EQ(import.exit_code, 0) << import.output;
    imported_ = true;
  }

  void TearDown() override {
    if (daemon_ != nullptr) {
      Docker({"rm", "-f", container_}, absl::Seconds(60));
      daemon_.reset();
    }
    if (imported_) Docker({"rmi", "-f", image_}, absl::Seconds(60));
  }

  // `docker run` of the image with the lab's docker.sock at the default
  // /var/run/docker.sock, the socket directory at /sock and `options`
  // (default: no network).
  std::vector<std::string> Run(std::vector<std::string> command,
                               std::vector<std::string> options = {"--network",
                                                                   "none"}) {
    std::vector<std::string> argv = {
        "docker",
        "-H",
        LabDockerEndpoint(),
        "run",
        "--rm",
        "--name",
        container_,
        "-v",
        absl::StrCat(LabDockerSocket(), ":/var/run/docker.sock"),
        "-v",
        sock_dir_ + ":/sock"};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.push_back(image_);
    argv.insert(argv.end(), command.begin(), command.end());
    return argv;
  }

  // Starts `argv` as the daemon and waits until its CRI socket serves.
  void StartDaemon(std::vector<std::string> argv) {
    daemon_ = std::make_unique<DaemonProcess>(std::move(argv));
    // A binary that cannot run in this root exits at once: say so then.
    ASSERT_TRUE(testing_util::PollUntil([&] {
      return access(socket_.c_str(), F_OK) == 0 || !daemon_->Running();
    }));
    ASSERT_TRUE(daemon_->Running()) << daemon_->Output();
    ASSERT_TRUE(WaitUntilServing(endpoint_, absl::Seconds(60)).ok())
        << daemon_->Output();
  }

  // The CRI Version call answers with the lab engine's version.
  void ExpectVersion(v1::RuntimeService::Stub* runtime) {
    v1::VersionResponse version;
    grpc::Status s = runtime->Version(Ctx().get(), {}, &version);
    ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << daemon_->Output();
    EXPECT_EQ(version.runtime_name(), "docker");
    EXPECT_EQ(version.runtime_api_version(), "v1");
    ProcessResult engine =
        Docker({"version", "--format", "{{.Server.Version}}"});
    ASSERT_EQ(engine.exit_code, 0) << engine.output;
    EXPECT_EQ(version.runtime_version(),
              absl::StripTrailingAsciiWhitespace(engine.output));
  }

  // SIGTERM through `docker run`'s signal proxy: a clean exit.
  void ExpectCleanStop() {
    absl::StatusOr<int> code = daemon_->Stop(SIGTERM, absl::Seconds(30));
    ASSERT_TRUE(code.ok()) << code.status();
    EXPECT_EQ(*code, 0) << daemon_->Output();
    EXPECT_TRUE(absl::StrContains(daemon_->Output(),
                                  "serving the CRI on unix:///sock/cri.sock"))
        << daemon_->Output();
  }

  ScratchDir dir_;
  const std::string sock_dir_ = dir_.path() + "/sock";
  const std::string socket_ = sock_dir_ + "/cri.sock";
  const std::string endpoint_ = "unix://" + socket_;
  const std::string image_ = absl::StrCat("crid-test/static-rootfs:", getpid());
  const std::string container_ = absl::StrCat("crid-static-test-", getpid());
  bool imported_ = false;
  std::unique_ptr<DaemonProcess> daemon_;
};

TEST_F(StaticRootfsTest, PrintsVersion) {
  ProcessResult version =
      RunToExit(Run({"/cri-dockerd", "--version"}), absl::Seconds(60));
  ASSERT_EQ(version.exit_code, 0) << version.output;
  EXPECT_TRUE(absl::StartsWith(version.output, "cri-dockerd "))
      << version.output;
}

TEST_F(StaticRootfsTest, ServesCriAgainstTheLabEngine) {
  StartDaemon(Run({"/cri-dockerd", "--container-runtime-endpoint",
                   "unix:///sock/cri.sock"}));

  // The socket's group from /etc/group despite nsswitch.conf's "sss".
  struct stat st;
  ASSERT_EQ(stat(socket_.c_str(), &st), 0);
  EXPECT_EQ(st.st_gid, static_cast<gid_t>(kDockerGid)) << daemon_->Output();
  EXPECT_EQ(st.st_mode & 0777, 0660u);

  auto runtime = v1::RuntimeService::NewStub(Dial(endpoint_));
  auto images = v1::ImageService::NewStub(Dial(endpoint_));
  ExpectVersion(runtime.get());

  // A pull (docker's streamed progress through libcurl), then the image
  // listed with the ID docker gives it.
  grpc::Status s = PullImage(images.get(), kPause);
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << daemon_->Output();
  ProcessResult id =
      Docker({"image", "inspect", "--format", "{{.Id}}", kPause});
  ASSERT_EQ(id.exit_code, 0) << id.output;
  v1::ListImagesResponse list;
  s = images->ListImages(Ctx().get(), {}, &list);
  ASSERT_TRUE(s.ok()) << s.error_message();
  bool listed = false;
  for (const v1::Image& image : list.images()) {
    for (const std::string& tag : image.repo_tags()) {
      if (tag == kPause) {
        listed = true;
        EXPECT_EQ(image.id(), absl::StripTrailingAsciiWhitespace(id.output));
      }
    }
  }
  EXPECT_TRUE(listed) << kPause << " not in ListImages (" << list.images_size()
                      << " images)";

  v1::ListContainersResponse containers;
  s = runtime->ListContainers(Ctx().get(), {}, &containers);
  EXPECT_TRUE(s.ok()) << s.error_message();
  ExpectCleanStop();
}

// --docker-endpoint tcp://NAME:PORT: plain HTTP over TCP, NAME found in
// /etc/hosts (docker's --add-host) by the static glibc although
// nsswitch.conf names only systemd-resolved's module for hosts. The engine
// is the lab's, forwarded from a loopback port by socat.
TEST_F(StaticRootfsTest, ReachesATcpEngineByHostName) {
  // A free loopback port for socat (released just before it binds).
  int port = 0;
  {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    port = ntohs(addr.sin_port);
    close(fd);
  }
  DaemonProcess forwarder(
      {"socat",
       absl::StrCat("TCP-LISTEN:", port, ",bind=127.0.0.1,reuseaddr,fork"),
       absl::StrCat("UNIX-CONNECT:", LabDockerSocket())});
  ASSERT_TRUE(testing_util::PollUntil([&] {
    return RunToExit({"socat", "-u", "/dev/null",
                      absl::StrCat("TCP:127.0.0.1:", port)},
                     absl::Seconds(5))
                   .exit_code == 0 ||
           !forwarder.Running();
  }));
  ASSERT_TRUE(forwarder.Running()) << "socat: " << forwarder.Output();

  StartDaemon(Run(
      {"/cri-dockerd", "--container-runtime-endpoint", "unix:///sock/cri.sock",
       "--docker-endpoint", absl::StrCat("tcp://crid-engine:", port)},
      {"--network", "host", "--add-host", "crid-engine:127.0.0.1"}));
  auto runtime = v1::RuntimeService::NewStub(Dial(endpoint_));
  ExpectVersion(runtime.get());
  ExpectCleanStop();
}

}  // namespace
}  // namespace cri_dockerd::testing_support
