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

TEST(RegistryCredentialsTest, EmptyHasNothing) {
  RegistryCredentials creds;
  EXPECT_EQ(creds.size(), 0u);
  EXPECT_FALSE(creds.Lookup("busybox").has_value());
  EXPECT_EQ(RegistryCredentials::LoadFromDisk({}).size(), 0u);
}

TEST(RegistryCredentialsTest, NoFilesGiveNoCredentials) {
  TempDir dir;
  RegistryCredentials creds = RegistryCredentials::LoadFromDisk(
      {dir.path(), dir.path() + "/does-not-exist"});
  EXPECT_EQ(creds.size(), 0u);
  EXPECT_FALSE(creds.Lookup("docker.io/library/busybox").has_value());
}

TEST(RegistryCredentialsTest, AuthFieldIsDecodedIntoUsernameAndPassword) {
  TempDir dir;
  // base64("user:pass")
  dir.Write("config.json", R"({"auths": {"https://index.docker.io/v1/": )"
                           R"({"auth": "dXNlcjpwYXNz"}}})");
  RegistryCredentials creds = RegistryCredentials::LoadFromDisk({dir.path()});
  ASSERT_EQ(creds.size(), 1u);
  std::optional<docker::RegistryAuth> auth =
      creds.Lookup("docker.io/library/busybox");
  ASSERT_TRUE(auth.has_value());
  EXPECT_EQ(auth->username, "user");
  EXPECT_EQ(auth->password, "pass");
  EXPECT_EQ(auth->server_address, "https://index.docker.io/v1/");
  EXPECT_EQ(auth->identity_token, "");
  EXPECT_EQ(auth->registry_token, "");
}

TEST(RegistryCredentialsTest, PasswordKeepsColonsAfterTheFirst) {
  TempDir dir;
  // base64("user:pa:ss")
  dir.Write("config.json",
            R"({"auths": {"docker.io": {"auth": "dXNlcjpwYTpzcw=="}}})");
  std::optional<docker::RegistryAuth> auth =
      RegistryCredentials::LoadFromDisk({dir.path()}).Lookup("busybox");
  ASSERT_TRUE(auth.has_value());
  EXPECT_EQ(auth->username, "user");
  EXPECT_EQ(auth->password, "pa:ss");
}

TEST(RegistryCredentialsTest, AuthMayBeUnpaddedOrSurroundedBySpace) {
  TempDir dir;
  // base64("user:pass1") is "dXNlcjpwYXNzMQ==".
  dir.Write("config.json",
            ConfigJson({
                {"a.example.com", R"({"auth": "dXNlcjpwYXNzMQ"})"},
                {"b.example.com", R"({"auth": " dXNlcjpwYXNzMQ==\n"})"},
            }));
  RegistryCredentials creds = RegistryCredentials::LoadFromDisk({dir.path()});
  ASSERT_EQ(creds.size(), 2u);
  for (const char* image : {"a.example.com/app", "b.example.com/app"}) {
    std::optional<docker::RegistryAuth> auth = creds.Lookup(image);
    ASSERT_TRUE(auth.has_value()) << image;
    EXPECT_EQ(auth->username, "user") << image;
    EXPECT_EQ(auth->password, "pass1") << image;
  }
}

TEST(RegistryCredentialsTest, UsernameAndPasswordFields) {
  TempDir dir;
  dir.Write("config.json",
            ConfigJson({{"registry.example.com",
                         R"({"username": "alice", "password": "s3cret",)"
                         R"( "email": "alice@example.com"})"}}));
  std::optional<docker::RegistryAuth> auth =
      RegistryCredentials::LoadFromDisk({dir.path()})
          .Lookup("registry.example.com/app:1");
  ASSERT_TRUE(auth.has_value());
  EXPECT_EQ(auth->username, "alice");
  EXPECT_EQ(auth->password, "s3cret");
  EXPECT_EQ(auth->server_address, "registry.example.com");
}

