// Decoding docker's /version and /info replies: golden files captured from
// real engines, hostile shapes, and every truncation of the goldens.
#include "docker_client/json_decode.h"

#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/docker_testdata.h"

namespace cri_dockerd::docker {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(DecodeVersionTest, Docker2010Golden) {
  absl::StatusOr<VersionInfo> v =
      DecodeVersion(ReadTestdata("version_20.10.json"));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->version, "20.10.24+dfsg1");
  EXPECT_EQ(v->api_version, "1.41");
  EXPECT_EQ(v->min_api_version, "1.12");
  EXPECT_EQ(v->git_commit, "5d6db84");
  EXPECT_EQ(v->go_version, "go1.19.8");
  EXPECT_EQ(v->os, "linux");
  EXPECT_EQ(v->arch, "amd64");
  EXPECT_FALSE(v->kernel_version.empty());
}

TEST(DecodeVersionTest, Docker28Golden) {
  absl::StatusOr<VersionInfo> v =
      DecodeVersion(ReadTestdata("version_28.json"));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->version, "28.2.2");
  EXPECT_EQ(v->api_version, "1.50");
  EXPECT_EQ(v->min_api_version, "1.24");
  EXPECT_EQ(v->kernel_version, "6.1.0-37-amd64");
}

TEST(DecodeInfoTest, Docker2010Golden) {
  absl::StatusOr<SystemInfo> info = DecodeInfo(ReadTestdata("info_20.10.json"));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_FALSE(info->id.empty());
  EXPECT_EQ(info->server_version, "20.10.24+dfsg1");
  EXPECT_EQ(info->operating_system, "Debian GNU/Linux 12 (bookworm)");
  EXPECT_EQ(info->architecture, "x86_64");
  EXPECT_EQ(info->cgroup_driver, "cgroupfs");
  EXPECT_EQ(info->cgroup_version, "1");
  EXPECT_EQ(info->driver, "overlay2");
  EXPECT_FALSE(info->containerd_image_store);
  EXPECT_EQ(info->docker_root_dir, "/var/lib/docker");
  EXPECT_EQ(info->logging_driver, "json-file");
  EXPECT_EQ(info->default_runtime, "runc");
  EXPECT_THAT(info->runtimes,
              ElementsAre("io.containerd.runc.v2",
                          "io.containerd.runtime.v1.linux", "runc"));
  EXPECT_THAT(info->security_options,
              ElementsAre("name=seccomp,profile=default"));
  EXPECT_EQ(info->ncpu, 2);
  EXPECT_GT(info->mem_total, 0);
}

TEST(DecodeInfoTest, Docker28Golden) {
  absl::StatusOr<SystemInfo> info = DecodeInfo(ReadTestdata("info_28.json"));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->name, "node-1");
  EXPECT_EQ(info->cgroup_driver, "systemd");
  EXPECT_EQ(info->cgroup_version, "2");
  EXPECT_THAT(info->runtimes, ElementsAre("io.containerd.runc.v2", "runc"));
  EXPECT_THAT(info->security_options,
              ElementsAre("name=apparmor", "name=seccomp,profile=builtin",
                          "name=cgroupns"));
  EXPECT_EQ(info->containers, 14);
  EXPECT_EQ(info->containers_running, 9);
  EXPECT_EQ(info->images, 11);
  EXPECT_EQ(info->ncpu, 8);
  EXPECT_EQ(info->mem_total, 33554432000);
  EXPECT_EQ(info->driver, "overlayfs");
  EXPECT_TRUE(info->containerd_image_store);
}

