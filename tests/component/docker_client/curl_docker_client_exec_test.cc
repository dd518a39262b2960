// CurlDockerClient's exec calls against the fake Docker server, replaying
// dockerd 20.10's replies captured into tests/testdata/docker/exec_*: the
// create request, the multiplexed and TTY output of exec start (also over
// a close-delimited "hijacked" reply, as docker really sends it), check
// and deadline, and exec inspect while running, after the exit and after
// a SIGKILL.
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "docker_client/curl_docker_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/component/docker_client/test_util.h"
#include "tests/component/fake_docker_server.h"

namespace cri_dockerd::docker {
namespace {

using ::testing::HasSubstr;

constexpr char kExecId[] =
    "5bc100fe1a3fbbdfb42a99b71a5547c6ab8cde410f2518fe9e88145fc13767a0";

std::vector<FakeResponse::Piece> Pieces(const std::string& text, size_t size) {
  std::vector<FakeResponse::Piece> pieces;
  for (size_t i = 0; i < text.size(); i += size) {
    pieces.push_back({text.substr(i, size), absl::Milliseconds(1)});
  }
  return pieces;
}

// What exec_start_multiplexed.bin holds.
std::string GoldenStdout() {
  return "out 0\nout 1\nout 2\n" + std::string(70000, 'x') + "\nno-newline";
}

struct Collected {
  std::string out, err;
  ExecOutput Sinks(bool tty = false) {
    ExecOutput o;
    o.tty = tty;
    o.on_stdout = [this](absl::string_view d) {
      out.append(d.data(), d.size());
    };
    o.on_stderr = [this](absl::string_view d) {
      err.append(d.data(), d.size());
    };
    return o;
  }
};

// Docker's real exec start reply is not chunked: it hijacks the
// connection, writes a bare "200 OK" header and the stream, then closes.
// A tiny server that answers like that (and GET /version, one request per
// connection).
class HijackingServer {
 public:
  explicit HijackingServer(std::string stream) : stream_(std::move(stream)) {
    char tmpl[] = "/tmp/crid-hijack-XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/docker.sock";
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path_.c_str());
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(listen(fd_, 8), 0);
    thread_ = std::thread([this] { Loop(); });
  }
  ~HijackingServer() {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
    unlink(path_.c_str());
    rmdir(dir_.c_str());
  }
  std::string endpoint() const { return "unix://" + path_; }

 private:
  void Loop() {
    for (;;) {
      const int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string req;
      char buf[4096];
      while (req.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = read(c, buf, sizeof(buf));
        if (n <= 0) break;
        req.append(buf, static_cast<size_t>(n));
      }
      std::string reply;
      if (absl::StrContains(req, "GET /version")) {
        const std::string body =
            R"({"ApiVersion":"1.41","MinAPIVersion":"1.12","Version":"20.10.24"})";
        reply = absl::StrCat(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            "Connection: close\r\nContent-Length: ",
            body.size(), "\r\n\r\n", body);
      } else {
        reply = absl::StrCat(
            "HTTP/1.1 200 OK\r\nContent-Type: "
            "application/vnd.docker.raw-stream\r\nApi-Version: 1.41\r\n\r\n",
            stream_);
      }
      for (size_t off = 0; off < reply.size();) {
        const ssize_t n = write(c, reply.data() + off,
                                std::min<size_t>(reply.size() - off, 4096));
        if (n <= 0) break;
        off += static_cast<size_t>(n);
      }
      close(c);
    }
  }

  std::string dir_;
  std::string stream_;
  std::string path_;
  int fd_ = -1;
  std::thread thread_;
};

using CurlDockerClientExecTest = NegotiatedClientTest;

TEST_F(CurlDockerClientExecTest, CreateSendsTheCommandAndReturnsTheId) {
  server_->SetResponse(
      "POST", "/v1.41/containers/abc/exec",
      {.status = 201, .body = ReadTestdata("exec_create.json")});
  ExecCreateConfig config;
  config.container_id = "abc";
  config.cmd = {"sh", "-c", "echo out; echo err >&2; exit 3"};
  absl::StatusOr<std::string> id =
      client_->CreateExec(config, In(absl::Seconds(5)));
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, kExecId);
  const std::vector<RecordedRequest> requests = server_->Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].headers.at("content-type"), "application/json");
  const nlohmann::json body = nlohmann::json::parse(requests[0].body);
  EXPECT_EQ(body, nlohmann::json::parse(R"({
      "Cmd": ["sh", "-c", "echo out; echo err >&2; exit 3"],
      "AttachStdin": false, "AttachStdout": true, "AttachStderr": true,
      "Tty": false})"));
}

