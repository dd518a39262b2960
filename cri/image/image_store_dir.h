// Where the engine keeps image layers and containers' writable layers, for
// ImageFsInfo's mountpoint (kubelet measures the image filesystem there):
// docker's data root with docker's own graph drivers; with the containerd
// image store, containerd's snapshotter directory.
#pragma once

#include <string>

#include "docker_client/types.h"

namespace cri_dockerd::image {

inline constexpr char kContainerdConfigFile[] = "/etc/containerd/config.toml";

// With the containerd image store: dockerd's own containerd keeps its root
// under the data root (<DockerRootDir>/containerd/daemon); a system
// containerd's root is `root = "..."` at the top of `containerd_config`,
// else /var/lib/containerd. The snapshotter's directory in that root
// (io.containerd.snapshotter.v1.<Driver>) when it exists, else the root;
// docker's data root when neither exists or the engine uses its own store.
std::string ImageStoreDir(
    const docker::SystemInfo& info,
    const std::string& containerd_config = kContainerdConfigFile);

}  // namespace cri_dockerd::image
