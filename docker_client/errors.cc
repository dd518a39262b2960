#include "docker_client/errors.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "docker_client/json_decode.h"

namespace cri_dockerd::docker {
namespace {

struct PullErrorRule {
  absl::StatusCode code;
  std::vector<absl::string_view> needles;  // lowercase substrings
};

const std::vector<PullErrorRule>& PullErrorRules() {
  static const auto* rules = new std::vector<PullErrorRule>{
      {absl::StatusCode::kUnauthenticated,
       {"unauthorized", "authentication required", "no basic auth credentials",
        "denied: requested access", "incorrect username or password"}},
      {absl::StatusCode::kNotFound,
       {"manifest unknown", "not found", "does not exist"}},
      {absl::StatusCode::kUnavailable,
       {"connection refused", "no such host", "i/o timeout",
        "tls handshake timeout", "dial tcp", "server misbehaving",
        "network is unreachable", "context deadline exceeded",
        "connection reset"}},
      {absl::StatusCode::kInvalidArgument, {"invalid reference format"}},
  };
  return *rules;
}

absl::StatusCode PullErrorCode(absl::string_view message) {
  const std::string lower = absl::AsciiStrToLower(message);
  for (const PullErrorRule& rule : PullErrorRules()) {
    for (absl::string_view needle : rule.needles) {
      if (absl::StrContains(lower, needle)) return rule.code;
    }
  }
  // dockerd 20.10 reduces a registry's 403 {"code":"DENIED"} to "denied".
  const absl::string_view trimmed = absl::StripAsciiWhitespace(lower);
  if (trimmed == "denied" || absl::EndsWith(trimmed, ": denied")) {
    return absl::StatusCode::kUnauthenticated;
  }
  return absl::StatusCode::kUnknown;
}

}  // namespace

absl::Status MapDockerError(int http_status, std::string_view body,
                            std::string_view what) {
  if (http_status >= 200 && http_status < 300) return absl::OkStatus();
  std::string message = DecodeErrorMessage(body);
  if (message.empty()) message = absl::StrCat("HTTP ", http_status);
  std::string text =
      absl::StrCat(absl::string_view(what.data(), what.size()), ": ", message);

  if (http_status == 404) return absl::NotFoundError(text);
  if (http_status == 409) {
    // Docker uses 409 both for name clashes ("Conflict. The container name
    // ... is already in use") and for state conflicts ("You cannot remove
    // a running container"); only its wording tells them apart. This is
    // the one place where message text is inspected.
    const std::string lower = absl::AsciiStrToLower(message);
    if (absl::StrContains(lower, "already in use") ||
        absl::StrContains(lower, "already exists")) {
      return absl::AlreadyExistsError(text);
    }
    return absl::FailedPreconditionError(text);
  }
  if (http_status == 400) return absl::InvalidArgumentError(text);
  if (http_status == 401) return absl::UnauthenticatedError(text);
  if (http_status == 403) return absl::PermissionDeniedError(text);
  if (http_status >= 500 && http_status < 600) {
    return absl::InternalError(text);
  }
  return absl::UnknownError(text);
}

bool IsRemovalInProgress(int http_status, std::string_view body) {
  if (http_status != 409) return false;
  const std::string lower = absl::AsciiStrToLower(DecodeErrorMessage(body));
  return absl::StrContains(lower, "removal of container") &&
         absl::StrContains(lower, "already in progress");
}

absl::Status ClassifyPullError(absl::string_view message) {
  return absl::Status(PullErrorCode(message), message);
}

absl::Status MapPullHttpError(int http_status, std::string_view body,
                              std::string_view what) {
  absl::Status mapped = MapDockerError(http_status, body, what);
  if (mapped.ok() || http_status == 400 || http_status == 401) return mapped;
  absl::StatusCode code = PullErrorCode(DecodeErrorMessage(body));
  if (code == absl::StatusCode::kUnknown && http_status == 404) {
    code = absl::StatusCode::kNotFound;
  }
  return absl::Status(code, mapped.message());
}

}  // namespace cri_dockerd::docker
