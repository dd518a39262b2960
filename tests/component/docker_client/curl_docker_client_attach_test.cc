// CurlDockerClient's interactive streams against the fake Docker server:
// the bytes of the hijack requests, "101 UPGRADED" and old engines' bare
// "200", stream bytes that came with the head, docker's error replies,
// the setup deadline, stdin EOF (CloseWrite), Reset from another
// thread, resizes, and exec create with stdin attached.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/notification.h"
#include "docker_client/curl_docker_client.h"
#include "docker_client/mux_stream_decoder.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/component/docker_client/test_util.h"
#include "tests/component/fake_docker_server.h"

namespace cri_dockerd::docker {
namespace {

using ::testing::HasSubstr;

constexpr char kExecId[] = "e8ec5bc100fe1a3f";
constexpr char kStartPath[] = "/v1.41/exec/e8ec5bc100fe1a3f/start";

// Reads `conn` to its EOF; the status of a failed read.
absl::StatusOr<std::string> ReadAll(HijackedConn& conn) {
  std::string all;
  char buf[7];  // small, to cross frame boundaries
  for (;;) {
    absl::StatusOr<size_t> n = conn.Read(buf, sizeof(buf));
    if (!n.ok()) return n.status();
    if (*n == 0) return all;
    all.append(buf, *n);
  }
}

// Demultiplexes a whole stream into "stdout" and "stderr" text.
struct Demuxed {
  std::string out, err;
};
Demuxed Demux(const std::string& stream) {
  Demuxed d;
  MuxStreamDecoder decoder;
  EXPECT_TRUE(decoder
                  .Feed(stream,
                        [&d](MuxStream s, absl::string_view data) {
                          (s == MuxStream::kStderr ? d.err : d.out)
                              .append(data.data(), data.size());
                        })
                  .ok());
  EXPECT_TRUE(decoder.Finish().ok());
  return d;
}

FakeResponse Upgrade(std::function<void(RawExchange&)> raw,
                     std::string first = "") {
  FakeResponse r;
  r.status = 101;
  r.body = std::move(first);
  r.raw = std::move(raw);
  return r;
}

class CurlDockerClientAttachTest : public NegotiatedClientTest {};

TEST_F(CurlDockerClientAttachTest, ExecStartRequestAndEcho) {
  server_->SetResponse("POST", kStartPath, Upgrade([](RawExchange& conn) {
                         const std::string in = conn.ReadToEof();
                         conn.Write(EncodeMuxFrame(MuxStream::kStdout, in));
                         conn.Write(EncodeMuxFrame(MuxStream::kStderr, "e"));
                       }));
  absl::StatusOr<std::unique_ptr<HijackedConn>> conn =
      client_->StartExecInteractive(kExecId, /*tty=*/false,
                                    In(absl::Seconds(5)));
  ASSERT_TRUE(conn.ok()) << conn.status();
  ASSERT_TRUE((*conn)->Write("hello\n").ok());
  ASSERT_TRUE((*conn)->Write("again\n").ok());
  ASSERT_TRUE((*conn)->CloseWrite().ok());
  ASSERT_TRUE((*conn)->CloseWrite().ok());  // idempotent
  EXPECT_TRUE(absl::IsFailedPrecondition((*conn)->Write("late")));
  absl::StatusOr<std::string> stream = ReadAll(**conn);
  ASSERT_TRUE(stream.ok()) << stream.status();
  const Demuxed d = Demux(*stream);
  EXPECT_EQ(d.out, "hello\nagain\n");
  EXPECT_EQ(d.err, "e");

  const std::vector<RecordedRequest> requests = server_->Requests();
  ASSERT_EQ(requests.size(), 1u);
  const RecordedRequest& r = requests[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, kStartPath);
  EXPECT_EQ(r.headers.at("connection"), "Upgrade");
  EXPECT_EQ(r.headers.at("upgrade"), "tcp");
  EXPECT_EQ(r.headers.at("content-type"), "application/json");
  EXPECT_EQ(r.headers.at("host"), "docker");
  EXPECT_EQ(nlohmann::json::parse(r.body),
            nlohmann::json::parse(R"({"Detach":false,"Tty":false})"));
}

TEST_F(CurlDockerClientAttachTest, TtyBodyAndBytesPastTheHead) {
  // The first stream bytes arrive in the same segment as the head.
  server_->SetResponse("POST", kStartPath,
                       Upgrade(
                           [](RawExchange& conn) {
                             conn.Write(" rest\r\n");
                             conn.ReadToEof();
                           },
                           "$ early"));
  absl::StatusOr<std::unique_ptr<HijackedConn>> conn =
      client_->StartExecInteractive(kExecId, /*tty=*/true,
                                    In(absl::Seconds(5)));
  ASSERT_TRUE(conn.ok()) << conn.status();
  ASSERT_TRUE((*conn)->CloseWrite().ok());
  absl::StatusOr<std::string> stream = ReadAll(**conn);
  ASSERT_TRUE(stream.ok()) << stream.status();
  EXPECT_EQ(*stream, "$ early rest\r\n");
  EXPECT_EQ(nlohmann::json::parse(server_->Requests()[0].body),
            nlohmann::json::parse(R"({"Detach":false,"Tty":true})"));
}

TEST_F(CurlDockerClientAttachTest, OldEngineAnswers200) {
  FakeResponse r = Upgrade([](RawExchange& conn) { conn.Write("raw"); });
  r.status = 200;
  server_->SetResponse("POST", kStartPath, r);
  absl::StatusOr<std::unique_ptr<HijackedConn>> conn =
      client_->StartExecInteractive(kExecId, true, In(absl::Seconds(5)));
  ASSERT_TRUE(conn.ok()) << conn.status();
  EXPECT_EQ(ReadAll(**conn).value_or("?"), "raw");
}

TEST_F(CurlDockerClientAttachTest, AttachRequest) {
  const std::string path = "/v1.41/containers/web/attach";
  server_->SetResponse("POST", path, Upgrade([](RawExchange& conn) {
                         conn.Write(conn.ReadToEof());
                       }));
  AttachOptions options;
  options.stdin = true;
  options.stderr = false;
  absl::StatusOr<std::unique_ptr<HijackedConn>> conn =
      client_->AttachContainer("web", options, In(absl::Seconds(5)));
  ASSERT_TRUE(conn.ok()) << conn.status();
  ASSERT_TRUE((*conn)->Write("ping").ok());
  ASSERT_TRUE((*conn)->CloseWrite().ok());
  EXPECT_EQ(ReadAll(**conn).value_or("?"), "ping");
  const RecordedRequest r = server_->Requests().at(0);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, path + "?stream=1&stdin=1&stdout=1&stderr=0");
  EXPECT_EQ(r.headers.at("upgrade"), "tcp");
  EXPECT_EQ(r.body, "");
}

TEST_F(CurlDockerClientAttachTest, ErrorReplies) {
  server_->SetResponse(
      "POST", kStartPath,
      {404, R"({"message":"No such exec instance: e8ec5bc100fe1a3f"})"});
  absl::StatusOr<std::unique_ptr<HijackedConn>> conn =
      client_->StartExecInteractive(kExecId, false, In(absl::Seconds(5)));
  EXPECT_TRUE(absl::IsNotFound(conn.status())) << conn.status();
  EXPECT_THAT(conn.status().message(),
              HasSubstr("No such exec instance: e8ec5bc100fe1a3f"));

  FakeResponse conflict;
  conflict.status = 409;
  conflict.body =
      R"({"message":"You cannot attach to a stopped container, start it first"})";
  conflict.chunked = true;
  server_->SetResponse("POST", "/v1.41/containers/gone/attach", conflict);
  conn = client_->AttachContainer("gone", {}, In(absl::Seconds(5)));
  EXPECT_TRUE(absl::IsFailedPrecondition(conn.status())) << conn.status();
  EXPECT_THAT(conn.status().message(),
              HasSubstr("You cannot attach to a stopped container"));

  server_->SetResponse("POST", "/v1.41/containers/x/attach",
                       {500, R"({"message":"boom"})"});
  conn = client_->AttachContainer("x", {}, In(absl::Seconds(5)));
  EXPECT_TRUE(absl::IsInternal(conn.status())) << conn.status();

  conn = client_->AttachContainer("../x", {}, In(absl::Seconds(5)));
  EXPECT_TRUE(absl::IsInvalidArgument(conn.status())) << conn.status();
}

TEST_F(CurlDockerClientAttachTest, SetupDeadlineWhenDockerNeverAnswers) {
  FakeResponse silent;
  silent.never_answer = true;
  server_->SetResponse("POST", kStartPath, silent);
  const absl::Time start = absl::Now();
  absl::StatusOr<std::unique_ptr<HijackedConn>> conn =
      client_->StartExecInteractive(kExecId, false,
                                    In(absl::Milliseconds(200)));
  EXPECT_TRUE(absl::IsDeadlineExceeded(conn.status())) << conn.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(10)) << "waited for docker";

