// The DockerClient contract: the engine behaviours cri/ relies on, as one
// typed test suite that runs against every implementation -- the
// in-memory fake in the unit tier, CurlDockerClient on the real dockerd in
// the integration tier -- so that the fake cannot drift from the engine
// unnoticed. Instantiate it with an engine type:
//
//   INSTANTIATE_TYPED_TEST_SUITE_P(Fake, DockerClientContract, FakeEngine);
//
// An engine type is default-constructible and has:
//   absl::Status SetUp();      // OK, or why the engine cannot be used; on
//                              // OK, kContractImage is present
//   DockerClient& client();
//   // Makes the exec of `cmd` print `out` and `err` and exit with `code`
//   // where the engine does not run commands (the fake); an engine that
//   // runs them ignores it (busybox's sh does what the tests ask).
//   void ScriptExec(const std::vector<std::string>& cmd,
//                   const std::string& out, const std::string& err,
//                   int code);
// The suite names what it creates crid-contract-<pid>-<n>, labels it
// kContractLabel, and force-removes it at the end of each test.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "docker_client/docker_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cri_dockerd::docker {

// The image every container of the suite runs: busybox from the lab's
// registry.
inline constexpr char kContractRepo[] = "localhost:5000/busybox";
inline constexpr char kContractTag[] = "1.36";
inline constexpr char kContractImage[] = "localhost:5000/busybox:1.36";
// The label key on everything the suite creates (value: this process).
inline constexpr char kContractLabel[] = "io.cri-dockerd.contract";

// A container's main process that ends at once on SIGTERM (exit code 0),
// so that stopping it needs no grace period.
inline const std::vector<std::string>& ContractCommand() {
  static const auto* cmd = new std::vector<std::string>{
      "sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait"};
  return *cmd;
}

