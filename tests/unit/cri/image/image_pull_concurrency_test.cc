// Concurrent PullImage calls against the fake docker client: who shares a
// docker pull, and each caller's own deadline, cancellation and
// credentials.
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "cri/image/image_service.h"
#include "docker_client/testing/fake_docker_client.h"
#include "gtest/gtest.h"
#include "tests/poll_until.h"
#include "tests/thread_count.h"

namespace cri_dockerd {
namespace {

using docker::FakeDockerClient;
using testing_util::PollUntil;

constexpr char kImage[] = "localhost:5443/private:1";
constexpr char kImageId[] =
    "sha256:3333333333333333333333333333333333333333333333333333333333333333";

struct Creds {
  Creds(std::string user, std::string password,
        std::string server = "localhost:5443", std::string token = "")
      : user(std::move(user)),
        password(std::move(password)),
        server(std::move(server)),
        token(std::move(token)) {}
  std::string user, password, server, token;
};

// One PullImage call on a thread of its own. `waiting` turns true once
// the call polls its cancellation, which it does while it waits for a
// pull; `answer` (may be empty: false) is what that poll returns.
class Caller {
 public:
  Caller(ImageService* service, const Creds& creds, CallContext ctx,
         std::function<bool()> answer = nullptr) {
    v1::PullImageRequest req;
    req.mutable_image()->set_image(kImage);
    if (!creds.user.empty() || !creds.token.empty()) {
      req.mutable_auth()->set_username(creds.user);
      req.mutable_auth()->set_password(creds.password);
      req.mutable_auth()->set_server_address(creds.server);
      req.mutable_auth()->set_identity_token(creds.token);
    }
    ctx.cancelled = [this, answer = std::move(answer)] {
      waiting_ = true;
      return answer && answer();
    };
    thread_ = std::thread(
        [this, service, req, ctx] { result_ = service->PullImage(ctx, req); });
  }
  ~Caller() {
    if (thread_.joinable()) thread_.join();
  }
  bool waiting() const { return waiting_; }
  // Waits for the call to return.
  const absl::StatusOr<v1::PullImageResponse>& Result() {
    if (thread_.joinable()) thread_.join();
    return result_;
  }

 private:
  std::atomic<bool> waiting_{false};
  absl::StatusOr<v1::PullImageResponse> result_;
  std::thread thread_;
};

class ImagePullConcurrencyTest : public testing::Test {
 protected:
  ImagePullConcurrencyTest() {
    options_.image_pull_progress_deadline = absl::Seconds(60);
    service_ = std::make_unique<ImageService>(&docker_, options_,
                                              image::RegistryCredentials());
    FakeDockerClient::FakePull pull;
    pull.messages = {{"abc", "Downloading", 1, 2},
                     {"abc", "Pull complete", 0, 0}};
    docker::ImageInspect image;
    image.id = kImageId;
    image.repo_tags = {kImage};
    pull.image = image;
    pull.username = "alice";
    docker_.SetPullScript(kImage, pull);
    // Pulls wait until a test lets them go, so that what a test checks
    // happens while the pull runs.
    docker_.HoldPulls(true);
  }

  static CallContext Long() {
    return CallContext::WithTimeout(testing_util::kPollTimeout);
  }

