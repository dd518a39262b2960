// The kernel probes agree with the kernel's version.
#include "common/kernel_features.h"

#include <sys/utsname.h>

#include <cstdio>

#include "gtest/gtest.h"

namespace cri_dockerd {
namespace {

TEST(KernelFeaturesTest, MountSetattrFromLinux512) {
  utsname u;
  ASSERT_EQ(uname(&u), 0);
  int major = 0, minor = 0;
  ASSERT_EQ(sscanf(u.release, "%d.%d", &major, &minor), 2) << u.release;
  const bool expected = major > 5 || (major == 5 && minor >= 12);
  EXPECT_EQ(KernelHasMountSetattr(), expected) << u.release;
}

}  // namespace
}  // namespace cri_dockerd
