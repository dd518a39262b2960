// Fault: dockerd restarted under running pods. A private dockerd (Debian's
// docker has no live-restore: its shutdown stops every container) is
// stopped and started again while a pod's container logs a line every
// 0.2 s and a client follows GetContainerEvents. What a kubelet needs:
//  - the daemon stays up (same process) and Status turns NotReady, then
//    Ready again, with no restart of the daemon;
//  - ListPodSandbox, ListContainers, PodSandboxStatus and ContainerStatus
//    report what docker says of the pod after the restart;
//  - the events stream opened before the restart keeps going (the shim
//    reconnects to docker and resynchronises, see
//    cri/events/container_event_source.h): the deaths arrive as STOPPED
//    events, later changes as usual;
//  - StopPodSandbox + RemovePodSandbox leave nothing (no docker container,
//    no checkpoint), and a new pod runs and its CRI log receives lines.
#include <dirent.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/cri_fixture.h"
#include "tests/integration/event_follower.h"
#include "tests/integration/private_dockerd.h"
#include "tests/poll_until.h"

namespace cri_dockerd::testing_support {
namespace {

using testing_util::PollUntil;

// Entries of `dir` (dot-files aside); none if it does not exist.
std::vector<std::string> Entries(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] != '.') names.push_back(e->d_name);
    }
    closedir(d);
  }
  return names;
}

class DockerdRestartTest : public CriTest {
 protected:
  // Counts a line every 0.2 s until dockerd's shutdown stops it.
  static v1::ContainerConfig Ticker(const std::string& name) {
    return Busybox(name,
                   "trap 'exit 0' TERM; i=0; while true; do echo \"tick $i\"; "
                   "i=$((i+1)); sleep 0.2; done");
  }

