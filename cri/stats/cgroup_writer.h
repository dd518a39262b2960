// Writes the cgroup settings Docker Engine cannot express into a running
// container's own cgroup: cgroup v2 files by name ("memory.oom.group",
// "memory.high", ...) and hugetlb limits ("hugetlb.<size>.max" on v2,
// "hugetlb.<size>.limit_in_bytes" on v1). The cgroup is found from the
// container's process as the stats readers find it (cgroup_paths.h), so
// every cgroup driver and parent works, and nothing on the way to a file
// is followed if it is a symlink (common/fs/no_follow.h).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "cri/stats/cgroup_paths.h"

namespace cri_dockerd::stats {

class CgroupWriter {
 public:
  // `proc_root` as CgroupFs's ("/proc"; tests pass a fake tree).
  explicit CgroupWriter(std::string proc_root = "/proc");

  // Writes `unified` (file name -> value; names the caller validated as
  // plain "<controller>.<name>" file names) and `hugetlb` (page size such
  // as "2MB" -> limit in bytes) into the cgroup of process `pid`, the
  // container `container` (for messages).
  //
  // On a cgroup v1 node the unified keys are skipped (they are cgroup v2
  // files; kubelet sends them on v2 nodes only) with one WARNING per
  // writer; hugetlb limits go to the v1 hugetlb hierarchy. A file that
  // does not exist (its controller is not enabled for the cgroup, or the
  // page size is not supported) is skipped with one WARNING per file name
  // for the life of the writer, not one per container.
  //
  // OK, writing nothing, if the process or its cgroup is gone (the
  // container exited). Errors: the status of a write the kernel refuses
  // (e.g. InvalidArgument for EINVAL), naming the file and the value; a
  // symlink or a non-regular file on the way is FailedPrecondition; a
  // cgroup that cannot be found or opened, errno's code. Files before the
  // failing one stay written.
  absl::Status Write(const std::string& container, int pid,
                     const std::map<std::string, std::string>& unified,
                     const std::map<std::string, int64_t>& hugetlb);

 private:
  // Writes each (file, value) into `dir` in order.
  absl::Status WriteFiles(
      const std::string& container, const std::string& dir,
      const std::vector<std::pair<std::string, std::string>>& files);
  // True the first time `what` is seen (then it is to be logged).
  bool FirstTime(const std::string& what);

  CgroupFs cgroups_;

  absl::Mutex mu_;
  std::set<std::string> warned_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cri_dockerd::stats
