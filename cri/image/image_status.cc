// ImageStatus: what docker knows of one image (GET /images/{name}/json).
// An absent image is an empty response, not an error; a malformed
// reference is InvalidArgument. Read-only.
#include "cri/image/image_service.h"
#include "cri/image/reference.h"

namespace cri_dockerd {

absl::StatusOr<v1::ImageStatusResponse> ImageService::ImageStatus(
    const CallContext& ctx, const v1::ImageStatusRequest& req) {
  absl::StatusOr<docker::ImageInspect> image =
      Resolve(ctx, req.image().image());
  v1::ImageStatusResponse resp;
  if (absl::IsNotFound(image.status())) return resp;
  if (!image.ok()) return image.status();
  *resp.mutable_image() = ToCriImage(*image);
  // The reference the caller named the image by, when it was one (not an
  // ID): all the "user specified image" this call knows.
  const std::string& asked = req.image().image();
  if (!image::LooksLikeImageId(asked) &&
      !image::NamesImageId(asked, image->id)) {
    resp.mutable_image()->mutable_spec()->set_user_specified_image(asked);
  }
  if (req.verbose()) (*resp.mutable_info())["info"] = image->raw_json;
  return resp;
}

}  // namespace cri_dockerd
