#include "docker_client/operation_name.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace cri_dockerd::docker {
namespace {

// "/v1.43" and the like.
bool IsVersionSegment(absl::string_view s) {
  if (!absl::ConsumePrefix(&s, "v") || s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(c) && c != '.') return false;
  }
  return true;
}

bool OneOf(absl::string_view s, std::initializer_list<absl::string_view> set) {
  for (absl::string_view x : set) {
    if (s == x) return true;
  }
  return false;
}

// The template of a path split into segments (version prefix removed).
std::string Template(const std::vector<absl::string_view>& seg) {
  if (seg.empty()) return "/";
  const absl::string_view root = seg[0];
  if (seg.size() == 1) {
    if (OneOf(root, {"_ping", "version", "info", "events", "containers",
                     "images", "exec", "system", "networks", "volumes", "build",
                     "auth", "commit"})) {
      return absl::StrCat("/", root);
    }
    return "/{...}";
  }
  // Collection-level verbs: /containers/json, /images/create, /system/df.
  if (seg.size() == 2 &&
      OneOf(seg[1], {"json", "create", "prune", "load", "search", "get", "df",
                     "events", "info"})) {
    return absl::StrCat("/", root, "/", seg[1]);
  }
  if (OneOf(root, {"containers", "exec", "networks", "volumes"})) {
    // /containers/{id}, /containers/{id}/json, /exec/{id}/start ...
    if (seg.size() == 2) return absl::StrCat("/", root, "/{id}");
    if (seg.size() == 3) return absl::StrCat("/", root, "/{id}/", seg[2]);
    return absl::StrCat("/", root, "/{id}/{...}");
  }
  if (root == "images" || root == "distribution") {
    // Image names may hold unescaped slashes: the action is the last
    // segment when it is one docker defines.
    const absl::string_view last = seg.back();
    if (OneOf(last, {"json", "history", "push", "tag", "get"})) {
      return absl::StrCat("/", root, "/{name}/", last);
    }
    return absl::StrCat("/", root, "/{name}");
  }
  return absl::StrCat("/", root, "/{...}");
}

}  // namespace

std::string OperationName(absl::string_view method, absl::string_view path) {
  path = path.substr(0, path.find('?'));
  std::vector<absl::string_view> seg =
      absl::StrSplit(path, '/', absl::SkipEmpty());
  if (!seg.empty() && IsVersionSegment(seg[0])) seg.erase(seg.begin());
  return absl::StrCat(method, " ", Template(seg));
}

}  // namespace cri_dockerd::docker
