#include "docker_client/errors.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "docker_client/json_decode.h"

namespace cri_dockerd::docker {

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

}  // namespace cri_dockerd::docker
