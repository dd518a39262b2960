// CurlDockerClient's image calls: list, inspect, pull (following docker's
// progress stream), remove, and the disk usage behind ImageFsInfo.
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "docker_client/api_version.h"
#include "docker_client/curl_docker_client.h"
#include "docker_client/errors.h"
#include "docker_client/json_decode_images.h"
#include "docker_client/url_escape.h"
#include "nlohmann/json.hpp"

namespace cri_dockerd::docker {
namespace {

// The first API version whose GET /images/json takes shared-size=1.
constexpr char kSharedSizeApiVersion[] = "1.42";

// "repo:tag" or, for a digest, "repo@sha256:...": how docker names it.
std::string PullReference(const std::string& image, const std::string& tag) {
  return absl::StrCat(image, absl::StrContains(tag, ":") ? "@" : ":", tag);
}

}  // namespace

// GET /images/json[?filters={"reference":{"<ref>":true}}][&shared-size=1]
absl::StatusOr<std::vector<ImageSummary>> CurlDockerClient::ListImages(
    const std::string& reference, absl::Time deadline) {
  std::string filters;
  if (!reference.empty()) {
    nlohmann::json doc;
    doc["reference"][reference] = true;
    filters =
        doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  HttpRequest request;
  request.deadline = deadline;
  ASSIGN_OR_RETURN(
      HttpResponse response,
      Call(std::move(request), "GET /images/json",
           [&](std::string_view version) {
             std::vector<std::string> params;
             if (!filters.empty()) {
               params.push_back("filters=" + EscapeQueryValue(filters));
             }
             if (CompareApiVersions(version, kSharedSizeApiVersion) >= 0) {
               params.push_back("shared-size=1");
             }
             return absl::StrCat("/images/json", params.empty() ? "" : "?",
                                 absl::StrJoin(params, "&"));
           }));
  return DecodeImageList(response.body);
}

// GET /images/{name}/json; nothing is sent for an invalid name.
absl::StatusOr<ImageInspect> CurlDockerClient::InspectImage(
    const std::string& name, absl::Time deadline) {
  ASSIGN_OR_RETURN(const std::string escaped, EscapeImageName(name));
  HttpRequest request;
  request.path = absl::StrCat("/images/", escaped, "/json");
  request.deadline = deadline;
  ASSIGN_OR_RETURN(
      HttpResponse response,
      Call(std::move(request), absl::StrCat("GET /images/", escaped, "/json")));
  return DecodeImageInspect(response.body);
}

// POST /images/create?fromImage=..&tag=.., reading the progress stream as
// it arrives. Docker reports a failure either as an error reply before
// the stream or as an {"error": ...} message in it; both are classified
// by ClassifyPullError. Cutting the connection (check failed, deadline)
// makes dockerd cancel the pull; nothing else needs undoing.
absl::Status CurlDockerClient::PullImage(const PullOptions& options,
                                         absl::Time deadline) {
  if (options.image.empty()) {
    return absl::InvalidArgumentError("pull: image must not be empty");
  }
  // Docker pulls every tag of the repository when none is given.
  const std::string tag = options.tag.empty() ? "latest" : options.tag;
  const std::string what =
      absl::StrCat("pulling ", PullReference(options.image, tag));
  HttpRequest request;
  request.method = "POST";
  request.path =
      absl::StrCat("/images/create?fromImage=", EscapeQueryValue(options.image),
                   "&tag=", EscapeQueryValue(tag));
  request.deadline = deadline;
  if (!options.auth.empty()) {
    request.headers.emplace_back("X-Registry-Auth",
                                 EncodeRegistryAuth(options.auth));
  }
  JsonMessageStream stream;
  auto on_message = [&](const JsonMessage& message) -> absl::Status {
    if (!message.error.empty()) {
      return absl::Status(ClassifyPullError(message.error).code(),
                          absl::StrCat(what, ": ", message.error));
    }
    if (options.on_progress) options.on_progress(message.progress);
    return absl::OkStatus();
  };
  request.check = options.check;
  return CallStreamed(
      std::move(request), what,
      [&](absl::string_view chunk) { return stream.Feed(chunk, on_message); },
      [&] { return stream.Finish(); }, MapPullHttpError);
}

// DELETE /images/{name}?force=..&noprune=false
absl::StatusOr<RemovedImage> CurlDockerClient::RemoveImage(
    const std::string& name, bool force, absl::Time deadline) {
  ASSIGN_OR_RETURN(const std::string escaped, EscapeImageName(name));
  HttpRequest request;
  request.method = "DELETE";
  request.path =
      absl::StrCat("/images/", escaped, "?force=", force ? "true" : "false",
                   "&noprune=false");
  request.deadline = deadline;
  ASSIGN_OR_RETURN(
      HttpResponse response,
      Call(std::move(request), absl::StrCat("DELETE /images/", escaped)));
  return DecodeRemovedImage(response.body);
}

// GET /system/df
absl::StatusOr<DiskUsage> CurlDockerClient::GetDiskUsage(absl::Time deadline) {
  HttpRequest request;
  request.path = "/system/df";
  request.deadline = deadline;
  ASSIGN_OR_RETURN(HttpResponse response,
                   Call(std::move(request), "GET /system/df"));
  return DecodeDiskUsage(response.body);
}

}  // namespace cri_dockerd::docker