template <typename Engine>
class DockerClientContract : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::Status s = engine_.SetUp();
    ASSERT_TRUE(s.ok()) << s;
  }
  void TearDown() override {
    for (const std::string& id : created_) {
      absl::Status s =
          docker().RemoveContainer(id, /*force=*/true,
                                   /*remove_volumes=*/true, Soon());
      EXPECT_TRUE(s.ok() || absl::IsNotFound(s)) << s;
    }
  }

  DockerClient& docker() { return engine_.client(); }
  static absl::Time Soon() { return absl::Now() + absl::Seconds(60); }

  // A name no other container has: crid-contract-<pid>-<n>.
  std::string NewName() {
    return absl::StrCat("crid-contract-", getpid(), "-", ++serial_);
  }
  // This process's value of kContractLabel.
  static std::string LabelValue() { return absl::StrCat(getpid()); }
  // The create config of a busybox running ContractCommand() with no
  // network, labelled with kContractLabel plus `labels`.
  ContainerCreateConfig Config(std::map<std::string, std::string> labels = {}) {
    ContainerCreateConfig c;
    c.name = NewName();
    c.image = kContractImage;
    c.cmd = ContractCommand();
    c.network_mode = "none";
    c.labels = std::move(labels);
    c.labels[kContractLabel] = LabelValue();
    return c;
  }
  // Creates a container from `config`; its ID ("" with a test failure).
  std::string Create(const ContainerCreateConfig& config) {
    absl::StatusOr<std::string> id = docker().CreateContainer(config, Soon());
    EXPECT_TRUE(id.ok()) << id.status();
    if (!id.ok()) return "";
    created_.push_back(*id);
    return *id;
  }
  std::string Create() { return Create(Config()); }
  // Creates and starts a container; its ID ("" with a test failure).
  std::string Run(const ContainerCreateConfig& config) {
    const std::string id = Create(config);
    if (id.empty()) return "";
    absl::Status s = docker().StartContainer(id, Soon());
    EXPECT_TRUE(s.ok()) << s;
    return s.ok() ? id : "";
  }
  std::string Run() { return Run(Config()); }
  absl::Status Stop(const std::string& id) {
    return docker().StopContainer(id, absl::Seconds(10), Soon());
  }
  ContainerState StateOf(const std::string& id) {
    absl::StatusOr<ContainerInspect> c = docker().InspectContainer(id, Soon());
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? c->state : ContainerState();
  }
  // Names of this process's containers that ListContainers returns with
  // `options` (plus the kContractLabel filter).
  std::vector<std::string> ListNames(ListContainersOptions options) {
    options.filters["label"].push_back(
        absl::StrCat(kContractLabel, "=", LabelValue()));
    absl::StatusOr<std::vector<ContainerSummary>> list =
        docker().ListContainers(options, Soon());
    EXPECT_TRUE(list.ok()) << list.status();
    std::vector<std::string> names;
    if (!list.ok()) return names;
    for (const ContainerSummary& s : *list) {
      EXPECT_EQ(s.names.size(), 1u);
      if (!s.names.empty()) names.push_back(s.names[0]);
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  // The outcome of an exec run to its end.
  struct ExecRun {
    absl::Status status;  // StartExec's
    std::string out, err;
    ExecInspect inspect;  // once docker reports the exit
  };
  // CreateExec + StartExec of `cmd` in `container`, then InspectExec until
  // the exec is reported done (docker may learn of the exit a moment after
  // the stream ended).
  ExecRun RunExec(const std::string& container,
                  const std::vector<std::string>& cmd) {
    ExecRun run;
    ExecCreateConfig config;
    config.container_id = container;
    config.cmd = cmd;
    absl::StatusOr<std::string> exec = docker().CreateExec(config, Soon());
    if (!exec.ok()) {
      run.status = exec.status();
      return run;
    }
    ExecOutput out;
    out.on_stdout = [&run](absl::string_view d) {
      run.out.append(d.data(), d.size());
    };
    out.on_stderr = [&run](absl::string_view d) {
      run.err.append(d.data(), d.size());
    };
    run.status = docker().StartExec(*exec, out, Soon());
    run.inspect = WaitExecDone(*exec);
    return run;
  }
  ExecInspect WaitExecDone(const std::string& exec) {
    const absl::Time give_up = Soon();
    for (;;) {
      absl::StatusOr<ExecInspect> i = docker().InspectExec(exec, Soon());
      if (!i.ok() || (!i->running && i->exit_code.has_value()) ||
          absl::Now() > give_up) {
        EXPECT_TRUE(i.ok()) << i.status();
        EXPECT_TRUE(i.ok() && !i->running) << "exec " << exec << " never ended";
        return i.value_or(ExecInspect());
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
  }

  Engine engine_;
  std::vector<std::string> created_;
  int serial_ = 0;
};

TYPED_TEST_SUITE_P(DockerClientContract);

// Containers.

TYPED_TEST_P(DockerClientContract, InspectOfAnUnknownContainerIsNotFound) {
  absl::StatusOr<ContainerInspect> c = this->docker().InspectContainer(
      "crid-contract-no-such-container", this->Soon());
  EXPECT_TRUE(absl::IsNotFound(c.status())) << c.status();
}

TYPED_TEST_P(DockerClientContract, CreateWithAnUnknownImageIsNotFound) {
  ContainerCreateConfig config = this->Config();
  config.image = "localhost:5000/crid-contract-no-such-image:1";
  absl::StatusOr<std::string> id =
      this->docker().CreateContainer(config, this->Soon());
  if (id.ok()) this->created_.push_back(*id);
  EXPECT_TRUE(absl::IsNotFound(id.status())) << id.status();
}

TYPED_TEST_P(DockerClientContract, CreateWithANameInUseIsAlreadyExists) {
  const ContainerCreateConfig config = this->Config();
  const std::string holder = this->Create(config);
  ASSERT_FALSE(holder.empty());
  absl::StatusOr<std::string> again =
      this->docker().CreateContainer(config, this->Soon());
  if (again.ok()) this->created_.push_back(*again);
  EXPECT_TRUE(absl::IsAlreadyExists(again.status())) << again.status();
  EXPECT_THAT(std::string(again.status().message()),
              ::testing::HasSubstr(holder))
      << "names the holder";
}

TYPED_TEST_P(DockerClientContract, CreateWithABadNameIsInvalidArgument) {
  ContainerCreateConfig config = this->Config();
  config.name = "-crid contract";
  absl::StatusOr<std::string> id =
      this->docker().CreateContainer(config, this->Soon());
  if (id.ok()) this->created_.push_back(*id);
  EXPECT_TRUE(absl::IsInvalidArgument(id.status())) << id.status();
}

TYPED_TEST_P(DockerClientContract, ContainersAreFoundByIdNameAndIdPrefix) {
  const ContainerCreateConfig config = this->Config();
  const std::string id = this->Create(config);
  ASSERT_FALSE(id.empty());
  for (const std::string& ref : {id, config.name, id.substr(0, 12)}) {
    absl::StatusOr<ContainerInspect> c =
        this->docker().InspectContainer(ref, this->Soon());
    ASSERT_TRUE(c.ok()) << ref << ": " << c.status();
    EXPECT_EQ(c->id, id) << ref;
    EXPECT_EQ(c->name, config.name) << ref;
  }
  // Docker's own spelling of a name, "/<name>", cannot be a URL path
  // segment.
  absl::Status s =
      this->docker().InspectContainer("/" + config.name, this->Soon()).status();
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
}

TYPED_TEST_P(DockerClientContract, InspectReportsTheConfigAndTheImageId) {
  const std::string id = this->Create(this->Config({{"app", "contract"}}));
  ASSERT_FALSE(id.empty());
  absl::StatusOr<ImageInspect> image =
      this->docker().InspectImage(kContractImage, this->Soon());
  ASSERT_TRUE(image.ok()) << image.status();
  absl::StatusOr<ContainerInspect> c =
      this->docker().InspectContainer(id, this->Soon());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->image, image->id);
  EXPECT_EQ(c->config_image, kContractImage);
  EXPECT_EQ(c->labels.at("app"), "contract");
  EXPECT_EQ(c->network_mode, "none");
  EXPECT_FALSE(c->tty);
}

TYPED_TEST_P(DockerClientContract, LifecycleStates) {
  const std::string id = this->Create();
  ASSERT_FALSE(id.empty());
  ContainerState s = this->StateOf(id);
  EXPECT_EQ(s.status, "created");
  EXPECT_FALSE(s.running);
  EXPECT_EQ(s.pid, 0);
  EXPECT_EQ(s.started_at, "0001-01-01T00:00:00Z");
  EXPECT_EQ(s.finished_at, "0001-01-01T00:00:00Z");

  ASSERT_TRUE(this->docker().StartContainer(id, this->Soon()).ok());
  s = this->StateOf(id);
  EXPECT_EQ(s.status, "running");
  EXPECT_TRUE(s.running);
  EXPECT_GT(s.pid, 0);
  EXPECT_NE(s.started_at, "0001-01-01T00:00:00Z");

  ASSERT_TRUE(this->Stop(id).ok());
  s = this->StateOf(id);
  EXPECT_EQ(s.status, "exited");
  EXPECT_FALSE(s.running);
  EXPECT_EQ(s.pid, 0);
  EXPECT_EQ(s.exit_code, 0) << "the command exits 0 on SIGTERM";
  EXPECT_NE(s.finished_at, "0001-01-01T00:00:00Z");
}

TYPED_TEST_P(DockerClientContract, FilesAndNetnsComeWithTheFirstStart) {
  const std::string id = this->Create();
  ASSERT_FALSE(id.empty());
  absl::StatusOr<ContainerInspect> c =
      this->docker().InspectContainer(id, this->Soon());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->resolv_conf_path, "");
  EXPECT_EQ(c->hostname_path, "");
  EXPECT_EQ(c->hosts_path, "");
  EXPECT_EQ(c->log_path, "");
  EXPECT_EQ(c->sandbox_key, "");
  ASSERT_TRUE(this->docker().StartContainer(id, this->Soon()).ok());
  c = this->docker().InspectContainer(id, this->Soon());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(access(c->resolv_conf_path.c_str(), R_OK), 0)
      << "resolv.conf: \"" << c->resolv_conf_path << "\"";
  EXPECT_FALSE(c->hostname_path.empty());
  EXPECT_FALSE(c->hosts_path.empty());
  EXPECT_FALSE(c->log_path.empty());
  EXPECT_FALSE(c->sandbox_key.empty());
}

TYPED_TEST_P(DockerClientContract, StartOfARunningContainerIsOk) {
  const std::string id = this->Run();
  ASSERT_FALSE(id.empty());
  EXPECT_TRUE(this->docker().StartContainer(id, this->Soon()).ok());
  EXPECT_TRUE(this->StateOf(id).running);
}

TYPED_TEST_P(DockerClientContract, StopOfAStoppedContainerIsOk) {
  const std::string never_started = this->Create();
  ASSERT_FALSE(never_started.empty());
  absl::Status s = this->Stop(never_started);
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(this->StateOf(never_started).status, "created");

  const std::string id = this->Run();
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(this->Stop(id).ok());
  s = this->Stop(id);
  EXPECT_TRUE(s.ok()) << s;
}

TYPED_TEST_P(DockerClientContract, StopOrStartOfAnUnknownContainerIsNotFound) {
  absl::Status s = this->Stop("crid-contract-no-such-container");
  EXPECT_TRUE(absl::IsNotFound(s)) << s;
  s = this->docker().StartContainer("crid-contract-no-such-container",
                                    this->Soon());
  EXPECT_TRUE(absl::IsNotFound(s)) << s;
}

TYPED_TEST_P(DockerClientContract, RemoveOfARunningContainerNeedsForce) {
  const std::string id = this->Run();
  ASSERT_FALSE(id.empty());
  absl::Status s =
      this->docker().RemoveContainer(id, /*force=*/false,
                                     /*remove_volumes=*/true, this->Soon());
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_TRUE(this->StateOf(id).running);
  s = this->docker().RemoveContainer(id, /*force=*/true,
                                     /*remove_volumes=*/true, this->Soon());
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_TRUE(absl::IsNotFound(
      this->docker().InspectContainer(id, this->Soon()).status()));
}

TYPED_TEST_P(DockerClientContract, RemoveOfAGoneContainerIsNotFound) {
  const std::string id = this->Create();
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(this->docker()
                  .RemoveContainer(id, /*force=*/false,
                                   /*remove_volumes=*/true, this->Soon())
                  .ok());
  absl::Status s = this->docker().RemoveContainer(
      id, /*force=*/true, /*remove_volumes=*/true, this->Soon());
  EXPECT_TRUE(absl::IsNotFound(s)) << s;
}

TYPED_TEST_P(DockerClientContract, ListShowsRunningOnesUnlessAll) {
  const ContainerCreateConfig created = this->Config();
  ASSERT_FALSE(this->Create(created).empty());
  const ContainerCreateConfig running = this->Config();
  ASSERT_FALSE(this->Run(running).empty());
  const std::string running_name = running.name;
  ListContainersOptions options;
  options.all = false;
  EXPECT_EQ(this->ListNames(options), std::vector<std::string>{running_name});
  options.all = true;
  std::vector<std::string> both = {created.name, running_name};
  std::sort(both.begin(), both.end());
  EXPECT_EQ(this->ListNames(options), both);
  // A status filter implies all.
  options.all = false;
  options.filters["status"] = {"created"};
  EXPECT_EQ(this->ListNames(options), std::vector<std::string>{created.name});
}

TYPED_TEST_P(DockerClientContract, ListFiltersByLabel) {
  ContainerCreateConfig a = this->Config({{"tier", "front"}, {"only-a", ""}});
  ContainerCreateConfig b = this->Config({{"tier", "back"}});
  ASSERT_FALSE(this->Create(a).empty());
  const std::string b_id = this->Create(b);
  ASSERT_FALSE(b_id.empty());
  ListContainersOptions options;
  options.filters["label"] = {"tier=front"};
  EXPECT_EQ(this->ListNames(options), std::vector<std::string>{a.name});
  options.filters["label"] = {"only-a"};
  EXPECT_EQ(this->ListNames(options), std::vector<std::string>{a.name});
  options.filters["label"] = {"tier"};
  std::vector<std::string> both = {a.name, b.name};
  std::sort(both.begin(), both.end());
  EXPECT_EQ(this->ListNames(options), both);
  options.filters["label"] = {"tier=back", "only-a"};
  EXPECT_TRUE(this->ListNames(options).empty()) << "every label must match";
  options.filters.clear();
  options.filters["id"] = {b_id.substr(0, 12)};
  EXPECT_EQ(this->ListNames(options), std::vector<std::string>{b.name});
}

TYPED_TEST_P(DockerClientContract, ListWithAnUnknownFilterIsInvalidArgument) {
  ListContainersOptions options;
  options.filters["crid-no-such-filter"] = {"x"};
  absl::StatusOr<std::vector<ContainerSummary>> list =
      this->docker().ListContainers(options, this->Soon());
  EXPECT_TRUE(absl::IsInvalidArgument(list.status())) << list.status();
  options.filters.clear();
  options.filters["status"] = {"crid-no-such-status"};
  list = this->docker().ListContainers(options, this->Soon());
  EXPECT_TRUE(absl::IsInvalidArgument(list.status())) << list.status();
}

TYPED_TEST_P(DockerClientContract, UpdateOfAnUnknownContainerIsNotFound) {
  Resources r;
  r.cpu_shares = 512;
  absl::Status s = this->docker().UpdateContainerResources(
      "crid-contract-no-such-container", r, this->Soon());
  EXPECT_TRUE(absl::IsNotFound(s)) << s;
}

TYPED_TEST_P(DockerClientContract, InspectReportsTheLimitsUpdateChanged) {
  ContainerCreateConfig config = this->Config();
  config.resources.cpu_period = 100000;
  config.resources.cpu_quota = 50000;
  config.resources.cpu_shares = 512;
  config.resources.memory = 64 << 20;
  config.resources.memory_swap = 64 << 20;
  config.oom_score_adj = 100;
  config.stop_signal = "SIGRTMIN+1";
  const std::string id = this->Run(config);
  ASSERT_FALSE(id.empty());
  absl::StatusOr<ContainerInspect> c =
      this->docker().InspectContainer(id, this->Soon());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->resources.cpu_quota, 50000);
  EXPECT_EQ(c->resources.memory, 64 << 20);
  EXPECT_EQ(c->resources.memory_swap, 64 << 20);
  EXPECT_EQ(c->oom_score_adj, 100);
  EXPECT_EQ(c->stop_signal, "SIGRTMIN+1");
  // Docker's update changes only what is set (non-zero).
  Resources update;
  update.cpu_quota = 80000;
  update.memory = 128 << 20;
  update.memory_swap = 128 << 20;
  absl::Status s =
      this->docker().UpdateContainerResources(id, update, this->Soon());
  ASSERT_TRUE(s.ok()) << s;
  c = this->docker().InspectContainer(id, this->Soon());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->resources.cpu_quota, 80000);
  EXPECT_EQ(c->resources.cpu_period, 100000);
  EXPECT_EQ(c->resources.cpu_shares, 512);
  EXPECT_EQ(c->resources.memory, 128 << 20);
  EXPECT_EQ(c->resources.memory_swap, 128 << 20);
}

