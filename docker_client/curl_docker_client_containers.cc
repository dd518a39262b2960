// CurlDockerClient's container calls: create, start, stop, remove,
// inspect and list.
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "docker_client/api_version.h"
#include "docker_client/curl_docker_client.h"
#include "docker_client/errors.h"
#include "docker_client/json_decode_containers.h"
#include "docker_client/json_encode_containers.h"
#include "docker_client/url_escape.h"

namespace cri_dockerd::docker {
namespace {

const char* Bool(bool b) { return b ? "true" : "false"; }

// Whole seconds, rounded up so the container gets at least `grace`, at
// most 2^31-1 (what any docker parses as an int and turns into a
// duration without overflow; an infinite grace ends there too).
int64_t StopSeconds(absl::Duration grace) {
  constexpr int64_t kMaxSeconds = std::numeric_limits<int32_t>::max();
  if (grace <= absl::ZeroDuration()) return 0;
  if (grace >= absl::Seconds(kMaxSeconds)) return kMaxSeconds;
  return absl::ToInt64Seconds(absl::Ceil(grace, absl::Seconds(1)));
}

absl::StatusOr<std::string> EscapeId(const std::string& id) {
  return EscapePathSegment(id, "container ID or name");
}

}  // namespace

// POST /containers/create[?name=..]. The body depends on the API version
// (recursive read-only mounts), so it is encoded for the version in use.
// If the daemon is swapped for an older one during the call and the
// request is retried there (see SendVersioned), a recursive read-only
// mount would silently lose its guarantee: the container made that way
// is removed again and the call fails.
absl::StatusOr<std::string> CurlDockerClient::CreateContainer(
    const ContainerCreateConfig& config, absl::Time deadline) {
  ASSIGN_OR_RETURN(const std::string version, ApiVersion(deadline));
  ASSIGN_OR_RETURN(std::string body, EncodeContainerCreate(config, version));
  const std::string path = config.name.empty()
                               ? "/containers/create"
                               : absl::StrCat("/containers/create?name=",
                                              EscapeQueryValue(config.name));
  HttpRequest request;
  request.method = "POST";
  request.body = std::move(body);
  request.content_type = "application/json";
  request.deadline = deadline;
  std::string used_version;
  ASSIGN_OR_RETURN(HttpResponse response,
                   Call(std::move(request), "POST /containers/create",
                        [&](std::string_view v) {
                          used_version = std::string(v);
                          return path;
                        }));
  ASSIGN_OR_RETURN(CreatedContainer created,
                   DecodeContainerCreated(response.body));
  for (const std::string& warning : created.warnings) {
    LOG(INFO) << "Docker Engine warns about new container " << config.name
              << " (" << created.id.substr(0, 12) << "): " << warning;
  }
  if (used_version != version && NeedsRecursiveReadOnly(config) &&
      CompareApiVersions(used_version, kRecursiveReadOnlyApiVersion) < 0) {
    if (absl::Status s = RemoveContainer(created.id, /*force=*/true,
                                         /*remove_volumes=*/false, deadline);
        !s.ok()) {
      LOG(WARNING) << "removing container " << created.id
                   << " created without its recursive read-only mounts: " << s;
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "Docker Engine now speaks API ", used_version,
        ": recursive read-only mounts need Docker Engine 25 (API 1.44)"));
  }
  return created.id;
}

// POST /containers/{id}/start: 204, or 304 when already running.
absl::Status CurlDockerClient::StartContainer(const std::string& id,
                                              absl::Time deadline) {
  ASSIGN_OR_RETURN(const std::string escaped, EscapeId(id));
  HttpRequest request;
  request.method = "POST";
  request.path = absl::StrCat("/containers/", escaped, "/start");
  request.deadline = deadline;
  ASSIGN_OR_RETURN(HttpResponse response, SendVersioned(std::move(request)));
  if (response.status == 304) return absl::OkStatus();
  return MapDockerError(response.status, response.body,
                        absl::StrCat("POST /containers/", escaped, "/start"));
}

