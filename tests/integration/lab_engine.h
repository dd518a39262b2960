// Which Docker Engine the integration tests talk to. The lab runs two
// (tests/harness/lab_up.sh): Debian 12's dockerd on /var/run/docker.sock,
// the default, and Docker 26 with the containerd image store
// (docker26_up.sh); CRID_TEST_DOCKER_HOST picks one for a test run, as
// the `integration_docker26` CTest label does.
#pragma once

#include <string>

namespace cri_dockerd::testing_support {

// The environment variable naming the engine: a `unix://` endpoint.
inline constexpr char kDockerHostEnv[] = "CRID_TEST_DOCKER_HOST";

// The engine's endpoint: $CRID_TEST_DOCKER_HOST, or
// unix:///var/run/docker.sock when unset or empty. The daemons the tests
// start get it as --docker-endpoint.
const std::string& LabDockerEndpoint();

// The path of that endpoint's unix socket, for the tests' raw HTTP
// requests to docker (DockerGet, DockerRequest, PingDocker).
const std::string& LabDockerSocket();

}  // namespace cri_dockerd::testing_support
