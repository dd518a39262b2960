#include "cri/stats/cgroup_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/fs/no_follow.h"
#include "common/logging.h"

namespace cri_dockerd::stats {
namespace {

using FileList = std::vector<std::pair<std::string, std::string>>;

absl::Status Annotate(const absl::Status& s, const std::string& container,
                      absl::string_view what) {
  return absl::Status(s.code(), absl::StrCat("container ", container, ": ",
                                             what, ": ", s.message()));
}

}  // namespace

CgroupWriter::CgroupWriter(std::string proc_root)
    : cgroups_(std::move(proc_root)) {}

bool CgroupWriter::FirstTime(const std::string& what) {
  absl::MutexLock lock(&mu_);
  return warned_.insert(what).second;
}

absl::Status CgroupWriter::Write(
    const std::string& container, int pid,
    const std::map<std::string, std::string>& unified,
    const std::map<std::string, int64_t>& hugetlb) {
  if (unified.empty() && hugetlb.empty()) return absl::OkStatus();
  absl::StatusOr<CgroupPaths> paths = cgroups_.ForPid(pid);
  if (absl::IsNotFound(paths.status())) {
    LOG(INFO) << "container " << container
              << " exited before its cgroup settings were written";
    return absl::OkStatus();
  }
  if (!paths.ok()) {
    return Annotate(paths.status(), container, "finding its cgroup");
  }
  FileList files;
  std::string dir;
  if (paths->v1.empty() && paths->unified) {
    dir = paths->UnifiedDir();
    for (const auto& [size, limit] : hugetlb) {
      files.emplace_back(absl::StrCat("hugetlb.", size, ".max"),
                         absl::StrCat(limit));
    }
    // After the hugepage limits: a unified key names the same file more
    // precisely, as runc lets it win.
    for (const auto& [key, value] : unified) files.emplace_back(key, value);
  } else if (!paths->v1.empty()) {
    if (!unified.empty() && FirstTime("unified on v1")) {
      std::vector<std::string> keys;
      for (const auto& entry : unified) keys.push_back(entry.first);
      LOG(WARNING) << "this node has cgroup v1: cgroup v2 settings ("
                   << absl::StrJoin(keys, ", ")
                   << ") are not applied to containers (logged once)";
    }
    if (hugetlb.empty()) return absl::OkStatus();
    dir = paths->V1Dir("hugetlb");
    if (dir.empty()) {
      if (FirstTime("no hugetlb hierarchy")) {
        LOG(WARNING) << "no cgroup v1 hugetlb hierarchy is mounted: hugepage "
                        "limits are not applied to containers (logged once)";
      }
      return absl::OkStatus();
    }
    for (const auto& [size, limit] : hugetlb) {
      files.emplace_back(absl::StrCat("hugetlb.", size, ".limit_in_bytes"),
                         absl::StrCat(limit));
    }
  }
  if (dir.empty()) {
    if (FirstTime("no cgroup")) {
      LOG(WARNING) << "container " << container << ": no cgroup of process "
                   << pid
                   << " is mounted here: cgroup settings docker cannot "
                      "express are not applied (logged once)";
    }
    return absl::OkStatus();
  }
  return WriteFiles(container, dir, files);
}

absl::Status CgroupWriter::WriteFiles(const std::string& container,
                                      const std::string& dir,
                                      const FileList& files) {
  absl::StatusOr<fs::UniqueFd> dir_fd = fs::OpenDirectory(dir);
  if (absl::IsNotFound(dir_fd.status())) {
    LOG(INFO) << "container " << container
              << " exited before its cgroup settings were written";
    return absl::OkStatus();
  }
  if (!dir_fd.ok()) {
    return Annotate(dir_fd.status(), container, "opening its cgroup");
  }
  for (const auto& [name, value] : files) {
    const std::string path = absl::StrCat(dir, "/", name);
    // O_TRUNC as runc opens cgroup files (cgroupfs ignores it; a plain
    // file, as in tests, needs it).
    absl::StatusOr<fs::UniqueFd> fd =
        fs::OpenFileAt(dir_fd->get(), name, O_WRONLY | O_TRUNC, 0, path);
    if (absl::IsNotFound(fd.status())) {
      if (FirstTime(name)) {
        LOG(WARNING) << "cgroup file " << name << " does not exist (e.g. "
                     << path
                     << "): its controller is not enabled, so this setting "
                        "is not applied to containers (logged once)";
      }
      continue;
    }
    if (!fd.ok()) return Annotate(fd.status(), container, name);
    const ssize_t n = write(fd->get(), value.data(), value.size());
    if (n != static_cast<ssize_t>(value.size())) {
      const int err = n < 0 ? errno : EIO;
      return Annotate(absl::ErrnoToStatus(err, absl::StrCat("writing \"", value,
                                                            "\" to ", path)),
                      container, absl::StrCat("cgroup setting ", name));
    }
  }
  return absl::OkStatus();
}

}  // namespace cri_dockerd::stats
