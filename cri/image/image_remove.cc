// RemoveImage: by image ID (or unique ID prefix) removes every tag and
// digest of the image and then the image; by tag or digest removes that
// reference only (docker deletes the image with its last reference). An
// absent image or reference is success. An image a container uses is
// FailedPrecondition saying so; nothing is forced.
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "cri/image/image_service.h"
#include "cri/image/reference.h"

namespace cri_dockerd {
namespace {

// Removes one reference; absent is fine, in-use explains itself.
absl::Status RemoveOne(docker::DockerClient* docker, const std::string& what,
                       const std::string& shown, absl::Time deadline) {
  absl::StatusOr<docker::RemovedImage> removed =
      docker->RemoveImage(what, /*force=*/false, deadline);
  if (removed.ok() || absl::IsNotFound(removed.status())) {
    return absl::OkStatus();
  }
  if (absl::IsFailedPrecondition(removed.status())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "image ", shown,
        " is in use by a container: ", removed.status().message()));
  }
  return removed.status();
}

}  // namespace

absl::StatusOr<v1::RemoveImageResponse> ImageService::RemoveImage(
    const CallContext& ctx, const v1::RemoveImageRequest& req) {
  const std::string& name = req.image().image();
  absl::StatusOr<docker::ImageInspect> image = Resolve(ctx, name);
  if (absl::IsNotFound(image.status())) return v1::RemoveImageResponse();
  if (!image.ok()) return image.status();
  const absl::Time deadline = DockerDeadline(ctx);

  if (!image::LooksLikeImageId(name) && !image::NamesImageId(name, image->id)) {
    absl::StatusOr<image::ImageReference> ref =
        image::ParseImageReference(name);
    const std::string target =
        ref.ok() ? image::WithDefaultTag(*ref).String() : name;
    if (absl::Status s = RemoveOne(docker_, target, name, deadline); !s.ok()) {
      return s;
    }
    LOG(INFO) << "removed image reference " << target;
    return v1::RemoveImageResponse();
  }

  std::vector<std::string> refs = image->repo_tags;
  refs.insert(refs.end(), image->repo_digests.begin(),
              image->repo_digests.end());
  refs.push_back(image->id);
  for (const std::string& ref : refs) {
    if (absl::Status s = RemoveOne(docker_, ref, image->id, deadline);
        !s.ok()) {
      return s;
    }
  }
  LOG(INFO) << "removed image " << image->id;
  return v1::RemoveImageResponse();
}

}  // namespace cri_dockerd
