// Container logs against the real dockerd: ContainerLogManager copies a
// busybox container's output (stdout and stderr over ~1 s, and a 40 KiB
// line docker splits into 16 KiB pieces) into a CRI log file, through a
// kubelet-style rotation (rename + Reopen) and a restart of the copy.
// Uses CurlDockerClient directly, not the CRI verbs.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "cri/logs/container_log_manager.h"
#include "cri/logs/cri_log_format.h"
#include "docker_client/curl_docker_client.h"
#include "gtest/gtest.h"
#include "tests/integration/daemon_process.h"
#include "tests/integration/lab_engine.h"
#include "tests/integration/private_dockerd.h"

namespace cri_dockerd::testing_support {
namespace {

constexpr char kBusyboxRepo[] = "localhost:5000/busybox";
constexpr char kBusyboxTag[] = "1.36";

// 20 stdout and 20 stderr lines over ~1 s, the 40 KiB line, then, once
// the test opens the gate (a file in the mounted /gate), two more: a test
// that must act while the container still runs opens it afterwards.
constexpr char kScript[] = R"(i=0
while [ $i -lt 20 ]; do
  echo "out $i"
  echo "err $i" >&2
  i=$((i+1))
  sleep 0.05
done
i=0; while [ $i -lt 4096 ]; do printf 'x%09d' $i; i=$((i+1)); done; echo
while [ ! -e /gate/open ]; do sleep 0.05; done
echo "out end"
echo "err end" >&2
)";

std::string LongLine() {
  std::string s;
  for (int i = 0; i < 4096; ++i)
    absl::StrAppend(&s, absl::StrFormat("x%09d", i));
  return s;
}

size_t CountLines(const std::string& path) {
  const std::string text = ReadFile(path);
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

absl::Time In(absl::Duration d) { return absl::Now() + d; }

// The lines of CRI log text per stream, P pieces joined to their F.
struct Reassembled {
  std::map<std::string, std::vector<std::string>> lines;
  int partial_pieces = 0;
  bool ok = true;
};

Reassembled Reassemble(const std::string& text) {
  Reassembled out;
  std::map<std::string, std::string> pending;
  for (absl::string_view raw : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    auto line = logs::ParseCriLogLine(raw);
    if (!line.has_value()) {
      ADD_FAILURE() << "not a CRI log line: " << raw.substr(0, 100);
      out.ok = false;
      continue;
    }
    std::string& acc = pending[std::string(line->stream)];
    acc.append(line->content.data(), line->content.size());
    if (line->partial) {
      ++out.partial_pieces;
      continue;
    }
    out.lines[std::string(line->stream)].push_back(std::move(acc));
    acc.clear();
  }
  return out;
}

std::vector<std::string> Expected(const char* stream) {
  std::vector<std::string> want;
  for (int i = 0; i < 20; ++i) want.push_back(absl::StrCat(stream, " ", i));
  if (std::string(stream) == "out") want.push_back(LongLine());
  want.push_back(absl::StrCat(stream, " end"));
  return want;
}

// Generous for a loaded machine; what is awaited takes about a second.
constexpr absl::Duration kPatience = absl::Seconds(60);

template <typename F>
bool Eventually(F done, absl::Duration timeout) {
  const absl::Time give_up = In(timeout);
  while (!done()) {
    if (absl::Now() > give_up) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

class LogsTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(PingDocker(LabDockerSocket())) << "needs the lab's dockerd";
    auto client = docker::CurlDockerClient::Create(LabDockerEndpoint());
    ASSERT_TRUE(client.ok()) << client.status();
    docker_ = std::move(*client);
    const std::string image = absl::StrCat(kBusyboxRepo, ":", kBusyboxTag);
    if (!docker_->InspectImage(image, In(absl::Seconds(10))).ok()) {
      docker::PullOptions pull;
      pull.image = kBusyboxRepo;
      pull.tag = kBusyboxTag;
      ASSERT_TRUE(docker_->PullImage(pull, In(absl::Minutes(2))).ok());
    }
    log_path_ = dir_.path() + "/pods/ns_pod_uid/app/0.log";
    gate_ = dir_.path() + "/gate";
    ASSERT_EQ(mkdir(gate_.c_str(), 0755), 0);
  }

  void TearDown() override {
    manager_.reset();
    for (const std::string& id : containers_) {
      EXPECT_TRUE(
          docker_->RemoveContainer(id, true, true, In(absl::Seconds(30))).ok());
    }
    // The pulled image stays: tests running beside this one use it.
  }

  // Creates and starts the script's container; returns its ID.
  std::string Run(bool tty) {
    docker::ContainerCreateConfig config;
    config.name =
        absl::StrCat("crid-logs-it-", getpid(), "-", containers_.size());
    config.image = absl::StrCat(kBusyboxRepo, ":", kBusyboxTag);
    config.cmd = std::vector<std::string>{"sh", "-c", kScript};
    config.tty = tty;
    config.log_driver = "json-file";
    docker::BindMount gate;
    gate.source = gate_;
    gate.target = "/gate";
    gate.read_only = true;
    config.mounts.push_back(gate);
    absl::StatusOr<std::string> id =
        docker_->CreateContainer(config, In(absl::Seconds(30)));
    EXPECT_TRUE(id.ok()) << id.status();
    if (!id.ok()) return "";
    containers_.push_back(*id);
    absl::Status started = docker_->StartContainer(*id, In(absl::Seconds(30)));
    EXPECT_TRUE(started.ok()) << started;
    return *id;
  }

  // Lets the script print its last two lines.
  void OpenGate() { std::ofstream(gate_ + "/open").put('\n'); }

  void NewManager() {
    manager_.reset();
    manager_ = std::make_unique<logs::ContainerLogManager>(docker_.get());
  }

  ScratchDir dir_;
  std::unique_ptr<docker::CurlDockerClient> docker_;
  std::unique_ptr<logs::ContainerLogManager> manager_;
  std::vector<std::string> containers_;
  std::string log_path_;
  std::string gate_;  // mounted at /gate in the script's containers
};

TEST_F(LogsTest, OutputLandsInTheCriFileThroughARotation) {
  NewManager();
  const std::string id = Run(/*tty=*/false);
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(manager_->Start(id, log_path_, false).ok());
  // Rotate like kubelet while the container prints. It cannot finish
  // first: the gate holds its last lines (and it) until after the Reopen.
  ASSERT_TRUE(
      Eventually([&] { return CountLines(log_path_) >= 10; }, kPatience))
      << "the copy never got going: " << ReadFile(log_path_);
  const std::string rotated = log_path_ + ".20240101-000000";
  ASSERT_EQ(std::rename(log_path_.c_str(), rotated.c_str()), 0);
  ASSERT_TRUE(manager_->Reopen(id).ok());
  OpenGate();
  // The container exits; the copy ends by itself.
  ASSERT_TRUE(Eventually([&] { return !manager_->IsCopying(id); }, kPatience))
      << "the copy never ended";
  EXPECT_EQ(manager_->Reopen(id).code(), absl::StatusCode::kNotFound);

  const std::string before = ReadFile(rotated);
  const std::string after = ReadFile(log_path_);
  EXPECT_GE(CountLines(rotated), 10u);
  EXPECT_GT(CountLines(log_path_), 0u);
  const Reassembled got = Reassemble(before + after);
  ASSERT_TRUE(got.ok);
  EXPECT_EQ(got.lines.size(), 2u);
  EXPECT_EQ(got.lines.at("stdout"), Expected("out"));
  EXPECT_EQ(got.lines.at("stderr"), Expected("err"));
  EXPECT_EQ(got.partial_pieces, 2);  // 40 KiB = 16 KiB P + 16 KiB P + F
}

TEST_F(LogsTest, TtyOutputIsOneStreamWithTheLongLineReassembled) {
  NewManager();
  OpenGate();
  const std::string id = Run(/*tty=*/true);
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(manager_->Start(id, log_path_, true).ok());
  ASSERT_TRUE(Eventually([&] { return !manager_->IsCopying(id); }, kPatience))
      << "the copy never ended";
  const Reassembled got = Reassemble(ReadFile(log_path_));
  ASSERT_TRUE(got.ok);
  ASSERT_EQ(got.lines.size(), 1u);
  const std::vector<std::string>& lines = got.lines.at("stdout");
  ASSERT_EQ(lines.size(), 43u);
  EXPECT_EQ(lines[0], "out 0");  // no '\r' left of the terminal's "\r\n"
  EXPECT_EQ(lines[1], "err 0");
  EXPECT_EQ(lines[40], LongLine());
  EXPECT_EQ(lines[42], "err end");
  EXPECT_EQ(got.partial_pieces, 2);
}

TEST_F(LogsTest, RestartedCopyNeitherLosesNorRepeats) {
  NewManager();
  const std::string id = Run(/*tty=*/false);
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(manager_->Start(id, log_path_, false).ok());
  ASSERT_TRUE(Eventually([&] { return CountLines(log_path_) >= 8; }, kPatience))
      << "the copy never got going: " << ReadFile(log_path_);
  manager_.reset();  // the shim stops while the container prints on
  // (However much it prints meanwhile, the checks below hold; the gate
  // keeps it running until the copy has restarted.)
  absl::SleepFor(absl::Milliseconds(300));
  NewManager();
  ASSERT_TRUE(manager_->Start(id, log_path_, false).ok());
  OpenGate();
  ASSERT_TRUE(Eventually([&] { return !manager_->IsCopying(id); }, kPatience))
      << "the copy never ended";
  const Reassembled got = Reassemble(ReadFile(log_path_));
  ASSERT_TRUE(got.ok);
  EXPECT_EQ(got.lines.at("stdout"), Expected("out"));
  EXPECT_EQ(got.lines.at("stderr"), Expected("err"));
}

}  // namespace
}  // namespace cri_dockerd::testing_support
