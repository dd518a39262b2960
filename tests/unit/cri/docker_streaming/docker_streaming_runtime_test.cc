// DockerStreamingRuntime against the fake docker client's scripted
// interactive streams: stdin to the process and EOF, stdout/stderr
// demultiplexed, exit codes, TTY resizes, attach, and a client that goes
// away releasing the docker connection.
#include "cri/docker_streaming/docker_streaming_runtime.h"

#include <deque>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "cri/streaming/session_io.h"
#include "docker_client/testing/fake_docker_client.h"
#include "gtest/gtest.h"
#include "tests/poll_until.h"

namespace cri_dockerd {
namespace {

using docker::FakeDockerClient;
using docker::FakeStreamSession;

absl::Time Later() { return absl::Now() + absl::Seconds(10); }

// A client-side stream: input fed by the test, output collected.
class TestStream : public io::ByteStream {
 public:
  void Feed(std::string s) {
    absl::MutexLock l(&mu_);
    in_ += s;
  }
  void End() {
    absl::MutexLock l(&mu_);
    eof_ = true;
  }
  absl::StatusOr<size_t> Read(char* buf, size_t len) override {
    absl::MutexLock l(&mu_);
    mu_.Await(absl::Condition(
        +[](TestStream* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu_) {
          return !s->in_.empty() || s->eof_ || s->reset_;
        },
        this));
    if (reset_) return absl::CancelledError("reset");
    size_t n = std::min(len, in_.size());
    in_.copy(buf, n);
    in_.erase(0, n);
    return n;
  }
  absl::Status Write(absl::string_view d) override {
    absl::MutexLock l(&mu_);
    out_.append(d.data(), d.size());
    return absl::OkStatus();
  }
  absl::Status CloseWrite() override { return absl::OkStatus(); }
  void Reset() override {
    absl::MutexLock l(&mu_);
    reset_ = true;
  }
  std::string out() {
    absl::MutexLock l(&mu_);
    return out_;
  }

 private:
  absl::Mutex mu_;
  std::string in_ ABSL_GUARDED_BY(mu_), out_ ABSL_GUARDED_BY(mu_);
  bool eof_ ABSL_GUARDED_BY(mu_) = false;
  bool reset_ ABSL_GUARDED_BY(mu_) = false;
};

class DockerStreamingRuntimeTest : public testing::Test {
 protected:
  void SetUp() override {
    docker::ImageInspect image;
    image.id = "sha256:" + std::string(64, 'a');
    image.repo_tags = {"busybox:latest"};
    fake_.AddImage(image);
    docker::ContainerCreateConfig config;
    config.name = "box";
    config.image = "busybox";
    config.open_stdin = true;
    absl::StatusOr<std::string> id = fake_.CreateContainer(config, Later());
    ASSERT_TRUE(id.ok()) << id.status();
    id_ = *id;
    ASSERT_TRUE(fake_.StartContainer(id_, Later()).ok());
  }
  // A ClientGone that fires when the test says.
  struct Gone {
    absl::Notification n;
    streaming::ClientWatch watch{[this] { n.WaitForNotification(); }};
    Gone() { EXPECT_TRUE(watch.Start().ok()); }
    ~Gone() {
      if (!n.HasBeenNotified()) n.Notify();
    }
  };

  // Execs `sh` with a TTY: output to `out`, terminal sizes read from
  // `sizes` (JSON, as the client's resize stream carries them).
  absl::StatusOr<int> ExecTtyShell(TestStream* out, TestStream* sizes) {
    streaming::InputPump resize_pump(sizes);
    if (absl::Status s = resize_pump.Start(); !s.ok()) return s;
    streaming::ResizeReader resize(&resize_pump);
    Gone gone;
    streaming::StreamIo io;
    io.stdout = out;
    io.tty = true;
    io.resize = &resize;
    io.client_gone = &gone.watch;
    absl::StatusOr<int> code =
        runtime_.Exec({id_, {"sh"}, true, false, true, false}, io);
    sizes->End();  // lets the pump's thread end before its destructor
    return code;
  }

