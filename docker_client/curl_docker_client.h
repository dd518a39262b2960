// DockerClient over the engine's REST API (libcurl, see HttpTransport).
// Negotiates the API version with the daemon on first use and keeps
// docker's JSON inside this folder.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "docker_client/docker_client.h"
#include "docker_client/endpoint.h"
#include "docker_client/http_transport.h"
#include "docker_client/types.h"

namespace cri_dockerd::docker {

// The API range this shim speaks: Docker 20.10 (Debian 12's docker.io)
// through Docker 28.x.
inline constexpr char kMinApiVersion[] = "1.41";
inline constexpr char kMaxApiVersion[] = "1.51";

// Numeric comparison of "major.minor" API versions (so "1.9" < "1.41"):
// negative, zero or positive like strcmp. Unparseable text sorts lowest.
int CompareApiVersions(std::string_view a, std::string_view b);

// The API version to speak with a daemon that reported `daemon` from
// GET /version: min(daemon.api_version, kMaxApiVersion).
// FailedPrecondition if the daemon is older than kMinApiVersion, if its
// MinAPIVersion is above what we can speak, or if it reports no version.
absl::StatusOr<std::string> ChooseApiVersion(const VersionInfo& daemon);

// Thread-safe. Versioned calls go to /v<negotiated>/...; the version is
// negotiated lazily with GET /version and forgotten when the daemon goes
// away (a call fails with Unavailable) or answers with another
// Api-Version header (it was restarted, maybe up- or downgraded).
class CurlDockerClient : public DockerClient {
 public:
  // Parses `endpoint` (see ParseEndpoint); does not connect.
  static absl::StatusOr<std::unique_ptr<CurlDockerClient>> Create(
      std::string_view endpoint);

  absl::Status Ping(absl::Time deadline) override;
  absl::StatusOr<VersionInfo> Version(absl::Time deadline) override;
  absl::StatusOr<SystemInfo> Info(absl::Time deadline) override;

  // The API version in use, e.g. "1.41"; empty until negotiated.
  std::string NegotiatedApiVersion() const;

  const Endpoint& endpoint() const { return transport_.endpoint(); }

 private:
  explicit CurlDockerClient(Endpoint endpoint);

  // One exchange on an unversioned `path` (with query). Logs it, forgets
  // the negotiated version on Unavailable, and sets *daemon_changed when
  // the reply's Api-Version header disagrees with what we negotiated
  // against.
  absl::StatusOr<HttpResponse> Send(const HttpRequest& request,
                                    bool* daemon_changed = nullptr);
  // Like Send, on /v<negotiated><path>, negotiating first if needed. A
  // request a swapped daemon rejected with 400 is renegotiated and
  // retried once.
  absl::StatusOr<HttpResponse> SendVersioned(HttpRequest request);
  // Returns the negotiated version, negotiating under `deadline` if none.
  absl::StatusOr<std::string> ApiVersion(absl::Time deadline);
  // GET /version, also (re)negotiating from its reply; the outcome of the
  // negotiation goes to *negotiated when given.
  absl::StatusOr<VersionInfo> FetchVersion(
      absl::Time deadline, absl::StatusOr<std::string>* negotiated);
  void ForgetApiVersion();

  HttpTransport transport_;

  mutable absl::Mutex mu_;
  // Negotiated version ("" if none) and the daemon ApiVersion it came from.
  std::string api_version_ ABSL_GUARDED_BY(mu_);
  std::string daemon_api_version_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cri_dockerd::docker
