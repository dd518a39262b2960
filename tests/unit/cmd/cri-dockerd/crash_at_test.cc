// CRI_DOCKERD_CRASH_AT's hook: off when unset, refuses unknown steps, and
// SIGKILLs the process at the named step only.
#include "cmd/cri-dockerd/crash_at.h"

#include <signal.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cri_dockerd {
namespace {

using ::testing::HasSubstr;

TEST(CrashAtTest, EmptyIsOff) {
  absl::StatusOr<FaultPoint> fault = CrashAt("");
  ASSERT_TRUE(fault.ok());
  for (const char* step : kFaultSteps) fault->Reached(step);  // still here
}

TEST(CrashAtTest, UnknownStepIsRefusedWithTheKnownOnes) {
  absl::StatusOr<FaultPoint> fault = CrashAt("RunPodSandbox.after_lunch");
  EXPECT_TRUE(absl::IsInvalidArgument(fault.status()));
  EXPECT_THAT(fault.status().message(),
              HasSubstr(fault_step::kRunAfterCheckpoint));
}

TEST(CrashAtTest, OtherStepsPassTheNamedOneKills) {
  absl::StatusOr<FaultPoint> fault = CrashAt(fault_step::kRunMidCniAdd);
  ASSERT_TRUE(fault.ok());
  fault->Reached(fault_step::kRunAfterCheckpoint);
  fault->Reached(fault_step::kRunAfterCniAdd);
  EXPECT_EXIT(fault->Reached(fault_step::kRunMidCniAdd),
              ::testing::KilledBySignal(SIGKILL), "reached");
}

}  // namespace
}  // namespace cri_dockerd
