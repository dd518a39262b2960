// Where ImageFsInfo looks for the engine's images: docker's data root, or
// containerd's snapshotter directory with the containerd image store
// (dockerd's own containerd, or a system one with or without a config).
#include "cri/image/image_store_dir.h"

#include <sys/stat.h>

#include <string>

#include "common/testing/temp_dir.h"
#include "gtest/gtest.h"

namespace cri_dockerd::image {
namespace {

using testing_util::TempDir;

void MakeDirs(const std::string& path) {
  for (size_t i = 1; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/')
      mkdir(path.substr(0, i).c_str(), 0755);
  }
}

docker::SystemInfo Info(const std::string& root, bool containerd) {
  docker::SystemInfo info;
  info.docker_root_dir = root;
  info.driver = containerd ? "overlayfs" : "overlay2";
  info.containerd_image_store = containerd;
  return info;
}

TEST(ImageStoreDirTest, DockersOwnStoreIsTheDataRoot) {
  TempDir dir;
  const std::string root = dir.path() + "/docker";
  MakeDirs(root + "/containerd/daemon/io.containerd.snapshotter.v1.overlayfs");
  EXPECT_EQ(ImageStoreDir(Info(root, false), dir.path() + "/none.toml"), root);
}

TEST(ImageStoreDirTest, DockersOwnContainerdKeepsItsRootUnderTheDataRoot) {
  TempDir dir;
  const std::string root = dir.path() + "/docker";
  const std::string daemon = root + "/containerd/daemon";
  MakeDirs(daemon);
  EXPECT_EQ(ImageStoreDir(Info(root, true), dir.path() + "/none.toml"), daemon)
      << "no snapshotter directory yet: containerd's root";
  MakeDirs(daemon + "/io.containerd.snapshotter.v1.overlayfs");
  EXPECT_EQ(ImageStoreDir(Info(root, true), dir.path() + "/none.toml"),
            daemon + "/io.containerd.snapshotter.v1.overlayfs");
}

TEST(ImageStoreDirTest, SystemContainerdRootComesFromItsConfig) {
  TempDir dir;
  const std::string root = dir.path() + "/docker";
  MakeDirs(root);
  const std::string croot = dir.path() + "/containerd-root";
  MakeDirs(croot + "/io.containerd.snapshotter.v1.overlayfs");
  const std::string config =
      dir.Write("config.toml", "version = 2\n  root = \"" + croot +
                                   "\"\nstate = \"/run/containerd\"\n\n"
                                   "[plugins]\n  root = \"/elsewhere\"\n");
  EXPECT_EQ(ImageStoreDir(Info(root, true), config),
            croot + "/io.containerd.snapshotter.v1.overlayfs");
  // Single quotes are TOML too.
  const std::string single =
      dir.Write("single.toml", "root = '" + croot + "'\n");
  EXPECT_EQ(ImageStoreDir(Info(root, true), single),
            croot + "/io.containerd.snapshotter.v1.overlayfs");
}

TEST(ImageStoreDirTest, MissingOrUnusableConfigFallsBack) {
  TempDir dir;
  const std::string root = dir.path() + "/docker";
  MakeDirs(root);
  // A root key only inside a table, or a root that does not exist: the
  // default /var/lib/containerd, else docker's data root.
  for (const std::string& text :
       {std::string("[plugins]\nroot = \"") + dir.path() + "\"\n",
        std::string("root = \"") + dir.path() + "/absent\"\n",
        std::string("root = unquoted\n")}) {
    const std::string config = dir.Write("c.toml", text);
    const std::string got = ImageStoreDir(Info(root, true), config);
    struct stat st;
    if (stat("/var/lib/containerd", &st) == 0) {
      EXPECT_EQ(got.rfind("/var/lib/containerd", 0), 0u) << text;
    } else {
      EXPECT_EQ(got, root) << text;
    }
  }
}

}  // namespace
}  // namespace cri_dockerd::image
