// CurlDockerClient's interactive streams: exec start and container attach
// over hijacked connections (docker's "101 UPGRADED" / "Upgrade: tcp"),
// and the TTY resizes that go with them.
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "docker_client/curl_docker_client.h"
#include "docker_client/errors.h"
#include "docker_client/url_escape.h"

namespace cri_dockerd::docker {
namespace {

const char* Flag(bool b) { return b ? "1" : "0"; }

absl::Status CheckSize(int height, int width) {
  if (height < 0 || width < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid terminal size ", height, "x", width, " (height x width)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<HijackedConn>> CurlDockerClient::Hijack(
    HijackRequest request, absl::string_view what, absl::Time deadline) {
  const std::string path = std::move(request.path);
  for (int attempt = 0;; ++attempt) {
    ASSIGN_OR_RETURN(std::string version, ApiVersion(deadline));
    request.path = absl::StrCat("/v", version, path);
    const absl::Time start = absl::Now();
    absl::StatusOr<HijackReply> reply =
        DialHijacked(endpoint(), request, deadline);
    const int64_t ms = absl::ToInt64Milliseconds(absl::Now() - start);
    if (!reply.ok()) {
      LOG(DEBUG) << request.method << " " << request.path << " failed after "
                 << ms << "ms: " << reply.status();
      if (absl::IsUnavailable(reply.status())) ForgetApiVersion();
      return reply.status();
    }
    LOG(DEBUG) << request.method << " " << request.path << " " << reply->status
               << " " << ms << "ms";
    const bool daemon_changed = NoteDaemonApiVersion(reply->headers);
    if (reply->conn != nullptr) return std::move(reply->conn);
    // 400 from a daemon that is no longer the one we negotiated with is
    // most likely "client version is too new": renegotiate, retry once.
    if (reply->status == 400 && daemon_changed && attempt == 0) continue;
    return MapDockerError(reply->status, reply->body, std::string(what));
  }
}

// Docker answers 101 and then streams; "404 No such exec instance" for an
// unknown exec; a second start of an exec gets its error in-band after
// the takeover ("Error: Exec command ... has already run").
absl::StatusOr<std::unique_ptr<HijackedConn>>
CurlDockerClient::StartExecInteractive(const std::string& exec_id, bool tty,
                                       absl::Time setup_deadline) {
  ASSIGN_OR_RETURN(const std::string escaped,
                   EscapePathSegment(exec_id, "exec ID"));
  HijackRequest request;
  request.path = absl::StrCat("/exec/", escaped, "/start");
  request.body = tty ? R"({"Detach":false,"Tty":true})"
                     : R"({"Detach":false,"Tty":false})";
  request.content_type = "application/json";
  return Hijack(std::move(request),
                absl::StrCat("POST /exec/", escaped, "/start"), setup_deadline);
}

// Docker answers "409 You cannot attach to a stopped container, start it
// first" for a container that is not running.
absl::StatusOr<std::unique_ptr<HijackedConn>> CurlDockerClient::AttachContainer(
    const std::string& id, const AttachOptions& options,
    absl::Time setup_deadline) {
  ASSIGN_OR_RETURN(const std::string escaped,
                   EscapePathSegment(id, "container ID or name"));
  HijackRequest request;
  request.path = absl::StrCat("/containers/", escaped, "/attach?stream=1",
                              "&stdin=", Flag(options.stdin),
                              "&stdout=", Flag(options.stdout),
                              "&stderr=", Flag(options.stderr));
  return Hijack(std::move(request),
                absl::StrCat("POST /containers/", escaped, "/attach"),
                setup_deadline);
}

absl::Status CurlDockerClient::PostResize(const std::string& object, int height,
                                          int width, absl::Time deadline) {
  RETURN_IF_ERROR(CheckSize(height, width));
  HttpRequest request;
  request.method = "POST";
  request.path = absl::StrCat(object, "/resize?h=", height, "&w=", width);
  request.deadline = deadline;
  return Call(std::move(request), absl::StrCat("POST ", object, "/resize"))
      .status();
}

absl::Status CurlDockerClient::ResizeExec(const std::string& exec_id,
                                          int height, int width,
                                          absl::Time deadline) {
  ASSIGN_OR_RETURN(const std::string escaped,
                   EscapePathSegment(exec_id, "exec ID"));
  return PostResize(absl::StrCat("/exec/", escaped), height, width, deadline);
}

absl::Status CurlDockerClient::ResizeContainer(const std::string& id,
                                               int height, int width,
                                               absl::Time deadline) {
  ASSIGN_OR_RETURN(const std::string escaped,
                   EscapePathSegment(id, "container ID or name"));
  return PostResize(absl::StrCat("/containers/", escaped), height, width,
                    deadline);
}

}  // namespace cri_dockerd::docker
