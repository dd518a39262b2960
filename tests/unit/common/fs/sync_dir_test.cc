// SyncDir: a directory is fsynced; a missing one or a file is an error.
#include "common/fs/sync_dir.h"

#include "common/testing/temp_dir.h"
#include "gtest/gtest.h"

namespace cri_dockerd::fs {
namespace {

TEST(SyncDirTest, SyncsADirectoryAndRefusesTheRest) {
  testing_util::TempDir dir;
  EXPECT_TRUE(SyncDir(dir.path()).ok());
  EXPECT_EQ(SyncDir(dir.path() + "/missing").code(),
            absl::StatusCode::kNotFound);
  const absl::Status file = SyncDir(dir.Write("file", "x"));
  EXPECT_FALSE(file.ok());
  EXPECT_NE(file.message().find("file"), absl::string_view::npos) << file;
}

}  // namespace
}  // namespace cri_dockerd::fs
