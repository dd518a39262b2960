#include "docker_client/api_version.h"

#include <optional>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace cri_dockerd::docker {
namespace {

// "1.41" -> {1, 41}; nullopt unless two dot-separated decimal numbers.
std::optional<std::pair<int, int>> ParseApiVersion(std::string_view text) {
  const size_t dot = text.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const absl::string_view major(text.data(), dot);
  const absl::string_view minor(text.data() + dot + 1, text.size() - dot - 1);
  auto digits_only = [](absl::string_view s) {
    return !s.empty() && s.size() <= 6 &&
           s.find_first_not_of("0123456789") == absl::string_view::npos;
  };
  std::pair<int, int> v;
  if (!digits_only(major) || !digits_only(minor) ||
      !absl::SimpleAtoi(major, &v.first) ||
      !absl::SimpleAtoi(minor, &v.second)) {
    return std::nullopt;
  }
  return v;
}

}  // namespace

int CompareApiVersions(std::string_view a, std::string_view b) {
  const auto va = ParseApiVersion(a);
  const auto vb = ParseApiVersion(b);
  if (!va || !vb) return static_cast<int>(va.has_value()) - vb.has_value();
  return *va < *vb ? -1 : (*vb < *va ? 1 : 0);
}

absl::StatusOr<std::string> ChooseApiVersion(const VersionInfo& daemon) {
  if (!ParseApiVersion(daemon.api_version)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "Docker Engine reported no usable API version (ApiVersion \"",
        daemon.api_version, "\") in GET /version"));
  }
  if (CompareApiVersions(daemon.api_version, kMinApiVersion) < 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "Docker Engine API ", daemon.api_version, " is older than the ",
        kMinApiVersion, " (Docker 20.10) this shim needs (engine version \"",
        daemon.version, "\"); upgrade Docker"));
  }
  std::string chosen =
      CompareApiVersions(daemon.api_version, kMaxApiVersion) > 0
          ? std::string(kMaxApiVersion)
          : daemon.api_version;
  if (CompareApiVersions(daemon.min_api_version, chosen) > 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("Docker Engine ", daemon.version, " accepts only API ",
                     daemon.min_api_version, " through ", daemon.api_version,
                     ", but this shim speaks at most ", kMaxApiVersion,
                     "; use a newer cri-dockerd"));
  }
  return chosen;
}

}  // namespace cri_dockerd::docker
