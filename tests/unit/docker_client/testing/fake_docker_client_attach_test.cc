// The in-memory fake's interactive streams, which the streaming glue's
// unit tests lean on: the default echo (framed unless TTY), scripted
// handlers with exit codes and resizes, docker's errors, and handlers
// woken when the fake goes away.
#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "docker_client/mux_stream_decoder.h"
#include "docker_client/testing/fake_docker_client.h"
#include "gtest/gtest.h"

namespace cri_dockerd::docker {
namespace {

absl::Time Later() { return absl::Now() + absl::Seconds(10); }

std::string ReadAll(HijackedConn& conn) {
  std::string all;
  char buf[64];
  for (;;) {
    absl::StatusOr<size_t> n = conn.Read(buf, sizeof(buf));
    if (!n.ok() || *n == 0) return all;
    all.append(buf, *n);
  }
}

std::string Stdout(const std::string& stream) {
  std::string out;
  MuxStreamDecoder decoder;
  EXPECT_TRUE(decoder
                  .Feed(stream,
                        [&out](MuxStream s, absl::string_view d) {
                          if (s == MuxStream::kStdout) {
                            out.append(d.data(), d.size());
                          }
                        })
                  .ok());
  return out;
}

class FakeDockerClientAttachTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ImageInspect image;
    image.id = "sha256:" + std::string(64, 'a');
    image.repo_tags = {"busybox:latest"};
    fake_.AddImage(image);
    ContainerCreateConfig config;
    config.name = "box";
    config.image = "busybox";
    config.open_stdin = true;
    absl::StatusOr<std::string> id = fake_.CreateContainer(config, Later());
    ASSERT_TRUE(id.ok()) << id.status();
    id_ = *id;
    ASSERT_TRUE(fake_.StartContainer(id_, Later()).ok());
  }
  std::string Exec(std::vector<std::string> cmd, bool tty, bool stdin) {
    ExecCreateConfig config;
    config.container_id = id_;
    config.cmd = std::move(cmd);
    config.tty = tty;
    config.attach_stdin = stdin;
    absl::StatusOr<std::string> exec = fake_.CreateExec(config, Later());
    EXPECT_TRUE(exec.ok()) << exec.status();
    return exec.value_or("");
  }

  FakeDockerClient fake_;
  std::string id_;
};

TEST_F(FakeDockerClientAttachTest, DefaultExecEchoesFramed) {
  const std::string exec = Exec({"cat"}, /*tty=*/false, /*stdin=*/true);
  auto conn = fake_.StartExecInteractive(exec, false, Later());
  ASSERT_TRUE(conn.ok()) << conn.status();
  ASSERT_TRUE((*conn)->Write("hello\n").ok());
  ASSERT_TRUE((*conn)->CloseWrite().ok());
  const std::string stream = ReadAll(**conn);
  EXPECT_EQ(stream, EncodeMuxFrame(MuxStream::kStdout, "hello\n"));
  absl::StatusOr<ExecInspect> inspect = fake_.InspectExec(exec, Later());
  ASSERT_TRUE(inspect.ok());
  EXPECT_FALSE(inspect->running);
  EXPECT_EQ(inspect->exit_code, 0);

  // A second start gets docker's in-band error.
  conn = fake_.StartExecInteractive(exec, false, Later());
  ASSERT_TRUE(conn.ok()) << conn.status();
  EXPECT_EQ(Stdout(ReadAll(**conn)),
            "Error: Exec command " + exec + " has already run\r\n");
}

TEST_F(FakeDockerClientAttachTest, ScriptedTtyExecWithResize) {
  fake_.SetExecStreamHandler("sh", [](FakeStreamSession& s) {
    EXPECT_TRUE(s.tty());
    if (!s.AwaitResizes(1, Later())) return 1;
    const FakeResize r = s.Resizes().back();
    (void)s.WriteStdout(std::to_string(r.height) + " " +
                        std::to_string(r.width) + "\r\n");
    return s.ReadStdinLine().value_or("") == "exit 7\n" ? 7 : 2;
  });
  const std::string exec = Exec({"sh"}, /*tty=*/true, /*stdin=*/true);
  auto conn = fake_.StartExecInteractive(exec, true, Later());
  ASSERT_TRUE(conn.ok()) << conn.status();
  absl::StatusOr<ExecInspect> inspect = fake_.InspectExec(exec, Later());
  ASSERT_TRUE(inspect.ok());
  EXPECT_TRUE(inspect->running);
  ASSERT_TRUE(fake_.ResizeExec(exec, 40, 100, Later()).ok());
  ASSERT_TRUE((*conn)->Write("exit 7\n").ok());
  EXPECT_EQ(ReadAll(**conn), "40 100\r\n");
  inspect = fake_.InspectExec(exec, Later());
  ASSERT_TRUE(inspect.ok());
  EXPECT_EQ(inspect->exit_code, 7);
  ASSERT_EQ(fake_.ResizeCalls().size(), 1u);
  EXPECT_TRUE(fake_.ResizeCalls()[0].exec);
  EXPECT_EQ(fake_.ActiveStreams(), 0);
}

