#include "tests/integration/lab_engine.h"

#include <cstdlib>

#include "absl/strings/strip.h"

namespace cri_dockerd::testing_support {

const std::string& LabDockerEndpoint() {
  static const std::string* const endpoint = [] {
    const char* env = std::getenv(kDockerHostEnv);
    return new std::string(
        env != nullptr && *env != '\0' ? env : "unix:///var/run/docker.sock");
  }();
  return *endpoint;
}

const std::string& LabDockerSocket() {
  // Only unix:// engines: the raw requests speak HTTP over a unix socket.
  // Anything else leaves the endpoint as given, so that a ping fails and
  // the test says it needs the lab's dockerd.
  static const std::string* const socket = [] {
    return new std::string(absl::StripPrefix(LabDockerEndpoint(), "unix://"));
  }();
  return *socket;
}

}  // namespace cri_dockerd::testing_support
