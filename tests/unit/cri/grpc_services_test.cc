// The gRPC boundary, end to end in-process: every RPC of both services is
// dialled by its wire name; the implemented ones answer, the rest answer
// UNIMPLEMENTED naming the RPC (never an empty success, never a crash).
#include "cri/grpc_services.h"

#include <algorithm>
#include <future>
#include <map>
#include <set>
#include <vector>

#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "tests/poll_until.h"
#include "tests/unit/cri/test_util.h"

namespace cri_dockerd {
namespace {

using testing_util::PollUntil;
using testing_util::RuntimeServiceTest;

// Records what the boundary reports, per RPC name.
class RecordingObserver : public RpcObserver {
 public:
  void OnRpcDone(absl::string_view method, absl::StatusCode code,
                 absl::Duration took) override {
    absl::MutexLock lock(&mu_);
    calls_[std::string(method)].push_back(code);
    EXPECT_GE(took, absl::ZeroDuration());
  }
  std::map<std::string, std::vector<absl::StatusCode>> calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, std::vector<absl::StatusCode>> calls_
      ABSL_GUARDED_BY(mu_);
};

class GrpcServicesTest : public RuntimeServiceTest {
 protected:
  void SetUp() override {
    lanes_ = std::make_unique<CallLanes>(LaneScale());
    runtime_grpc_ =
        NewRuntimeServiceGrpc(service_.get(), lanes_.get(), &observer_);
    image_grpc_ = NewImageServiceGrpc(images_.get(), lanes_.get(), &observer_);
    grpc::ServerBuilder builder;
    builder.RegisterService(runtime_grpc_.get());
    builder.RegisterService(image_grpc_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    channel_ = server_->InProcessChannel(grpc::ChannelArguments());
  }
  void TearDown() override { server_->Shutdown(); }
  virtual double LaneScale() const { return 1.0; }

  // Calls `method` ("/runtime.v1.RuntimeService/Version") with an empty
  // request message.
  grpc::Status CallEmpty(const std::string& method) {
    grpc::GenericStub stub(channel_);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(10));
    grpc::Slice empty("");  // zero bytes encode an empty message
    grpc::ByteBuffer request(&empty, 1), response;
    std::promise<grpc::Status> done;
    stub.UnaryCall(&ctx, method, grpc::StubOptions(), &request, &response,
                   [&done](grpc::Status s) { done.set_value(s); });
    return done.get_future().get();
  }