// ConsoleSize ([height, width]) goes to an engine with API 1.42+, and only
// for a TTY exec; Docker 20.10 (API 1.41) is not sent it.
TEST_F(CurlDockerClientExecTest, CreateSendsTheConsoleSizeFromApi142) {
  ExecCreateConfig config;
  config.container_id = "abc";
  config.cmd = {"sh"};
  config.tty = true;
  config.console_size = TerminalBox{40, 100};
  for (const char* api : {"1.41", "1.42", "1.45"}) {
    StartDaemon(api);
    server_->SetResponse(
        "POST", absl::StrCat("/v", api, "/containers/abc/exec"),
        {.status = 201, .body = ReadTestdata("exec_create.json")});
    ExecCreateConfig untty = config;
    untty.tty = false;
    for (const ExecCreateConfig& c : {config, untty}) {
      ASSERT_TRUE(client_->CreateExec(c, In(absl::Seconds(5))).ok()) << api;
    }
    const std::vector<RecordedRequest> requests = server_->Requests();
    ASSERT_EQ(requests.size(), 2u) << api;
    const nlohmann::json tty = nlohmann::json::parse(requests[0].body);
    const nlohmann::json plain = nlohmann::json::parse(requests[1].body);
    if (std::string(api) == "1.41") {
      EXPECT_FALSE(tty.contains("ConsoleSize")) << tty.dump();
    } else {
      EXPECT_EQ(tty["ConsoleSize"], nlohmann::json::parse("[40, 100]")) << api;
    }
    EXPECT_FALSE(plain.contains("ConsoleSize")) << api << plain.dump();
  }
}

