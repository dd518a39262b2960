// The container view with the real binary and dockerd: what an operator
// does to the shim's containers through docker itself (docker stop,
// docker kill, docker rm -f) shows in ListContainers and ContainerStatus
// within 1 s, and a restarted dockerd (a private one) loses nothing: not
// the container's state, not a line of its output.
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cri/logs/cri_log_format.h"
#include "gtest/gtest.h"
#include "tests/integration/cri_fixture.h"
#include "tests/integration/private_dockerd.h"
#include "tests/poll_until.h"

namespace cri_dockerd::testing_support {
namespace {

using testing_util::PollUntil;

// The requirement: a change docker made shows within this bound.
constexpr absl::Duration kSeenWithin = absl::Seconds(1);

// The string value of `"key":"..."` in docker's JSON `json` (no escapes
// expected); empty if absent.
std::string JsonString(const std::string& json, const std::string& key) {
  const std::string open = "\"" + key + "\":\"";
  const size_t at = json.find(open);
  if (at == std::string::npos) return "";
  const size_t start = at + open.size();
  return json.substr(start, json.find('"', start) - start);
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The last "n <i>" docker's json-file log at `path` holds; -1 if none.
int LastDockerCount(const std::string& path) {
  const std::string text = Slurp(path);
  const size_t at = text.rfind("\"log\":\"n ");
  int n = -1;
  if (at == std::string::npos) return n;
  const size_t start = at + 9;
  if (!absl::SimpleAtoi(text.substr(start, text.find('\\', start) - start),
                        &n)) {
    return -1;
  }
  return n;
}

// Whether the CRI log text holds "n 0" .. "n <last>" once each, in order.
::testing::AssertionResult CountsOnce(const std::string& text, int last) {
  int next = 0;
  for (absl::string_view raw : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    auto line = logs::ParseCriLogLine(raw);
    int n = -1;
    if (!line.has_value() || !absl::ConsumePrefix(&line->content, "n ") ||
        !absl::SimpleAtoi(line->content, &n) || n != next) {
      return ::testing::AssertionFailure()
             << "expected n " << next << ", got: " << raw;
    }
    ++next;
  }
  if (next != last + 1) {
    return ::testing::AssertionFailure() << "the CRI log ends at n " << next - 1
                                         << ", docker's at n " << last;
  }
  return ::testing::AssertionSuccess();
}

class ContainerViewTest : public CriTest {
 protected:
  // The state ListContainers reports for `id`; UNKNOWN if not listed.
  v1::ContainerState Listed(const std::string& id) {
    v1::ListContainersResponse resp;
    grpc::Status s = runtime_->ListContainers(Ctx().get(), {}, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    for (const v1::Container& c : resp.containers()) {
      if (c.id() == id) return c.state();
    }
    return v1::CONTAINER_UNKNOWN;
  }
  // The state ContainerStatus reports; UNKNOWN when NotFound.
  v1::ContainerState Status(const std::string& id) {
    v1::ContainerStatusRequest req;
    req.set_container_id(id);
    v1::ContainerStatusResponse resp;
    grpc::Status s = runtime_->ContainerStatus(Ctx().get(), req, &resp);
    if (s.error_code() == grpc::StatusCode::NOT_FOUND) {
      return v1::CONTAINER_UNKNOWN;
    }
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.status().state();
  }
  bool Shows(const std::string& id, v1::ContainerState state) {
    return Listed(id) == state && Status(id) == state;
  }
  // A docker request on `socket`; whether docker answered 2xx.
  static bool Docker(const std::string& socket, const std::string& method,
                     const std::string& path) {
    const std::string reply = DockerRequest(socket, method, path);
    const std::string status = reply.substr(0, reply.find('\n'));
    return absl::StrContains(status, " 20");
  }
};

TEST_F(ContainerViewTest, ChangesMadeThroughDockerShowWithinOneSecond) {
  ASSERT_NO_FATAL_FAILURE(StartCri());
  const std::string pod = RunPod(PodConfig("view"));
  ASSERT_FALSE(pod.empty());
  struct Case {
    const char* what;
    const char* method;
    std::string path;  // after /containers/<id>
    v1::ContainerState want;
  };
  const Case cases[] = {
      {"docker stop", "POST", "/stop?t=0", v1::CONTAINER_EXITED},
      {"docker kill", "POST", "/kill", v1::CONTAINER_EXITED},
      {"docker rm -f", "DELETE", "?force=1", v1::CONTAINER_UNKNOWN},
  };
  int n = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string id =
        StartContainer(pod, Busybox(absl::StrCat("victim", ++n), "sleep 600"));
    ASSERT_FALSE(id.empty());
    ASSERT_TRUE(Shows(id, v1::CONTAINER_RUNNING));
    ASSERT_TRUE(Docker(LabDockerSocket(), c.method,
                       absl::StrCat("/containers/", id, c.path)));
    EXPECT_TRUE(PollUntil([&] { return Shows(id, c.want); }, kSeenWithin))
        << "still " << v1::ContainerState_Name(Listed(id)) << " / "
        << v1::ContainerState_Name(Status(id));
  }
}

TEST_F(ContainerViewTest, ARestartedDockerdLosesNothing) {
  PrivateDockerd dockerd;
  ASSERT_TRUE(dockerd.Start().ok()) << dockerd.Log();
  ASSERT_NO_FATAL_FAILURE(StartCri({"--docker-endpoint", dockerd.endpoint()}));
  const std::string pod = RunPod(PodConfig("restart"));
  ASSERT_FALSE(pod.empty());
  // Counts until dockerd's shutdown stops it.
  const std::string id = StartContainer(
      pod, Busybox("app",
                   "trap 'exit 0' TERM; i=0; while true; do echo \"n $i\"; "
                   "i=$((i+1)); sleep 0.02; done"));
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(Shows(id, v1::CONTAINER_RUNNING));
  WaitForText(LogPath("app"), " n 20\n");
  const std::string socket =
      dockerd.endpoint().substr(std::string("unix://").size());
  const std::string docker_log =
      JsonString(DockerGet(socket, "/containers/" + id + "/json"), "LogPath");
  ASSERT_FALSE(docker_log.empty());

  // dockerd stops its containers as it goes down.
  ASSERT_TRUE(dockerd.Stop().ok());
  ASSERT_TRUE(dockerd.Start().ok()) << dockerd.Log();
  EXPECT_TRUE(
      PollUntil([&] { return Shows(id, v1::CONTAINER_EXITED); }, kPatience))
      << cri_.process->Output();
  v1::PodSandboxStatusRequest req;
  req.set_pod_sandbox_id(pod);
  v1::PodSandboxStatusResponse resp;
  ASSERT_TRUE(runtime_->PodSandboxStatus(Ctx().get(), req, &resp).ok());
  EXPECT_EQ(resp.status().state(), v1::SANDBOX_NOTREADY);
  // Everything it wrote before dockerd stopped it is in its CRI log once.
  const int last = LastDockerCount(docker_log);
  ASSERT_GE(last, 20) << docker_log;
  EXPECT_TRUE(CountsOnce(
      WaitForText(LogPath("app"), absl::StrCat(" n ", last, "\n")), last));

  // The new dockerd's events are followed: a removal shows within 1 s.
  ASSERT_TRUE(Docker(socket, "DELETE", "/containers/" + id + "?force=1"));
  EXPECT_TRUE(
      PollUntil([&] { return Shows(id, v1::CONTAINER_UNKNOWN); }, kSeenWithin));
  // While this test's dockerd still runs.
  grpc::Status removed = RemovePod(pod);
  EXPECT_TRUE(removed.ok()) << removed.error_message();
}

}  // namespace
}  // namespace cri_dockerd::testing_support
