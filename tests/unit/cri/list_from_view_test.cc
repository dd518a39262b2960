// ListContainers and ListPodSandbox answered by the container view are
// docker's answers: for a table of CRI filters over pods and containers
// in every state, a service whose view serves (without docker calls)
// and one that asks docker (no watch) list the same items.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/poll_until.h"
#include "tests/unit/cri/container_fixture.h"

namespace cri_dockerd {
namespace {

using testing_util::ContainerTest;
using testing_util::PollUntil;

absl::Time Soon() { return absl::Now() + absl::Seconds(5); }

// Items sorted by ID, printed (map fields print sorted by key).
template <typename Items>
std::string Print(const Items& items) {
  std::vector<std::string> printed;
  for (const auto& item : items) {
    printed.push_back(item.id() + " " + item.ShortDebugString());
  }
  std::sort(printed.begin(), printed.end());
  std::string out;
  for (const std::string& p : printed) out += p + "\n";
  return out;
}

// The encoded reply (what the gRPC handler sends), serialized and parsed
// as a client would.
template <typename Reply>
Reply OnTheWire(const absl::StatusOr<Reply>& encoded) {
  Reply parsed;
  EXPECT_TRUE(encoded.ok()) << encoded.status();
  if (!encoded.ok()) return parsed;
  EXPECT_TRUE(parsed.ParseFromString(encoded->SerializeAsString()));
  EXPECT_TRUE(parsed.GetReflection()->GetUnknownFields(parsed).empty());
  return parsed;
}

class ListFromViewTest : public ContainerTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(ContainerTest::SetUp());
    direct_ = std::make_unique<RuntimeService>(&docker_, &net_, images_.get(),
                                               checkpoints_.get(), options_);
    // Pod "web" (running): one container of each state.
    running_ = Start(CreateC(Create("running")));
    absl::StatusOr<std::string> made = CreateC(Create("made"));
    ASSERT_TRUE(made.ok()) << made.status();
    made_ = *made;
    v1::CreateContainerRequest back = Create("done");
    (*back.mutable_config()->mutable_labels())["tier"] = "back";
    done_ = Start(CreateC(back));
    v1::StopContainerRequest stop;
    stop.set_container_id(done_);
    ASSERT_TRUE(service_->StopContainer(Ctx(), stop).ok());
    // Pod "b", stopped with its container.
    v1::RunPodSandboxRequest run_b = Request("b");
    run_b.mutable_config()->set_log_directory(logs_.path());
    absl::StatusOr<std::string> b = Run(run_b);
    ASSERT_TRUE(b.ok()) << b.status();
    b_ = *b;
    const std::string web = sandbox_;
    const v1::PodSandboxConfig web_config = sandbox_config_;
    sandbox_ = b_;
    sandbox_config_ = run_b.config();
    b1_ = Start(CreateC(Create("b1")));
    sandbox_ = web;
    sandbox_config_ = web_config;
    v1::StopPodSandboxRequest stop_b;
    stop_b.set_pod_sandbox_id(b_);
    ASSERT_TRUE(service_->StopPodSandbox(Ctx(), stop_b).ok());
    // Pod "gone": its infra container removed behind the shim's back, so
    // only its checkpoint is left.
    absl::StatusOr<std::string> gone = Run(Request("gone"));
    ASSERT_TRUE(gone.ok()) << gone.status();
    gone_ = *gone;
    ASSERT_TRUE(docker_.RemoveContainer(gone_, true, true, Soon()).ok());

    ASSERT_TRUE(service_->StartDockerWatch().ok());
  }
  void TearDown() override { service_->StopContainerEvents(); }

  std::string Start(absl::StatusOr<std::string> id) {
    EXPECT_TRUE(id.ok()) << id.status();
    v1::StartContainerRequest start;
    start.set_container_id(id.value_or(""));
    EXPECT_TRUE(service_->StartContainer(Ctx(), start).ok());
    return id.value_or("");
  }

  std::unique_ptr<RuntimeService> direct_;
  std::string running_, made_, done_, b_, b1_, gone_;
};