TEST(DecodeInfoTest, WrongTypedFieldsFallBackToDefaults) {
  absl::StatusOr<SystemInfo> info = DecodeInfo(
      R"({"Runtimes": 5, "NCPU": "x", "MemTotal": -1, "Containers": 1.5,
          "Images": 3.0, "ContainersRunning": 1e300, "ID": null,
          "Name": ["a"], "CgroupDriver": {"x": 1}, "SecurityOptions": "s",
          "DefaultRuntime": "runc", "ServerVersion": 28})");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_TRUE(info->runtimes.empty());
  EXPECT_EQ(info->ncpu, 0);
  EXPECT_EQ(info->mem_total, -1);
  EXPECT_EQ(info->containers, 0);
  EXPECT_EQ(info->images, 3);
  EXPECT_EQ(info->containers_running, 0);
  EXPECT_EQ(info->id, "");
  EXPECT_EQ(info->name, "");
  EXPECT_EQ(info->cgroup_driver, "");
  EXPECT_TRUE(info->security_options.empty());
  EXPECT_EQ(info->default_runtime, "runc");
  EXPECT_EQ(info->server_version, "");

  info = DecodeInfo(R"({"SecurityOptions": [1, "name=seccomp", null],
                        "MemTotal": 18446744073709551615})");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_THAT(info->security_options, ElementsAre("name=seccomp"));
  EXPECT_GT(info->mem_total, 0);
}

TEST(DecodeTest, MalformedOrNonObjectRepliesAreInternalErrors) {
  for (const char* body : {"", "   ", "{", "[1,2]", "\"str\"", "null", "42",
                           "{\"a\":}", "<html>", "{\"a\":1} trailing"}) {
    SCOPED_TRACE(body);
    absl::StatusOr<VersionInfo> v = DecodeVersion(body);
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.status().code(), absl::StatusCode::kInternal);
    EXPECT_THAT(v.status().message(),
                HasSubstr("malformed reply from docker for GET /version"));
    absl::StatusOr<SystemInfo> info = DecodeInfo(body);
    ASSERT_FALSE(info.ok());
    EXPECT_THAT(info.status().message(),
                HasSubstr("malformed reply from docker for GET /info"));
  }
  // Invalid UTF-8 inside a string.
  EXPECT_FALSE(DecodeVersion("{\"Version\":\"\xff\xfe\"}").ok());
}

TEST(DecodeErrorMessageTest, ExtractsMessageOrRawBody) {
  EXPECT_EQ(DecodeErrorMessage("{\"message\":\"No such image: x\"}\n"),
            "No such image: x");
  EXPECT_EQ(DecodeErrorMessage("  plain text\n"), "plain text");
  EXPECT_EQ(DecodeErrorMessage(""), "");
  EXPECT_EQ(DecodeErrorMessage("{\"message\":1}"), "{\"message\":1}");
  EXPECT_EQ(DecodeErrorMessage("{\"message\":\"trunc"), "{\"message\":\"trunc");
}

// Every prefix of every golden must decode or fail cleanly, never crash.
TEST(DecodeFuzzTest, EveryTruncationOfTheGoldens) {
  for (const char* name : {"version_20.10.json", "version_28.json",
                           "info_20.10.json", "info_28.json"}) {
    const std::string full = ReadTestdata(name);
    ASSERT_FALSE(full.empty());
    for (size_t len = 0; len <= full.size(); ++len) {
      const std::string_view prefix(full.data(), len);
      const bool complete = len + 1 >= full.size();  // up to the final '\n'
      EXPECT_EQ(DecodeVersion(prefix).ok(), complete) << name << " " << len;
      EXPECT_EQ(DecodeInfo(prefix).ok(), complete) << name << " " << len;
      (void)DecodeErrorMessage(prefix);
    }
  }
}

// Random byte flips, insertions and deletions on the goldens.
TEST(DecodeFuzzTest, RandomMutationsOfTheGoldens) {
  std::mt19937 rng(20251122);
  const char alphabet[] = "{}[]\":,0123456789.-+eE \\ntrufalsn\x00\xff";
  for (const char* name : {"version_20.10.json", "info_20.10.json",
                           "version_28.json", "info_28.json"}) {
    const std::string full = ReadTestdata(name);
    for (int round = 0; round < 500; ++round) {
      std::string s = full;
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits && !s.empty(); ++e) {
        const size_t pos = rng() % s.size();
        const char c = alphabet[rng() % (sizeof(alphabet) - 1)];
        switch (rng() % 3) {
          case 0:
            s[pos] = c;
            break;
          case 1:
            s.insert(s.begin() + static_cast<std::ptrdiff_t>(pos), c);
            break;
          default:
            s.erase(pos, 1 + rng() % 8);
        }
      }
      (void)DecodeVersion(s);
      (void)DecodeInfo(s);
      (void)DecodeErrorMessage(s);
    }
  }
}

}  // namespace
}  // namespace cri_dockerd::docker
