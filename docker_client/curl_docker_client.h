// DockerClient over the engine's REST API (libcurl, see HttpTransport).
// Negotiates the API version with the daemon on first use and keeps
// docker's JSON inside this folder.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "docker_client/docker_client.h"
#include "docker_client/endpoint.h"
#include "docker_client/hijacked_conn.h"
#include "docker_client/http_transport.h"
#include "docker_client/types.h"

namespace cri_dockerd::docker {

// Thread-safe. Versioned calls go to /v<negotiated>/...; the version is
// negotiated lazily with GET /version (see ChooseApiVersion) and forgotten
// when the daemon goes away (a call fails with Unavailable) or answers
// with another Api-Version header (it was restarted, maybe up- or
// downgraded). The engine's capabilities are computed on first use from
// the negotiated version and one GET /info, and kept until the version is
// forgotten or changes (or RefreshCapabilities).
class CurlDockerClient : public DockerClient {
 public:
  // Parses `endpoint` (see ParseEndpoint); does not connect.
  static absl::StatusOr<std::unique_ptr<CurlDockerClient>> Create(
      std::string_view endpoint);

  absl::Status Ping(absl::Time deadline) override;
  absl::StatusOr<VersionInfo> Version(absl::Time deadline) override;
  absl::StatusOr<SystemInfo> Info(absl::Time deadline) override;
  absl::StatusOr<EngineCapabilities> Capabilities(absl::Time deadline) override;
  absl::StatusOr<EngineCapabilities> RefreshCapabilities(
      absl::Time deadline) override;

  // Images (curl_docker_client_images.cc). ListImages asks for SharedSize
  // only from API 1.42 on (older daemons report -1). PullImage with an
  // empty tag pulls "latest", never all tags; options.check is polled
  // every HttpRequest kCheckInterval; a progress message over 1 MiB fails
  // the pull (ResourceExhausted). Names are percent-encoded into paths;
  // an empty one is InvalidArgument.
  absl::StatusOr<std::vector<ImageSummary>> ListImages(
      const std::string& reference, absl::Time deadline) override;
  absl::StatusOr<ImageInspect> InspectImage(const std::string& name,
                                            absl::Time deadline) override;
  absl::Status PullImage(const PullOptions& options,
                         absl::Time deadline) override;
  absl::StatusOr<RemovedImage> RemoveImage(const std::string& name, bool force,
                                           absl::Time deadline) override;
  absl::StatusOr<DiskUsage> GetDiskUsage(absl::Time deadline) override;

  // Containers (curl_docker_client_containers.cc). IDs and names go into
  // paths percent-encoded; an empty one, "." or "..", or one holding '/'
  // is InvalidArgument and nothing is sent. CreateContainer encodes the
  // body for the API version in use (see EncodeContainerCreate) and logs
  // docker's warnings at INFO. StopContainer sends t=ceil(grace) and uses
  // the caller's deadline as is, even when it leaves less than the grace
  // period: docker then goes on stopping after the call fails with
  // DeadlineExceeded. RemoveContainer treats docker's 409 "removal of
  // container ... is already in progress" as success (another caller is
  // removing it; it is gone or about to be).
  absl::StatusOr<std::string> CreateContainer(
      const ContainerCreateConfig& config, absl::Time deadline) override;
  absl::Status UpdateContainerResources(const std::string& id,
                                        const Resources& resources,
                                        absl::Time deadline) override;
  absl::Status StartContainer(const std::string& id,
                              absl::Time deadline) override;
  absl::Status StopContainer(const std::string& id, absl::Duration grace,
                             absl::Time deadline) override;
  absl::Status RemoveContainer(const std::string& id, bool force,
                               bool remove_volumes,
                               absl::Time deadline) override;
  absl::StatusOr<ContainerInspect> InspectContainer(
      const std::string& id, absl::Time deadline) override;
  absl::StatusOr<std::vector<ContainerSummary>> ListContainers(
      const ListContainersOptions& options, absl::Time deadline) override;

  // Logs (curl_docker_client_logs.cc); the stream is decoded by
  // LogStreamDecoder as it arrives. A bad ID is InvalidArgument.
  absl::Status FollowContainerLogs(const LogStreamOptions& options,
                                   absl::Time deadline) override;
  // A CurlLogStreamMux on this client's endpoint, negotiating through it.
  absl::StatusOr<std::unique_ptr<LogStreamMux>> NewLogStreamMux() override;

  // Events (curl_docker_client_events.cc); the stream is decoded by
  // EventStreamDecoder as it arrives.
  absl::Status StreamEvents(const EventStreamOptions& options,
                            absl::Time deadline) override;

