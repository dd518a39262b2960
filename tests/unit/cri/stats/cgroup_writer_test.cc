// Writing the settings docker cannot express into cgroup v1 and v2 trees.
#include "cri/stats/cgroup_writer.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cri/stats/testing/fake_cgroup_tree.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cri_dockerd::stats {
namespace {

using testing_util::FakeCgroupTree;

constexpr int kPid = 4242;
constexpr char kCgroup[] = "/kubepods/pod1/abc";

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

int Count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

class CgroupWriterV2Test : public testing::Test {
 protected:
  CgroupWriterV2Test()
      : tree_(FakeCgroupTree::Mode::kV2), writer_(tree_.proc_root()) {
    tree_.AddProcess(kPid, kCgroup);
    for (const char* file :
         {"memory.oom.group", "memory.high", "pids.max", "hugetlb.2MB.max"}) {
      FakeCgroupTree::Put(Dir() + "/" + file, "old\n");
    }
  }
  std::string Dir() const { return tree_.Unified() + kCgroup; }

  FakeCgroupTree tree_;
  CgroupWriter writer_;
};

TEST_F(CgroupWriterV2Test, WritesUnifiedKeysAndHugetlbLimits) {
  ASSERT_TRUE(writer_
                  .Write("c1", kPid,
                         {{"memory.oom.group", "1"}, {"memory.high", "12345"}},
                         {{"2MB", 4194304}})
                  .ok());
  EXPECT_EQ(Read(Dir() + "/memory.oom.group"), "1");
  EXPECT_EQ(Read(Dir() + "/memory.high"), "12345");
  EXPECT_EQ(Read(Dir() + "/hugetlb.2MB.max"), "4194304");
  EXPECT_EQ(Read(Dir() + "/pids.max"), "old\n");  // not asked for
}

TEST_F(CgroupWriterV2Test, MissingControllerFileIsWarnedOnceAndSkipped) {
  testing::internal::CaptureStderr();
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(writer_
                    .Write("c1", kPid,
                           {{"io.weight", "default 50"}, {"pids.max", "64"}},
                           {{"1GB", 0}})
                    .ok());
  }
  const std::string log = testing::internal::GetCapturedStderr();
  EXPECT_EQ(Count(log, "cgroup file io.weight does not exist"), 1) << log;
  EXPECT_EQ(Count(log, "cgroup file hugetlb.1GB.max does not exist"), 1) << log;
  EXPECT_EQ(Count(log, "does not exist"), 2) << log;
  EXPECT_FALSE(std::filesystem::exists(Dir() + "/io.weight"));
  EXPECT_EQ(Read(Dir() + "/pids.max"), "64");
}

TEST_F(CgroupWriterV2Test, SymlinkedFileIsNotFollowed) {
  const std::string outside = tree_.root() + "/outside";
  FakeCgroupTree::Put(outside, "keep");
  std::filesystem::remove(Dir() + "/memory.high");
  std::filesystem::create_symlink(outside, Dir() + "/memory.high");
  absl::Status s = writer_.Write("c1", kPid, {{"memory.high", "1"}}, {});
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(std::string(s.message()), testing::HasSubstr("memory.high"));
  EXPECT_EQ(Read(outside), "keep");
}

TEST_F(CgroupWriterV2Test, SymlinkedDirectoryIsNotFollowed) {
  const std::string elsewhere = tree_.root() + "/elsewhere";
  FakeCgroupTree::Put(elsewhere + "/memory.high", "keep");
  std::filesystem::remove_all(Dir());
  std::filesystem::create_symlink(elsewhere, Dir());
  absl::Status s = writer_.Write("c1", kPid, {{"memory.high", "1"}}, {});
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(Read(elsewhere + "/memory.high"), "keep");
}

TEST_F(CgroupWriterV2Test, RefusedWriteIsAnErrorNamingTheFile) {
  // A directory where the file should be stands in for a file the kernel
  // refuses: the write fails and says which setting.
  std::filesystem::remove(Dir() + "/pids.max");
  std::filesystem::create_directory(Dir() + "/pids.max");
  absl::Status s =
      writer_.Write("c1", kPid, {{"memory.high", "7"}, {"pids.max", "64"}}, {});
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), testing::HasSubstr("pids.max"));
  EXPECT_EQ(Read(Dir() + "/memory.high"), "7");
}

TEST_F(CgroupWriterV2Test, GoneProcessOrCgroupWritesNothing) {
  EXPECT_TRUE(writer_.Write("c1", 999, {{"memory.high", "1"}}, {}).ok());
  std::filesystem::remove_all(Dir());
  EXPECT_TRUE(writer_.Write("c1", kPid, {{"memory.high", "1"}}, {}).ok());
  EXPECT_FALSE(std::filesystem::exists(Dir()));
}

TEST(CgroupWriterV1Test, HugetlbGoesToItsHierarchyUnifiedKeysAreSkipped) {
  FakeCgroupTree tree(FakeCgroupTree::Mode::kV1);
  tree.AddProcess(kPid, kCgroup);
  const std::string hugetlb = tree.Hierarchy("hugetlb") + kCgroup;
  FakeCgroupTree::Put(hugetlb + "/hugetlb.2MB.limit_in_bytes", "old");
  FakeCgroupTree::Put(tree.Unified() + kCgroup + "/memory.oom.group", "0");
  CgroupWriter writer(tree.proc_root());
  testing::internal::CaptureStderr();
  for (int i = 0; i < 2; ++i) {
    EXPECT_TRUE(
        writer
            .Write("c1", kPid, {{"memory.oom.group", "1"}}, {{"2MB", 2097152}})
            .ok());
  }
  const std::string log = testing::internal::GetCapturedStderr();
  EXPECT_EQ(Read(hugetlb + "/hugetlb.2MB.limit_in_bytes"), "2097152");
  EXPECT_EQ(Read(tree.Unified() + kCgroup + "/memory.oom.group"), "0");
  EXPECT_EQ(Count(log, "this node has cgroup v1"), 1) << log;
  EXPECT_THAT(log, testing::HasSubstr("memory.oom.group"));
}

}  // namespace
}  // namespace cri_dockerd::stats
