// Helpers for the RegistryCredentials tests: docker config files written
// into a scratch directory.
#pragma once

#include <sys/stat.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/testing/temp_dir.h"
#include "cri/image/registry_credentials.h"

namespace cri_dockerd::image::testing_util {

using ::cri_dockerd::testing_util::TempDir;

// {"auth": base64("user:pass")}
inline std::string AuthEntry(const std::string& user, const std::string& pass) {
  return absl::StrCat(R"({"auth": ")", absl::Base64Escape(user + ":" + pass),
                      R"("})");
}

// A config.json body with the given `"key": entry` pairs.
inline std::string ConfigJson(
    const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string body;
  for (const auto& [key, entry] : entries) {
    absl::StrAppend(&body, body.empty() ? "" : ", ", "\"", key, "\": ", entry);
  }
  return absl::StrCat(R"({"auths": {)", body, "}}");
}

// The legacy .dockercfg: the auths map at top level.
inline std::string DockerCfg(
    const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string body;
  for (const auto& [key, entry] : entries) {
    absl::StrAppend(&body, body.empty() ? "" : ", ", "\"", key, "\": ", entry);
  }
  return absl::StrCat("{", body, "}");
}

inline void MakeDockerDir(const TempDir& dir) {
  ASSERT_EQ(mkdir((dir.path() + "/.docker").c_str(), 0700), 0);
}

// The username Lookup finds for `image`, or "<none>".
inline std::string UserFor(const RegistryCredentials& creds,
                           const std::string& image) {
  std::optional<docker::RegistryAuth> auth = creds.Lookup(image);
  return auth.has_value() ? auth->username : "<none>";
}

}  // namespace cri_dockerd::image::testing_util