// Execs.

TYPED_TEST_P(DockerClientContract, ExecOutputAndExitCode) {
  const std::vector<std::string> cmd = {"sh", "-c",
                                        "echo out; echo err >&2; exit 3"};
  this->engine_.ScriptExec(cmd, "out\n", "err\n", 3);
  const std::string id = this->Run();
  ASSERT_FALSE(id.empty());
  auto run = this->RunExec(id, cmd);
  ASSERT_TRUE(run.status.ok()) << run.status;
  EXPECT_EQ(run.out, "out\n");
  EXPECT_EQ(run.err, "err\n");
  EXPECT_FALSE(run.inspect.running);
  EXPECT_EQ(run.inspect.exit_code, 3);
}

TYPED_TEST_P(DockerClientContract, ExecOfAMissingBinaryIsExitCode126) {
  const std::string id = this->Run();
  ASSERT_FALSE(id.empty());
  auto run = this->RunExec(id, {"/crid/no/such/binary"});
  ASSERT_TRUE(run.status.ok()) << run.status;
  EXPECT_THAT(run.out, ::testing::HasSubstr("OCI runtime exec failed"));
  EXPECT_EQ(run.inspect.exit_code, 126);
}

TYPED_TEST_P(DockerClientContract, CreateExecErrors) {
  ExecCreateConfig config;
  config.container_id = "crid-contract-no-such-container";
  config.cmd = {"true"};
  absl::StatusOr<std::string> exec =
      this->docker().CreateExec(config, this->Soon());
  EXPECT_TRUE(absl::IsNotFound(exec.status())) << exec.status();

  config.container_id = this->Create();
  ASSERT_FALSE(config.container_id.empty());
  exec = this->docker().CreateExec(config, this->Soon());
  EXPECT_TRUE(absl::IsFailedPrecondition(exec.status()))
      << "not running: " << exec.status();

  ASSERT_TRUE(
      this->docker().StartContainer(config.container_id, this->Soon()).ok());
  config.cmd.clear();
  exec = this->docker().CreateExec(config, this->Soon());
  EXPECT_TRUE(absl::IsInvalidArgument(exec.status()))
      << "no command: " << exec.status();
}

