// Paths reached without following symlinks, in a scratch directory with
// real symlinks: a symlink as the first component below the scratch root,
// in the middle and last, dangling, ".." components, a FIFO where a file
// is expected. Directory opens run both through openat2 and through the
// component-wise walk that stands in for it on older kernels.
#include "common/fs/no_follow.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "absl/strings/match.h"
#include "common/testing/temp_dir.h"
#include "gtest/gtest.h"

namespace cri_dockerd::fs {
namespace {

using testing_util::TempDir;

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

// root/real/dir, root/real/file, root/outside/victim; symlinks to
// root/outside at root/first, root/real/middle, and a dangling one at
// root/dangling (to root/nowhere) and root/real/dangling.
class NoFollowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(mkdir(P("/real").c_str(), 0755), 0);
    ASSERT_EQ(mkdir(P("/real/dir").c_str(), 0755), 0);
    ASSERT_EQ(mkdir(P("/outside").c_str(), 0755), 0);
    root_.Write("real/file", "file\n");
    root_.Write("outside/victim", "victim\n");
    ASSERT_EQ(symlink(P("/outside").c_str(), P("/first").c_str()), 0);
    ASSERT_EQ(symlink(P("/outside").c_str(), P("/real/middle").c_str()), 0);
    ASSERT_EQ(symlink(P("/nowhere").c_str(), P("/dangling").c_str()), 0);
    ASSERT_EQ(symlink(P("/nowhere").c_str(), P("/real/dangling").c_str()), 0);
  }
  std::string P(const std::string& rel) const { return root_.path() + rel; }

  TempDir root_;
};

// Directory opens: OpenDirectory (false) or the walk it falls back to.
class NoFollowDirTest : public NoFollowTest,
                        public ::testing::WithParamInterface<bool> {
 protected:
  absl::StatusOr<UniqueFd> OpenDir(const std::string& path,
                                   std::optional<mode_t> create = {}) {
    return GetParam() ? internal::WalkDirectory(path, create)
                      : OpenDirectory(path, create);
  }
};

TEST(ValidateNormalPathTest, Table) {
  struct {
    std::string path;
    bool ok;
  } cases[] = {
      {"/", true},
      {"/a", true},
      {"/var/log/pods/ns_pod_uid/app/0.log", true},
      {"/a/b..c", true},
      {"", false},
      {"a/b", false},
      {"/a//b", false},
      {"/a/", false},
      {"/a/./b", false},
      {"/a/../b", false},
      {"/..", false},
      {"/a/..", false},
      {std::string("/a\0b", 4), false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ValidateNormalPath(c.path).ok(), c.ok) << c.path;
    if (!c.ok) {
      EXPECT_EQ(ValidateNormalPath(c.path).code(),
                absl::StatusCode::kInvalidArgument);
    }
  }
}

TEST(SplitParentTest, ParentAndName) {
  EXPECT_EQ(SplitParent("/a/b/c"),
            (std::pair<absl::string_view, absl::string_view>("/a/b", "c")));
  EXPECT_EQ(SplitParent("/c"),
            (std::pair<absl::string_view, absl::string_view>("/", "c")));
}

