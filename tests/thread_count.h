// The number of threads this process has now (entries of
// /proc/self/task), for tests that check what a component costs in
// threads; -1 if it cannot be read.
#pragma once

#include <dirent.h>

namespace cri_dockerd::testing_util {

inline int ThreadCount() {
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return -1;
  int n = 0;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n;
}

}  // namespace cri_dockerd::testing_util
