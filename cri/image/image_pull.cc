// PullImage: POST /images/create for a normalised reference, with the
// request's credentials or else the node's, following docker's progress
// stream. Fails when nothing advances for --image-pull-progress-deadline;
// returns at its deadline or when the client goes away. Concurrent pulls
// of one reference with the same credentials share one docker pull, which
// stops once none of them waits any more (pull_coordinator.h).
// Docker only lists an image once its pull completes, so a failed or
// cancelled pull leaves nothing behind in ListImages. Returns the image ID.
#include <functional>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "cri/image/image_service.h"
#include "cri/image/pull_progress.h"
#include "cri/image/reference.h"

namespace cri_dockerd {
namespace {

bool HasCredentials(const v1::AuthConfig& a) {
  return !a.username().empty() || !a.password().empty() || !a.auth().empty() ||
         !a.identity_token().empty() || !a.registry_token().empty();
}

docker::RegistryAuth FromCri(const v1::AuthConfig& a) {
  docker::RegistryAuth auth;
  auth.username = a.username();
  auth.password = a.password();
  auth.auth = a.auth();
  auth.server_address = a.server_address();
  auth.identity_token = a.identity_token();
  auth.registry_token = a.registry_token();
  return auth;
}

// Says what failed: the reference and, for a refusal, which credentials
// the registry refused (never the credentials themselves); docker's words
// and code are kept.
absl::Status Describe(const absl::Status& s, const image::ImageReference& ref,
                      const std::string& key, const std::string& source,
                      bool sent_credentials) {
  switch (s.code()) {
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
      return absl::Status(
          s.code(),
          absl::StrCat("authentication failed for registry ", ref.domain, ": ",
                       sent_credentials
                           ? absl::StrCat("it refused ", source, " for ")
                           : "no credentials were sent for ",
                       key, ": ", s.message()));
    case absl::StatusCode::kUnavailable:
      return absl::Status(s.code(), absl::StrCat("registry ", ref.domain,
                                                 " unreachable pulling ", key,
                                                 ": ", s.message()));
    case absl::StatusCode::kNotFound:
      return absl::Status(
          s.code(), absl::StrCat(key, " not found in registry ", ref.domain,
                                 ": ", s.message()));
    default:
      return s;
  }
}

}  // namespace

absl::Status ImageService::Pull(const CallContext& ctx,
                                const std::string& image,
                                const v1::AuthConfig* auth) {
  if (image.empty()) return absl::InvalidArgumentError("image.image is empty");
  if (image::LooksLikeImageId(image)) {
    return absl::InvalidArgumentError(
        absl::StrCat("image.image \"", image,
                     "\" is an image ID; a pull needs a reference such as "
                     "name:tag or name@sha256:..."));
  }
  ASSIGN_OR_RETURN(image::ImageReference parsed,
                   image::ParseImageReference(image));
  const image::ImageReference ref = image::WithDefaultTag(parsed);
  const std::string key = ref.String();

  docker::PullOptions options;
  options.image = image::DockerRepository(ref);
  options.tag = image::DockerTagOrDigest(ref);
  // Names the credentials for logs and errors without showing them.
  std::string source = "no credentials";
  if (auth != nullptr && HasCredentials(*auth)) {
    options.auth = FromCri(*auth);
    source = "the request's credentials";
  } else if (auto node = credentials_.Lookup(ref.Name())) {
    options.auth = *node;
    source = absl::StrCat("the node's docker credentials for ",
                          node->server_address);
  }

  // The pull may outlive this call (another caller may still want it), so
  // it owns copies of what it uses; `this` outlives it, as pulls_ waits
  // for its pulls when destroyed.
  const absl::Duration stall_limit = options_.image_pull_progress_deadline;
  absl::Status pulled = pulls_.Pull(
      key, options.auth, ctx.deadline, ctx.cancelled,
      [this, key, options, source,
       stall_limit](const std::function<bool()>& abandoned) mutable {
        LOG(INFO) << "pulling " << key << " with " << source;
        image::PullProgressTracker tracker(key, stall_limit);
        options.on_progress = [&tracker](const docker::PullProgress& p) {
          tracker.Observe(p);
        };
        options.check = [&tracker, &abandoned, &key]() -> absl::Status {
          if (abandoned()) {
            return absl::CancelledError(absl::StrCat(
                "pull of ", key, " cancelled: no request waits for it"));
          }
          return tracker.Check();
        };
        const absl::Time start = absl::Now();
        // No deadline of its own: it ends when its last caller leaves
        // (see PullCoordinator) or when it stalls.
        absl::Status s = docker_->PullImage(options, absl::InfiniteFuture());
        LOG(INFO) << "pull of " << key << (s.ok() ? " done" : " failed")
                  << " in " << absl::Now() - start;
        return s;
      });
  if (!pulled.ok()) {
    return Describe(pulled, ref, key, source, !options.auth.empty());
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::PullImageResponse> ImageService::PullImage(
    const CallContext& ctx, const v1::PullImageRequest& req) {
  const std::string& image = req.image().image();
  RETURN_IF_ERROR(Pull(ctx, image, req.has_auth() ? &req.auth() : nullptr));
  absl::StatusOr<docker::ImageInspect> pulled = Resolve(ctx, image);
  if (!pulled.ok()) {
    return absl::InternalError(absl::StrCat(
        "pulled ", image,
        " but docker cannot find it: ", pulled.status().message()));
  }
  v1::PullImageResponse resp;
  resp.set_image_ref(pulled->id);
  return resp;
}

absl::StatusOr<std::string> ImageService::EnsureImage(
    const CallContext& ctx, const std::string& image) {
  absl::StatusOr<docker::ImageInspect> present = Resolve(ctx, image);
  if (present.ok()) return present->id;
  if (!absl::IsNotFound(present.status())) return present.status();
  RETURN_IF_ERROR(Pull(ctx, image, nullptr));
  ASSIGN_OR_RETURN(docker::ImageInspect pulled, Resolve(ctx, image));
  return pulled.id;
}

}  // namespace cri_dockerd
