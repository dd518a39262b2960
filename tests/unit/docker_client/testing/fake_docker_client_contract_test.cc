// The DockerClient contract (docker_client/testing/docker_client_contract.h)
// against the in-memory fake: what it claims to imitate, checked by the
// same suite that runs against the real dockerd in the integration tier.
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "docker_client/testing/docker_client_contract.h"
#include "docker_client/testing/fake_docker_client.h"

namespace cri_dockerd::docker {
namespace {

// The fake with the contract's image.
class FakeEngine {
 public:
  absl::Status SetUp() {
    ImageInspect busybox;
    busybox.id =
        "sha256:"
        "8b26e31365b6a98648ffa99ff5f89c51d188b39bd934ff2162285a9d6c2361df";
    busybox.repo_tags = {kContractImage};
    busybox.repo_digests = {absl::StrCat(
        kContractRepo,
        "@sha256:"
        "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809")};
    busybox.cmd = {"sh"};
    fake_.AddImage(busybox);
    return absl::OkStatus();
  }
  DockerClient& client() { return fake_; }
  void ScriptExec(const std::vector<std::string>& cmd, const std::string& out,
                  const std::string& err, int code) {
    FakeDockerClient::FakeExec exec;
    exec.stdout_data = out;
    exec.stderr_data = err;
    exec.exit_code = code;
    fake_.SetExecScript(absl::StrJoin(cmd, " "), exec);
  }

 private:
  FakeDockerClient fake_;
};

INSTANTIATE_TYPED_TEST_SUITE_P(Fake, DockerClientContract, FakeEngine);

}  // namespace
}  // namespace cri_dockerd::docker
