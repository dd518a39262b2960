// Test support: a second, private Docker Engine (own socket, data root,
// exec root and bridge; no iptables changes) that a test may stop and
// restart without disturbing the host's dockerd.
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "tests/integration/daemon_process.h"

namespace cri_dockerd::testing_support {

class PrivateDockerd {
 public:
  PrivateDockerd();
  ~PrivateDockerd();  // stops it and removes its state

  // Starts dockerd and waits until /_ping answers.
  absl::Status Start(absl::Duration timeout = absl::Seconds(60));
  // SIGTERM and wait for the exit.
  absl::Status Stop(absl::Duration timeout = absl::Seconds(30));

  std::string endpoint() const { return "unix://" + socket_; }
  // dockerd's pid while running, else -1.
  int pid() const { return process_ != nullptr ? process_->pid() : -1; }
  std::string Log() const;

 private:
  ScratchDir dir_;
  std::string socket_;
  std::string bridge_;
  std::unique_ptr<DaemonProcess> process_;
  std::string log_;  // output of the last stopped run
};

// True when GET /_ping on the unix socket answers OK (curl-free: raw HTTP).
bool PingDocker(const std::string& socket_path);

// The raw HTTP/1.0 reply (headers and body) to GET `path` on the engine
// socket; empty on failure. Lets tests compare with what docker says.
std::string DockerGet(const std::string& socket_path, const std::string& path);

// Like DockerGet for any method, with an optional JSON body.
std::string DockerRequest(const std::string& socket_path,
                          const std::string& method, const std::string& path,
                          const std::string& body = "");

}  // namespace cri_dockerd::testing_support