  std::string socket() const {
    return dockerd_.endpoint().substr(std::string("unix://").size());
  }
  // Whether docker says container `id` runs; nullopt if docker does not
  // know it or does not answer.
  std::optional<bool> DockerRunning(const std::string& id) const {
    const std::string reply =
        DockerGet(socket(), "/containers/" + id + "/json");
    if (!absl::StrContains(reply.substr(0, reply.find('\n')), " 200 ")) {
      return std::nullopt;
    }
    return absl::StrContains(reply, "\"Running\":true");
  }
  bool RuntimeReady() {
    v1::StatusResponse resp;
    grpc::Status s = runtime_->Status(Ctx(absl::Seconds(10)).get(), {}, &resp);
    EXPECT_TRUE(s.ok()) << "Status must answer: " << s.error_message();
    for (const auto& c : resp.status().conditions()) {
      if (c.type() == "RuntimeReady") return c.status();
    }
    ADD_FAILURE() << "no RuntimeReady condition";
    return false;
  }
  // The sandbox's state as ListPodSandbox shows it; -1 if not listed.
  int ListedSandboxState(const std::string& pod) {
    v1::ListPodSandboxRequest req;
    req.mutable_filter()->set_id(pod);
    v1::ListPodSandboxResponse resp;
    grpc::Status s = runtime_->ListPodSandbox(Ctx().get(), req, &resp);
    if (!s.ok() || resp.items_size() != 1) return -1;
    return resp.items(0).state();
  }
  // Its state as PodSandboxStatus says; -1 on error.
  int SandboxStatusState(const std::string& pod) {
    v1::PodSandboxStatusRequest req;
    req.set_pod_sandbox_id(pod);
    v1::PodSandboxStatusResponse resp;
    grpc::Status s = runtime_->PodSandboxStatus(Ctx().get(), req, &resp);
    return s.ok() ? resp.status().state() : -1;
  }
  // The pod's containers as ListContainers shows them: state by ID.
  std::map<std::string, v1::ContainerState> ListedContainers(
      const std::string& pod) {
    v1::ListContainersRequest req;
    req.mutable_filter()->set_pod_sandbox_id(pod);
    v1::ListContainersResponse resp;
    grpc::Status s = runtime_->ListContainers(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::map<std::string, v1::ContainerState> out;
    for (const v1::Container& c : resp.containers()) out[c.id()] = c.state();
    return out;
  }
  // The subscription exists once the shim logged it: from then on no
  // event may be missed.
  void WaitUntilSubscribed() {
    ASSERT_TRUE(PollUntil(
        [&] {
          return absl::StrContains(cri_.process->Output(),
                                   "GetContainerEvents: client subscribed");
        },
        kPatience))
        << cri_.process->Output();
  }

  // Declared after CriTest's members, so destroyed first; but
  // CriTest::TearDown (which removes the pods a failed test left) runs
  // before any member is destroyed, while this dockerd still serves.
  PrivateDockerd dockerd_;
};

TEST_F(DockerdRestartTest, PodsSurviveInTheCriViewAndKubeletCanRecover) {
  ASSERT_TRUE(dockerd_.Start().ok()) << dockerd_.Log();
  // No CNI: the daemon's no-op networking puts pods on the private
  // dockerd's own bridge.
  ASSERT_NO_FATAL_FAILURE(StartCri(
      {"--docker-endpoint", dockerd_.endpoint(), "--network-plugin", "no-op"}));
  const pid_t daemon_pid = cri_.process->pid();
  EventFollower events(runtime_);
  ASSERT_NO_FATAL_FAILURE(WaitUntilSubscribed());

  const v1::PodSandboxConfig config = PodConfig("restart", false);
  const std::string pod = RunPod(config);
  ASSERT_FALSE(pod.empty());
  const std::string app = StartContainer(pod, Ticker("app"));
  ASSERT_FALSE(app.empty());
  WaitForText(LogPath("app"), "tick 3\n");
  ASSERT_EQ(StatusOf(app).state(), v1::CONTAINER_RUNNING);
  ASSERT_TRUE(events.Await(app, v1::CONTAINER_STARTED_EVENT).has_value())
      << events.Describe();

  // dockerd goes away: the daemon says so at once and stays up.
  ASSERT_TRUE(dockerd_.Stop().ok()) << dockerd_.Log();
  EXPECT_TRUE(PollUntil([&] { return !RuntimeReady(); }, kPatience))
      << "Status still says RuntimeReady with dockerd stopped";
  ASSERT_TRUE(cri_.process->Running()) << cri_.process->Output();

  // It comes back: Ready again, with no restart of the daemon.
  ASSERT_TRUE(dockerd_.Start().ok()) << dockerd_.Log();
  EXPECT_TRUE(PollUntil([&] { return RuntimeReady(); }, kPatience))
      << "Status never said RuntimeReady again\n"
      << cri_.process->Output();
  ASSERT_TRUE(cri_.process->Running()) << cri_.process->Output();
  EXPECT_EQ(cri_.process->pid(), daemon_pid);

  // What docker says of the pod now (without live-restore its shutdown
  // stopped both containers), the CRI says too.
  const std::optional<bool> app_runs = DockerRunning(app);
  const std::optional<bool> sandbox_runs = DockerRunning(pod);
  ASSERT_TRUE(app_runs.has_value() && sandbox_runs.has_value())
      << "the restarted dockerd lost the pod's containers";
  printf("after the restart: sandbox %s, container %s\n",
         *sandbox_runs ? "running" : "stopped",
         *app_runs ? "running" : "exited");
  const v1::ContainerState want_app =
      *app_runs ? v1::CONTAINER_RUNNING : v1::CONTAINER_EXITED;
  const int want_pod = *sandbox_runs ? v1::SANDBOX_READY : v1::SANDBOX_NOTREADY;
  EXPECT_TRUE(PollUntil(
      [&] {
        return ListedSandboxState(pod) == want_pod &&
               SandboxStatusState(pod) == want_pod &&
               ListedContainers(pod) ==
                   std::map<std::string, v1::ContainerState>{{app, want_app}} &&
               StatusOf(app).state() == want_app;
      },
      kPatience))
      << "listed sandbox " << ListedSandboxState(pod) << ", status "
      << SandboxStatusState(pod) << ", container "
      << v1::ContainerState_Name(StatusOf(app).state()) << "; docker says "
      << *sandbox_runs << "/" << *app_runs;
  if (!*app_runs) {
    const v1::ContainerStatus st = StatusOf(app);
    EXPECT_GT(st.finished_at(), st.started_at()) << st.DebugString();
  }

  // The stream opened before the restart goes on: deaths come as STOPPED.
  if (!*app_runs) {
    EXPECT_TRUE(events.Await(app, v1::CONTAINER_STOPPED_EVENT).has_value())
        << events.Describe();
  }
  if (!*sandbox_runs) {
    EXPECT_TRUE(events.Await(pod, v1::CONTAINER_STOPPED_EVENT).has_value())
        << events.Describe();
  }
  grpc::Status stream;
  EXPECT_FALSE(events.Done(&stream))
      << "the events stream ended at the restart: " << stream.error_code()
      << " " << stream.error_message();

  // What kubelet does with a dead pod: list, stop, remove.
  v1::ListPodSandboxResponse listed;
  ASSERT_TRUE(
      runtime_
          ->ListPodSandbox(Ctx().get(), v1::ListPodSandboxRequest(), &listed)
          .ok());
  ASSERT_EQ(listed.items_size(), 1);
  ASSERT_EQ(listed.items(0).id(), pod);
  grpc::Status removed = RemovePod(pod);
  ASSERT_TRUE(removed.ok()) << removed.error_message() << "\n"
                            << cri_.process->Output();
  ASSERT_TRUE(
      runtime_
          ->ListPodSandbox(Ctx().get(), v1::ListPodSandboxRequest(), &listed)
          .ok());
  EXPECT_EQ(listed.items_size(), 0) << listed.DebugString();
  v1::ListContainersResponse containers;
  ASSERT_TRUE(runtime_
                  ->ListContainers(Ctx().get(), v1::ListContainersRequest(),
                                   &containers)
                  .ok());
  EXPECT_EQ(containers.containers_size(), 0) << containers.DebugString();
  const std::string all = DockerGet(socket(), "/containers/json?all=1");
  EXPECT_TRUE(absl::StrContains(all, "\r\n\r\n[]"))
      << "docker still has containers:\n"
      << all;
  EXPECT_TRUE(Entries(dir_.path() + "/root/sandbox").empty())
      << "a checkpoint is left";
  EXPECT_TRUE(events.Await(app, v1::CONTAINER_DELETED_EVENT).has_value())
      << events.Describe();
  EXPECT_TRUE(events.Await(pod, v1::CONTAINER_DELETED_EVENT).has_value())
      << events.Describe();

  // A new pod runs on the restarted dockerd; its log is copied.
  const std::string again = RunPod(PodConfig("restart-again", false));
  ASSERT_FALSE(again.empty());
  const std::string app2 = StartContainer(again, Ticker("app2"));
  ASSERT_FALSE(app2.empty());
  WaitForText(LogPath("app2"), "tick 3\n");
  EXPECT_EQ(StatusOf(app2).state(), v1::CONTAINER_RUNNING);
  EXPECT_TRUE(events.Await(app2, v1::CONTAINER_STARTED_EVENT).has_value())
      << events.Describe();
  EXPECT_FALSE(events.Done(&stream))
      << stream.error_code() << " " << stream.error_message();

  EXPECT_TRUE(cri_.process->Running()) << cri_.process->Output();
  EXPECT_EQ(cri_.process->pid(), daemon_pid);
  removed = RemovePod(again);
  EXPECT_TRUE(removed.ok()) << removed.error_message();
}

}  // namespace
}  // namespace cri_dockerd::testing_support