TEST_P(NoFollowDirTest, OpensAndCreatesRealDirectories) {
  EXPECT_TRUE(OpenDir("/").ok());
  EXPECT_TRUE(OpenDir(P("/real/dir")).ok());
  absl::StatusOr<UniqueFd> made = OpenDir(P("/new/a/b"), 0750);
  ASSERT_TRUE(made.ok()) << made.status();
  struct stat st;
  ASSERT_EQ(stat(P("/new/a/b").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(OpenDir(P("/missing/x")).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_FALSE(Exists(P("/missing")));
}

TEST_P(NoFollowDirTest, RefusesASymlinkInAnyComponent) {
  struct {
    std::string path;
    std::string component;  // the one the error names
  } cases[] = {
      {"/first", "/first"},                    // last
      {"/first/sub", "/first"},                // first below the root
      {"/real/middle/sub/x", "/real/middle"},  // middle
      {"/dangling", "/dangling"},
      {"/dangling/x", "/dangling"},
  };
  for (const auto& c : cases) {
    for (std::optional<mode_t> create :
         {std::optional<mode_t>(), std::optional<mode_t>(0755)}) {
      absl::StatusOr<UniqueFd> fd = OpenDir(P(c.path), create);
      EXPECT_EQ(fd.status().code(), absl::StatusCode::kFailedPrecondition)
          << c.path << ": " << fd.status();
      EXPECT_TRUE(absl::StrContains(fd.status().message(),
                                    P(c.component) + " is a symlink"))
          << fd.status();
    }
  }
  // Nothing was made where the symlinks point.
  EXPECT_FALSE(Exists(P("/outside/sub")));
  EXPECT_FALSE(Exists(P("/nowhere")));
}

TEST_P(NoFollowDirTest, RefusesAFileAsADirectoryAndDotDot) {
  EXPECT_EQ(OpenDir(P("/real/file/x"), 0755).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(OpenDir(P("/real/../outside")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenDir("relative/dir").status().code(),
            absl::StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(OpenDirectoryAndWalk, NoFollowDirTest,
                         ::testing::Bool());

TEST_F(NoFollowTest, OpenFileCreatesOnlyRegularFilesBehindNoSymlink) {
  absl::StatusOr<UniqueFd> fd =
      OpenFile(P("/logs/app/0.log"), O_WRONLY | O_APPEND | O_CREAT, 0640, 0755);
  ASSERT_TRUE(fd.ok()) << fd.status();
  ASSERT_EQ(write(fd->get(), "x\n", 2), 2);
  EXPECT_EQ(fcntl(fd->get(), F_GETFL) & O_NONBLOCK, 0);
  for (const char* bad :
       {"/first/victim", "/real/middle/victim", "/first/new.log",
        "/real/dangling", "/dangling/0.log", "/real/dir"}) {
    fd = OpenFile(P(bad), O_WRONLY | O_APPEND | O_CREAT, 0640, 0755);
    EXPECT_EQ(fd.status().code(), absl::StatusCode::kFailedPrecondition)
        << bad << ": " << fd.status();
  }
  EXPECT_FALSE(Exists(P("/outside/new.log")));
  EXPECT_FALSE(Exists(P("/nowhere")));
  EXPECT_EQ(OpenFile(P("/real/absent"), O_RDONLY).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(NoFollowTest, AFifoIsRefusedWithoutBlocking) {
  ASSERT_EQ(mkfifo(P("/real/fifo").c_str(), 0644), 0);
  // Neither open may wait for the other end.
  EXPECT_EQ(OpenFile(P("/real/fifo"), O_RDONLY).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(OpenFile(P("/real/fifo"), O_WRONLY | O_APPEND | O_CREAT, 0640)
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(NoFollowTest, UnlinkRemovesTheEntryNeverWhatALinkPointsTo) {
  EXPECT_TRUE(Unlink(P("/real/file")).ok());
  EXPECT_FALSE(Exists(P("/real/file")));
  EXPECT_EQ(Unlink(P("/real/file")).code(), absl::StatusCode::kNotFound);
  // Through a symlinked directory: refused, the target stays.
  EXPECT_EQ(Unlink(P("/first/victim")).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Unlink(P("/real/middle/victim")).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Exists(P("/outside/victim")));
  const absl::Status s = Unlink(P("/real/middle/victim"));
  EXPECT_EQ(s.message(), P("/real/middle/victim") + ": " + P("/real/middle") +
                             " is a symlink, which is not followed here");
  // A symlink as the last component: the link goes, its target stays.
  EXPECT_TRUE(Unlink(P("/first")).ok());
  EXPECT_FALSE(Exists(P("/first")));
  EXPECT_TRUE(Exists(P("/outside/victim")));
  EXPECT_EQ(Unlink(P("/real/dir")).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Unlink(P("/real/../outside/victim")).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Exists(P("/outside/victim")));
}

TEST_F(NoFollowTest, StatNoFollowReportsTheLinkItself) {
  absl::StatusOr<struct stat> st = StatNoFollow(P("/first"));
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_TRUE(S_ISLNK(st->st_mode));
  st = StatNoFollow(P("/real/file"));
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_TRUE(S_ISREG(st->st_mode));
  EXPECT_EQ(StatNoFollow(P("/first/victim")).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(StatNoFollow(P("/real/absent")).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace cri_dockerd::fs
