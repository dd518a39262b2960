#include "docker_client/curl_docker_client.h"

#include <utility>

#include "absl/memory/memory.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "docker_client/api_version.h"
#include "docker_client/errors.h"
#include "docker_client/json_decode.h"

namespace cri_dockerd::docker {
namespace {

bool IsSuccess(int http_status) { return http_status / 100 == 2; }

}  // namespace

CurlDockerClient::CurlDockerClient(Endpoint endpoint)
    : transport_(std::move(endpoint)) {}

absl::StatusOr<std::unique_ptr<CurlDockerClient>> CurlDockerClient::Create(
    std::string_view endpoint) {
  ASSIGN_OR_RETURN(Endpoint parsed, ParseEndpoint(endpoint));
  return absl::WrapUnique(new CurlDockerClient(std::move(parsed)));
}

std::string CurlDockerClient::NegotiatedApiVersion() const {
  absl::MutexLock lock(&mu_);
  return api_version_;
}

void CurlDockerClient::ForgetApiVersion() {
  absl::MutexLock lock(&mu_);
  ForgetNegotiationLocked();
}

void CurlDockerClient::ForgetNegotiationLocked() {
  api_version_.clear();
  daemon_api_version_.clear();
  capabilities_.reset();
  ++negotiation_generation_;
}

absl::StatusOr<HttpResponse> CurlDockerClient::Send(const HttpRequest& request,
                                                    bool* daemon_changed) {
  const absl::Time start = absl::Now();
  absl::StatusOr<HttpResponse> response = transport_.Do(request);
  const int64_t ms = absl::ToInt64Milliseconds(absl::Now() - start);
  // Method, path and outcome only: bodies and headers (X-Registry-Auth)
  // may hold credentials.
  if (!response.ok()) {
    LOG(DEBUG) << request.method << " " << request.path << " failed after "
               << ms << "ms: " << response.status();
    // The daemon went away; it may come back as another version.
    if (absl::IsUnavailable(response.status())) ForgetApiVersion();
    return response;
  }
  LOG(DEBUG) << request.method << " " << request.path << " " << response->status
             << " " << ms << "ms";
  if (NoteDaemonApiVersion(response->headers) && daemon_changed != nullptr) {
    *daemon_changed = true;
  }
  return response;
}

bool CurlDockerClient::NoteDaemonApiVersion(
    const std::map<std::string, std::string>& headers) {
  auto it = headers.find("api-version");
  if (it == headers.end()) return false;
  std::string previous;
  {
    absl::MutexLock lock(&mu_);
    if (daemon_api_version_.empty() || daemon_api_version_ == it->second) {
      return false;
    }
    previous = std::move(daemon_api_version_);
    ForgetNegotiationLocked();
  }
  LOG(INFO) << "Docker Engine now reports API " << it->second << " (was "
            << previous << "); renegotiating";
  return true;
}

absl::StatusOr<VersionInfo> CurlDockerClient::FetchVersion(
    absl::Time deadline, absl::StatusOr<std::string>* negotiated) {
  HttpRequest request;
  request.path = "/version";
  request.deadline = deadline;
  ASSIGN_OR_RETURN(HttpResponse response, Send(request));
  if (!IsSuccess(response.status)) {
    return MapDockerError(response.status, response.body, "GET /version");
  }
  ASSIGN_OR_RETURN(VersionInfo version, DecodeVersion(response.body));
  absl::StatusOr<std::string> chosen = ChooseApiVersion(version);
  bool changed;
  {
    absl::MutexLock lock(&mu_);
    const std::string now = chosen.ok() ? *chosen : "";
    changed = now != api_version_;
    if (changed) ForgetNegotiationLocked();
    api_version_ = now;
    daemon_api_version_ = chosen.ok() ? version.api_version : "";
  }
  if (changed && chosen.ok()) {
    LOG(INFO) << "Using Docker Engine API " << *chosen << " with Docker "
              << version.version << " (engine API " << version.api_version
              << ", minimum " << version.min_api_version << ") at "
              << endpoint().ToString();
  } else if (!chosen.ok()) {
    LOG(WARNING) << chosen.status().message();
  }
  if (negotiated != nullptr) *negotiated = std::move(chosen);
  return version;
}

absl::StatusOr<std::string> CurlDockerClient::ApiVersion(absl::Time deadline) {
  {
    absl::MutexLock lock(&mu_);
    if (!api_version_.empty()) return api_version_;
  }
  absl::StatusOr<std::string> negotiated =
      absl::FailedPreconditionError("API version not negotiated");
  RETURN_IF_ERROR(FetchVersion(deadline, &negotiated).status());
  return negotiated;
}

absl::StatusOr<HttpResponse> CurlDockerClient::SendVersioned(
    HttpRequest request) {
  const std::string path = std::move(request.path);
  return SendVersioned(std::move(request),
                       [&path](std::string_view) { return path; });
}

absl::StatusOr<HttpResponse> CurlDockerClient::SendVersioned(
    HttpRequest request,
    const std::function<std::string(std::string_view api_version)>& path_for) {
  for (int attempt = 0;; ++attempt) {
    ASSIGN_OR_RETURN(std::string version, ApiVersion(request.deadline));
    request.path = absl::StrCat("/v", version, path_for(version));
    bool daemon_changed = false;
    ASSIGN_OR_RETURN(HttpResponse response, Send(request, &daemon_changed));
    // 400 from a daemon that is no longer the one we negotiated with is
    // most likely "client version is too new": renegotiate, retry once.
    if (response.status == 400 && daemon_changed && attempt == 0) continue;
    return response;
  }
}

absl::Status CurlDockerClient::Ping(absl::Time deadline) {
  HttpRequest request;
  request.path = "/_ping";
  request.deadline = deadline;
  ASSIGN_OR_RETURN(HttpResponse response, Send(request));
  return MapDockerError(response.status, response.body, "GET /_ping");
}

absl::StatusOr<VersionInfo> CurlDockerClient::Version(absl::Time deadline) {
  return FetchVersion(deadline, nullptr);
}

absl::StatusOr<SystemInfo> CurlDockerClient::Info(absl::Time deadline) {
  HttpRequest request;
  request.path = "/info";
  request.deadline = deadline;
  ASSIGN_OR_RETURN(HttpResponse response,
                   Call(std::move(request), "GET /info"));
  return DecodeInfo(response.body);
}

absl::StatusOr<EngineCapabilities> CurlDockerClient::Capabilities(
    absl::Time deadline) {
  {
    absl::MutexLock lock(&mu_);
    if (capabilities_.has_value()) return *capabilities_;
  }
  return RefreshCapabilities(deadline);
}

absl::StatusOr<EngineCapabilities> CurlDockerClient::RefreshCapabilities(
    absl::Time deadline) {
  // GET /info may reach a daemon other than the one the version was
  // negotiated with (restarted in between); its reply then drops the
  // negotiation, and the capabilities are read again under the new one.
  constexpr int kAttempts = 3;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    ASSIGN_OR_RETURN(std::string version, ApiVersion(deadline));
    uint64_t generation;
    {
      absl::MutexLock lock(&mu_);
      if (api_version_ != version) continue;  // renegotiated meanwhile
      generation = negotiation_generation_;
    }
    ASSIGN_OR_RETURN(SystemInfo info, Info(deadline));
    EngineCapabilities caps = MakeEngineCapabilities(version, info);
    absl::MutexLock lock(&mu_);
    if (negotiation_generation_ == generation) {
      capabilities_ = caps;
      return caps;
    }
  }
  return absl::UnavailableError(
      "Docker Engine kept changing its API version while its capabilities "
      "were read (restarting?)");
}