  // Exec (curl_docker_client_exec.cc). IDs are percent-encoded into paths
  // (an empty one is InvalidArgument); StartExec decodes the multiplexed
  // stream with MuxStreamDecoder as it arrives.
  absl::StatusOr<std::string> CreateExec(const ExecCreateConfig& config,
                                         absl::Time deadline) override;
  absl::Status StartExec(const std::string& exec_id, const ExecOutput& out,
                         absl::Time deadline) override;
  absl::StatusOr<ExecInspect> InspectExec(const std::string& exec_id,
                                          absl::Time deadline) override;

  // Interactive streams (curl_docker_client_attach.cc): hijacked with
  // DialHijacked on a socket of their own, outside libcurl, on the
  // negotiated /v1.xx path. A negative size is InvalidArgument and
  // nothing is sent.
  absl::StatusOr<std::unique_ptr<HijackedConn>> StartExecInteractive(
      const std::string& exec_id, bool tty, absl::Time setup_deadline) override;
  absl::StatusOr<std::unique_ptr<HijackedConn>> AttachContainer(
      const std::string& id, const AttachOptions& options,
      absl::Time setup_deadline) override;
  absl::Status ResizeExec(const std::string& exec_id, int height, int width,
                          absl::Time deadline) override;
  absl::Status ResizeContainer(const std::string& id, int height, int width,
                               absl::Time deadline) override;

  // The API version in use, e.g. "1.41"; empty until negotiated.
  std::string NegotiatedApiVersion() const;

  const Endpoint& endpoint() const { return transport_.endpoint(); }

  // Reports every exchange with dockerd to `observer` (see HttpObserver);
  // call before the client is used.
  void SetHttpObserver(HttpObserver observer) {
    transport_.set_observer(std::move(observer));
  }

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
  // Like SendVersioned, with the path (and query) built for the version
  // in use, e.g. to add parameters only newer APIs know.
  absl::StatusOr<HttpResponse> SendVersioned(
      HttpRequest request,
      const std::function<std::string(std::string_view api_version)>& path_for);
  // SendVersioned, with a non-2xx reply turned into MapDockerError's
  // status; `what` ("GET /info") prefixes docker's message.
  absl::StatusOr<HttpResponse> Call(
      HttpRequest request, absl::string_view what,
      const std::function<std::string(std::string_view api_version)>& path_for =
          nullptr);
  // Like Call, for a reply whose body is a stream (events, logs, exec
  // output, pull progress): each piece of a 2xx body goes to `feed` as it
  // arrives; request.check and request.deadline apply as usual. The
  // outcome, the first that applies: `feed`'s first error (which also
  // stops the exchange); the exchange's failure; a non-2xx reply mapped by
  // `map_error` (MapDockerError or the like, given `what`); `finish()`,
  // the decoder's verdict on what was left over.
  absl::Status CallStreamed(
      HttpRequest request, std::string_view what,
      const std::function<absl::Status(absl::string_view chunk)>& feed,
      const std::function<absl::Status()>& finish,
      absl::Status (*map_error)(int http_status, std::string_view body,
                                std::string_view what));
  // POST <object>/resize?h=..&w=.., `object` being "/exec/<id>" or
  // "/containers/<id>" with the ID already escaped.
  absl::Status PostResize(const std::string& object, int height, int width,
                          absl::Time deadline);
  // Hijacks `request` (its path unversioned) on /v<negotiated><path>,
  // renegotiating and retrying once like SendVersioned; a reply that is
  // not a takeover becomes MapDockerError's status, prefixed by `what`.
  absl::StatusOr<std::unique_ptr<HijackedConn>> Hijack(HijackRequest request,
                                                       absl::string_view what,
                                                       absl::Time deadline);
  // Forgets the negotiated version when `headers` carry an Api-Version
  // other than the one it was negotiated against; true then.
  bool NoteDaemonApiVersion(const std::map<std::string, std::string>& headers);
  // Returns the negotiated version, negotiating under `deadline` if none.
  absl::StatusOr<std::string> ApiVersion(absl::Time deadline);
  // GET /version, also (re)negotiating from its reply; the outcome of the
  // negotiation goes to *negotiated when given.
  absl::StatusOr<VersionInfo> FetchVersion(
      absl::Time deadline, absl::StatusOr<std::string>* negotiated);
  void ForgetApiVersion();
  // Drops the negotiated version and everything learnt under it.
  void ForgetNegotiationLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  HttpTransport transport_;

  mutable absl::Mutex mu_;
  // Negotiated version ("" if none) and the daemon ApiVersion it came from.
  std::string api_version_ ABSL_GUARDED_BY(mu_);
  std::string daemon_api_version_ ABSL_GUARDED_BY(mu_);
  // Computed under the current negotiation; dropped with it.
  std::optional<EngineCapabilities> capabilities_ ABSL_GUARDED_BY(mu_);
  // Bumped whenever the negotiation is dropped or changes, so that
  // capabilities read across such a change are not cached.
  uint64_t negotiation_generation_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace cri_dockerd::docker