TEST(RegistryCredentialsTest, NullFieldsCountAsAbsent) {
  TempDir dir;
  dir.Write("config.json",
            ConfigJson({{"registry.example.com",
                         R"({"username": null, "password": null,)"
                         R"( "auth": "dXNlcjpwYXNz", "email": null})"}}));
  std::optional<docker::RegistryAuth> auth =
      RegistryCredentials::LoadFromDisk({dir.path()})
          .Lookup("registry.example.com/app");
  ASSERT_TRUE(auth.has_value());
  EXPECT_EQ(auth->username, "user");
  EXPECT_EQ(auth->password, "pass");
}

TEST(RegistryCredentialsTest, IdentityAndRegistryTokens) {
  TempDir dir;
  dir.Write("config.json",
            ConfigJson({
                {"id.example.com", R"({"identitytoken": "refresh-token"})"},
                {"reg.example.com", R"({"registrytoken": "bearer-token"})"},
                // docker login with a token stores "<token>:" too.
                {"both.example.com",
                 absl::StrCat(R"({"auth": ")", absl::Base64Escape("<token>:"),
                              R"(", "identitytoken": "t2"})")},
            }));
  RegistryCredentials creds = RegistryCredentials::LoadFromDisk({dir.path()});
  ASSERT_EQ(creds.size(), 3u);

  std::optional<docker::RegistryAuth> id = creds.Lookup("id.example.com/app");
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->identity_token, "refresh-token");
  EXPECT_EQ(id->username, "");
  EXPECT_EQ(id->password, "");

  std::optional<docker::RegistryAuth> reg = creds.Lookup("reg.example.com/app");
  ASSERT_TRUE(reg.has_value());
  EXPECT_EQ(reg->registry_token, "bearer-token");
  EXPECT_EQ(reg->identity_token, "");

  std::optional<docker::RegistryAuth> both =
      creds.Lookup("both.example.com/app");
  ASSERT_TRUE(both.has_value());
  EXPECT_EQ(both->username, "<token>");
  EXPECT_EQ(both->password, "");
  EXPECT_EQ(both->identity_token, "t2");
}

// One key alone in config.json, and images it must and must not serve.
struct KeyCase {
  std::string key;
  std::vector<std::string> matches;
  std::vector<std::string> misses;
};