  conn = client_->StartExecInteractive(kExecId, false, absl::Now());
  EXPECT_TRUE(absl::IsDeadlineExceeded(conn.status())) << conn.status();
}

TEST_F(CurlDockerClientAttachTest, BrokenReplies) {
  FakeResponse cut;
  cut.close_after_bytes = 10;  // inside the status line
  server_->SetResponse("POST", kStartPath, cut);
  absl::StatusOr<std::unique_ptr<HijackedConn>> conn =
      client_->StartExecInteractive(kExecId, false, In(absl::Seconds(5)));
  EXPECT_TRUE(absl::IsUnavailable(conn.status())) << conn.status();

  server_->Crash();
  conn = client_->StartExecInteractive(kExecId, false, In(absl::Seconds(5)));
  EXPECT_TRUE(absl::IsUnavailable(conn.status())) << conn.status();
  EXPECT_THAT(conn.status().message(), HasSubstr("is the docker daemon"));
}

TEST_F(CurlDockerClientAttachTest, ResetUnblocksRead) {
  server_->SetResponse("POST", kStartPath, Upgrade([](RawExchange& conn) {
                         conn.ReadToEof();  // until the client hangs up
                       }));
  absl::StatusOr<std::unique_ptr<HijackedConn>> conn =
      client_->StartExecInteractive(kExecId, false, In(absl::Seconds(5)));
  ASSERT_TRUE(conn.ok()) << conn.status();
  absl::Notification reading;
  absl::StatusOr<size_t> result = 0;
  std::thread reader([&] {
    char buf[16];
    reading.Notify();
    result = (*conn)->Read(buf, sizeof(buf));
  });
  reading.WaitForNotification();
  absl::SleepFor(absl::Milliseconds(50));
  (*conn)->Reset();
  reader.join();
  EXPECT_TRUE(absl::IsCancelled(result.status())) << result.status();
  EXPECT_TRUE(absl::IsCancelled((*conn)->Write("x")));
  (*conn)->Reset();  // idempotent
}

