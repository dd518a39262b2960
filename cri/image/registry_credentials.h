// The node's docker registry credentials, read from the same files and
// matched the same way as the Go cri-dockerd's keyring
// (k8s.io/kubernetes/pkg/credentialprovider): config.json ({"auths": ...})
// first, then the legacy .dockercfg. Used by PullImage when the CRI request
// carries no AuthConfig of its own.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "docker_client/types.h"

namespace cri_dockerd::image {

namespace internal {
// One usable credentials entry, its key split for matching.
struct CredentialEntry {
  std::string host;  // lowercase, without port; Docker Hub aliases: docker.io
  std::string port;  // empty when the key has none
  std::string path;  // no leading or trailing '/'; may be empty
  size_t key_length = 0;  // length of host[:port][/path]
  bool has_glob = false;
  docker::RegistryAuth auth;
};
}  // namespace internal

class RegistryCredentials {
 public:
  // No credentials.
  RegistryCredentials() = default;

  // Reads the first usable credentials file. For each directory of
  // `search_dirs` in order it tries `<dir>/config.json` then
  // `<dir>/.docker/config.json`; the first one that reads and parses wins
  // (even with no "auths"). Only when none does, the first parseable
  // `<dir>/.dockercfg` (the auths map at top level) is used. Unreadable or
  // malformed files are skipped with a warning; entries whose "auth" is not
  // base64("user:pass") are skipped with a warning. credsStore/credHelpers
  // are not supported (logged once, nothing is executed). Never fails.
  static RegistryCredentials LoadFromDisk(
      const std::vector<std::string>& search_dirs);

  // The directories the Go keyring searches: /var/lib/kubelet, the current
  // directory, $HOME (when set), and "/".
  static std::vector<std::string> DefaultSearchDirs();

  // The credentials for a normalised image name (e.g.
  // "docker.io/library/busybox", "localhost:5000/x/y"; a tag or digest, or
  // a short docker name like "busybox", is accepted too). A key matches when
  // its host matches the image's registry host (exactly, or with '*'/'?'
  // globs inside a dot-separated label, same number of labels; ports must be
  // equal, none on both sides counting as equal) and its path, if any, is a
  // component-wise prefix of the image's repository path. Docker Hub's
  // aliases (index.docker.io, registry-1.docker.io, registry.hub.docker.com)
  // all mean docker.io. The longest matching key wins; a key without globs
  // beats one with globs of equal length. `server_address` is the key as
  // written in the file.
  std::optional<docker::RegistryAuth> Lookup(
      absl::string_view image_name) const;

  // How many usable entries were loaded.
  size_t size() const { return entries_.size(); }

 private:
  std::vector<internal::CredentialEntry> entries_;  // most specific first
};

}  // namespace cri_dockerd::image
