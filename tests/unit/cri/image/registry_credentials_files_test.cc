#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/testing/temp_dir.h"
#include "cri/image/registry_credentials.h"
#include "gtest/gtest.h"
#include "tests/unit/cri/image/registry_credentials_test_util.h"

namespace cri_dockerd::image {
namespace {

using testing_util::TempDir;
using namespace ::cri_dockerd::image::testing_util;  // NOLINT(build/namespaces)

TEST(RegistryCredentialsTest, DockerConfigDirIsReadWithoutConfigJson) {
  TempDir dir;
  MakeDockerDir(dir);
  dir.Write(".docker/config.json",
            ConfigJson({{"docker.io", AuthEntry("dotdocker", "p")}}));
  RegistryCredentials creds = RegistryCredentials::LoadFromDisk({dir.path()});
  ASSERT_EQ(creds.size(), 1u);
  EXPECT_EQ(UserFor(creds, "busybox"), "dotdocker");
}

TEST(RegistryCredentialsTest, ConfigJsonBeatsDockerConfigDirInOneDir) {
  TempDir dir;
  MakeDockerDir(dir);
  dir.Write("config.json",
            ConfigJson({{"docker.io", AuthEntry("config", "p")}}));
  dir.Write(".docker/config.json",
            ConfigJson({{"docker.io", AuthEntry("dotdocker", "p")},
                        {"quay.io", AuthEntry("quay", "p")}}));
  RegistryCredentials creds = RegistryCredentials::LoadFromDisk({dir.path()});
  // Only the winning file is used: nothing is merged from the other.
  ASSERT_EQ(creds.size(), 1u);
  EXPECT_EQ(UserFor(creds, "busybox"), "config");
  EXPECT_EQ(UserFor(creds, "quay.io/org/app"), "<none>");
}

TEST(RegistryCredentialsTest, ConfigJsonBeatsDockercfg) {
  TempDir dir;
  dir.Write("config.json",
            ConfigJson({{"docker.io", AuthEntry("config", "p")}}));
  dir.Write(".dockercfg", DockerCfg({{"docker.io", AuthEntry("legacy", "p")},
                                     {"quay.io", AuthEntry("quay", "p")}}));
  RegistryCredentials creds = RegistryCredentials::LoadFromDisk({dir.path()});
  ASSERT_EQ(creds.size(), 1u);
  EXPECT_EQ(UserFor(creds, "busybox"), "config");
  EXPECT_EQ(UserFor(creds, "quay.io/org/app"), "<none>");
}

TEST(RegistryCredentialsTest, DockercfgIsReadWhenNoConfigJson) {
  TempDir dir;
  dir.Write(
      ".dockercfg",
      DockerCfg({{"https://index.docker.io/v1/", AuthEntry("legacy", "p")},
                 {"quay.io", R"({"username": "q", "password": "x"})"}}));
  RegistryCredentials creds = RegistryCredentials::LoadFromDisk({dir.path()});
  ASSERT_EQ(creds.size(), 2u);
  EXPECT_EQ(UserFor(creds, "busybox"), "legacy");
  EXPECT_EQ(UserFor(creds, "quay.io/org/app"), "q");
  EXPECT_EQ(creds.Lookup("busybox")->server_address,
            "https://index.docker.io/v1/");
}

TEST(RegistryCredentialsTest, FirstDirWins) {
  TempDir first, second;
  MakeDockerDir(first);
  first.Write(".docker/config.json",
              ConfigJson({{"docker.io", AuthEntry("first", "p")}}));
  second.Write("config.json",
               ConfigJson({{"docker.io", AuthEntry("second", "p")}}));
  EXPECT_EQ(
      UserFor(RegistryCredentials::LoadFromDisk({first.path(), second.path()}),
              "busybox"),
      "first");
  EXPECT_EQ(
      UserFor(RegistryCredentials::LoadFromDisk({second.path(), first.path()}),
              "busybox"),
      "second");
}

TEST(RegistryCredentialsTest, AnyConfigJsonBeatsAnEarlierDirsDockercfg) {
  TempDir first, second;
  first.Write(".dockercfg",
              DockerCfg({{"docker.io", AuthEntry("legacy", "p")}}));
  second.Write("config.json",
               ConfigJson({{"docker.io", AuthEntry("config", "p")}}));
  EXPECT_EQ(
      UserFor(RegistryCredentials::LoadFromDisk({first.path(), second.path()}),
              "busybox"),
      "config");
}

TEST(RegistryCredentialsTest, FirstDockercfgWins) {
  TempDir first, second;
  first.Write(".dockercfg",
              DockerCfg({{"docker.io", AuthEntry("first", "p")}}));
  second.Write(".dockercfg",
               DockerCfg({{"docker.io", AuthEntry("second", "p")}}));
  EXPECT_EQ(
      UserFor(RegistryCredentials::LoadFromDisk({first.path(), second.path()}),
              "busybox"),
      "first");
}

TEST(RegistryCredentialsTest, DirWithTrailingSlash) {
  TempDir dir;
  dir.Write("config.json", ConfigJson({{"docker.io", AuthEntry("user", "p")}}));
  EXPECT_EQ(
      UserFor(RegistryCredentials::LoadFromDisk({dir.path() + "/"}), "busybox"),
      "user");
}

TEST(RegistryCredentialsTest, ConfigJsonWithoutAuthsStillWins) {
  for (const char* body : {"{}", R"({"auths": null})", R"({"auths": {}})",
                           R"({"HttpHeaders": {"User-Agent": "x"}})"}) {
    SCOPED_TRACE(body);
    TempDir dir;
    dir.Write("config.json", body);
    dir.Write(".dockercfg",
              DockerCfg({{"docker.io", AuthEntry("legacy", "p")}}));
    RegistryCredentials creds = RegistryCredentials::LoadFromDisk({dir.path()});
    EXPECT_EQ(creds.size(), 0u);
    EXPECT_FALSE(creds.Lookup("busybox").has_value());
  }
}

TEST(RegistryCredentialsTest, CredentialHelpersGiveNoEntries) {
  const std::vector<std::string> bodies = {
      R"({"credsStore": "desktop"})",
      R"({"credHelpers": {"gcr.io": "gcloud"}})",
      // What docker login writes when a credential store holds the secret.
      R"({"auths": {"https://index.docker.io/v1/": {}},)"
      R"( "credsStore": "pass"})",
  };
  for (const std::string& body : bodies) {
    SCOPED_TRACE(body);
    TempDir dir;
    dir.Write("config.json", body);
    dir.Write(".dockercfg",
              DockerCfg({{"docker.io", AuthEntry("legacy", "p")}}));
    testing::internal::CaptureStderr();
    RegistryCredentials creds = RegistryCredentials::LoadFromDisk({dir.path()});
    const std::string log = testing::internal::GetCapturedStderr();
    EXPECT_EQ(creds.size(), 0u);
    EXPECT_FALSE(creds.Lookup("busybox").has_value());
    EXPECT_FALSE(creds.Lookup("gcr.io/project/app").has_value());
    // The unsupported helper is reported, not run.
    EXPECT_TRUE(log.find("credsStore") != std::string::npos ||
                log.find("credHelpers") != std::string::npos)
        << log;
  }
}

TEST(RegistryCredentialsTest, AuthsEntriesAreUsedBesideACredsStore) {
  TempDir dir;
  dir.Write("config.json", R"({"credsStore": "desktop", "auths": {"quay.io": )"
                           R"({"auth": "dXNlcjpwYXNz"}}})");
  RegistryCredentials creds = RegistryCredentials::LoadFromDisk({dir.path()});
  ASSERT_EQ(creds.size(), 1u);
  EXPECT_EQ(UserFor(creds, "quay.io/org/app"), "user");
}

TEST(RegistryCredentialsTest, MalformedConfigJsonFallsThrough) {
  const std::vector<std::string> bodies = {
      "{",
      "",
      "not json",
      "[]",
      "42",
      R"("auths")",
      R"({"auths": []})",
      R"({"auths": "docker.io"})",
      R"({"auths": {"docker.io": "dXNlcjpwYXNz"}})",
      R"({"auths": {"docker.io": {"auth": 42}}})",
      R"({"auths": {"docker.io": {"username": ["u"], "password": "p"}}})",
      R"({"auths": {"docker.io": {"username": "u", "password": true}}})",
      R"({"auths": {"docker.io": {"identitytoken": {}}}})",
      R"({"auths": {"docker.io": {"auth": "dXNlcjpwYXNz", "email": 1}}})",
  };
  for (const std::string& body : bodies) {
    SCOPED_TRACE(body);
    TempDir dir;
    MakeDockerDir(dir);
    dir.Write("config.json", body);
    dir.Write(".docker/config.json",
              ConfigJson({{"docker.io", AuthEntry("fallback", "p")}}));
    testing::internal::CaptureStderr();
    RegistryCredentials creds = RegistryCredentials::LoadFromDisk({dir.path()});
    const std::string log = testing::internal::GetCapturedStderr();
    EXPECT_EQ(creds.size(), 1u);
    EXPECT_EQ(UserFor(creds, "busybox"), "fallback");
    // A warning names the file that was ignored.
    EXPECT_NE(log.find(dir.path() + "/config.json"), std::string::npos) << log;
  }
}

TEST(RegistryCredentialsTest, WrongTypeInOneEntryIgnoresTheWholeFile) {
  TempDir dir;
  dir.Write("config.json", ConfigJson({{"quay.io", AuthEntry("quay", "p")},
                                       {"docker.io", R"({"username": 5})"}}));
  RegistryCredentials creds = RegistryCredentials::LoadFromDisk({dir.path()});
  EXPECT_EQ(creds.size(), 0u);
  EXPECT_FALSE(creds.Lookup("quay.io/org/app").has_value());

  // ... and the next candidate file is used instead.
  dir.Write(".dockercfg", DockerCfg({{"docker.io", AuthEntry("legacy", "p")}}));
  creds = RegistryCredentials::LoadFromDisk({dir.path()});
  EXPECT_EQ(UserFor(creds, "busybox"), "legacy");
  EXPECT_FALSE(creds.Lookup("quay.io/org/app").has_value());
}

TEST(RegistryCredentialsTest, MalformedDockercfgFallsThrough) {
  TempDir first, second;
  first.Write(".dockercfg", R"({"docker.io": "not an object"})");
  second.Write(".dockercfg",
               DockerCfg({{"docker.io", AuthEntry("second", "p")}}));
  EXPECT_EQ(
      UserFor(RegistryCredentials::LoadFromDisk({first.path(), second.path()}),
              "busybox"),
      "second");
  first.Write(".dockercfg", "{{{");
  EXPECT_EQ(
      UserFor(RegistryCredentials::LoadFromDisk({first.path(), second.path()}),
              "busybox"),
      "second");
}

TEST(RegistryCredentialsTest, UnusableEntriesAreSkippedOthersKept) {
  TempDir dir;
  dir.Write("config.json",
            ConfigJson({
                {"good.example.com", AuthEntry("good", "secret-good")},
                // Not base64.
                {"bad64.example.com", R"({"auth": "!!!not base64!!!"})"},
                // base64 without a ':'.
                {"nocolon.example.com",
                 absl::StrCat(R"({"auth": ")", absl::Base64Escape("nocolon"),
                              R"("})")},
                // No credentials at all.
                {"empty.example.com", "{}"},
                {"email.example.com", R"({"email": "a@example.com"})"},
                {"blank.example.com", R"({"auth": ""})"},
                // No registry host in the key.
                {"https://", AuthEntry("nohost", "p")},
                {"", AuthEntry("emptykey", "p")},
            }));
  testing::internal::CaptureStderr();
  RegistryCredentials creds = RegistryCredentials::LoadFromDisk({dir.path()});
  const std::string log = testing::internal::GetCapturedStderr();
  ASSERT_EQ(creds.size(), 1u);
  EXPECT_EQ(UserFor(creds, "good.example.com/app"), "good");
  for (const char* image : {"bad64.example.com/app", "nocolon.example.com/app",
                            "empty.example.com/app", "email.example.com/app",
                            "blank.example.com/app"}) {
    EXPECT_FALSE(creds.Lookup(image).has_value()) << image;
  }
  // Each skipped entry is reported by key; no secret reaches the log.
  for (const char* key :
       {"bad64.example.com", "nocolon.example.com", "empty.example.com"}) {
    EXPECT_NE(log.find(key), std::string::npos) << key << "\n" << log;
  }
  EXPECT_EQ(log.find("secret-good"), std::string::npos) << log;
  EXPECT_EQ(log.find(absl::Base64Escape("good:secret-good")), std::string::npos)
      << log;
}

TEST(RegistryCredentialsTest, FileWithOnlyUnusableEntriesStillWins) {
  TempDir dir;
  dir.Write("config.json",
            ConfigJson({{"docker.io", R"({"auth": "!!!not base64!!!"})"}}));
  dir.Write(".dockercfg", DockerCfg({{"docker.io", AuthEntry("legacy", "p")}}));
  RegistryCredentials creds = RegistryCredentials::LoadFromDisk({dir.path()});
  EXPECT_EQ(creds.size(), 0u);
  EXPECT_FALSE(creds.Lookup("busybox").has_value());
}

TEST(RegistryCredentialsTest, ConfigJsonThatIsADirectoryIsSkipped) {
  TempDir dir;
  MakeDockerDir(dir);
  ASSERT_EQ(mkdir((dir.path() + "/config.json").c_str(), 0700), 0);
  dir.Write(".docker/config.json",
            ConfigJson({{"docker.io", AuthEntry("dotdocker", "p")}}));
  EXPECT_EQ(UserFor(RegistryCredentials::LoadFromDisk({dir.path()}), "busybox"),
            "dotdocker");
}

TEST(RegistryCredentialsTest, DockerPathThatIsAFileIsSkipped) {
  TempDir dir;
  dir.Write(".docker", "not a directory");
  dir.Write(".dockercfg", DockerCfg({{"docker.io", AuthEntry("legacy", "p")}}));
  EXPECT_EQ(UserFor(RegistryCredentials::LoadFromDisk({dir.path()}), "busybox"),
            "legacy");
}

TEST(RegistryCredentialsTest, OversizedFileIsSkipped) {
  TempDir dir;
  MakeDockerDir(dir);
  // Valid JSON, padded past 4 MiB.
  dir.Write("config.json",
            absl::StrCat(ConfigJson({{"docker.io", AuthEntry("huge", "p")}}),
                         std::string((4 << 20) + 1, ' ')));
  dir.Write(".docker/config.json",
            ConfigJson({{"docker.io", AuthEntry("small", "p")}}));
  EXPECT_EQ(UserFor(RegistryCredentials::LoadFromDisk({dir.path()}), "busybox"),
            "small");
}

// Restores $HOME when the test ends, however it ends.
class HomeRestorer {
 public:
  HomeRestorer() {
    if (const char* home = getenv("HOME"); home != nullptr) saved_ = home;
  }
  ~HomeRestorer() {
    if (saved_.has_value()) {
      setenv("HOME", saved_->c_str(), 1);
    } else {
      unsetenv("HOME");
    }
  }

