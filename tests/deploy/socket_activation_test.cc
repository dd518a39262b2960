// The installed cri-dockerd, socket-activated the way the installed units
// run it: deploy/install.sh --root into a scratch root, then
// `systemd-socket-activate -l <cri-docker.socket's ListenStream, %t = root/run>
// <root>/usr/bin/cri-dockerd <cri-docker.service's ExecStart arguments, with
// $CRI_DOCKERD_OPTS from <root>/etc/default/cri-dockerd>`, answering the CRI
// Version call on that socket.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/daemon_process.h"
#include "tests/poll_until.h"

namespace cri_dockerd::testing_support {
namespace {

namespace v1 = ::runtime::v1;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The value of the first "KEY=value" line of a unit or environment file.
std::string Setting(const std::string& text, absl::string_view key) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::ConsumePrefix(&line, key) && absl::ConsumePrefix(&line, "=")) {
      return std::string(line);
    }
  }
  return "";
}

std::vector<std::string> Words(absl::string_view s) {
  return absl::StrSplit(s, ' ', absl::SkipEmpty());
}

TEST(DeploySocketActivationTest, InstalledUnitsServeVersion) {
  ASSERT_EQ(access("/usr/bin/systemd-socket-activate", X_OK), 0)
      << "needs systemd-socket-activate (package systemd)";
  ScratchDir dir;
  const std::string root = dir.path() + "/root";
  ASSERT_EQ(mkdir(root.c_str(), 0755), 0);
  ASSERT_EQ(RunToExit({"mkdir", "-p", root + "/usr/bin", root + "/run",
                       dir.path() + "/cni"},
                      absl::Seconds(10))
                .exit_code,
            0);
  {
    // install.sh wants Docker Engine in the root it prepares.
    std::ofstream dockerd(root + "/usr/bin/dockerd");
    dockerd << "#!/bin/sh\necho 'Docker version 20.10.24'\n";
  }
  ASSERT_EQ(chmod((root + "/usr/bin/dockerd").c_str(), 0755), 0);

  ProcessResult install =
      RunToExit({"/bin/bash", CRID_SOURCE_DIR "/deploy/install.sh", "--root",
                 root, "--binary", CRID_BINARY},
                absl::Seconds(60));
  ASSERT_EQ(install.exit_code, 0) << install.output;

  // cri-docker.socket: where systemd listens (%t is /run for the system).
  const std::string socket_unit =
      ReadFile(root + "/etc/systemd/system/cri-docker.socket");
  const std::string listen = Setting(socket_unit, "ListenStream");
  ASSERT_EQ(listen, "%t/cri-dockerd.sock") << socket_unit;
  const std::string socket =
      absl::StrReplaceAll(listen, {{"%t", root + "/run"}});

  // cri-docker.service: ExecStart, with $CRI_DOCKERD_OPTS split into words
  // as systemd does for an unbraced variable from the EnvironmentFile.
  const std::string service =
      ReadFile(root + "/etc/systemd/system/cri-docker.service");
  ASSERT_EQ(Setting(service, "EnvironmentFile"), "-/etc/default/cri-dockerd");
  const std::string opts_line =
      Setting(ReadFile(root + "/etc/default/cri-dockerd"), "CRI_DOCKERD_OPTS");
  absl::string_view opts = opts_line;
  ASSERT_TRUE(absl::ConsumePrefix(&opts, "\"") &&
              absl::ConsumeSuffix(&opts, "\""))
      << opts;
  std::vector<std::string> argv = {"systemd-socket-activate", "-l", socket};
  for (const std::string& word : Words(Setting(service, "ExecStart"))) {
    if (word == "$CRI_DOCKERD_OPTS") {
      for (const std::string& o : Words(opts)) argv.push_back(o);
    } else if (word == "/usr/bin/cri-dockerd") {
      argv.push_back(root + word);  // the installed copy
    } else {
      argv.push_back(word);
    }
  }
  ASSERT_EQ(argv[3], root + "/usr/bin/cri-dockerd");
  ASSERT_EQ(argv[4], "--container-runtime-endpoint");
  ASSERT_EQ(argv[5], "fd://");
  // Keep the daemon's state and CNI lookups in the scratch directory (later
  // flags win).
  for (const char* flag : {"--cri-dockerd-root-directory", "--cni-cache-dir"}) {
    argv.push_back(flag);
    argv.push_back(dir.path() + "/state");
  }
  argv.push_back("--cni-conf-dir");
  argv.push_back(dir.path() + "/cni");

  DaemonProcess activator(argv);
  ASSERT_TRUE(testing_util::PollUntil([&] {
    return access(socket.c_str(), F_OK) == 0;
  })) << "systemd-socket-activate never created "
      << socket << "\n"
      << absl::StrJoin(argv, " ") << "\n"
      << activator.Output();

  // The first connection makes systemd-socket-activate exec cri-dockerd.
  ASSERT_TRUE(
      WaitUntilServing("unix://" + socket, testing_util::kPollTimeout).ok())
      << activator.Output();
  auto stub = v1::RuntimeService::NewStub(Dial("unix://" + socket));
  v1::VersionResponse version;
  grpc::Status s = stub->Version(Ctx().get(), {}, &version);
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << activator.Output();
  EXPECT_EQ(version.runtime_name(), "docker");
  EXPECT_EQ(version.runtime_api_version(), "v1");
  EXPECT_FALSE(version.runtime_version().empty());

  absl::StatusOr<int> code = activator.Stop(SIGTERM, absl::Seconds(15));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0) << activator.Output();
  EXPECT_TRUE(absl::StrContains(activator.Output(), "serving the CRI on fd://"))
      << activator.Output();
}

}  // namespace
}  // namespace cri_dockerd::testing_support