TEST(RegistryCredentialsTest, KeyFormsAndMatching) {
  const std::vector<std::string> hub_images = {
      "busybox",
      "busybox:1.36",
      "docker.io/library/busybox",
      "docker.io/library/busybox:latest",
      "library/busybox",
      "foo/bar",
      "index.docker.io/foo/bar",
      "registry-1.docker.io/foo/bar",
      "registry.hub.docker.com/library/busybox",
      absl::StrCat("busybox@sha256:", std::string(64, 'a')),
  };
  const std::vector<std::string> not_hub = {
      "quay.io/foo/bar",
      "localhost:5000/busybox",
      "localhost/busybox",
      // Ports must match: none in the key, one in the image.
      "index.docker.io:5000/foo/bar",
      "docker.io:443/foo/bar",
  };
  const std::vector<KeyCase> cases = {
      {"https://index.docker.io/v1/", hub_images, not_hub},
      {"https://index.docker.io/v1", hub_images, not_hub},
      {"index.docker.io", hub_images, not_hub},
      {"docker.io", hub_images, not_hub},
      {"registry-1.docker.io", hub_images, not_hub},
      {"registry.hub.docker.com", hub_images, not_hub},
      {"http://docker.io/v2/", hub_images, not_hub},
      {"docker.io/library",
       {"busybox", "docker.io/library/busybox:1.36",
        "index.docker.io/library/foo/bar"},
       {"foo/bar", "docker.io/libraryx/busybox", "quay.io/library/busybox"}},
      {"localhost:5443",
       {"localhost:5443/app", "localhost:5443/a/b:tag"},
       {"localhost/app", "localhost:5000/app", "localhost:54430/app", "busybox",
        "127.0.0.1:5443/app"}},
      {"https://localhost:5443/v2/",
       {"localhost:5443/app", "localhost:5443/a/b:tag"},
       {"localhost/app", "localhost:5000/app"}},
      {"http://localhost:5443",
       {"localhost:5443/app"},
       {"localhost/app", "localhost:5000/app"}},
      {"localhost",
       {"localhost/app"},
       {"localhost:5000/app", "localhost:5443/app"}},
      {"127.0.0.1:5000",
       {"127.0.0.1:5000/busybox:1.36"},
       {"127.0.0.1/busybox", "127.0.0.2:5000/busybox"}},
      {"[::1]:5000", {"[::1]:5000/x"}, {"[::1]/x", "[::1]:5001/x"}},
      {"*.example.com",
       {"registry.example.com/app", "foo.example.com/a/b:1"},
       {"example.com/app", "a.b.example.com/app",
        "registry.example.com:5000/app", "registry.example.org/app",
        "busybox"}},
      {"*.example.com:5000",
       {"registry.example.com:5000/app"},
       {"registry.example.com/app", "registry.example.com:5001/app"}},
      {"reg?stry.example.com",
       {"registry.example.com/x", "regxstry.example.com/x"},
       {"regstry.example.com/x", "reggistry.example.com/x"}},
      {"registry.*.com",
       {"registry.example.com/x"},
       {"registry.example.org/x", "registry.a.b.com/x"}},
      {"HTTPS://Registry.Example.COM",
       {"registry.example.com/app", "Registry.Example.COM/app"},
       {"other.example.com/app"}},
      {"registry.example.com/team",
       {"registry.example.com/team/app", "registry.example.com/team",
        "registry.example.com/team/sub/app:1"},
       {"registry.example.com/teamx/app", "registry.example.com/app",
        "registry.example.com/other/team/app", "other.example.com/team/app",
        "registry.example.com:443/team/app"}},
      {"https://registry.example.com/v2/team/",
       {"registry.example.com/team/app"},
       {"registry.example.com/teamx/app", "registry.example.com/app"}},
      {"registry.example.com/team/app",
       {"registry.example.com/team/app", "registry.example.com/team/app:v1",
        "registry.example.com/team/app/sub"},
       {"registry.example.com/team/application", "registry.example.com/team"}},
  };
  for (const KeyCase& c : cases) {
    SCOPED_TRACE(c.key);
    TempDir dir;
    dir.Write("config.json", ConfigJson({{c.key, AuthEntry("u", "p")}}));
    RegistryCredentials creds = RegistryCredentials::LoadFromDisk({dir.path()});
    ASSERT_EQ(creds.size(), 1u);
    for (const std::string& image : c.matches) {
      std::optional<docker::RegistryAuth> auth = creds.Lookup(image);
      ASSERT_TRUE(auth.has_value()) << "no credentials for " << image;
      EXPECT_EQ(auth->username, "u") << image;
      EXPECT_EQ(auth->password, "p") << image;
      // The key exactly as the file spells it.
      EXPECT_EQ(auth->server_address, c.key) << image;
    }
    for (const std::string& image : c.misses) {
      EXPECT_FALSE(creds.Lookup(image).has_value())
          << c.key << " must not serve " << image;
    }
  }
}

TEST(RegistryCredentialsTest, MostSpecificKeyWins) {
  TempDir dir;
  dir.Write("config.json",
            ConfigJson({
                {"*.example.com", AuthEntry("glob", "p")},
                {"registry.example.com/team/app", AuthEntry("team-app", "p")},
                {"https://registry.example.com/v2/", AuthEntry("host", "p")},
                {"registry.example.com/team", AuthEntry("team", "p")},
                {"registry.example.com:5000", AuthEntry("port", "p")},
            }));
  RegistryCredentials creds = RegistryCredentials::LoadFromDisk({dir.path()});
  ASSERT_EQ(creds.size(), 5u);
  EXPECT_EQ(UserFor(creds, "registry.example.com/team/app"), "team-app");
  EXPECT_EQ(UserFor(creds, "registry.example.com/team/app/x:1"), "team-app");
  EXPECT_EQ(UserFor(creds, "registry.example.com/team/other"), "team");
  EXPECT_EQ(UserFor(creds, "registry.example.com/team/application"), "team");
  EXPECT_EQ(UserFor(creds, "registry.example.com/teamx/app"), "host");
  EXPECT_EQ(UserFor(creds, "registry.example.com/app"), "host");
  EXPECT_EQ(UserFor(creds, "registry.example.com:5000/team/app"), "port");
  EXPECT_EQ(UserFor(creds, "other.example.com/team/app"), "glob");
  EXPECT_EQ(UserFor(creds, "example.com/app"), "<none>");
  EXPECT_EQ(creds.Lookup("registry.example.com/team/app/x")->server_address,
            "registry.example.com/team/app");
  EXPECT_EQ(creds.Lookup("registry.example.com/app")->server_address,
            "https://registry.example.com/v2/");
}

