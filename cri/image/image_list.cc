// ListImages / StreamImages: docker's image list (GET /images/json) as CRI
// images, optionally filtered by an image reference or ID. Read-only.
#include <algorithm>

#include "common/status_macros.h"
#include "cri/base/stream_batches.h"
#include "cri/image/image_service.h"
#include "cri/image/reference.h"

namespace cri_dockerd {
namespace {

// True if `image` is what `filter` names: an ID or ID prefix, a reference
// with tag or digest (exact, normalised), or a bare repository (any tag).
bool Matches(const std::string& filter, const docker::ImageSummary& image) {
  if (image::NamesImageId(filter, image.id)) return true;
  absl::StatusOr<image::ImageReference> want =
      image::ParseImageReference(filter);
  if (!want.ok()) return false;
  const bool any_tag = want->tag.empty() && want->digest.empty();
  auto same = [&](const std::string& have) {
    absl::StatusOr<image::ImageReference> ref =
        image::ParseImageReference(have);
    if (!ref.ok()) return false;
    return any_tag ? ref->Name() == want->Name()
                   : ref->String() == want->String();
  };
  return std::any_of(image.repo_tags.begin(), image.repo_tags.end(), same) ||
         std::any_of(image.repo_digests.begin(), image.repo_digests.end(),
                     same);
}

}  // namespace

absl::StatusOr<std::vector<v1::Image>> ImageService::List(
    const CallContext& ctx, const v1::ImageFilter& filter) {
  ASSIGN_OR_RETURN(std::vector<docker::ImageSummary> images,
                   docker_->ListImages("", DockerDeadline(ctx)));
  const std::string& want = filter.image().image();
  std::vector<v1::Image> out;
  out.reserve(images.size());
  for (const docker::ImageSummary& image : images) {
    if (!want.empty() && !Matches(want, image)) continue;
    out.push_back(ToCriImage(image));
  }
  return out;
}

absl::StatusOr<v1::ListImagesResponse> ImageService::ListImages(
    const CallContext& ctx, const v1::ListImagesRequest& req) {
  ASSIGN_OR_RETURN(std::vector<v1::Image> images, List(ctx, req.filter()));
  v1::ListImagesResponse resp;
  for (v1::Image& image : images) *resp.add_images() = std::move(image);
  return resp;
}

absl::Status ImageService::StreamImages(
    const CallContext& ctx, const v1::StreamImagesRequest& req,
    const std::function<bool(const v1::StreamImagesResponse&)>& send) {
  ASSIGN_OR_RETURN(std::vector<v1::Image> images, List(ctx, req.filter()));
  return SendInBatches(
      images, [](v1::StreamImagesResponse& b) { return b.mutable_images(); },
      send);
}

}  // namespace cri_dockerd