absl::StatusOr<HttpResponse> CurlDockerClient::Call(
    HttpRequest request, absl::string_view what,
    const std::function<std::string(std::string_view api_version)>& path_for) {
  absl::StatusOr<HttpResponse> response =
      path_for ? SendVersioned(std::move(request), path_for)
               : SendVersioned(std::move(request));
  if (response.ok() && !IsSuccess(response->status)) {
    return MapDockerError(response->status, response->body, std::string(what));
  }
  return response;
}

absl::Status CurlDockerClient::CallStreamed(
    HttpRequest request, std::string_view what,
    const std::function<absl::Status(absl::string_view chunk)>& feed,
    const std::function<absl::Status()>& finish,
    absl::Status (*map_error)(int http_status, std::string_view body,
                              std::string_view what)) {
  // The first failure of `feed`: it stops the exchange (on_body false), so
  // it is also the last.
  absl::Status feed_status;
  request.on_body = [&](absl::string_view chunk) {
    feed_status = feed(chunk);
    return feed_status.ok();
  };
  absl::StatusOr<HttpResponse> response = SendVersioned(std::move(request));
  if (!feed_status.ok()) return feed_status;
  if (!response.ok()) return response.status();
  if (!IsSuccess(response->status)) {
    return map_error(response->status, response->body, what);
  }
  return finish();
}

}  // namespace cri_dockerd::docker