TEST_F(CurlDockerClientExecTest, CreateErrors) {
  const std::string path = "/v1.41/containers/abc/exec";
  ExecCreateConfig config;
  config.container_id = "abc";
  config.cmd = {"true"};
  struct {
    int status;
    const char* golden;
    absl::StatusCode code;
    const char* says;
  } cases[] = {
      {404, "exec_create_404.json", absl::StatusCode::kNotFound,
       "No such container"},
      {409, "exec_create_409_not_running.json",
       absl::StatusCode::kFailedPrecondition, "is not running"},
      {400, "exec_create_400_no_cmd.json", absl::StatusCode::kInvalidArgument,
       "No exec command specified"},
  };
  for (const auto& c : cases) {
    server_->SetResponse("POST", path,
                         {.status = c.status, .body = ReadTestdata(c.golden)});
    absl::StatusOr<std::string> id =
        client_->CreateExec(config, In(absl::Seconds(5)));
    EXPECT_EQ(id.status().code(), c.code) << c.golden;
    EXPECT_THAT(std::string(id.status().message()), HasSubstr(c.says));
  }
  server_->ClearRequests();
  config.cmd.clear();
  EXPECT_EQ(client_->CreateExec(config, In(absl::Seconds(5))).status().code(),
            absl::StatusCode::kInvalidArgument);
  config.cmd = {"true"};
  config.container_id = "a/b";
  EXPECT_EQ(client_->CreateExec(config, In(absl::Seconds(5))).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(server_->Requests().empty());
}

TEST_F(CurlDockerClientExecTest, StartDemuxesTheMultiplexedStream) {
  FakeResponse reply;
  reply.headers = {{"Content-Type", "application/vnd.docker.raw-stream"}};
  reply.stream = Pieces(ReadTestdata("exec_start_multiplexed.bin"), 999);
  server_->SetResponse("POST", absl::StrCat("/v1.41/exec/", kExecId, "/start"),
                       reply);
  Collected got;
  ASSERT_TRUE(
      client_->StartExec(kExecId, got.Sinks(), In(absl::Seconds(10))).ok());
  EXPECT_EQ(got.out, GoldenStdout());
  EXPECT_EQ(got.err, "err 0\nerr 1\nerr 2\n");
  const std::vector<RecordedRequest> requests = server_->Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(nlohmann::json::parse(requests[0].body),
            nlohmann::json::parse(R"({"Detach": false, "Tty": false})"));
}

TEST_F(CurlDockerClientExecTest, StartTtyIsOneRawStream) {
  FakeResponse reply;
  reply.stream = Pieces(ReadTestdata("exec_start_tty.bin"), 3);
  server_->SetResponse("POST", "/v1.41/exec/e1/start", reply);
  Collected got;
  ASSERT_TRUE(
      client_->StartExec("e1", got.Sinks(true), In(absl::Seconds(10))).ok());
  EXPECT_EQ(got.out, "out\r\nerr\r\n");
  EXPECT_EQ(got.err, "");
  EXPECT_THAT(server_->Requests()[0].body, HasSubstr(R"("Tty":true)"));
}

TEST_F(CurlDockerClientExecTest, DockersOwnErrorsArriveAsOutput) {
  // A missing binary: docker's 200, its message in a stdout frame.
  FakeResponse reply;
  reply.stream = {{ReadTestdata("exec_start_missing_binary.bin")}};
  server_->SetResponse("POST", "/v1.41/exec/e1/start", reply);
  Collected got;
  ASSERT_TRUE(
      client_->StartExec("e1", got.Sinks(), In(absl::Seconds(10))).ok());
  EXPECT_THAT(got.out, HasSubstr("OCI runtime exec failed"));
}

TEST_F(CurlDockerClientExecTest, StartErrors) {
  server_->SetResponse(
      "POST", "/v1.41/exec/e1/start",
      {.status = 404, .body = ReadTestdata("exec_inspect_404.json")});
  Collected got;
  EXPECT_EQ(client_->StartExec("e1", got.Sinks(), In(absl::Seconds(5))).code(),
            absl::StatusCode::kNotFound);
  // The connection broke inside a frame.
  FakeResponse cut;
  cut.stream = {{ReadTestdata("exec_start_multiplexed.bin").substr(0, 100)}};
  server_->SetResponse("POST", "/v1.41/exec/e1/start", cut);
  EXPECT_EQ(client_->StartExec("e1", got.Sinks(), In(absl::Seconds(5))).code(),
            absl::StatusCode::kUnavailable);
  // Garbage: stream type 7.
  FakeResponse garbage;
  garbage.stream = {{std::string("\x07\0\0\0\0\0\0\x01x", 9)}};
  server_->SetResponse("POST", "/v1.41/exec/e1/start", garbage);
  EXPECT_EQ(client_->StartExec("e1", got.Sinks(), In(absl::Seconds(5))).code(),
            absl::StatusCode::kInternal);
  EXPECT_EQ(client_->StartExec("", got.Sinks(), In(absl::Seconds(5))).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(CurlDockerClientExecTest, CheckAndDeadlineEndAStalledStream) {
  const std::string golden = ReadTestdata("exec_start_multiplexed.bin");
  FakeResponse reply;
  reply.stream = {{golden.substr(0, 14)}};  // "out 0\n"
  reply.stall = true;                       // the process runs on
  server_->SetResponse("POST", "/v1.41/exec/e1/start", reply);
  Collected got;
  ExecOutput sinks = got.Sinks();
  // The check (run on the calling thread, like the sinks) gives up once the
  // output is in; the stream stalls after it, so only the check ends the
  // call, long before its 60 s deadline.
  sinks.check = [&] {
    return got.out.empty() ? absl::OkStatus()
                           : absl::DeadlineExceededError("timeout");
  };
  absl::Time start = absl::Now();
  EXPECT_EQ(client_->StartExec("e1", sinks, In(absl::Seconds(60))),
            absl::DeadlineExceededError("timeout"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  EXPECT_EQ(got.out, "out 0\n");
  // The deadline alone ends a stalled stream too.
  start = absl::Now();
  EXPECT_EQ(client_->StartExec("e1", got.Sinks(), In(absl::Seconds(1))).code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

TEST_F(CurlDockerClientExecTest, Inspect) {
  const std::string path = absl::StrCat("/v1.41/exec/", kExecId, "/json");
  struct {
    const char* golden;
    bool running;
    std::optional<int> exit_code;
    int pid;
  } cases[] = {
      {"exec_inspect_created.json", false, std::nullopt, 0},
      {"exec_inspect_running.json", true, std::nullopt, 23414},
      {"exec_inspect_exited.json", false, 3, 23115},
      {"exec_inspect_killed.json", false, 137, 23414},
  };
  for (const auto& c : cases) {
    server_->SetResponse("GET", path, {.body = ReadTestdata(c.golden)});
    absl::StatusOr<ExecInspect> e =
        client_->InspectExec(kExecId, In(absl::Seconds(5)));
    ASSERT_TRUE(e.ok()) << c.golden << ": " << e.status();
    EXPECT_EQ(e->running, c.running) << c.golden;
    EXPECT_EQ(e->exit_code, c.exit_code) << c.golden;
    EXPECT_EQ(e->pid, c.pid) << c.golden;
    EXPECT_EQ(e->container_id.size(), 64u) << c.golden;
    EXPECT_FALSE(e->id.empty()) << c.golden;
  }
  server_->SetResponse(
      "GET", path,
      {.status = 404, .body = ReadTestdata("exec_inspect_404.json")});
  EXPECT_EQ(client_->InspectExec(kExecId, In(absl::Seconds(5))).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(CurlDockerClientExecHijackTest, StartReadsACloseDelimitedReply) {
  HijackingServer server(ReadTestdata("exec_start_multiplexed.bin"));
  absl::StatusOr<std::unique_ptr<CurlDockerClient>> client =
      CurlDockerClient::Create(server.endpoint());
  ASSERT_TRUE(client.ok()) << client.status();
  Collected got;
  ASSERT_TRUE(
      (*client)->StartExec("e1", got.Sinks(), In(absl::Seconds(10))).ok());
  EXPECT_EQ(got.out, GoldenStdout());
  EXPECT_EQ(got.err, "err 0\nerr 1\nerr 2\n");
}

}  // namespace
}  // namespace cri_dockerd::docker