  RecordingObserver observer_;
  std::unique_ptr<CallLanes> lanes_;
  std::unique_ptr<v1::RuntimeService::Service> runtime_grpc_;
  std::unique_ptr<v1::ImageService::Service> image_grpc_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(GrpcServicesTest, EveryRpcAnswersImplementedOrNamedUnimplemented) {
  // What no issue has implemented yet: UNIMPLEMENTED naming the RPC. Every
  // other RPC answers (an empty request may be wrong, never UNIMPLEMENTED).
  const std::set<std::string> unimplemented = {"CheckpointContainer"};
  int rpcs = 0;
  for (const auto* service :
       {v1::VersionRequest::descriptor()->file()->FindServiceByName(
            "RuntimeService"),
        v1::VersionRequest::descriptor()->file()->FindServiceByName(
            "ImageService")}) {
    ASSERT_NE(service, nullptr);
    for (int i = 0; i < service->method_count(); ++i) {
      const std::string name = service->method(i)->name();
      const std::string path = "/" + service->full_name() + "/" + name;
      ++rpcs;
      // Streams until cancelled: see GetContainerEventsStreams.
      if (name == "GetContainerEvents") continue;
      const grpc::Status s = CallEmpty(path);
      if (unimplemented.count(name) == 0) {
        EXPECT_NE(s.error_code(), grpc::StatusCode::UNIMPLEMENTED) << path;
        EXPECT_NE(s.error_code(), grpc::StatusCode::UNKNOWN)
            << path << ": " << s.error_message();
      } else {
        EXPECT_EQ(s.error_code(), grpc::StatusCode::UNIMPLEMENTED) << path;
        EXPECT_NE(s.error_message().find(name), std::string::npos)
            << path << ": " << s.error_message();
      }
    }
  }
  EXPECT_EQ(rpcs, 41) << "cri-api v0.36 has 41 RPCs";

  // Every RPC called above, implemented or not, reached the observer
  // exactly once (all but GetContainerEvents).
  const auto calls = observer_.calls();
  EXPECT_EQ(calls.size(), 40u);
  for (const auto& [name, codes] : calls) {
    ASSERT_EQ(codes.size(), 1u) << name;
    if (unimplemented.count(name) != 0) {
      EXPECT_EQ(codes[0], absl::StatusCode::kUnimplemented) << name;
    }
  }
}

TEST_F(GrpcServicesTest, ObserverSeesDomainErrorCodes) {
  docker_.InjectError("Version", absl::NotFoundError("gone"));
  v1::RuntimeService::Stub stub(channel_);
  grpc::ClientContext ctx;
  v1::VersionResponse resp;
  EXPECT_FALSE(stub.Version(&ctx, v1::VersionRequest(), &resp).ok());
  grpc::ClientContext ctx2;
  v1::StatusResponse status;
  EXPECT_TRUE(stub.Status(&ctx2, v1::StatusRequest(), &status).ok());
  const auto calls = observer_.calls();
  EXPECT_EQ(calls.at("Version"),
            std::vector<absl::StatusCode>{absl::StatusCode::kNotFound});
  EXPECT_EQ(calls.at("Status"),
            std::vector<absl::StatusCode>{absl::StatusCode::kOk});
}

TEST_F(GrpcServicesTest, GetContainerEventsStreams) {
  v1::RuntimeService::Stub stub(channel_);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::milliseconds(300));
  auto reader = stub.GetContainerEvents(&ctx, v1::GetEventsRequest());
  v1::ContainerEventResponse event;
  EXPECT_FALSE(reader->Read(&event));  // nothing happens in docker
  const grpc::Status s = reader->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED)
      << s.error_message();
}

TEST_F(GrpcServicesTest, CheckpointExplainsCriu) {
  const grpc::Status s =
      CallEmpty("/runtime.v1.RuntimeService/CheckpointContainer");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_NE(s.error_message().find("CRIU"), std::string::npos);
}

TEST_F(GrpcServicesTest, DomainErrorsKeepCodeAndMessage) {
  docker_.InjectError("Version", absl::DeadlineExceededError("docker slow"));
  v1::RuntimeService::Stub stub(channel_);
  grpc::ClientContext ctx;
  v1::VersionResponse resp;
  const grpc::Status s = stub.Version(&ctx, v1::VersionRequest(), &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(s.error_message(), "docker slow");
}

TEST_F(GrpcServicesTest, ClientDeadlineReachesTheDockerCall) {
  v1::RuntimeService::Stub stub(channel_);
  grpc::ClientContext ctx;
  const auto deadline =
      std::chrono::system_clock::now() + std::chrono::seconds(7);
  ctx.set_deadline(deadline);
  v1::VersionResponse resp;
  ASSERT_TRUE(stub.Version(&ctx, v1::VersionRequest(), &resp).ok());
  // gRPC sends the time left, so the server's deadline is the client's
  // shifted by the time in transit; without propagation it would be the
  // 30 s request timeout (23 s off) or none at all.
  EXPECT_LE(
      absl::AbsDuration(docker_.LastDeadline() - absl::FromChrono(deadline)),
      absl::Seconds(3));
}

// Lanes of one thread and one queued call each.
class TinyLanesTest : public GrpcServicesTest {
 protected:
  double LaneScale() const override { return 0.001; }

  // Starts PullImage of busybox:latest; `done` is set when it answers.
  struct Pull {
    grpc::ClientContext ctx;
    v1::PullImageRequest req;
    v1::PullImageResponse resp;
    std::promise<grpc::Status> done;
  };
  std::unique_ptr<Pull> StartPull(v1::ImageService::Stub* stub,
                                  absl::Duration timeout) {
    auto p = std::make_unique<Pull>();
    p->ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    p->req.mutable_image()->set_image("busybox:latest");
    stub->async()->PullImage(
        &p->ctx, &p->req, &p->resp,
        [raw = p.get()](grpc::Status s) { raw->done.set_value(std::move(s)); });
    return p;
  }
  void ScriptPull() {
    docker::FakeDockerClient::FakePull pull;
    pull.messages = {{"abc", "Pull complete", 0, 0}};
    docker::ImageInspect image;
    image.id = "sha256:" + std::string(64, 'a');
    image.repo_tags = {"busybox:latest"};
    pull.image = image;
    docker_.SetPullScript("busybox:latest", pull);
    docker_.HoldPulls(true);
  }
};

TEST_F(TinyLanesTest, StuckPullsLeaveStatusAndListsAnswering) {
  ScriptPull();
  v1::ImageService::Stub images(channel_);
  auto first = StartPull(&images, absl::Seconds(30));
  ASSERT_TRUE(PollUntil([&] { return docker_.ActivePulls() == 1; }));
  // Other kinds of call have lanes of their own.
  v1::RuntimeService::Stub runtime(channel_);
  grpc::ClientContext c1, c2;
  v1::StatusResponse status;
  EXPECT_TRUE(runtime.Status(&c1, {}, &status).ok());
  v1::ListPodSandboxResponse pods;
  EXPECT_TRUE(runtime.ListPodSandbox(&c2, {}, &pods).ok());
  docker_.HoldPulls(false);
  EXPECT_TRUE(first->done.get_future().get().ok());
}

TEST_F(TinyLanesTest, FullLaneRefusesAndLateCallsDoNotRun) {
  ScriptPull();
  v1::ImageService::Stub images(channel_);
  auto running = StartPull(&images, absl::Seconds(30));
  ASSERT_TRUE(PollUntil([&] { return docker_.ActivePulls() == 1; }));
  // Waits in the queue past its deadline.
  auto late = StartPull(&images, absl::Milliseconds(300));
  ASSERT_TRUE(
      PollUntil([&] { return lanes_->Get(CallLane::kPull).queued() == 1; }));
  // The queue (one call) is full.
  auto refused = StartPull(&images, absl::Seconds(30));
  const grpc::Status r = refused->done.get_future().get();
  EXPECT_EQ(r.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << r.error_message();
  EXPECT_NE(r.error_message().find("pull work lane is full"), std::string::npos)
      << r.error_message();
  EXPECT_EQ(late->done.get_future().get().error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
  docker_.HoldPulls(false);
  EXPECT_TRUE(running->done.get_future().get().ok());
  // The late call never reached docker: its deadline had passed when a
  // thread took it.
  ASSERT_TRUE(
      PollUntil([&] { return lanes_->Get(CallLane::kPull).queued() == 0; }));
  ASSERT_TRUE(
      PollUntil([&] { return observer_.calls()["PullImage"].size() == 3; }));
  EXPECT_EQ(docker_.CallCount("PullImage"), 1);
  const auto codes = observer_.calls()["PullImage"];
  EXPECT_EQ(std::count(codes.begin(), codes.end(),
                       absl::StatusCode::kDeadlineExceeded),
            1);
}

TEST(ToGrpcStatusTest, MapsEveryCode) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  for (int code = 1; code <= 16; ++code) {
    const absl::Status s(static_cast<absl::StatusCode>(code), "m");
    EXPECT_EQ(static_cast<int>(ToGrpcStatus(s).error_code()), code);
    EXPECT_EQ(ToGrpcStatus(s).error_message(), "m");
  }
}

}  // namespace
}  // namespace cri_dockerd
