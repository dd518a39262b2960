// The fixture of the fault tier: cri-dockerd with Debian's real CNI
// plugins (bridge + host-local + portmap) on a bridge, subnet, network
// name and host port of this test's own, started with or without the
// crash hook (CRI_DOCKERD_CRASH_AT), and restarted the way a crashed
// daemon is. After the fault the test does what kubelet would (list the
// pod's sandboxes, stop and remove them) and Leftovers() says what of the
// pod is still on the node. Traffic goes only to the pods the test made.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/integration/cri_fixture.h"
#include "tests/integration/daemon_process.h"

namespace cri_dockerd::testing_support {

namespace v1 = ::runtime::v1;

class FaultTest : public ::testing::Test {
 protected:
  static constexpr char kNamespace[] = "crid-fault";

  // Checks for root, the lab's dockerd and the CNI plugins; writes the
  // network configuration. A test starts the daemon itself.
  void SetUp() override;
  // Kills the daemon, removes what a failed test left in docker and the
  // test's bridge.
  void TearDown() override;

  // Starts cri-dockerd (waiting until it serves), with CRI_DOCKERD_CRASH_AT
  // set to `crash_at` unless that is empty, and with `first_bin_dir`
  // searched for CNI plugins before /usr/lib/cni unless empty. A daemon
  // still running is killed first.
  void StartDaemon(const std::string& crash_at = "",
                   const std::string& first_bin_dir = "");
  // Asserts that the daemon dies of SIGKILL (its crash hook) promptly.
  void ExpectKilledByItsHook();
  // SIGKILLs the daemon and reaps it.
  void KillDaemon();

  // A pod of kNamespace named `name`, labelled as kubelet labels pods,
  // with a host port of this test's; TearDown removes its containers.
  v1::PodSandboxConfig PodConfig(const std::string& name);
  // RunPodSandbox with `timeout`; the status, and the ID into *id.
  grpc::Status RunPod(const v1::PodSandboxConfig& config, std::string* id,
                      absl::Duration timeout = absl::Minutes(2));
  // busybox running `sh -c <script>`, logging to <name>.log in the pod's
  // log directory.
  static v1::ContainerConfig Busybox(const std::string& name,
                                     const std::string& script);
  grpc::Status CreateContainer(const std::string& pod,
                               const v1::PodSandboxConfig& pod_config,
                               const v1::ContainerConfig& config,
                               std::string* id);
  grpc::Status StartContainer(const std::string& id);
  grpc::Status PullBusybox();

  // What kubelet does after a failed or lost call: lists the sandboxes,
  // and stops and removes those of pod `name` (each Stop may find the
  // sandbox gone: NotFound is fine). Fails the test on any other error.
  // The IDs it saw.
  std::vector<std::string> StopAndRemoveLikeKubelet(const std::string& name);

  // What is left of pod `name` and of this test's network on the node:
  // docker containers named for the pod, checkpoints, host-local
  // addresses, CNI cache entries, veths on the test's bridge, iptables
  // NAT rules naming the test's network or host port. Empty when clean.
  std::vector<std::string> Leftovers(const std::string& name) const;
  // Leftovers() until it is empty (a rollback may still run) or 60 s
  // have passed; the last answer.
  std::vector<std::string> LeftoversOnceSettled(const std::string& name) const;

  std::string DaemonOutput() const {
    return daemon_ ? daemon_->Output() : std::string();
  }
  std::string network_name() const { return network_; }
  std::string ipam_dir() const { return dir_.path() + "/ipam"; }
  int host_port() const { return host_port_; }
  std::string log_dir() const { return dir_.path() + "/pods"; }
  std::string uid(const std::string& name) const {
    return absl::StrCat(name, "-uid-", getpid());
  }

  ScratchDir dir_;
  std::unique_ptr<DaemonProcess> daemon_;
  std::unique_ptr<v1::RuntimeService::Stub> runtime_;
  std::unique_ptr<v1::ImageService::Stub> images_;

 private:
  std::string socket_, bridge_, network_, conf_dir_;
  int host_port_ = 0;
  std::vector<std::string> pods_;  // names, for the clean-up
};

}  // namespace cri_dockerd::testing_support