TEST_F(ListFromViewTest, ContainerFiltersAnswerLikeDocker) {
  struct Case {
    const char* what;
    v1::ContainerFilter filter;
  };
  auto f = [](auto set) {
    v1::ContainerFilter filter;
    set(filter);
    return filter;
  };
  const std::vector<Case> cases = {
      {"all", {}},
      {"full id", f([&](auto& x) { x.set_id(running_); })},
      {"id prefix", f([&](auto& x) { x.set_id(made_.substr(0, 8)); })},
      {"unknown id", f([&](auto& x) { x.set_id("ffffffffff"); })},
      {"created",
       f([](auto& x) { x.mutable_state()->set_state(v1::CONTAINER_CREATED); })},
      {"running",
       f([](auto& x) { x.mutable_state()->set_state(v1::CONTAINER_RUNNING); })},
      {"exited",
       f([](auto& x) { x.mutable_state()->set_state(v1::CONTAINER_EXITED); })},
      {"unknown state",
       f([](auto& x) { x.mutable_state()->set_state(v1::CONTAINER_UNKNOWN); })},
      {"pod", f([&](auto& x) { x.set_pod_sandbox_id(sandbox_); })},
      {"pod prefix",
       f([&](auto& x) { x.set_pod_sandbox_id(b_.substr(0, 6)); })},
      {"pod exited", f([&](auto& x) {
         x.set_pod_sandbox_id(sandbox_);
         x.mutable_state()->set_state(v1::CONTAINER_EXITED);
       })},
      {"gone pod", f([&](auto& x) { x.set_pod_sandbox_id(gone_); })},
      {"unknown pod", f([](auto& x) { x.set_pod_sandbox_id("abcdef012345"); })},
      {"label",
       f([](auto& x) { (*x.mutable_label_selector())["tier"] = "back"; })},
      {"labels", f([](auto& x) {
         (*x.mutable_label_selector())["tier"] = "front";
         (*x.mutable_label_selector())["io.kubernetes.pod.name"] = "b";
       })},
      {"label and state", f([](auto& x) {
         (*x.mutable_label_selector())["tier"] = "front";
         x.mutable_state()->set_state(v1::CONTAINER_RUNNING);
       })},
      {"no such label",
       f([](auto& x) { (*x.mutable_label_selector())["tier"] = "middle"; })},
  };
  auto list = [&](RuntimeService& service, const v1::ContainerFilter& filter) {
    v1::ListContainersRequest req;
    *req.mutable_filter() = filter;
    absl::StatusOr<v1::ListContainersResponse> resp =
        service.ListContainers(Ctx(), req);
    EXPECT_TRUE(resp.ok()) << resp.status();
    const std::string printed = resp.ok() ? Print(resp->containers()) : "";
    EXPECT_EQ(
        Print(
            OnTheWire(service.ListContainersEncoded(Ctx(), req)).containers()),
        printed);
    return printed;
  };
  // Once the view serves, no row asks docker.
  ASSERT_TRUE(PollUntil([&] {
    docker_.ResetCalls();
    for (const Case& c : cases) list(*service_, c.filter);
    return docker_.Calls().empty();
  }));
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    docker_.ResetCalls();
    const std::string from_view = list(*service_, c.filter);
    EXPECT_TRUE(docker_.Calls().empty());
    EXPECT_EQ(from_view, list(*direct_, c.filter));
  }
  EXPECT_FALSE(list(*service_, {}).empty());
}

