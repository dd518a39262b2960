// In-memory DockerClient for unit tests: canned replies, an image store
// with scripted pulls, per-method error injection and a record of calls,
// so handler tests need no engine.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "docker_client/docker_client.h"

namespace cri_dockerd::docker {

class FakeDockerClient : public DockerClient {
 public:
  FakeDockerClient();

  absl::Status Ping(absl::Time deadline) override;
  absl::StatusOr<VersionInfo> Version(absl::Time deadline) override;
  absl::StatusOr<SystemInfo> Info(absl::Time deadline) override;

  // Images (fake_docker_client_images.cc), behaving like dockerd:
  //  - ListImages: summaries of the stored images (sorted by ID); a
  //    non-empty reference keeps images with a tag or digest equal to it,
  //    whose tags or digests have it as repository (when it carries no
  //    tag or digest itself), or whose ID it is.
  //  - InspectImage: by exact ID, ID without "sha256:", unique ID prefix
  //    (>= 4 hex digits; several -> InvalidArgument), exact tag, exact
  //    digest, or "name" meaning "name:latest". Else NotFound.
  //  - PullImage: see SetPullScript.
  //  - RemoveImage: by tag or digest untags just that reference (and
  //    deletes the image once it has none left); by ID deletes the image
  //    with all its references. An image marked in use is not deleted
  //    without `force` (FailedPrecondition, docker's 409); untagging one
  //    of several references is fine, as with docker.
  //  - GetDiskUsage: what SetDiskUsage stored.
  absl::StatusOr<std::vector<ImageSummary>> ListImages(
      const std::string& reference, absl::Time deadline) override;
  absl::StatusOr<ImageInspect> InspectImage(const std::string& name,
                                            absl::Time deadline) override;
  absl::Status PullImage(const PullOptions& options,
                         absl::Time deadline) override;
  absl::StatusOr<RemovedImage> RemoveImage(const std::string& name, bool force,
                                           absl::Time deadline) override;
  absl::StatusOr<DiskUsage> GetDiskUsage(absl::Time deadline) override;

  // Replies returned by Version() / Info().
  void SetVersion(VersionInfo v);
  void SetInfo(SystemInfo info);

  // Stores `image` by its ID (replacing one with the same ID). Its tags
  // move away from any other stored image, as a docker tag does.
  void AddImage(ImageInspect image);
  // Marks the image with this exact ID as used by a container.
  void SetImageInUse(const std::string& id, bool in_use);

  // What PullImage does for one image:tag. For each message it waits
  // `interval` (calling options.check at least every 10 ms and failing
  // with its status if non-OK, or with DeadlineExceeded past the
  // deadline), then calls options.on_progress; finally it returns
  // `result`, first storing `image` (AddImage) if the result is OK.
  struct FakePull {
    std::vector<PullProgress> messages;
    absl::Duration interval = absl::ZeroDuration();
    absl::Status result;
    std::optional<ImageInspect> image;
  };
  // Scripts pulls of options.image + ":" + options.tag (also for digests:
  // "repo:sha256:..."). Unscripted pulls fail with NotFound (docker's
  // "manifest unknown").
  void SetPullScript(const std::string& image_and_tag, FakePull pull);
  // Pulls running right now.
  int ActivePulls() const;
  // Every PullImage call's options in call order, without the callbacks.
  std::vector<PullOptions> PullCalls() const;

  void SetDiskUsage(DiskUsage usage);

  // Makes every later call of `method` ("Ping", "Version", "Info", ...)
  // fail with `status` until ClearError(method).
  void InjectError(const std::string& method, absl::Status status);
  void ClearError(const std::string& method);

  // Method names in call order; ResetCalls() empties the record.
  std::vector<std::string> Calls() const;
  void ResetCalls();
  // The deadline passed to the most recent call.
  absl::Time LastDeadline() const;

 private:
  // Records the call; returns the injected error for it, if any.
  absl::Status Enter(const std::string& method, absl::Time deadline);
  // The ID of the image `name` designates (see InspectImage). *ref gets
  // the tag or digest it matched, or "" when it named the ID.
  absl::StatusOr<std::string> ResolveImageLocked(const std::string& name,
                                                 std::string* ref) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AddImageLocked(ImageInspect image) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  VersionInfo version_ ABSL_GUARDED_BY(mu_);
  SystemInfo info_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, absl::Status> errors_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> calls_ ABSL_GUARDED_BY(mu_);
  absl::Time last_deadline_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::map<std::string, ImageInspect> images_ ABSL_GUARDED_BY(mu_);  // by ID
  std::set<std::string> images_in_use_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, FakePull> pull_scripts_ ABSL_GUARDED_BY(mu_);
  std::vector<PullOptions> pull_calls_ ABSL_GUARDED_BY(mu_);
  int active_pulls_ ABSL_GUARDED_BY(mu_) = 0;
  DiskUsage disk_usage_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cri_dockerd::docker