  FakeDockerClient fake_;
  DockerStreamingRuntime runtime_{&fake_};
  std::string id_;
};

TEST_F(DockerStreamingRuntimeTest, StdinStdoutStderrAndExitCode) {
  fake_.SetExecStreamHandler("sh -c x", [](FakeStreamSession& s) {
    std::string all;
    while (std::optional<std::string> line = s.ReadStdinLine()) all += *line;
    (void)s.WriteStdout("got " + all);
    (void)s.WriteStderr("warn\n");
    return 7;
  });
  TestStream in, out, err;
  in.Feed("a\nb\n");
  in.End();
  Gone gone;
  streaming::StreamIo io;
  io.stdin = &in;
  io.stdout = &out;
  io.stderr = &err;
  io.client_gone = &gone.watch;
  absl::StatusOr<int> code =
      runtime_.Exec({id_, {"sh", "-c", "x"}, false, true, true, true}, io);
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 7);
  EXPECT_EQ(out.out(), "got a\nb\n");
  EXPECT_EQ(err.out(), "warn\n");
  ASSERT_FALSE(fake_.ExecCreateCalls().empty());
  EXPECT_TRUE(fake_.ExecCreateCalls().back().attach_stdin);
  EXPECT_EQ(fake_.ActiveStreams(), 0);
}

// The first size the client sends becomes the exec's console size (so the
// command starts at it) and also reaches docker's resize after the start
// (an engine before API 1.42 ignores the console size); later sizes
// follow in order.
TEST_F(DockerStreamingRuntimeTest, TtyResizesReachDocker) {
  TestStream out, resize_src;
  fake_.SetExecStreamHandler("sh", [&resize_src](FakeStreamSession& s) {
    if (!s.AwaitResizes(1, Later())) return 1;
    resize_src.Feed(R"({"Width":120,"Height":50})");
    if (!s.AwaitResizes(2, Later())) return 2;
    (void)s.WriteStdout("sized\r\n");
    return 0;
  });
  resize_src.Feed(R"({"Width":80,"Height":24})");
  absl::StatusOr<int> code = ExecTtyShell(&out, &resize_src);
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0);
  EXPECT_EQ(out.out(), "sized\r\n");
  ASSERT_EQ(fake_.ExecCreateCalls().size(), 1u);
  const std::optional<docker::TerminalBox> console =
      fake_.ExecCreateCalls()[0].console_size;
  ASSERT_TRUE(console.has_value());
  EXPECT_EQ(console->width, 80);
  EXPECT_EQ(console->height, 24);
  std::vector<docker::FakeResize> resizes = fake_.ResizeCalls();
  ASSERT_EQ(resizes.size(), 2u);
  EXPECT_TRUE(resizes[0].exec);
  EXPECT_EQ(resizes[0].width, 80);
  EXPECT_EQ(resizes[0].height, 24);
  EXPECT_EQ(resizes[1].width, 120);
  EXPECT_EQ(resizes[1].height, 50);
}

// A TTY client that sends no size (no terminal on its side, or its resize
// stream ends at once) gets its exec without a console size.
TEST_F(DockerStreamingRuntimeTest, TtyWithoutASizeStartsWithoutOne) {
  fake_.SetExecStreamHandler("sh", [](FakeStreamSession& s) {
    (void)s.WriteStdout("ok\r\n");
    return 0;
  });
  TestStream out, resize_src;
  resize_src.End();
  absl::StatusOr<int> code = ExecTtyShell(&out, &resize_src);
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(out.out(), "ok\r\n");
  ASSERT_EQ(fake_.ExecCreateCalls().size(), 1u);
  EXPECT_FALSE(fake_.ExecCreateCalls()[0].console_size.has_value());
  EXPECT_TRUE(fake_.ResizeCalls().empty());
}

TEST_F(DockerStreamingRuntimeTest, ClientGoneReleasesTheDockerConnection) {
  fake_.SetExecStreamHandler("sleep", [](FakeStreamSession& s) {
    s.AwaitHangUp();
    return 0;
  });
  TestStream out;
  Gone gone;
  streaming::StreamIo io;
  io.stdout = &out;
  io.client_gone = &gone.watch;
  absl::StatusOr<int> code = absl::UnknownError("not run");
  std::thread t([&] {
    code = runtime_.Exec({id_, {"sleep"}, false, false, true, false}, io);
  });
  // The client goes while the exec's stream is live.
  EXPECT_TRUE(testing_util::PollUntil([&] {
    return fake_.ActiveStreams() > 0;
  })) << "the exec's stream never started";
  gone.n.Notify();
  t.join();
  EXPECT_TRUE(absl::IsCancelled(code.status())) << code.status();
  EXPECT_TRUE(testing_util::PollUntil([&] {
    return fake_.ActiveStreams() == 0;
  })) << "the docker connection was kept";
}

TEST_F(DockerStreamingRuntimeTest, ErrorsComeBackAsStatuses) {
  TestStream out;
  Gone gone;
  streaming::StreamIo io;
  io.stdout = &out;
  io.client_gone = &gone.watch;
  absl::StatusOr<int> code =
      runtime_.Exec({"nosuch", {"true"}, false, false, true, false}, io);
  EXPECT_TRUE(absl::IsNotFound(code.status())) << code.status();
  absl::Status attach =
      runtime_.Attach({"nosuch", false, false, true, false}, io);
  EXPECT_TRUE(absl::IsNotFound(attach)) << attach;
  absl::Status pf = runtime_.PortForward(id_, 0, &out);
  EXPECT_TRUE(absl::IsInvalidArgument(pf)) << pf;
  pf = runtime_.PortForward("nosuch", 80, &out);
  EXPECT_TRUE(absl::IsNotFound(pf)) << pf;
}

TEST_F(DockerStreamingRuntimeTest, AttachEchoesThroughTheContainer) {
  TestStream in, out;
  in.Feed("ping\n");
  in.End();
  Gone gone;
  streaming::StreamIo io;
  io.stdin = &in;
  io.stdout = &out;
  io.client_gone = &gone.watch;
  absl::Status s = runtime_.Attach({id_, false, true, true, false}, io);
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(out.out(), "ping\n");
  ASSERT_EQ(fake_.AttachCalls().size(), 1u);
  EXPECT_TRUE(fake_.AttachCalls()[0].options.stdin);
}

}  // namespace
}  // namespace cri_dockerd