TEST(RegistryCredentialsTest, ExactKeyBeatsGlobOfEqualLength) {
  TempDir dir;
  // Both keys are 16 characters and both match regx.example.com.
  dir.Write("config.json", ConfigJson({
                               {"reg?.example.com", AuthEntry("glob", "p")},
                               {"regx.example.com", AuthEntry("exact", "p")},
                           }));
  RegistryCredentials creds = RegistryCredentials::LoadFromDisk({dir.path()});
  ASSERT_EQ(creds.size(), 2u);
  EXPECT_EQ(UserFor(creds, "regx.example.com/app"), "exact");
  EXPECT_EQ(UserFor(creds, "regy.example.com/app"), "glob");
}

TEST(RegistryCredentialsTest, LongerGlobKeyBeatsShorterExactKey) {
  TempDir dir;
  dir.Write("config.json",
            ConfigJson({
                {"registry.example.com", AuthEntry("exact-host", "p")},
                {"*.example.com/team/app", AuthEntry("glob-path", "p")},
            }));
  RegistryCredentials creds = RegistryCredentials::LoadFromDisk({dir.path()});
  ASSERT_EQ(creds.size(), 2u);
  EXPECT_EQ(UserFor(creds, "registry.example.com/team/app"), "glob-path");
  EXPECT_EQ(UserFor(creds, "registry.example.com/team/other"), "exact-host");
}

TEST(RegistryCredentialsTest, HubPathKeyBeatsHubHostKey) {
  TempDir dir;
  dir.Write("config.json",
            ConfigJson({
                {"https://index.docker.io/v1/", AuthEntry("hub", "p")},
                {"docker.io/myorg", AuthEntry("myorg", "p")},
            }));
  RegistryCredentials creds = RegistryCredentials::LoadFromDisk({dir.path()});
  ASSERT_EQ(creds.size(), 2u);
  EXPECT_EQ(UserFor(creds, "myorg/app:1"), "myorg");
  EXPECT_EQ(UserFor(creds, "index.docker.io/myorg/app"), "myorg");
  EXPECT_EQ(UserFor(creds, "busybox"), "hub");
  EXPECT_EQ(UserFor(creds, "otherorg/app"), "hub");
}

TEST(RegistryCredentialsTest, LookupAcceptsUnnormalisedNames) {
  TempDir dir;
  dir.Write("config.json",
            ConfigJson({{"https://index.docker.io/v1/",
                         AuthEntry("hubuser", "hubpass")},
                        {"localhost:5000", AuthEntry("local", "p")}}));
  RegistryCredentials creds = RegistryCredentials::LoadFromDisk({dir.path()});
  const std::string digest = absl::StrCat("sha256:", std::string(64, 'b'));
  for (const std::string& image :
       {std::string("busybox:1.36"), std::string("busybox"),
        absl::StrCat("busybox@", digest), absl::StrCat("busybox:1.36@", digest),
        std::string("library/busybox"),
        std::string("docker.io/library/busybox:latest")}) {
    EXPECT_EQ(UserFor(creds, image), "hubuser") << image;
  }
  EXPECT_EQ(creds.Lookup("busybox:1.36")->password, "hubpass");
  EXPECT_EQ(UserFor(creds, "localhost:5000/x/y:tag"), "local");
  EXPECT_EQ(UserFor(creds, absl::StrCat("localhost:5000/x@", digest)), "local");
}

}  // namespace
}  // namespace cri_dockerd::image
