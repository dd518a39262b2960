// --metrics-bind-addr with the real binary against the host's dockerd: CRI
// calls and docker calls show up in a scrape; without the flag the daemon
// serves no metrics; bad values and busy ports stop start-up.
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/cri_daemon.h"
#include "tests/integration/metrics_scrape.h"
#include "tests/integration/private_dockerd.h"

namespace cri_dockerd::testing_support {
namespace {

namespace v1 = ::runtime::v1;

// The value of the sample line starting with `series` ("name{labels}"),
// or -1 when there is none.
double Value(const std::string& text, const std::string& series) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::ConsumePrefix(&line, series) && absl::ConsumePrefix(&line, " ")) {
      double v = -1;
      return absl::SimpleAtod(line, &v) ? v : -1;
    }
  }
  return -1;
}

double Requests(const std::string& text, const std::string& method,
                const std::string& code) {
  return std::max(
      0.0, Value(text, absl::StrCat("cri_dockerd_grpc_requests_total{method=\"",
                                    method, "\",code=\"", code, "\"}")));
}

class MetricsTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(PingDocker("/var/run/docker.sock"))
        << "integration tests need dockerd (tests/harness/lab_up.sh)";
  }
  ScratchDir dir_;
};

TEST_F(MetricsTest, ScrapeCountsCriCallsDockerCallsAndProcess) {
  const int port = FreePort();
  auto daemon = StartCriDaemon(
      dir_.path(), {"--metrics-bind-addr", absl::StrCat("127.0.0.1:", port)});
  ASSERT_TRUE(daemon.ok()) << daemon.status();
  const std::string before = FirstScrape(port);
  ASSERT_TRUE(absl::StartsWith(before, "HTTP/1.1 200 OK\r\n")) << before;
  EXPECT_TRUE(absl::StrContains(
      before, "Content-Type: text/plain; version=0.0.4; charset=utf-8"));

  v1::VersionResponse version;
  ASSERT_TRUE(daemon->runtime->Version(Ctx().get(), {}, &version).ok());
  v1::ListPodSandboxResponse pods;
  ASSERT_TRUE(daemon->runtime->ListPodSandbox(Ctx().get(), {}, &pods).ok());
  v1::ContainerStatusRequest bad;
  bad.set_container_id("crid-metrics-test-no-such-container");
  v1::ContainerStatusResponse status;
  EXPECT_EQ(
      daemon->runtime->ContainerStatus(Ctx().get(), bad, &status).error_code(),
      grpc::StatusCode::NOT_FOUND);
  // Answered from the daemon's container view; an unknown image is asked
  // of docker, which says 404.
  v1::ImageStatusRequest no_image;
  no_image.mutable_image()->set_image(
      "localhost:5000/crid-metrics-test-no-such-image:1");
  v1::ImageStatusResponse image_status;
  ASSERT_TRUE(
      daemon->images->ImageStatus(Ctx().get(), no_image, &image_status).ok());
  EXPECT_FALSE(image_status.has_image());

  const std::string after = HttpGet(port, "/metrics");
  ASSERT_TRUE(absl::StartsWith(after, "HTTP/1.1 200 OK\r\n")) << after;
  EXPECT_EQ(
      Requests(after, "Version", "OK") - Requests(before, "Version", "OK"), 1);
  EXPECT_EQ(Requests(after, "ListPodSandbox", "OK") -
                Requests(before, "ListPodSandbox", "OK"),
            1);
  EXPECT_EQ(Requests(after, "ContainerStatus", "NotFound") -
                Requests(before, "ContainerStatus", "NotFound"),
            1)
      << after;
  EXPECT_GE(Value(after,
                  "cri_dockerd_grpc_request_duration_seconds_count{method="
                  "\"ListPodSandbox\"}"),
            1);
  // The start-up probe and Version asked docker for /version; the
  // unknown image got a 404 from docker.
  EXPECT_GE(Value(after,
                  "cri_dockerd_docker_request_duration_seconds_count{"
                  "operation=\"GET /version\"}"),
            1)
      << after;
  EXPECT_GE(Value(after,
                  "cri_dockerd_docker_requests_total{operation=\"GET "
                  "/images/{name}/json\",code=\"404\"}"),
            1)
      << after;
  EXPECT_FALSE(absl::StrContains(after, "crid-metrics-test-no-such"));
  const double rss = Value(after, "process_resident_memory_bytes");
  EXPECT_GT(rss, 1 << 20);
  EXPECT_LT(rss, 1 << 30);
  EXPECT_GE(Value(after, "process_open_fds"), 3);
  EXPECT_GE(Value(after, "process_threads"), 2);

  EXPECT_TRUE(
      absl::StartsWith(HttpGet(port, "/"), "HTTP/1.1 404 Not Found\r\n"));
  // A clean stop still works with the endpoint open.
  auto code = daemon->process->Stop(SIGTERM, absl::Seconds(15));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0) << daemon->process->Output();
  EXPECT_EQ(HttpGet(port, "/metrics"), "");
}

