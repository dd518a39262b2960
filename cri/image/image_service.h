// ImageService domain logic: the CRI image verbs (image_list.cc,
// image_status.cc, image_pull.cc, image_remove.cc, imagefs_info.cc) over
// the docker client, and the NodeImages calls RuntimeService makes.
// gRPC never appears here.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cri/base/call_context.h"
#include "cri/base/runtime_options.h"
#include "cri/image/node_images.h"
#include "cri/image/pull_coordinator.h"
#include "cri/image/registry_credentials.h"
#include "docker_client/docker_client.h"
#include "proto/cri_api.h"

namespace cri_dockerd {

namespace v1 = ::runtime::v1;

class ImageService : public NodeImages {
 public:
  // `docker` must outlive this object. `credentials` are the node's docker
  // credentials, used when a pull request carries none.
  ImageService(docker::DockerClient* docker, RuntimeOptions options,
               image::RegistryCredentials credentials);

  absl::StatusOr<v1::ListImagesResponse> ListImages(
      const CallContext& ctx, const v1::ListImagesRequest& req);
  // Sends the images in batches; `send` returns false when the client is
  // gone.
  absl::Status StreamImages(
      const CallContext& ctx, const v1::StreamImagesRequest& req,
      const std::function<bool(const v1::StreamImagesResponse&)>& send);
  absl::StatusOr<v1::ImageStatusResponse> ImageStatus(
      const CallContext& ctx, const v1::ImageStatusRequest& req);
  absl::StatusOr<v1::PullImageResponse> PullImage(
      const CallContext& ctx, const v1::PullImageRequest& req);
  absl::StatusOr<v1::RemoveImageResponse> RemoveImage(
      const CallContext& ctx, const v1::RemoveImageRequest& req);
  absl::StatusOr<v1::ImageFsInfoResponse> ImageFsInfo(
      const CallContext& ctx, const v1::ImageFsInfoRequest& req);

  // NodeImages.
  absl::StatusOr<docker::ImageInspect> InspectImage(
      const CallContext& ctx, const std::string& image) override {
    return Resolve(ctx, image);
  }
  absl::StatusOr<std::string> EnsureImage(const CallContext& ctx,
                                          const std::string& image) override;

 private:
  // Inspects what an ImageSpec names: a reference (normalised, default tag
  // added), an image ID or a unique ID prefix. NotFound if absent;
  // InvalidArgument if it is neither a reference nor an ID.
  absl::StatusOr<docker::ImageInspect> Resolve(const CallContext& ctx,
                                               const std::string& image);
  // Converts docker's view to the CRI's, marking the pod infra image pinned.
  // The summary has no USER (kubelet reads it from ImageStatus).
  v1::Image ToCriImage(const docker::ImageSummary& image) const;
  v1::Image ToCriImage(const docker::ImageInspect& image) const;
  v1::Image ToCriImage(
      const std::string& id, const std::vector<std::string>& repo_tags,
      const std::vector<std::string>& repo_digests, int64_t size,
      const std::string& user,
      const std::map<std::string, std::string>& annotations) const;
  absl::StatusOr<std::vector<v1::Image>> List(const CallContext& ctx,
                                              const v1::ImageFilter& filter);
  absl::Status Pull(const CallContext& ctx, const std::string& image,
                    const v1::AuthConfig* auth);
  // The caller's deadline capped by --runtime-request-timeout.
  absl::Time DockerDeadline(const CallContext& ctx) const;

  // Constant after construction.
  docker::DockerClient* const docker_;
  const RuntimeOptions options_;
  const image::RegistryCredentials credentials_;
  // Normalised pod infra image ("registry.k8s.io/pause:3.10").
  const std::string pinned_image_;

  // Its pulls use docker_ and run on threads of their own: declared after
  // what they use, as its destructor waits for them.
  image::PullCoordinator pulls_;

  // ImageFsInfo asks docker for disk usage (expensive); answers are reused
  // for a few seconds.
  absl::Mutex fs_mu_;
  std::optional<v1::ImageFsInfoResponse> fs_cache_ ABSL_GUARDED_BY(fs_mu_);
  absl::Time fs_cache_time_ ABSL_GUARDED_BY(fs_mu_);
};

}  // namespace cri_dockerd
