#include "cri/image/image_service.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cri/image/reference.h"

namespace cri_dockerd {
namespace {

// The pinned image compares in normalised form, so "pause:3.10" on the
// command line matches docker's "docker.io/library/pause:3.10" tag.
std::string Normalize(const std::string& ref) {
  absl::StatusOr<image::ImageReference> parsed =
      image::ParseImageReference(ref);
  return parsed.ok() ? image::WithDefaultTag(*parsed).String() : ref;
}

// A short image ID as docker accepts it ("3f57d9401f8d").
bool IsIdPrefix(absl::string_view s) {
  if (s.size() < 4 || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_isdigit(c) || (c >= 'a' && c <= 'f');
  });
}

}  // namespace

ImageService::ImageService(docker::DockerClient* docker, RuntimeOptions options,
                           image::RegistryCredentials credentials)
    : docker_(docker),
      options_(std::move(options)),
      credentials_(std::move(credentials)),
      pinned_image_(Normalize(options_.pod_infra_image)) {}

absl::Time ImageService::DockerDeadline(const CallContext& ctx) const {
  return std::min(ctx.deadline, absl::Now() + options_.request_timeout);
}

absl::StatusOr<docker::ImageInspect> ImageService::Resolve(
    const CallContext& ctx, const std::string& image) {
  if (image.empty()) {
    return absl::InvalidArgumentError("image.image is empty");
  }
  const absl::Time deadline = DockerDeadline(ctx);
  if (image::LooksLikeImageId(image)) {
    return docker_->InspectImage(image, deadline);
  }
  absl::StatusOr<image::ImageReference> ref = image::ParseImageReference(image);
  if (!ref.ok()) {
    if (IsIdPrefix(image)) return docker_->InspectImage(image, deadline);
    return ref.status();
  }
  absl::StatusOr<docker::ImageInspect> found =
      docker_->InspectImage(image::WithDefaultTag(*ref).String(), deadline);
  if (absl::IsNotFound(found.status()) && IsIdPrefix(image)) {
    return docker_->InspectImage(image, deadline);
  }
  return found;
}

v1::Image ImageService::ToCriImage(const docker::ImageSummary& image) const {
  return ToCriImage(image.id, image.repo_tags, image.repo_digests, image.size,
                    "", image.annotations);
}

v1::Image ImageService::ToCriImage(const docker::ImageInspect& image) const {
  return ToCriImage(image.id, image.repo_tags, image.repo_digests, image.size,
                    image.user, image.annotations);
}

v1::Image ImageService::ToCriImage(
    const std::string& id, const std::vector<std::string>& repo_tags,
    const std::vector<std::string>& repo_digests, int64_t size,
    const std::string& user,
    const std::map<std::string, std::string>& annotations) const {
  v1::Image out;
  out.set_id(id);
  for (const std::string& tag : repo_tags) out.add_repo_tags(tag);
  for (const std::string& digest : repo_digests) out.add_repo_digests(digest);
  out.set_size(static_cast<uint64_t>(std::max<int64_t>(size, 0)));
  out.mutable_spec()->set_image(id);
  // What the engine knows of the image's OCI descriptor (containerd image
  // store, API 1.46+); docker's own store keeps none.
  out.mutable_spec()->mutable_annotations()->insert(annotations.begin(),
                                                    annotations.end());
  // The image's USER is "user", "uid", "user:group" or "uid:gid".
  const std::string name = user.substr(0, user.find(':'));
  int64_t uid = 0;
  if (absl::SimpleAtoi(name, &uid) && uid >= 0) {
    out.mutable_uid()->set_value(uid);
  } else if (!name.empty()) {
    out.set_username(name);
  }
  out.set_pinned(std::any_of(repo_tags.begin(), repo_tags.end(),
                             [this](const std::string& tag) {
                               return Normalize(tag) == pinned_image_;
                             }));
  return out;
}

}  // namespace cri_dockerd