TYPED_TEST_P(DockerClientContract, UnknownExecsAreNotFound) {
  const std::string unknown(64, 'e');
  absl::StatusOr<ExecInspect> inspect =
      this->docker().InspectExec(unknown, this->Soon());
  EXPECT_TRUE(absl::IsNotFound(inspect.status())) << inspect.status();
  absl::Status s = this->docker().StartExec(unknown, {}, this->Soon());
  EXPECT_TRUE(absl::IsNotFound(s)) << s;
  s = this->docker().ResizeExec(unknown, 24, 80, this->Soon());
  EXPECT_TRUE(absl::IsNotFound(s)) << s;
}

TYPED_TEST_P(DockerClientContract, AnExecStartedTwiceSaysSoInBand) {
  const std::vector<std::string> cmd = {"true"};
  this->engine_.ScriptExec(cmd, "", "", 0);
  const std::string id = this->Run();
  ASSERT_FALSE(id.empty());
  ExecCreateConfig config;
  config.container_id = id;
  config.cmd = cmd;
  absl::StatusOr<std::string> exec =
      this->docker().CreateExec(config, this->Soon());
  ASSERT_TRUE(exec.ok()) << exec.status();
  std::string out;
  ExecOutput output;
  output.on_stdout = [&out](absl::string_view d) {
    out.append(d.data(), d.size());
  };
  output.on_stderr = [&out](absl::string_view d) {
    out.append(d.data(), d.size());
  };
  ASSERT_TRUE(this->docker().StartExec(*exec, output, this->Soon()).ok());
  EXPECT_EQ(this->WaitExecDone(*exec).exit_code, 0);
  EXPECT_EQ(out, "");
  absl::Status s = this->docker().StartExec(*exec, output, this->Soon());
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_THAT(out, ::testing::HasSubstr(absl::StrCat(
                       "Error: Exec command ", *exec, " has already run")));
}