// POST /containers/{id}/update with the resource fields.
absl::Status CurlDockerClient::UpdateContainerResources(
    const std::string& id, const Resources& resources, absl::Time deadline) {
  ASSIGN_OR_RETURN(const std::string escaped, EscapeId(id));
  HttpRequest request;
  request.method = "POST";
  request.path = absl::StrCat("/containers/", escaped, "/update");
  request.body = EncodeContainerUpdate(resources);
  request.content_type = "application/json";
  request.deadline = deadline;
  return Call(std::move(request),
              absl::StrCat("POST /containers/", escaped, "/update"))
      .status();
}

// POST /containers/{id}/stop?t=..: 204, or 304 when not running. Docker
// answers once the container has stopped, so the exchange can take the
// whole grace period.
absl::Status CurlDockerClient::StopContainer(const std::string& id,
                                             absl::Duration grace,
                                             absl::Time deadline) {
  ASSIGN_OR_RETURN(const std::string escaped, EscapeId(id));
  const int64_t seconds = StopSeconds(grace);
  if (deadline < absl::Now() + absl::Seconds(seconds)) {
    LOG(DEBUG) << "stopping container " << id << " with a " << seconds
               << "s grace period but a deadline "
               << absl::FormatDuration(deadline - absl::Now())
               << " away: the call may end before docker does";
  }
  HttpRequest request;
  request.method = "POST";
  request.path = absl::StrCat("/containers/", escaped, "/stop?t=", seconds);
  request.deadline = deadline;
  ASSIGN_OR_RETURN(HttpResponse response, SendVersioned(std::move(request)));
  if (response.status == 304) return absl::OkStatus();
  return MapDockerError(response.status, response.body,
                        absl::StrCat("POST /containers/", escaped, "/stop"));
}

// DELETE /containers/{id}?force=..&v=..: 204. A 409 for a removal already
// in progress is success; other 409s (running container without force)
// are FailedPrecondition.
absl::Status CurlDockerClient::RemoveContainer(const std::string& id,
                                               bool force, bool remove_volumes,
                                               absl::Time deadline) {
  ASSIGN_OR_RETURN(const std::string escaped, EscapeId(id));
  HttpRequest request;
  request.method = "DELETE";
  request.path = absl::StrCat("/containers/", escaped, "?force=", Bool(force),
                              "&v=", Bool(remove_volumes));
  request.deadline = deadline;
  ASSIGN_OR_RETURN(HttpResponse response, SendVersioned(std::move(request)));
  if (IsRemovalInProgress(response.status, response.body)) {
    LOG(DEBUG) << "container " << id << " is already being removed";
    return absl::OkStatus();
  }
  return MapDockerError(response.status, response.body,
                        absl::StrCat("DELETE /containers/", escaped));
}

// GET /containers/{id}/json
absl::StatusOr<ContainerInspect> CurlDockerClient::InspectContainer(
    const std::string& id, absl::Time deadline) {
  ASSIGN_OR_RETURN(const std::string escaped, EscapeId(id));
  HttpRequest request;
  request.path = absl::StrCat("/containers/", escaped, "/json");
  request.deadline = deadline;
  ASSIGN_OR_RETURN(HttpResponse response,
                   Call(std::move(request),
                        absl::StrCat("GET /containers/", escaped, "/json")));
  return DecodeContainerInspect(response.body);
}

// GET /containers/json[?all=1][&filters=..]
absl::StatusOr<std::vector<ContainerSummary>> CurlDockerClient::ListContainers(
    const ListContainersOptions& options, absl::Time deadline) {
  std::vector<std::string> params;
  if (options.all) params.push_back("all=1");
  if (std::string filters = EncodeContainerFilters(options.filters);
      !filters.empty()) {
    params.push_back("filters=" + EscapeQueryValue(filters));
  }
  HttpRequest request;
  request.path = absl::StrCat("/containers/json", params.empty() ? "" : "?",
                              absl::StrJoin(params, "&"));
  request.deadline = deadline;
  ASSIGN_OR_RETURN(HttpResponse response,
                   Call(std::move(request), "GET /containers/json"));
  return DecodeContainerList(response.body);
}

}  // namespace cri_dockerd::docker
