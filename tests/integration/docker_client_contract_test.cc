// The DockerClient contract (docker_client/testing/docker_client_contract.h)
// against the host's real dockerd through CurlDockerClient: the behaviours
// the in-memory fake claims to imitate, checked on the engine itself.
// Needs the lab (tests/harness/lab_up.sh): dockerd and the registry the
// busybox image comes from.
#include "docker_client/testing/docker_client_contract.h"

#include <memory>
#include <string>
#include <vector>

#include "docker_client/curl_docker_client.h"
#include "tests/integration/lab_engine.h"

namespace cri_dockerd::docker {
namespace {

using testing_support::LabDockerEndpoint;

// The real engine, with the contract's image pulled if it is absent.
class CurlEngine {
 public:
  absl::Status SetUp() {
    absl::StatusOr<std::unique_ptr<CurlDockerClient>> client =
        CurlDockerClient::Create(LabDockerEndpoint());
    if (!client.ok()) return client.status();
    client_ = std::move(*client);
    const absl::Time deadline = absl::Now() + absl::Minutes(2);
    if (absl::Status s = client_->Ping(deadline); !s.ok()) {
      return absl::UnavailableError(
          absl::StrCat("needs the lab's dockerd: ", s.ToString()));
    }
    if (client_->InspectImage(kContractImage, deadline).ok()) {
      return absl::OkStatus();
    }
    PullOptions pull;
    pull.image = kContractRepo;
    pull.tag = kContractTag;
    return client_->PullImage(pull, deadline);
  }
  DockerClient& client() { return *client_; }
  // busybox runs the command itself.
  void ScriptExec(const std::vector<std::string>&, const std::string&,
                  const std::string&, int) {}

 private:
  std::unique_ptr<CurlDockerClient> client_;
};

INSTANTIATE_TYPED_TEST_SUITE_P(Engine, DockerClientContract, CurlEngine);

}  // namespace
}  // namespace cri_dockerd::docker