// Images.

TYPED_TEST_P(DockerClientContract, ImagesAreFoundByTagIdAndShortId) {
  absl::StatusOr<ImageInspect> image =
      this->docker().InspectImage(kContractImage, this->Soon());
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_TRUE(absl::StartsWith(image->id, "sha256:")) << image->id;
  EXPECT_THAT(image->repo_tags, ::testing::Contains(kContractImage));
  const std::string hex(absl::StripPrefix(image->id, "sha256:"));
  for (const std::string& ref : {image->id, hex, hex.substr(0, 12)}) {
    absl::StatusOr<ImageInspect> again =
        this->docker().InspectImage(ref, this->Soon());
    ASSERT_TRUE(again.ok()) << ref << ": " << again.status();
    EXPECT_EQ(again->id, image->id) << ref;
  }
}

TYPED_TEST_P(DockerClientContract, UnknownImagesAreNotFound) {
  const std::string unknown = "localhost:5000/crid-contract-no-such-image:1";
  absl::Status s = this->docker().InspectImage(unknown, this->Soon()).status();
  EXPECT_TRUE(absl::IsNotFound(s)) << s;
  s = this->docker().RemoveImage(unknown, false, this->Soon()).status();
  EXPECT_TRUE(absl::IsNotFound(s)) << s;
}

