// Docker image references: parsing and normalisation following the grammar of
// github.com/distribution/reference (docker's ParseNormalizedNamed), so that
// "busybox", "docker.io/library/busybox" and "index.docker.io/busybox" all
// name the same repository, plus the pieces docker's pull API wants.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cri_dockerd::image {

// A parsed, normalised image reference. `domain` and `path` are always set;
// `tag` and `digest` ("algorithm:hex") are optional (empty when absent).
struct ImageReference {
  std::string domain;  // e.g. "docker.io", "localhost:5000", "[::1]:5000"
  std::string path;    // e.g. "library/busybox"
  std::string tag;     // e.g. "1.36"; empty when absent
  std::string digest;  // e.g. "sha256:<64 hex>"; empty when absent

  // "domain/path", e.g. "docker.io/library/busybox".
  std::string Name() const;
  // Name()[:tag][@digest].
  std::string String() const;
  // Docker's short form (reference.FamiliarString): "docker.io/" dropped,
  // and "library/" too when nothing else follows it but the repository.
  std::string Familiar() const;

  friend bool operator==(const ImageReference&,
                         const ImageReference&) = default;
};

// Parses `ref` as docker does (reference.ParseNormalizedNamed): a name with
// an optional ":tag" and an optional "@algorithm:hex" digest. The domain is
// the first '/'-separated component when it contains '.' or ':', is
// "localhost", or has uppercase letters; otherwise it is docker.io (with
// "library/" prepended to single-component names). "index.docker.io" becomes
// "docker.io". No default tag is added (see WithDefaultTag).
//
// Returns InvalidArgument naming `ref` and what is wrong for: an empty
// reference, whitespace or other invalid characters, uppercase in the
// repository path, empty components or leading/trailing separators, a bad tag
// or digest, a name longer than 255 characters, and image IDs (64 hex digits,
// with or without "sha256:"), which callers must resolve as IDs.
absl::StatusOr<ImageReference> ParseImageReference(absl::string_view ref);

// Returns `r` with tag "latest" when it has neither a tag nor a digest.
ImageReference WithDefaultTag(ImageReference r);

// True for "sha256:<64 lowercase hex>" and for 64 lowercase hex digits.
bool LooksLikeImageId(absl::string_view s);

// True if `name` names the image `id` ("sha256:<hex>") by ID: the full ID
// or a prefix of at least 4 hex digits, with or without "sha256:".
bool NamesImageId(absl::string_view name, absl::string_view id);

// The `fromImage` value for docker's POST /images/create: the familiar name
// without tag or digest (e.g. "busybox", "localhost:5000/x"), as docker's own
// client sends it.
std::string DockerRepository(const ImageReference& r);

// The `tag` value for POST /images/create: the digest when there is one (for
// name:tag@digest docker pulls by digest), else the tag, else "latest".
std::string DockerTagOrDigest(const ImageReference& r);

}  // namespace cri_dockerd::image
