// ImageFsInfo: the filesystem holding the engine's images (docker's data
// root, or containerd's snapshotter directory on the containerd image
// store: image_store_dir.h). Image bytes are docker's layer total (shared
// layers counted once); inodes are the filesystem's used inodes (as the Go
// shim reports); container writable layers are reported as the container
// filesystem on the same mount. Asks docker for disk usage (a walk of the
// layers), so answers are reused for a few seconds. Read-only.
#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "cri/image/image_service.h"
#include "cri/image/image_store_dir.h"

namespace cri_dockerd {
namespace {

// kubelet asks every ~10 s; docker's disk-usage walk is not free.
constexpr absl::Duration kFsInfoCacheTtl = absl::Seconds(5);

void Fill(v1::FilesystemUsage* usage, const std::string& mountpoint,
          int64_t now_ns, uint64_t bytes, uint64_t inodes) {
  usage->set_timestamp(now_ns);
  usage->mutable_fs_id()->set_mountpoint(mountpoint);
  usage->mutable_used_bytes()->set_value(bytes);
  usage->mutable_inodes_used()->set_value(inodes);
}

}  // namespace

absl::StatusOr<v1::ImageFsInfoResponse> ImageService::ImageFsInfo(
    const CallContext& ctx, const v1::ImageFsInfoRequest& req) {
  {
    absl::MutexLock lock(&fs_mu_);
    if (fs_cache_.has_value() &&
        absl::Now() - fs_cache_time_ < kFsInfoCacheTtl) {
      return *fs_cache_;
    }
  }
  const absl::Time deadline = DockerDeadline(ctx);
  ASSIGN_OR_RETURN(docker::SystemInfo info, docker_->Info(deadline));
  ASSIGN_OR_RETURN(docker::DiskUsage usage, docker_->GetDiskUsage(deadline));
  const std::string root = image::ImageStoreDir(info);
  struct statvfs fs;
  if (statvfs(root.c_str(), &fs) != 0) {
    return absl::InternalError(absl::StrCat("statvfs of the image store ", root,
                                            ": ", std::strerror(errno)));
  }
  const uint64_t inodes_used = fs.f_files - fs.f_ffree;
  uint64_t writable = 0;
  for (const auto& c : usage.containers) {
    writable += static_cast<uint64_t>(std::max<int64_t>(c.size_rw, 0));
  }
  const int64_t now_ns = absl::ToUnixNanos(absl::Now());
  v1::ImageFsInfoResponse resp;
  Fill(resp.add_image_filesystems(), root, now_ns,
       static_cast<uint64_t>(std::max<int64_t>(usage.layers_size, 0)),
       inodes_used);
  Fill(resp.add_container_filesystems(), root, now_ns, writable, inodes_used);

  absl::MutexLock lock(&fs_mu_);
  fs_cache_ = resp;
  fs_cache_time_ = absl::Now();
  return resp;
}

}  // namespace cri_dockerd