TYPED_TEST_P(DockerClientContract, PullOfAnUnknownImageOrTagIsNotFound) {
  PullOptions pull;
  pull.image = "localhost:5000/crid-contract-no-such-image";
  pull.tag = "1";
  absl::Status s = this->docker().PullImage(pull, this->Soon());
  EXPECT_TRUE(absl::IsNotFound(s)) << s;
  pull.image = kContractRepo;
  pull.tag = "crid-no-such-tag";
  s = this->docker().PullImage(pull, this->Soon());
  EXPECT_TRUE(absl::IsNotFound(s)) << s;
}

TYPED_TEST_P(DockerClientContract, ListImagesByReference) {
  absl::StatusOr<ImageInspect> image =
      this->docker().InspectImage(kContractImage, this->Soon());
  ASSERT_TRUE(image.ok()) << image.status();
  for (const std::string& ref :
       {std::string(kContractImage), std::string(kContractRepo)}) {
    absl::StatusOr<std::vector<ImageSummary>> list =
        this->docker().ListImages(ref, this->Soon());
    ASSERT_TRUE(list.ok()) << list.status();
    std::vector<std::string> ids;
    for (const ImageSummary& i : *list) ids.push_back(i.id);
    EXPECT_THAT(ids, ::testing::Contains(image->id)) << ref;
  }
  absl::StatusOr<std::vector<ImageSummary>> none = this->docker().ListImages(
      "localhost:5000/crid-contract-no-such-image", this->Soon());
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());
}

