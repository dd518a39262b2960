// The fixture of the CRI integration tests: a cri-dockerd on a scratch
// directory (StartCri), pods and busybox containers made through the CRI,
// and a clean-up that stops and removes every pod the test ran (and with
// them their containers).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/integration/cri_daemon.h"
#include "tests/integration/daemon_process.h"
#include "tests/integration/lab_engine.h"

namespace cri_dockerd::testing_support {

namespace v1 = ::runtime::v1;

// Names from tests/harness/lab_env.sh.
inline constexpr char kBusybox[] = "localhost:5000/busybox:1.36";
// How long docker and the shim may take to reach a state a test waits
// for: generous, for a loaded machine.
inline constexpr absl::Duration kPatience = absl::Seconds(60);

// kBusybox running `sh -c <script>`, logging to <name>.log in the pod's
// log directory.
v1::ContainerConfig BusyboxContainer(const std::string& name,
                                     const std::string& script);

class CriTest : public ::testing::Test {
 protected:
  // Checks for the lab's dockerd, starts cri-dockerd with `extra` flags
  // and pulls busybox through it. Fails fatally: call it as
  // ASSERT_NO_FATAL_FAILURE(StartCri()) outside SetUp.
  void StartCri(std::vector<std::string> extra = {});
  // Stops and removes every pod RunPod ran and RemovePod did not remove.
  void TearDown() override;

  // A pod `name` in namespace crid-it, with a uid of this process's own
  // and its containers' logs in log_dir(); on the node's network (no CNI
  // needed) unless `host_network` is false.
  v1::PodSandboxConfig PodConfig(const std::string& name,
                                 bool host_network = true) const;
  // Runs a pod; its ID ("" with a test failure).
  std::string RunPod(const v1::PodSandboxConfig& config);
  // StopPodSandbox then RemovePodSandbox of a pod RunPod ran.
  grpc::Status RemovePod(const std::string& pod);

  // busybox running `sh -c <script>`, logging to <name>.log.
  static v1::ContainerConfig Busybox(const std::string& name,
                                     const std::string& script);
  // Creates a container in `pod` (one RunPod ran); its ID ("" with a test
  // failure).
  std::string CreateContainer(const std::string& pod,
                              const v1::ContainerConfig& config);
  // CreateContainer, then StartContainer, whose success is a test failure
  // if `expect_start_ok` is false and its failure if true. The ID ("" if
  // the container could not be created).
  std::string StartContainer(const std::string& pod,
                             const v1::ContainerConfig& config,
                             bool expect_start_ok = true);
  v1::ContainerStatus StatusOf(const std::string& id);

  // Where the containers' CRI logs go, and one's by name.
  const std::string& log_dir() const { return log_dir_; }
  std::string LogPath(const std::string& name) const {
    return log_dir_ + "/" + name + ".log";
  }
  // The text of the file at `path` once it contains `marker`; a test
  // failure (and the text then) if it does not within kPatience.
  std::string WaitForText(const std::string& path, const std::string& marker);
  // Whether container `name`'s log shows `marker` within kPatience.
  bool LogShows(const std::string& name, const std::string& marker);

  // The gate: a directory mounted read-only at /gate (MountGate), so a
  // container can wait for a file the test creates in it (OpenGate)
  // instead of running for a fixed time.
  void MountGate(v1::ContainerConfig* config);
  void OpenGate(const std::string& file);
  std::string gate() const { return dir_.path() + "/gate"; }

  ScratchDir dir_;
  CriDaemon cri_;
  v1::RuntimeService::Stub* runtime_ = nullptr;

 private:
  const std::string log_dir_ = dir_.path() + "/pods";
  std::map<std::string, v1::PodSandboxConfig> pods_;  // by ID
};

}  // namespace cri_dockerd::testing_support
