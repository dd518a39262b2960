#include "common/kernel_features.h"

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace cri_dockerd {

bool KernelHasMountSetattr() {
#ifdef SYS_mount_setattr
  // An invalid call on purpose: a kernel with the syscall refuses the
  // arguments (EBADF, EINVAL), one without it says ENOSYS. Nothing is
  // changed either way.
  const long r = syscall(SYS_mount_setattr, -1, "", 0, nullptr, 0);
  return !(r < 0 && errno == ENOSYS);
#else
  return false;
#endif
}

}  // namespace cri_dockerd
