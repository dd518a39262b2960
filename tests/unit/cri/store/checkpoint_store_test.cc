#include "cri/store/checkpoint_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "common/testing/temp_dir.h"
#include "gtest/gtest.h"

namespace cri_dockerd::store {
namespace {

using testing_util::TempDir;

// Written by the Go cri-dockerd for pod default/web-0 with one tcp port
// mapping 80 -> 8080 (see sandbox_checkpoint_test.cc for how such vectors
// were produced).
constexpr char kGoFile[] =
    R"({"version":"v1","name":"web-0","namespace":"default","data":)"
    R"({"port_mappings":[{"protocol":"tcp","container_port":80,)"
    R"("host_port":8080}]},"checksum":3712672205})";

SandboxCheckpoint WebCheckpoint() {
  SandboxCheckpoint cp;
  cp.name = "web-0";
  cp.ns = "default";
  cp.port_mappings.push_back({"tcp", 80, 8080, ""});
  return cp;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

// Every name in `dir` except "." and "..", sorted.
std::vector<std::string> DirEntries(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      const std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

class CheckpointStoreTest : public ::testing::Test {
 protected:
  // A root that does not exist yet, two levels down.
  CheckpointStoreTest() : root_(tmp_.path() + "/var/lib/cri-dockerd") {}
  std::string SandboxDir() const { return root_ + "/sandbox"; }
  void MakeSandboxDir() const {
    ASSERT_EQ(system(("mkdir -p '" + SandboxDir() + "'").c_str()), 0);
  }

  TempDir tmp_;
  std::string root_;
  CheckpointStore store_{root_};
};

TEST_F(CheckpointStoreTest, WritesGoBytesInAPrivateDirectory) {
  ASSERT_TRUE(store_.Write("abc123", WebCheckpoint()).ok());
  EXPECT_EQ(store_.dir(), SandboxDir());
  EXPECT_EQ(ReadFile(SandboxDir() + "/abc123"), kGoFile);
  struct stat st;
  ASSERT_EQ(stat(SandboxDir().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(stat((SandboxDir() + "/abc123").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // Atomic write leaves no temp file behind.
  EXPECT_EQ(DirEntries(SandboxDir()), std::vector<std::string>{"abc123"});
}

TEST_F(CheckpointStoreTest, ReadsWhatItWroteAndWhatGoWrote) {
  ASSERT_TRUE(store_.Write("ours", WebCheckpoint()).ok());
  WriteFile(SandboxDir() + "/theirs", kGoFile);
  for (const char* id : {"ours", "theirs"}) {
    absl::StatusOr<SandboxCheckpoint> cp = store_.Read(id);
    ASSERT_TRUE(cp.ok()) << cp.status();
    EXPECT_TRUE(*cp == WebCheckpoint());
  }
}

TEST_F(CheckpointStoreTest, OverwriteReplacesTheCheckpoint) {
  ASSERT_TRUE(store_.Write("a", WebCheckpoint()).ok());
  SandboxCheckpoint other;
  other.name = "other";
  other.host_network = true;
  ASSERT_TRUE(store_.Write("a", other).ok());
  absl::StatusOr<SandboxCheckpoint> cp = store_.Read("a");
  ASSERT_TRUE(cp.ok()) << cp.status();
  EXPECT_TRUE(*cp == other);
  EXPECT_EQ(DirEntries(SandboxDir()), std::vector<std::string>{"a"});
}

TEST_F(CheckpointStoreTest, ReadOfAbsentCheckpointIsNotFound) {
  EXPECT_TRUE(absl::IsNotFound(store_.Read("nope").status()));  // no dir
  ASSERT_TRUE(store_.Write("a", WebCheckpoint()).ok());
  EXPECT_TRUE(absl::IsNotFound(store_.Read("nope").status()));
}

TEST_F(CheckpointStoreTest, CorruptFilesAreRemovedAndReportedAsDataLoss) {
  MakeSandboxDir();
  const std::string valid = kGoFile;
  std::string huge = valid + std::string(1 << 20, ' ');  // valid JSON
  const std::string cases[] = {
      "",
      "garbage",
      valid.substr(0, valid.size() / 2),
      R"({"version":"v1","name":"web-0","namespace":"default","data":{},)"
      R"("checksum":1})",
      R"({"version":"v2","name":"a","namespace":"b","data":{},)"
      R"("checksum":2305795928})",
      huge,
      std::string("\0\0\0\0", 4),
  };
  for (const std::string& text : cases) {
    SCOPED_TRACE(text.substr(0, 80));
    const std::string path = SandboxDir() + "/bad";
    WriteFile(path, text);
    absl::StatusOr<SandboxCheckpoint> cp = store_.Read("bad");
    EXPECT_TRUE(absl::IsDataLoss(cp.status())) << cp.status();
    EXPECT_NE(cp.status().message().find(path), std::string::npos);
    EXPECT_FALSE(Exists(path));
    EXPECT_TRUE(absl::IsNotFound(store_.Read("bad").status()));
  }
}

TEST_F(CheckpointStoreTest, StrangeThingsOnDiskDoNotCrash) {
  MakeSandboxDir();
  ASSERT_EQ(mkdir((SandboxDir() + "/adir").c_str(), 0700), 0);
  ASSERT_EQ(mkfifo((SandboxDir() + "/afifo").c_str(), 0600), 0);
  ASSERT_EQ(symlink("/nonexistent", (SandboxDir() + "/dangling").c_str()), 0);
  WriteFile(SandboxDir() + "/target", kGoFile);
  ASSERT_EQ(symlink("target", (SandboxDir() + "/alias").c_str()), 0);
  WriteFile(SandboxDir() + "/bad name", kGoFile);

  EXPECT_TRUE(absl::IsDataLoss(store_.Read("adir").status()));
  EXPECT_TRUE(Exists(SandboxDir() + "/adir"));  // not ours to delete
  EXPECT_TRUE(absl::IsDataLoss(store_.Read("afifo").status()));  // no hang
  EXPECT_TRUE(absl::IsNotFound(store_.Read("dangling").status()));
  EXPECT_TRUE(store_.Read("alias").ok());
  EXPECT_FALSE(store_.Remove("adir").ok());

  absl::StatusOr<std::vector<std::string>> ids = store_.List();
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ(*ids, (std::vector<std::string>{"alias", "target"}));
}

TEST_F(CheckpointStoreTest, InvalidIdsAreRejectedBeforeTouchingDisk) {
  const std::string bad[] = {"",
                             ".",
                             "..",
                             "../x",
                             "a/b",
                             ".hide",
                             "a b",
                             "a\nb",
                             "é",
                             "a:b",
                             std::string("a\0b", 3),
                             std::string(129, 'a'),
                             std::string(200, 'x')};
  for (const std::string& id : bad) {
    SCOPED_TRACE(id);
    absl::Status w = store_.Write(id, WebCheckpoint());
    EXPECT_TRUE(absl::IsInvalidArgument(w)) << w;
    EXPECT_NE(w.message().find("invalid sandbox id \"" +
                               absl::CHexEscape(id.substr(0, 8))),
              std::string::npos)
        << w;
    EXPECT_TRUE(absl::IsInvalidArgument(store_.Read(id).status()));
    EXPECT_TRUE(absl::IsInvalidArgument(store_.Remove(id)));
  }
  EXPECT_FALSE(Exists(root_));
  for (const std::string& id :
       {std::string(128, 'a'), std::string("a.b-c_D9"), std::string("0")}) {
    EXPECT_TRUE(ValidateSandboxId(id).ok()) << id;
  }
}

TEST_F(CheckpointStoreTest, RemoveIsIdempotent) {
  EXPECT_TRUE(store_.Remove("a").ok());  // no directory
  ASSERT_TRUE(store_.Write("a", WebCheckpoint()).ok());
  EXPECT_TRUE(store_.Remove("a").ok());
  EXPECT_TRUE(store_.Remove("a").ok());
  EXPECT_TRUE(absl::IsNotFound(store_.Read("a").status()));
  EXPECT_TRUE(DirEntries(SandboxDir()).empty());
}

TEST_F(CheckpointStoreTest, ListsCheckpointIds) {
  absl::StatusOr<std::vector<std::string>> ids = store_.List();
  ASSERT_TRUE(ids.ok()) << ids.status();  // no directory yet
  EXPECT_TRUE(ids->empty());
  for (const char* id : {"c", "a", "b"}) {
    ASSERT_TRUE(store_.Write(id, WebCheckpoint()).ok());
  }
  ASSERT_TRUE(store_.Remove("b").ok());
  ids = store_.List();
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ(*ids, (std::vector<std::string>{"a", "c"}));
}

// Sets `path`'s mtime (and atime) to `t`.
void SetMtime(const std::string& path, const timespec& t) {
  const timespec times[2] = {t, t};
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << path;
}

timespec Mtime(const std::string& path) {
  struct stat st = {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mtim;
}

TEST_F(CheckpointStoreTest, ListReadsTheDirectoryAgainOnlyWhenItChanged) {
  for (const char* id : {"a", "b"}) {
    ASSERT_TRUE(store_.Write(id, WebCheckpoint()).ok());
  }
  const timespec old = {Mtime(SandboxDir()).tv_sec - 60, 5};
  SetMtime(SandboxDir(), old);
  absl::StatusOr<std::vector<std::string>> ids = store_.List();
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ(*ids, (std::vector<std::string>{"a", "b"}));

  // A file added with the directory's mtime put back: not read again.
  WriteFile(SandboxDir() + "/x", kGoFile);
  SetMtime(SandboxDir(), old);
  ids = store_.List();
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ(*ids, (std::vector<std::string>{"a", "b"}));

  // The store's own changes are seen whatever the mtime says.
  ASSERT_TRUE(store_.Write("c", WebCheckpoint()).ok());
  SetMtime(SandboxDir(), old);
  ids = store_.List();
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ(*ids, (std::vector<std::string>{"a", "b", "c", "x"}));
  SetMtime(SandboxDir(), old);
  ASSERT_TRUE(store_.List().ok());  // cached again
  ASSERT_TRUE(store_.Remove("a").ok());
  SetMtime(SandboxDir(), old);
  ids = store_.List();
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ(*ids, (std::vector<std::string>{"b", "c", "x"}));

  // Someone else's change moves the mtime: read again.
  SetMtime(SandboxDir(), old);
  ASSERT_TRUE(store_.List().ok());
  ASSERT_EQ(unlink((SandboxDir() + "/x").c_str()), 0);
  SetMtime(SandboxDir(), {old.tv_sec, old.tv_nsec + 1});
  ids = store_.List();
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ(*ids, (std::vector<std::string>{"b", "c"}));

  // A corrupt checkpoint that Read removes is gone from the next List.
  SetMtime(SandboxDir(), old);
  ASSERT_TRUE(store_.List().ok());
  WriteFile(SandboxDir() + "/b", "garbage");
  SetMtime(SandboxDir(), old);
  EXPECT_TRUE(absl::IsDataLoss(store_.Read("b").status()));
  SetMtime(SandboxDir(), old);
  ids = store_.List();
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ(*ids, std::vector<std::string>{"c"});
}

TEST_F(CheckpointStoreTest, ListDoesNotTrustARecentMtime) {
  ASSERT_TRUE(store_.Write("a", WebCheckpoint()).ok());
  const timespec now = Mtime(SandboxDir());
  ASSERT_TRUE(store_.List().ok());
  // Another change within the same clock tick leaves the mtime as it was.
  WriteFile(SandboxDir() + "/z", kGoFile);
  SetMtime(SandboxDir(), now);
  absl::StatusOr<std::vector<std::string>> ids = store_.List();
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ(*ids, (std::vector<std::string>{"a", "z"}));
}

TEST_F(CheckpointStoreTest, ListSeesTheDirectoryReplaced) {
  ASSERT_TRUE(store_.Write("a", WebCheckpoint()).ok());
  const timespec old = {Mtime(SandboxDir()).tv_sec - 60, 0};
  SetMtime(SandboxDir(), old);
  ASSERT_TRUE(store_.List().ok());
  ASSERT_EQ(rename(SandboxDir().c_str(), (root_ + "/moved").c_str()), 0);
  absl::StatusOr<std::vector<std::string>> ids = store_.List();
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_TRUE(ids->empty());
  MakeSandboxDir();
  WriteFile(SandboxDir() + "/n", kGoFile);
  SetMtime(SandboxDir(), old);
  ids = store_.List();
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ(*ids, std::vector<std::string>{"n"});
}

TEST_F(CheckpointStoreTest, LeftoverTempFilesAreIgnoredAndCleanedByList) {
  MakeSandboxDir();
  WriteFile(SandboxDir() + "/keep", kGoFile);
  // Ours, and the Go shim's ("." + random digits).
  WriteFile(SandboxDir() + "/.keep.tmp-Ab12Cd", "{\"version\":");
  WriteFile(SandboxDir() + "/.123456789", kGoFile);
  absl::StatusOr<std::vector<std::string>> ids = store_.List();
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ(*ids, std::vector<std::string>{"keep"});
  EXPECT_EQ(DirEntries(SandboxDir()), std::vector<std::string>{"keep"});
}

TEST_F(CheckpointStoreTest, LeftoverTempFilesAreCleanedByFirstWrite) {
  MakeSandboxDir();
  WriteFile(SandboxDir() + "/.x.tmp-000000", "partial");
  ASSERT_TRUE(store_.Write("x", WebCheckpoint()).ok());
  EXPECT_EQ(DirEntries(SandboxDir()), std::vector<std::string>{"x"});
}

TEST_F(CheckpointStoreTest, FailedWriteKeepsOldStateAndLeavesNoTempFile) {
  // rename() cannot replace a non-empty directory.
  MakeSandboxDir();
  ASSERT_EQ(mkdir((SandboxDir() + "/busy").c_str(), 0700), 0);
  WriteFile(SandboxDir() + "/busy/f", "x");
  EXPECT_FALSE(store_.Write("busy", WebCheckpoint()).ok());
  EXPECT_EQ(DirEntries(SandboxDir()), std::vector<std::string>{"busy"});
}

TEST_F(CheckpointStoreTest, WriteFailsCleanlyWhenTheDirectoryIsAFile) {
  ASSERT_EQ(system(("mkdir -p '" + root_ + "'").c_str()), 0);
  WriteFile(SandboxDir(), "not a directory");
  EXPECT_FALSE(store_.Write("a", WebCheckpoint()).ok());
  EXPECT_TRUE(absl::IsNotFound(store_.Read("a").status()));
  EXPECT_TRUE(store_.Remove("a").ok());
  EXPECT_FALSE(store_.List().ok());
}

TEST_F(CheckpointStoreTest, ConcurrentUseIsSafe) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this, t] {
      const std::string own = "own-" + std::to_string(t);
      for (int i = 0; i < 20; ++i) {
        SandboxCheckpoint cp = WebCheckpoint();
        cp.name = own + "-" + std::to_string(i);
        EXPECT_TRUE(store_.Write(own, cp).ok());
        EXPECT_TRUE(store_.Write("shared", cp).ok());
        absl::StatusOr<SandboxCheckpoint> back = store_.Read(own);
        ASSERT_TRUE(back.ok()) << back.status();
        EXPECT_EQ(back->name, cp.name);
        EXPECT_TRUE(store_.Read("shared").ok());
        EXPECT_TRUE(store_.List().ok());
      }
      EXPECT_TRUE(store_.Remove(own).ok());
    });
  }
  for (std::thread& t : threads) t.join();
  absl::StatusOr<std::vector<std::string>> ids = store_.List();
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ(*ids, std::vector<std::string>{"shared"});
  EXPECT_EQ(DirEntries(SandboxDir()), std::vector<std::string>{"shared"});
}

}  // namespace
}  // namespace cri_dockerd::store
