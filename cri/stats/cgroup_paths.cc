#include "cri/stats/cgroup_paths.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "cri/stats/proc_file.h"

namespace cri_dockerd::stats {
namespace {

// Mounts hardly ever change: they are re-read this often, or sooner (but
// at most every kMountRetryPeriod) when a process's cgroups map onto none.
constexpr absl::Duration kMountReloadPeriod = absl::Seconds(60);
constexpr absl::Duration kMountRetryPeriod = absl::Seconds(1);

// mountinfo escapes ' ', '\t', '\n' and '\\' as \ooo (octal).
std::string Unescape(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      const char a = s[i + 1], b = s[i + 2], c = s[i + 3];
      if (a >= '0' && a <= '3' && b >= '0' && b <= '7' && c >= '0' &&
          c <= '7') {
        out.push_back(
            static_cast<char>((a - '0') * 64 + (b - '0') * 8 + (c - '0')));
        i += 3;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

bool IsBelow(absl::string_view path, absl::string_view root) {
  if (root == "/") return absl::StartsWith(path, "/");
  return path == root ||
         (absl::StartsWith(path, root) && path[root.size()] == '/');
}

std::string Dirname(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

std::string CgroupDir::Dir() const {
  if (!IsBelow(path, mount_root)) return "";
  const absl::string_view rest =
      mount_root == "/" ? absl::string_view(path)
                        : absl::string_view(path).substr(mount_root.size());
  if (rest.empty() || rest == "/") return mount_point;
  return absl::StrCat(mount_point == "/" ? "" : mount_point, rest);
}

std::string CgroupPaths::V1Dir(const std::string& controller) const {
  auto it = v1.find(controller);
  return it == v1.end() ? "" : it->second.Dir();
}

std::string CgroupPaths::UnifiedDir() const {
  return unified ? unified->Dir() : "";
}

CgroupPaths CgroupPaths::Parent() const {
  CgroupPaths p = *this;
  for (auto& [controller, dir] : p.v1) dir.path = Dirname(dir.path);
  if (p.unified) p.unified->path = Dirname(p.unified->path);
  return p;
}

bool CgroupPaths::Mentions(absl::string_view needle) const {
  for (const auto& [controller, dir] : v1) {
    if (absl::StrContains(dir.path, needle)) return true;
  }
  return unified && absl::StrContains(unified->path, needle);
}

std::vector<CgroupMount> ParseCgroupMounts(absl::string_view mountinfo) {
  std::vector<CgroupMount> mounts;
  for (absl::string_view line : absl::StrSplit(mountinfo, '\n')) {
    std::vector<absl::string_view> f =
        absl::StrSplit(line, ' ', absl::SkipEmpty());
    // id parent maj:min root mount-point options [optional...] - type
    // source super-options
    auto dash = std::find(f.begin(), f.end(), "-");
    if (f.size() < 6 || dash == f.end() || f.end() - dash < 4 ||
        dash - f.begin() < 6) {
      continue;
    }
    const absl::string_view type = dash[1];
    if (type != "cgroup" && type != "cgroup2") continue;
    CgroupMount m;
    m.root = Unescape(f[3]);
    m.mount_point = Unescape(f[4]);
    m.unified = type == "cgroup2";
    if (!m.unified) {
      m.options = absl::StrSplit(dash[3], ',', absl::SkipEmpty());
    }
    mounts.push_back(std::move(m));
  }
  return mounts;
}

std::vector<ProcCgroupEntry> ParseProcCgroup(absl::string_view text) {
  std::vector<ProcCgroupEntry> entries;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripTrailingAsciiWhitespace(line);
    // "<hierarchy-id>:<controllers>:<path>"; the path may hold ':'.
    std::vector<absl::string_view> f =
        absl::StrSplit(line, absl::MaxSplits(':', 2));
    if (f.size() != 3 || f[2].empty()) continue;
    ProcCgroupEntry e;
    e.controllers = absl::StrSplit(f[1], ',', absl::SkipEmpty());
    e.path = std::string(f[2]);
    entries.push_back(std::move(e));
  }
  return entries;
}

CgroupPaths ResolveCgroupPaths(const std::vector<CgroupMount>& mounts,
                               const std::vector<ProcCgroupEntry>& entries) {
  CgroupPaths paths;
  for (const ProcCgroupEntry& e : entries) {
    const CgroupMount* best = nullptr;
    for (const CgroupMount& m : mounts) {
      if (m.unified != e.controllers.empty()) continue;
      const bool all_there =
          std::all_of(e.controllers.begin(), e.controllers.end(),
                      [&m](const std::string& c) {
                        return std::find(m.options.begin(), m.options.end(),
                                         c) != m.options.end();
                      });
      if (!all_there || !IsBelow(e.path, m.root)) continue;
      // Of several mounts of one hierarchy, the one whose root is
      // nearest the cgroup (usually the only one, at "/").
      if (best == nullptr || m.root.size() > best->root.size()) best = &m;
    }
    if (best == nullptr) continue;
    CgroupDir dir{best->mount_point, best->root, e.path};
    if (e.controllers.empty()) {
      paths.unified = std::move(dir);
    } else {
      for (const std::string& c : e.controllers) paths.v1[c] = dir;
    }
  }
  return paths;
}

CgroupFs::CgroupFs(std::string proc_root) : proc_root_(std::move(proc_root)) {}

absl::Status CgroupFs::LoadMountsLocked() {
  absl::StatusOr<std::string> text =
      ReadProcFile(absl::StrCat(proc_root_, "/self/mountinfo"));
  if (!text.ok()) return text.status();
  mounts_ = ParseCgroupMounts(*text);
  loaded_at_ = absl::Now();
  return absl::OkStatus();
}

absl::StatusOr<CgroupPaths> CgroupFs::ForPid(int pid) {
  if (pid <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("no process (pid ", pid, ")"));
  }
  absl::StatusOr<std::string> text =
      ReadProcFile(absl::StrCat(proc_root_, "/", pid, "/cgroup"));
  if (!text.ok()) return text.status();
  const std::vector<ProcCgroupEntry> entries = ParseProcCgroup(*text);
  absl::MutexLock lock(&mu_);
  const absl::Duration age = absl::Now() - loaded_at_;
  if (age >= kMountReloadPeriod) {
    if (absl::Status s = LoadMountsLocked(); !s.ok()) return s;
  }
  CgroupPaths paths = ResolveCgroupPaths(mounts_, entries);
  if (paths.empty() && age >= kMountRetryPeriod) {
    // Perhaps cgroupfs was mounted since we looked.
    if (absl::Status s = LoadMountsLocked(); !s.ok()) return s;
    paths = ResolveCgroupPaths(mounts_, entries);
  }
  return paths;
}

}  // namespace cri_dockerd::stats
