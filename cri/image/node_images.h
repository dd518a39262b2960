// What RuntimeService needs of the image service: the two calls through
// which container and sandbox creation see the node's images. Kept apart
// so that the runtime verbs depend on this, not on the image verbs.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "cri/base/call_context.h"
#include "docker_client/types.h"

namespace cri_dockerd {

class NodeImages {
 public:
  virtual ~NodeImages() = default;

  // What `image` (reference, ID or unique ID prefix) names on the node;
  // NotFound if absent, InvalidArgument if malformed. Never pulls.
  virtual absl::StatusOr<docker::ImageInspect> InspectImage(
      const CallContext& ctx, const std::string& image) = 0;

  // Pulls `image` unless present, with the node's credentials (the pod
  // infra image for RunPodSandbox). Returns the image ID.
  virtual absl::StatusOr<std::string> EnsureImage(const CallContext& ctx,
                                                  const std::string& image) = 0;
};

}  // namespace cri_dockerd