// Streams.

TYPED_TEST_P(DockerClientContract, LogsAttachAndResizeOfUnknownOrStopped) {
  LogStreamOptions logs;
  logs.id = "crid-contract-no-such-container";
  logs.on_entry = [](const LogEntry&) {};
  absl::Status s = this->docker().FollowContainerLogs(logs, this->Soon());
  EXPECT_TRUE(absl::IsNotFound(s)) << s;
  s = this->docker()
          .AttachContainer("crid-contract-no-such-container", {}, this->Soon())
          .status();
  EXPECT_TRUE(absl::IsNotFound(s)) << s;

  // A container that does not run is attached all the same (docker's
  // `docker run` attaches before it starts the container); only its size
  // cannot be set.
  const std::string stopped = this->Create();
  ASSERT_FALSE(stopped.empty());
  absl::StatusOr<std::unique_ptr<HijackedConn>> conn =
      this->docker().AttachContainer(stopped, {}, this->Soon());
  EXPECT_TRUE(conn.ok()) << conn.status();
  if (conn.ok()) (*conn)->Reset();
  s = this->docker().ResizeContainer(stopped, 24, 80, this->Soon());
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
}

TYPED_TEST_P(DockerClientContract, ContainerEventsOfALifecycle) {
  const absl::Time since = absl::Now() - absl::Seconds(1);
  const std::string id = this->Run(this->Config({{"events", "contract"}}));
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(this->Stop(id).ok());
  ASSERT_TRUE(this->docker()
                  .RemoveContainer(id, /*force=*/false,
                                   /*remove_volumes=*/true, this->Soon())
                  .ok());

  absl::Mutex mu;
  std::vector<Event> events;
  bool destroyed = false;
  EventStreamOptions options;
  options.since = since;
  options.filters["type"] = {"container"};
  options.filters["label"] = {
      absl::StrCat(kContractLabel, "=", this->LabelValue()), "events"};
  options.on_event = [&](const Event& e) {
    absl::MutexLock lock(&mu);
    if (e.id != id) return;
    events.push_back(e);
    destroyed = destroyed || e.action == "destroy";
  };
  options.check = [&] {
    absl::MutexLock lock(&mu);
    return destroyed ? absl::CancelledError("seen") : absl::OkStatus();
  };
  absl::Status s = this->docker().StreamEvents(options, this->Soon());
  EXPECT_TRUE(absl::IsCancelled(s)) << s;

  absl::MutexLock lock(&mu);
  std::vector<std::string> actions;
  for (const Event& e : events) {
    EXPECT_EQ(e.type, "container");
    EXPECT_EQ(e.attributes.at("events"), "contract") << "labels attached";
    EXPECT_EQ(e.attributes.count("name"), 1u);
    EXPECT_EQ(e.attributes.at("image"), kContractImage);
    if (e.action == "die") {
      EXPECT_EQ(e.attributes.at("exitCode"), "0");
    }
    actions.push_back(e.action);
  }
  // "stop" is logged once the stop sees the exit and "die" once the exit
  // is handled: Docker 20.10 orders them die, stop; Docker 26 either way.
  EXPECT_THAT(actions,
              ::testing::ElementsAre("create", "start", "kill", ::testing::_,
                                     ::testing::_, "destroy"));
  if (actions.size() == 6) {
    EXPECT_THAT(
        std::vector<std::string>(actions.begin() + 3, actions.begin() + 5),
        ::testing::UnorderedElementsAre("die", "stop"));
  }
  for (size_t i = 1; i < events.size(); ++i) {
    EXPECT_GE(events[i].time_nano, events[i - 1].time_nano);
  }
}

