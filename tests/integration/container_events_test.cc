// GetContainerEvents end to end: the real binary and a real dockerd. A pod
// and a container go through their lifecycle while a client follows the
// stream; then the same across a restart of a private dockerd.
#include <unistd.h>

#include <map>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/cri_daemon.h"
#include "tests/integration/daemon_process.h"
#include "tests/integration/private_dockerd.h"

namespace cri_dockerd::testing_support {
namespace {

namespace v1 = ::runtime::v1;

constexpr char kDockerSocket[] = "/var/run/docker.sock";
constexpr char kBusybox[] = "localhost:5000/busybox:1.36";
// How long the shim may take to do what a test waits for.
constexpr absl::Duration kPatience = absl::Seconds(60);

// Follows GetContainerEvents on its own thread.
class EventFollower {
 public:
  explicit EventFollower(v1::RuntimeService::Stub* runtime) {
    thread_ = std::thread([this, runtime] {
      auto reader = runtime->GetContainerEvents(&ctx_, v1::GetEventsRequest());
      v1::ContainerEventResponse e;
      while (reader->Read(&e)) {
        absl::MutexLock lock(&mu_);
        events_.push_back(e);
      }
      grpc::Status s = reader->Finish();
      absl::MutexLock lock(&mu_);
      status_ = s;
      done_ = true;
    });
  }
  ~EventFollower() {
    ctx_.TryCancel();
    thread_.join();
  }

  // Waits for an event of `type` for `id`; returns it (a test failure and
  // an empty event if none comes within `limit`).
  v1::ContainerEventResponse WaitFor(const std::string& id,
                                     v1::ContainerEventType type,
                                     absl::Duration limit = kPatience) {
    absl::MutexLock lock(&mu_);
    const v1::ContainerEventResponse* found = nullptr;
    auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      for (const auto& e : events_) {
        if (e.container_id() == id && e.container_event_type() == type) {
          found = &e;
          return true;
        }
      }
      return done_;
    };
    mu_.AwaitWithTimeout(absl::Condition(&ready), limit);
    if (found == nullptr) {
      ADD_FAILURE() << "no " << v1::ContainerEventType_Name(type) << " for "
                    << id << " (stream done: " << done_ << ", "
                    << status_.error_message() << ")";
      return {};
    }
    return *found;
  }
  // How many events of each type came for `id`.
  std::map<v1::ContainerEventType, int> Counts(const std::string& id) {
    absl::MutexLock lock(&mu_);
    std::map<v1::ContainerEventType, int> n;
    for (const auto& e : events_) {
      if (e.container_id() == id) ++n[e.container_event_type()];
    }
    return n;
  }

