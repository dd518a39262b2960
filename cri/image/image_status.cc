// ImageStatus: what docker knows of one image (GET /images/{name}/json).
// An absent image is an empty response, not an error; a malformed
// reference is InvalidArgument. Read-only.
#include "cri/image/image_service.h"

namespace cri_dockerd {

absl::StatusOr<v1::ImageStatusResponse> ImageService::ImageStatus(
    const CallContext& ctx, const v1::ImageStatusRequest& req) {
  absl::StatusOr<docker::ImageInspect> image =
      Resolve(ctx, req.image().image());
  v1::ImageStatusResponse resp;
  if (absl::IsNotFound(image.status())) return resp;
  if (!image.ok()) return image.status();
  *resp.mutable_image() =
      ToCriImage(image->id, image->repo_tags, image->repo_digests, image->size,
                 image->user);
  if (req.verbose()) (*resp.mutable_info())["info"] = image->raw_json;
  return resp;
}

}  // namespace cri_dockerd