TEST_F(CurlDockerClientAttachTest, OverTcp) {
  absl::StatusOr<std::unique_ptr<FakeDockerServer>> tcp =
      FakeDockerServer::StartTcp();
  ASSERT_TRUE(tcp.ok());
  (*tcp)->SetDaemonVersion("1.43", "1.12");
  (*tcp)->SetResponse("POST", "/v1.43/exec/e8ec5bc100fe1a3f/start",
                      Upgrade([](RawExchange& conn) { conn.Write("tcp"); }));
  auto client = CurlDockerClient::Create((*tcp)->endpoint());
  ASSERT_TRUE(client.ok());
  absl::StatusOr<std::unique_ptr<HijackedConn>> conn =
      (*client)->StartExecInteractive(kExecId, true, In(absl::Seconds(5)));
  ASSERT_TRUE(conn.ok()) << conn.status();
  EXPECT_EQ(ReadAll(**conn).value_or("?"), "tcp");
  EXPECT_THAT((*tcp)->Requests().back().headers.at("host"),
              HasSubstr("127.0.0.1:"));
}

TEST_F(CurlDockerClientAttachTest, Resizes) {
  server_->SetResponse("POST", "/v1.41/exec/e8ec5bc100fe1a3f/resize",
                       {201, ""});
  EXPECT_TRUE(client_->ResizeExec(kExecId, 40, 100, In(absl::Seconds(5))).ok());
  EXPECT_EQ(server_->Paths().back(),
            "/v1.41/exec/e8ec5bc100fe1a3f/resize?h=40&w=100");

  server_->SetResponse("POST", "/v1.41/containers/web/resize", {200, ""});
  EXPECT_TRUE(
      client_->ResizeContainer("web", 24, 80, In(absl::Seconds(5))).ok());
  EXPECT_EQ(server_->Paths().back(), "/v1.41/containers/web/resize?h=24&w=80");

  server_->SetResponse(
      "POST", "/v1.41/containers/stopped/resize",
      {409, R"({"message":"Container stopped is not running"})"});
  absl::Status s =
      client_->ResizeContainer("stopped", 1, 1, In(absl::Seconds(5)));
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  s = client_->ResizeContainer("absent", 1, 1, In(absl::Seconds(5)));
  EXPECT_TRUE(absl::IsNotFound(s)) << s;

  server_->ClearRequests();
  s = client_->ResizeExec(kExecId, -1, 80, In(absl::Seconds(5)));
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_TRUE(server_->Requests().empty());
}

TEST_F(CurlDockerClientAttachTest, CreateExecWithStdin) {
  server_->SetResponse("POST", "/v1.41/containers/abc/exec",
                       {201, R"({"Id":"e8ec5bc100fe1a3f"})"});
  ExecCreateConfig config;
  config.container_id = "abc";
  config.cmd = {"cat"};
  config.attach_stdin = true;
  config.tty = true;
  ASSERT_TRUE(client_->CreateExec(config, In(absl::Seconds(5))).ok());
  const nlohmann::json body =
      nlohmann::json::parse(server_->Requests().back().body);
  EXPECT_EQ(body, nlohmann::json::parse(R"({
      "Cmd": ["cat"], "AttachStdin": true, "AttachStdout": true,
      "AttachStderr": true, "Tty": true})"));
}

}  // namespace
}  // namespace cri_dockerd::docker