 private:
  grpc::ClientContext ctx_;
  absl::Mutex mu_;
  std::vector<v1::ContainerEventResponse> events_ ABSL_GUARDED_BY(mu_);
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

const std::map<v1::ContainerEventType, int> kOnceEach = {
    {v1::CONTAINER_CREATED_EVENT, 1},
    {v1::CONTAINER_STARTED_EVENT, 1},
    {v1::CONTAINER_STOPPED_EVENT, 1},
    {v1::CONTAINER_DELETED_EVENT, 1}};

class ContainerEventsTest : public testing::Test {
 protected:
  // Starts cri-dockerd (with `extra` flags) and pulls busybox.
  void StartShim(std::vector<std::string> extra = {}) {
    absl::StatusOr<CriDaemon> daemon =
        StartCriDaemon(dir_.path(), std::move(extra));
    ASSERT_TRUE(daemon.ok()) << daemon.status();
    cri_ = *std::move(daemon);
    runtime_ = cri_.runtime.get();
    grpc::Status s = PullImage(cri_.images.get(), kBusybox);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  void TearDown() override {
    if (!sandbox_.empty()) StopAndRemovePod(runtime_, sandbox_);
    if (!fence_.empty()) StopAndRemovePod(runtime_, fence_);
  }

  // Waits until the shim has subscribed the follower (it logs that once
  // the subscription exists): from then on no event may be missed, however
  // long the stream took to open.
  void WaitUntilSubscribed() {
    const absl::Time give_up = absl::Now() + kPatience;
    while (cri_.process->Output().find(
               "GetContainerEvents: client subscribed") == std::string::npos) {
      ASSERT_LT(absl::Now(), give_up) << "GetContainerEvents never subscribed\n"
                                      << cri_.process->Output();
      absl::SleepFor(absl::Milliseconds(20));
    }
  }

  static v1::PodSandboxConfig PodConfig(const std::string& name) {
    v1::PodSandboxConfig config;
    config.mutable_metadata()->set_name(name);
    config.mutable_metadata()->set_namespace_("crid-it");
    config.mutable_metadata()->set_uid(absl::StrCat(name, getpid()));
    config.mutable_linux()
        ->mutable_security_context()
        ->mutable_namespace_options()
        ->set_network(v1::NODE);
    return config;
  }
  // Runs a pod with `config`; its ID ("" with a test failure).
  std::string RunPod(const v1::PodSandboxConfig& config) {
    v1::RunPodSandboxRequest run;
    *run.mutable_config() = config;
    v1::RunPodSandboxResponse resp;
    grpc::Status s =
        runtime_->RunPodSandbox(Ctx(absl::Minutes(2)).get(), run, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message() << cri_.process->Output();
    return resp.pod_sandbox_id();
  }
  void RunPod() {
    config_ = PodConfig("events");
    sandbox_ = RunPod(config_);
    ASSERT_FALSE(sandbox_.empty());
  }
  // Events are delivered in docker's order by one dispatcher, so once an
  // event for a pod started after everything else has arrived, so has
  // every event (duplicates included) the earlier changes produced. This
  // replaces a fixed wait before counting, which a slow machine could
  // outlast.
  void AwaitFence(EventFollower& events) {
    fence_ = RunPod(PodConfig("fence"));
    ASSERT_FALSE(fence_.empty());
    events.WaitFor(fence_, v1::CONTAINER_STARTED_EVENT);
  }
  std::string CreateContainer() {
    v1::CreateContainerRequest create;
    create.set_pod_sandbox_id(sandbox_);
    *create.mutable_sandbox_config() = config_;
    v1::ContainerConfig* c = create.mutable_config();
    c->mutable_metadata()->set_name("app");
    c->mutable_image()->set_image(kBusybox);
    c->add_command("sh");
    c->add_args("-c");
    c->add_args("trap 'exit 0' TERM; sleep 600 & wait");
    v1::CreateContainerResponse resp;
    grpc::Status s =
        runtime_->CreateContainer(Ctx(absl::Minutes(1)).get(), create, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.container_id();
  }
  template <typename Req, typename Resp>
  void Call(grpc::Status (v1::RuntimeService::Stub::*method)(
                grpc::ClientContext*, const Req&, Resp*),
            const Req& req) {
    Resp resp;
    grpc::Status s =
        (runtime_->*method)(Ctx(absl::Minutes(1)).get(), req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  void StartContainer(const std::string& id) {
    v1::StartContainerRequest req;
    req.set_container_id(id);
    Call(&v1::RuntimeService::Stub::StartContainer, req);
  }
  void StopContainer(const std::string& id) {
    v1::StopContainerRequest req;
    req.set_container_id(id);
    req.set_timeout(5);
    Call(&v1::RuntimeService::Stub::StopContainer, req);
  }
  void RemoveContainer(const std::string& id) {
    v1::RemoveContainerRequest req;
    req.set_container_id(id);
    Call(&v1::RuntimeService::Stub::RemoveContainer, req);
  }
  void RemovePod() {
    grpc::Status s = StopAndRemovePod(runtime_, sandbox_);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  ScratchDir dir_;
  CriDaemon cri_;
  v1::RuntimeService::Stub* runtime_ = nullptr;
  v1::PodSandboxConfig config_;
  std::string sandbox_;
  std::string fence_;  // the pod AwaitFence ran
};

TEST_F(ContainerEventsTest, PodAndContainerLifecycle) {
  ASSERT_TRUE(PingDocker(kDockerSocket)) << "needs the lab's dockerd";
  StartShim();
  EventFollower events(runtime_);
  WaitUntilSubscribed();
  RunPod();
  const std::string pod = sandbox_;
  v1::ContainerEventResponse e =
      events.WaitFor(pod, v1::CONTAINER_STARTED_EVENT);
  EXPECT_EQ(e.pod_sandbox_status().id(), pod);
  EXPECT_EQ(e.pod_sandbox_status().metadata().uid(), config_.metadata().uid());
  EXPECT_EQ(e.pod_sandbox_status().state(), v1::SANDBOX_READY);

  const std::string id = CreateContainer();
  e = events.WaitFor(id, v1::CONTAINER_CREATED_EVENT);
  EXPECT_EQ(e.pod_sandbox_status().id(), pod);
  ASSERT_EQ(e.containers_statuses_size(), 1);
  EXPECT_EQ(e.containers_statuses(0).id(), id);

  StartContainer(id);
  e = events.WaitFor(id, v1::CONTAINER_STARTED_EVENT);
  ASSERT_EQ(e.containers_statuses_size(), 1);
  EXPECT_EQ(e.containers_statuses(0).state(), v1::CONTAINER_RUNNING);
  EXPECT_GT(e.created_at(), 0);

  StopContainer(id);
  e = events.WaitFor(id, v1::CONTAINER_STOPPED_EVENT);
  ASSERT_EQ(e.containers_statuses_size(), 1);
  EXPECT_EQ(e.containers_statuses(0).state(), v1::CONTAINER_EXITED);

  RemoveContainer(id);
  e = events.WaitFor(id, v1::CONTAINER_DELETED_EVENT);
  EXPECT_EQ(e.containers_statuses_size(), 0);

  RemovePod();
  e = events.WaitFor(pod, v1::CONTAINER_DELETED_EVENT);
  EXPECT_EQ(e.pod_sandbox_status().metadata().uid(), config_.metadata().uid())
      << e.DebugString();
  sandbox_.clear();
  AwaitFence(events);
  EXPECT_EQ(events.Counts(id), kOnceEach);
  EXPECT_EQ(events.Counts(pod), kOnceEach);
}

TEST_F(ContainerEventsTest, AcrossADockerdRestartNothingLostOrDuplicated) {
  PrivateDockerd dockerd;
  ASSERT_TRUE(dockerd.Start().ok()) << dockerd.Log();
  StartShim({"--docker-endpoint", dockerd.endpoint()});
  EventFollower events(runtime_);
  WaitUntilSubscribed();
  RunPod();
  const std::string pod = sandbox_;
  const std::string id = CreateContainer();
  StartContainer(id);
  events.WaitFor(id, v1::CONTAINER_STARTED_EVENT);

  // dockerd stops its containers as it goes down; the shim learns that
  // from docker's last events or from its listing after the restart.
  ASSERT_TRUE(dockerd.Stop().ok());
  ASSERT_TRUE(dockerd.Start().ok()) << dockerd.Log();
  events.WaitFor(id, v1::CONTAINER_STOPPED_EVENT);
  events.WaitFor(pod, v1::CONTAINER_STOPPED_EVENT);

  // Events after the restart still arrive.
  RemoveContainer(id);
  events.WaitFor(id, v1::CONTAINER_DELETED_EVENT);
  RemovePod();
  events.WaitFor(pod, v1::CONTAINER_DELETED_EVENT);
  sandbox_.clear();
  AwaitFence(events);
  EXPECT_EQ(events.Counts(id), kOnceEach) << cri_.process->Output();
  EXPECT_EQ(events.Counts(pod), kOnceEach) << cri_.process->Output();
}

}  // namespace
}  // namespace cri_dockerd::testing_support