  const Creds alice_{"alice", "s3cret"};
  FakeDockerClient docker_;
  RuntimeOptions options_;
  std::unique_ptr<ImageService> service_;
};

TEST_F(ImagePullConcurrencyTest, SameCredentialsShareOneDockerPull) {
  Caller a(service_.get(), alice_, Long());
  Caller b(service_.get(), alice_, Long());
  ASSERT_TRUE(PollUntil([&] { return a.waiting() && b.waiting(); }));
  docker_.HoldPulls(false);
  ASSERT_TRUE(a.Result().ok()) << a.Result().status();
  ASSERT_TRUE(b.Result().ok()) << b.Result().status();
  EXPECT_EQ(a.Result()->image_ref(), kImageId);
  EXPECT_EQ(b.Result()->image_ref(), kImageId);
  EXPECT_EQ(docker_.PullCalls().size(), 1u);
}

TEST_F(ImagePullConcurrencyTest, OtherCredentialsRunTheirOwnDockerPull) {
  const struct {
    const char* name;
    Creds other;
  } cases[] = {{"other user", {"bob", "s3cret"}},
               {"other password", {"alice", "guess"}},
               {"other server", {"alice", "s3cret", "localhost:5444"}},
               {"identity token", {"alice", "s3cret", "localhost:5443", "t"}}};
  size_t calls = 0;
  for (const auto& tc : cases) {
    docker_.HoldPulls(true);
    Caller a(service_.get(), alice_, Long());
    Caller b(service_.get(), tc.other, Long());
    EXPECT_TRUE(PollUntil([&] { return docker_.ActivePulls() == 2; }))
        << tc.name << ": the pulls were merged";
    docker_.HoldPulls(false);
    EXPECT_TRUE(a.Result().ok()) << tc.name << ": " << a.Result().status();
    // The fake registry accepts "alice" whatever the rest.
    EXPECT_EQ(b.Result().ok(), tc.other.user == "alice")
        << tc.name << ": " << b.Result().status();
    calls += 2;
    ASSERT_EQ(docker_.PullCalls().size(), calls) << tc.name;
  }
}

TEST_F(ImagePullConcurrencyTest, ShortDeadlineLeavesWhileTheLongPullCompletes) {
  // The short caller (crictl pull --timeout) starts the docker pull; it
  // is held in its cancellation poll until the long one (kubelet) waits
  // too, so that it cannot leave before the other joined.
  std::unique_ptr<Caller> long_caller;
  std::atomic<bool> long_started{false};
  Caller short_caller(
      service_.get(), alice_, CallContext::WithTimeout(absl::Milliseconds(100)),
      [&] {
        PollUntil([&] { return long_started && long_caller->waiting(); });
        return false;
      });
  ASSERT_TRUE(PollUntil([&] { return docker_.ActivePulls() == 1; }));
  long_caller = std::make_unique<Caller>(service_.get(), alice_, Long());
  long_started = true;
  const absl::Status& s = short_caller.Result().status();
  ASSERT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded) << s;
  EXPECT_NE(s.message().find("deadline passed while pulling "
                             "localhost:5443/private:1; the pull goes on for "
                             "1 other request"),
            std::string::npos)
      << s;
  EXPECT_EQ(docker_.ActivePulls(), 1);
  docker_.HoldPulls(false);
  ASSERT_TRUE(long_caller->Result().ok()) << long_caller->Result().status();
  EXPECT_EQ(long_caller->Result()->image_ref(), kImageId);
  EXPECT_EQ(docker_.PullCalls().size(), 1u);
}

TEST_F(ImagePullConcurrencyTest, CancelledCallerLeavesAndTheOtherGetsTheImage) {
  std::unique_ptr<Caller> other;
  std::atomic<bool> other_started{false};
  Caller cancelled(service_.get(), alice_, Long(),
                   [&] { return other_started && other->waiting(); });
  ASSERT_TRUE(PollUntil([&] { return docker_.ActivePulls() == 1; }));
  other = std::make_unique<Caller>(service_.get(), alice_, Long());
  other_started = true;
  const absl::Status& s = cancelled.Result().status();
  ASSERT_EQ(s.code(), absl::StatusCode::kCancelled) << s;
  EXPECT_NE(s.message().find("pull of localhost:5443/private:1 cancelled by "
                             "the client; the pull goes on"),
            std::string::npos)
      << s;
  docker_.HoldPulls(false);
  ASSERT_TRUE(other->Result().ok()) << other->Result().status();
  EXPECT_EQ(other->Result()->image_ref(), kImageId);
  EXPECT_EQ(docker_.PullCalls().size(), 1u);
}

TEST_F(ImagePullConcurrencyTest, TheLastCallerLeavingCancelsTheDockerPull) {
  const int threads_before = testing_util::ThreadCount();
  std::atomic<bool> leave{false};
  {
    Caller a(service_.get(), alice_, Long(), [&] { return leave.load(); });
    Caller b(service_.get(), alice_, Long(), [&] { return leave.load(); });
    ASSERT_TRUE(PollUntil([&] {
      return a.waiting() && b.waiting() && docker_.ActivePulls() == 1;
    }));
    leave = true;
    EXPECT_TRUE(absl::IsCancelled(a.Result().status())) << a.Result().status();
    EXPECT_TRUE(absl::IsCancelled(b.Result().status())) << b.Result().status();
  }
  // Still held: only the cancellation can end it.
  EXPECT_TRUE(PollUntil([&] { return docker_.ActivePulls() == 0; }))
      << "the docker pull outlived its callers";
  EXPECT_TRUE(PollUntil([&] {
    return testing_util::ThreadCount() <= threads_before;
  })) << "the pull's thread outlived its pull";
  // Nothing stale is left to join: the next pull is a new docker pull.
  docker_.HoldPulls(false);
  Caller again(service_.get(), alice_, Long());
  ASSERT_TRUE(again.Result().ok()) << again.Result().status();
  EXPECT_EQ(docker_.PullCalls().size(), 2u);
}

TEST_F(ImagePullConcurrencyTest, RefusedCredentialsFailOnlyTheirOwnPull) {
  const Creds mallory{"mallory", "not-the-password"};
  for (const bool refused_first : {true, false}) {
    docker_.HoldPulls(true);
    std::unique_ptr<Caller> first = std::make_unique<Caller>(
        service_.get(), refused_first ? mallory : alice_, Long());
    ASSERT_TRUE(PollUntil([&] { return docker_.ActivePulls() == 1; }));
    Caller second(service_.get(), refused_first ? alice_ : mallory, Long());
    EXPECT_TRUE(PollUntil([&] { return docker_.ActivePulls() == 2; }));
    docker_.HoldPulls(false);
    Caller& good = refused_first ? second : *first;
    Caller& bad = refused_first ? *first : second;
    ASSERT_TRUE(good.Result().ok()) << good.Result().status();
    EXPECT_EQ(good.Result()->image_ref(), kImageId);
    const absl::Status& s = bad.Result().status();
    ASSERT_EQ(s.code(), absl::StatusCode::kUnauthenticated) << s;
    EXPECT_NE(s.message().find("authentication failed for registry "
                               "localhost:5443: it refused the request's "
                               "credentials for localhost:5443/private:1"),
              std::string::npos)
        << s;
    EXPECT_EQ(s.message().find(mallory.password), std::string::npos) << s;
  }
}

}  // namespace
}  // namespace cri_dockerd