REGISTER_TYPED_TEST_SUITE_P(
    DockerClientContract, InspectOfAnUnknownContainerIsNotFound,
    CreateWithAnUnknownImageIsNotFound, CreateWithANameInUseIsAlreadyExists,
    CreateWithABadNameIsInvalidArgument, ContainersAreFoundByIdNameAndIdPrefix,
    InspectReportsTheConfigAndTheImageId, LifecycleStates,
    FilesAndNetnsComeWithTheFirstStart, StartOfARunningContainerIsOk,
    StopOfAStoppedContainerIsOk, StopOrStartOfAnUnknownContainerIsNotFound,
    RemoveOfARunningContainerNeedsForce, RemoveOfAGoneContainerIsNotFound,
    ListShowsRunningOnesUnlessAll, ListFiltersByLabel,
    ListWithAnUnknownFilterIsInvalidArgument,
    UpdateOfAnUnknownContainerIsNotFound, InspectReportsTheLimitsUpdateChanged,
    ExecOutputAndExitCode, ExecOfAMissingBinaryIsExitCode126, CreateExecErrors,
    UnknownExecsAreNotFound, AnExecStartedTwiceSaysSoInBand,
    ImagesAreFoundByTagIdAndShortId, UnknownImagesAreNotFound,
    PullOfAnUnknownImageOrTagIsNotFound, ListImagesByReference,
    LogsAttachAndResizeOfUnknownOrStopped, ContainerEventsOfALifecycle);

}  // namespace cri_dockerd::docker