 private:
  std::optional<std::string> saved_;
};

TEST(RegistryCredentialsTest, DefaultSearchDirs) {
  HomeRestorer restore_home;
  TempDir home;

  ASSERT_EQ(setenv("HOME", home.path().c_str(), 1), 0);
  std::vector<std::string> dirs = RegistryCredentials::DefaultSearchDirs();
  ASSERT_GE(dirs.size(), 3u);
  EXPECT_EQ(dirs.front(), "/var/lib/kubelet");
  EXPECT_EQ(dirs.back(), "/");
  // $HOME is searched, before "/".
  auto home_it = std::find(dirs.begin(), dirs.end(), home.path());
  ASSERT_NE(home_it, dirs.end());
  EXPECT_LT(home_it - dirs.begin(), static_cast<long>(dirs.size()) - 1);
  // So is the current directory.
  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof(cwd)), nullptr);
  EXPECT_NE(std::find(dirs.begin(), dirs.end(), std::string(cwd)), dirs.end());

  ASSERT_EQ(unsetenv("HOME"), 0);
  dirs = RegistryCredentials::DefaultSearchDirs();
  EXPECT_EQ(std::find(dirs.begin(), dirs.end(), home.path()), dirs.end());
  EXPECT_EQ(dirs.front(), "/var/lib/kubelet");
  EXPECT_EQ(dirs.back(), "/");
}

}  // namespace
}  // namespace cri_dockerd::image