TEST_F(ListFromViewTest, SandboxFiltersAnswerLikeDocker) {
  struct Case {
    const char* what;
    v1::PodSandboxFilter filter;
  };
  auto f = [](auto set) {
    v1::PodSandboxFilter filter;
    set(filter);
    return filter;
  };
  const std::vector<Case> cases = {
      {"all", {}},
      {"full id", f([&](auto& x) { x.set_id(sandbox_); })},
      {"id prefix", f([&](auto& x) { x.set_id(b_.substr(0, 10)); })},
      {"checkpoint only", f([&](auto& x) { x.set_id(gone_); })},
      {"unknown id", f([](auto& x) { x.set_id("ffffffffff"); })},
      {"ready",
       f([](auto& x) { x.mutable_state()->set_state(v1::SANDBOX_READY); })},
      {"not ready",
       f([](auto& x) { x.mutable_state()->set_state(v1::SANDBOX_NOTREADY); })},
      {"label", f([](auto& x) {
         (*x.mutable_label_selector())["io.kubernetes.pod.name"] = "b";
       })},
      {"label and state", f([](auto& x) {
         (*x.mutable_label_selector())["app"] = "web";
         x.mutable_state()->set_state(v1::SANDBOX_READY);
       })},
      {"no such label",
       f([](auto& x) { (*x.mutable_label_selector())["app"] = "db"; })},
  };
  auto list = [&](RuntimeService& service, const v1::PodSandboxFilter& filter) {
    v1::ListPodSandboxRequest req;
    *req.mutable_filter() = filter;
    absl::StatusOr<v1::ListPodSandboxResponse> resp =
        service.ListPodSandbox(Ctx(), req);
    EXPECT_TRUE(resp.ok()) << resp.status();
    const std::string printed = resp.ok() ? Print(resp->items()) : "";
    EXPECT_EQ(
        Print(OnTheWire(service.ListPodSandboxEncoded(Ctx(), req)).items()),
        printed);
    return printed;
  };
  ASSERT_TRUE(PollUntil([&] {
    docker_.ResetCalls();
    for (const Case& c : cases) list(*service_, c.filter);
    return docker_.Calls().empty();
  }));
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    docker_.ResetCalls();
    const std::string from_view = list(*service_, c.filter);
    EXPECT_TRUE(docker_.Calls().empty());
    EXPECT_EQ(from_view, list(*direct_, c.filter));
  }
  EXPECT_NE(list(*service_, {}).find(gone_), std::string::npos);
}

// An entry is made again when its container changes: the state the view
// learns from docker's events is what the next List shows, encoded too.
TEST_F(ListFromViewTest, ListShowsAContainerThatChanged) {
  auto state_of = [&](const std::string& id) {
    v1::ListContainersRequest req;
    req.mutable_filter()->set_id(id);
    absl::StatusOr<v1::ListContainersResponse> encoded =
        service_->ListContainersEncoded(Ctx(), req);
    v1::ListContainersResponse parsed;
    if (!encoded.ok() ||
        !parsed.ParseFromString(encoded->SerializeAsString()) ||
        parsed.containers_size() != 1) {
      return v1::CONTAINER_UNKNOWN;
    }
    return parsed.containers(0).state();
  };
  ASSERT_TRUE(PollUntil([&] {
    docker_.ResetCalls();
    const bool running = state_of(running_) == v1::CONTAINER_RUNNING;
    return running && docker_.Calls().empty();
  }));
  ASSERT_TRUE(
      docker_.StopContainer(running_, absl::ZeroDuration(), Soon()).ok());
  EXPECT_TRUE(
      PollUntil([&] { return state_of(running_) == v1::CONTAINER_EXITED; }));
}

// With the view serving, CreateContainer takes the pod and the image's ID
// from memory: its only docker request is the create itself.
TEST_F(ListFromViewTest, CreateContainerAsksDockerOnlyToCreate) {
  int warm = 0;
  ASSERT_TRUE(PollUntil([&] {
    docker_.ResetCalls();
    EXPECT_TRUE(CreateC(Create(absl::StrCat("warm", warm++))).ok());
    return docker_.CallCount("InspectImage") == 0 &&
           docker_.CallCount("InspectContainer") == 0;
  }));
  docker_.ResetCalls();
  absl::StatusOr<std::string> id = CreateC(Create("steady"));
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(docker_.CallCount("CreateContainer"), 1);
  EXPECT_EQ(docker_.CallCount("InspectImage"), 0);
  EXPECT_EQ(docker_.CallCount("InspectContainer"), 0);
  EXPECT_EQ(docker_.CreatedConfig(*id)->image,
            docker_.CreatedConfig(running_)->image);
  // An image docker does not have is still NotFound, naming it.
  v1::CreateContainerRequest missing = Create("missing");
  missing.mutable_config()->mutable_image()->set_image("no-such:image");
  absl::StatusOr<std::string> none = CreateC(missing);
  EXPECT_EQ(none.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(none.status().message(), "no-such:image"))
      << none.status();
}

}  // namespace
}  // namespace cri_dockerd