// Socket inodes of the TCP sockets listening in this network namespace.
std::set<std::string> ListeningInodes() {
  std::set<std::string> out;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::vector<std::string> f =
          absl::StrSplit(line, ' ', absl::SkipWhitespace());
      if (f.size() > 9 && f[3] == "0A") out.insert(f[9]);  // 0A: LISTEN
    }
  }
  return out;
}

TEST_F(MetricsTest, WithoutTheFlagOnlyTheStreamingServerListens) {
  auto daemon = StartCriDaemon(dir_.path());
  ASSERT_TRUE(daemon.ok()) << daemon.status();
  const std::set<std::string> listening = ListeningInodes();
  const std::string fd_dir =
      absl::StrCat("/proc/", daemon->process->pid(), "/fd");
  DIR* d = opendir(fd_dir.c_str());
  ASSERT_NE(d, nullptr);
  int tcp_listeners = 0;
  while (dirent* e = readdir(d)) {
    char target[256];
    const ssize_t n =
        readlink((fd_dir + "/" + e->d_name).c_str(), target, sizeof target - 1);
    if (n <= 0) continue;
    target[n] = '\0';
    absl::string_view t(target);
    if (absl::ConsumePrefix(&t, "socket:[") && absl::ConsumeSuffix(&t, "]") &&
        listening.count(std::string(t)) != 0) {
      ++tcp_listeners;
    }
  }
  closedir(d);
  // The exec/attach/port-forward streaming server, and nothing else.
  EXPECT_EQ(tcp_listeners, 1) << "the daemon listens on TCP for more than "
                                 "the streaming server without "
                                 "--metrics-bind-addr";
}

TEST_F(MetricsTest, BadValueIsAUsageError) {
  for (const char* bad : {"localhost:9101", "9101", "127.0.0.1:70000"}) {
    ProcessResult r =
        RunToExit({CRID_BINARY, "--metrics-bind-addr", bad}, absl::Seconds(10));
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.output;
    EXPECT_TRUE(absl::StrContains(r.output, "--metrics-bind-addr")) << r.output;
  }
}

TEST_F(MetricsTest, BusyPortStopsStartUp) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  auto process = DaemonProcess::StartCriDockerd(
      dir_.path() + "/cri.sock",
      {"--cni-conf-dir", dir_.path(), "--cri-dockerd-root-directory",
       dir_.path() + "/root", "--metrics-bind-addr",
       absl::StrCat("127.0.0.1:", ntohs(addr.sin_port))});
  auto code = process->Wait(absl::Seconds(20));
  close(fd);
  ASSERT_TRUE(code.ok()) << code.status() << process->Output();
  EXPECT_EQ(*code, 1) << process->Output();
  EXPECT_TRUE(absl::StrContains(process->Output(), "--metrics-bind-addr"))
      << process->Output();
}

}  // namespace
}  // namespace cri_dockerd::testing_support
