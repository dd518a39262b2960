// CurlDockerClient::StreamEvents against the fake Docker server: the
// request (since, filters), events decoded as pieces arrive (split
// anywhere), docker's errors, a dropped connection, check.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "docker_client/json_decode_events.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/component/docker_client/test_util.h"
#include "tests/component/fake_docker_server.h"
#include "tests/poll_until.h"

namespace cri_dockerd::docker {
namespace {

using ::testing::HasSubstr;

// As dockerd 20.10 writes them (one object per line).
constexpr char kCreate[] =
    R"({"status":"create","id":"c1","from":"busybox","Type":"container",)"
    R"("Action":"create","Actor":{"ID":"c1","Attributes":{"image":"busybox",)"
    R"("io.kubernetes.docker.type":"container","name":"k8s_a_b_c_d_0"}},)"
    R"("scope":"local","time":1700000000,"timeNano":1700000000123456789})"
    "\n";
constexpr char kDie[] =
    R"({"status":"die","id":"c1","from":"busybox","Type":"container",)"
    R"("Action":"die","Actor":{"ID":"c1","Attributes":{"exitCode":"137",)"
    R"("image":"busybox","name":"k8s_a_b_c_d_0"}},"scope":"local",)"
    R"("time":1700000001,"timeNano":1700000001000000001})"
    "\n";

class CurlDockerClientEventsTest : public NegotiatedClientTest {
 protected:
  absl::Status Stream(absl::Time deadline, EventStreamOptions options = {}) {
    options.on_event = [this](const Event& e) { events_.push_back(e); };
    return client_->StreamEvents(options, deadline);
  }
  std::vector<Event> events_;
};

TEST_F(CurlDockerClientEventsTest, SendsSinceAndFiltersAndDecodesPieces) {
  FakeResponse reply;
  const std::string text = absl::StrCat(kCreate, kDie);
  // Split inside a line and across the boundary.
  reply.stream = {{text.substr(0, 17)},
                  {text.substr(17, 200), absl::Milliseconds(20)},
                  {text.substr(217)}};
  server_->SetResponse("GET", "/v1.41/events", reply);
  EventStreamOptions options;
  options.since = absl::FromUnixNanos(1700000000123456789);
  options.filters["type"] = {"container"};
  options.filters["label"] = {"io.kubernetes.docker.type"};
  ASSERT_TRUE(Stream(In(absl::Seconds(5)), options).ok());
  std::vector<std::string> paths = server_->Paths();
  ASSERT_EQ(paths.size(), 1u);
  EXPECT_THAT(paths[0], HasSubstr("/v1.41/events?since=1700000000.123456789"));
  EXPECT_THAT(paths[0], HasSubstr("&filters="));
  EXPECT_THAT(paths[0], HasSubstr("io.kubernetes.docker.type"));
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[0].type, "container");
  EXPECT_EQ(events_[0].action, "create");
  EXPECT_EQ(events_[0].id, "c1");
  EXPECT_EQ(events_[0].time_nano, 1700000000123456789);
  EXPECT_EQ(events_[0].attributes.at("io.kubernetes.docker.type"), "container");
  EXPECT_EQ(events_[0].attributes.at("name"), "k8s_a_b_c_d_0");
  EXPECT_EQ(events_[1].action, "die");
  EXPECT_EQ(events_[1].attributes.at("exitCode"), "137");
}

TEST_F(CurlDockerClientEventsTest, NoSinceNoFiltersPlainPath) {
  server_->SetResponse("GET", "/v1.41/events", FakeResponse{});
  ASSERT_TRUE(Stream(In(absl::Seconds(5))).ok());
  EXPECT_EQ(server_->Paths(), std::vector<std::string>{"/v1.41/events"});
}

TEST_F(CurlDockerClientEventsTest, BadFilterIsInvalidArgument) {
  server_->SetResponse("GET", "/v1.41/events",
                       {400, R"({"message":"invalid filter 'bogus'"})"});
  absl::Status s = Stream(In(absl::Seconds(5)));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("invalid filter"));
}

TEST_F(CurlDockerClientEventsTest, CheckEndsAFollowedStream) {
  FakeResponse reply;
  reply.stream = {{kCreate}};
  reply.stall = true;
  server_->SetResponse("GET", "/v1.41/events", reply);
  EventStreamOptions options;
  options.check = [this]() -> absl::Status {
    return events_.empty() ? absl::OkStatus() : absl::CancelledError("enough");
  };
  absl::Status s = Stream(In(absl::Seconds(5)), options);
  EXPECT_EQ(s.code(), absl::StatusCode::kCancelled) << s;
  EXPECT_EQ(events_.size(), 1u);
}

TEST_F(CurlDockerClientEventsTest, DaemonGoingAwayIsUnavailable) {
  FakeResponse reply;
  reply.stream = {{kCreate}};
  reply.stall = true;
  server_->SetResponse("GET", "/v1.41/events", reply);
  // The check runs on the streaming thread, which owns events_.
  std::atomic<bool> got_event{false};
  EventStreamOptions options;
  options.check = [&]() -> absl::Status {
    if (!events_.empty()) got_event = true;
    return absl::OkStatus();
  };
  std::thread crash([&] {
    // Once the stream runs (its first event is in), docker dies.
    EXPECT_TRUE(testing_util::PollUntil([&] { return got_event.load(); }))
        << "the first event never arrived";
    server_->Crash();
  });
  absl::Status s = Stream(In(absl::Seconds(60)), options);
  crash.join();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_EQ(events_.size(), 1u);
}

TEST_F(CurlDockerClientEventsTest, MalformedEventIsInternal) {
  FakeResponse reply;
  reply.stream = {{"{not json\n"}};
  server_->SetResponse("GET", "/v1.41/events", reply);
  EXPECT_EQ(Stream(In(absl::Seconds(5))).code(), absl::StatusCode::kInternal);
}

TEST(DecodeEventTest, OldDaemonFieldsAndUnknownTypes) {
  absl::StatusOr<Event> e = DecodeEvent(
      R"({"status":"start","id":"abc","time":12,"Actor":{"Attributes":{"n":1}}})");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->action, "start");
  EXPECT_EQ(e->id, "abc");
  EXPECT_EQ(e->time_nano, 12000000000);
  EXPECT_TRUE(e->attributes.empty());  // non-string attribute skipped
  EXPECT_FALSE(DecodeEvent("[1]").ok());
}

TEST(EventStreamDecoderTest, FinalLineWithoutNewlineAndLongLine) {
  EventStreamDecoder d;
  std::vector<Event> got;
  auto sink = [&](const Event& e) { got.push_back(e); };
  ASSERT_TRUE(d.Feed("\n{\"Action\":\"a\"}\n{\"Action\":", sink).ok());
  ASSERT_TRUE(d.Feed("\"b\"}", sink).ok());
  ASSERT_TRUE(d.Finish(sink).ok());
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].action, "b");
  EventStreamDecoder big;
  EXPECT_EQ(
      big.Feed(std::string(EventStreamDecoder::kMaxEventLine + 1, 'x'), sink)
          .code(),
      absl::StatusCode::kResourceExhausted);
}

TEST(FormatEventTimeTest, SecondsAndNanos) {
  EXPECT_EQ(FormatEventTime(absl::FromUnixNanos(1700000000000000005)),
            "1700000000.000000005");
}

}  // namespace
}  // namespace cri_dockerd::docker
