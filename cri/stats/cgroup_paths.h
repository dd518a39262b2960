// Where a process's cgroups live: /proc/<pid>/cgroup (hierarchy -> path)
// mapped onto the cgroup mounts of /proc/self/mountinfo, for cgroup v1
// (one hierarchy per controller or co-mounted set, e.g. cpu,cpuacct) and
// the v2 unified hierarchy. This finds docker's container cgroups for any
// cgroup driver and parent without guessing their naming.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace cri_dockerd::stats {

// One cgroup filesystem mount.
struct CgroupMount {
  std::string mount_point;  // absolute, unescaped
  std::string root;         // the cgroup path mounted there ("/" usually)
  bool unified = false;     // cgroup2
  // v1: the super options, among them the controllers (and "name=..."
  // of a named hierarchy).
  std::vector<std::string> options;
};

// One line of /proc/<pid>/cgroup.
struct ProcCgroupEntry {
  std::vector<std::string> controllers;  // empty for the v2 line "0::"
  std::string path;                      // e.g. "/docker/<id>"
};

// A process's cgroup in one hierarchy.
struct CgroupDir {
  std::string mount_point;
  std::string mount_root;
  std::string path;  // the cgroup path, as in /proc/<pid>/cgroup

  // Absolute directory of the cgroup: the mount point plus `path` below
  // the mount's root; "" if `path` is not below it.
  std::string Dir() const;
};

// All of a process's cgroups.
struct CgroupPaths {
  std::map<std::string, CgroupDir> v1;  // controller -> its cgroup
  std::optional<CgroupDir> unified;     // the v2 cgroup, if mounted

  // The directory of a v1 controller's cgroup, or "" if not mounted.
  std::string V1Dir(const std::string& controller) const;
  // The unified directory, or "" if not mounted.
  std::string UnifiedDir() const;
  // The parent cgroup in every hierarchy (a path "/" stays "/").
  CgroupPaths Parent() const;
  // True if any cgroup path contains `needle` (e.g. a container ID).
  bool Mentions(absl::string_view needle) const;
  bool empty() const { return v1.empty() && !unified; }
};

// Parses /proc/<pid>/mountinfo, keeping the cgroup and cgroup2 mounts.
std::vector<CgroupMount> ParseCgroupMounts(absl::string_view mountinfo);
// Parses /proc/<pid>/cgroup.
std::vector<ProcCgroupEntry> ParseProcCgroup(absl::string_view text);
// Maps the entries onto the mounts. An entry whose hierarchy is not
// mounted here, or whose path lies outside the mount's root, is left out.
CgroupPaths ResolveCgroupPaths(const std::vector<CgroupMount>& mounts,
                               const std::vector<ProcCgroupEntry>& entries);

// Reads the mounts once (again when asked about a hierarchy they lack)
// and resolves processes' cgroups. Thread-safe.
class CgroupFs {
 public:
  // `proc_root` is normally "/proc"; tests pass a directory holding
  // self/mountinfo and <pid>/cgroup files.
  explicit CgroupFs(std::string proc_root = "/proc");

  // The cgroups of process `pid`. NotFound if the process is gone.
  absl::StatusOr<CgroupPaths> ForPid(int pid);

  const std::string& proc_root() const { return proc_root_; }

 private:
  absl::Status LoadMountsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Constant after construction.
  const std::string proc_root_;

  absl::Mutex mu_;
  std::vector<CgroupMount> mounts_ ABSL_GUARDED_BY(mu_);
  absl::Time loaded_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace cri_dockerd::stats
