#include "cri/image/image_store_dir.h"

#include <sys/stat.h>

#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace cri_dockerd::image {
namespace {

constexpr char kDefaultContainerdRoot[] = "/var/lib/containerd";

bool IsDir(const std::string& path) {
  struct stat st;
  return !path.empty() && stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// `root = "<path>"` before the first table of a containerd config file;
// empty when the file or the key is absent.
std::string ConfiguredRoot(const std::string& config_file) {
  std::ifstream in(config_file);
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view s = absl::StripAsciiWhitespace(line);
    if (absl::StartsWith(s, "[")) break;  // top-level keys come first
    if (!absl::ConsumePrefix(&s, "root")) continue;
    s = absl::StripLeadingAsciiWhitespace(s);
    if (!absl::ConsumePrefix(&s, "=")) continue;
    s = absl::StripAsciiWhitespace(s);
    const char quote = s.empty() ? '\0' : s.front();
    if (quote != '"' && quote != '\'') continue;
    s.remove_prefix(1);
    const size_t end = s.find(quote);
    if (end == absl::string_view::npos) continue;
    return std::string(s.substr(0, end));
  }
  return "";
}

}  // namespace

std::string ImageStoreDir(const docker::SystemInfo& info,
                          const std::string& containerd_config) {
  if (!info.containerd_image_store) return info.docker_root_dir;
  std::string root = absl::StrCat(info.docker_root_dir, "/containerd/daemon");
  if (info.docker_root_dir.empty() || !IsDir(root)) {
    root = ConfiguredRoot(containerd_config);
    if (root.empty()) root = kDefaultContainerdRoot;
  }
  if (!IsDir(root)) return info.docker_root_dir;
  const std::string snapshots =
      absl::StrCat(root, "/io.containerd.snapshotter.v1.",
                   info.driver.empty() ? "overlayfs" : info.driver);
  return IsDir(snapshots) ? snapshots : root;
}

}  // namespace cri_dockerd::image