TEST_F(FakeDockerClientAttachTest, ExecScriptWithoutStdin) {
  FakeDockerClient::FakeExec script;
  script.stdout_data = "out";
  script.stderr_data = "err";
  script.exit_code = 3;
  fake_.SetExecScript("ls", script);
  const std::string exec = Exec({"ls"}, false, false);
  auto conn = fake_.StartExecInteractive(exec, false, Later());
  ASSERT_TRUE(conn.ok());
  EXPECT_EQ(ReadAll(**conn), EncodeMuxFrame(MuxStream::kStdout, "out") +
                                 EncodeMuxFrame(MuxStream::kStderr, "err"));
  EXPECT_EQ(fake_.InspectExec(exec, Later())->exit_code, 3);
}

TEST_F(FakeDockerClientAttachTest, AttachEchoesAndRecords) {
  AttachOptions options;
  options.stdin = true;
  auto conn = fake_.AttachContainer("box", options, Later());
  ASSERT_TRUE(conn.ok()) << conn.status();
  ASSERT_TRUE((*conn)->Write("ping\n").ok());
  ASSERT_TRUE((*conn)->CloseWrite().ok());
  EXPECT_EQ(Stdout(ReadAll(**conn)), "ping\n");
  ASSERT_EQ(fake_.AttachCalls().size(), 1u);
  EXPECT_EQ(fake_.AttachCalls()[0].id, "box");
  EXPECT_TRUE(fake_.AttachCalls()[0].options.stdin);
  ASSERT_TRUE(fake_.ResizeContainer("box", 24, 80, Later()).ok());
  EXPECT_EQ(fake_.ResizeCalls().back().id, id_);
  EXPECT_FALSE(fake_.ResizeCalls().back().exec);
}

TEST_F(FakeDockerClientAttachTest, DockersErrors) {
  EXPECT_TRUE(absl::IsNotFound(
      fake_.StartExecInteractive("nope", false, Later()).status()));
  EXPECT_TRUE(absl::IsNotFound(fake_.ResizeExec("nope", 1, 1, Later())));
  EXPECT_TRUE(
      absl::IsNotFound(fake_.AttachContainer("nope", {}, Later()).status()));
  EXPECT_TRUE(absl::IsNotFound(fake_.ResizeContainer("nope", 1, 1, Later())));
  ASSERT_TRUE(fake_.StopContainer(id_, absl::Seconds(1), Later()).ok());
  EXPECT_TRUE(
      absl::IsFailedPrecondition(fake_.ResizeContainer(id_, 1, 1, Later())));
  fake_.InjectErrorOnce("AttachContainer", absl::UnavailableError("down"));
  EXPECT_TRUE(
      absl::IsUnavailable(fake_.AttachContainer(id_, {}, Later()).status()));
}

// As docker: attaching to a container that does not run succeeds, and
// the stream stays silent (until it would start).
TEST_F(FakeDockerClientAttachTest, AttachToAStoppedContainerIsSilent) {
  ASSERT_TRUE(fake_.StopContainer(id_, absl::Seconds(1), Later()).ok());
  AttachOptions options;
  options.stdin = true;
  absl::StatusOr<std::unique_ptr<HijackedConn>> conn =
      fake_.AttachContainer(id_, options, Later());
  ASSERT_TRUE(conn.ok()) << conn.status();
  ASSERT_TRUE((*conn)->Write("hello\n").ok());
  ASSERT_TRUE((*conn)->CloseWrite().ok());
  EXPECT_EQ(ReadAll(**conn), "") << "no process echoes";
}

TEST(FakeDockerClientAttachLifetimeTest, FakeGoingAwayWakesHandlers) {
  std::unique_ptr<HijackedConn> conn;
  {
    FakeDockerClient fake;
    ImageInspect image;
    image.id = "sha256:" + std::string(64, 'b');
    image.repo_tags = {"busybox:latest"};
    fake.AddImage(image);
    ContainerCreateConfig config;
    config.image = "busybox";
    absl::StatusOr<std::string> id = fake.CreateContainer(config, Later());
    ASSERT_TRUE(id.ok());
    ASSERT_TRUE(fake.StartContainer(*id, Later()).ok());
    // No stdin: the default attach waits for the client to hang up.
    absl::StatusOr<std::unique_ptr<HijackedConn>> c =
        fake.AttachContainer(*id, {}, Later());
    ASSERT_TRUE(c.ok());
    conn = std::move(*c);
    EXPECT_EQ(fake.ActiveStreams(), 1);
  }
  char buf[8];
  EXPECT_EQ(conn->Read(buf, sizeof(buf)).value_or(99), 0u);
}

}  // namespace
}  // namespace cri_dockerd::docker
