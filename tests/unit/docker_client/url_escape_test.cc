// Percent-encoding of query values and image names in request paths.
#include "docker_client/url_escape.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cri_dockerd::docker {
namespace {

TEST(EscapeQueryValueTest, KeepsOnlyUnreserved) {
  EXPECT_EQ(EscapeQueryValue("localhost:5000/busybox"),
            "localhost%3A5000%2Fbusybox");
  EXPECT_EQ(EscapeQueryValue("sha256:ab01"), "sha256%3Aab01");
  EXPECT_EQ(EscapeQueryValue("A-z_0.9~"), "A-z_0.9~");
  EXPECT_EQ(EscapeQueryValue("a b&c=d#e?f%+"), "a%20b%26c%3Dd%23e%3Ff%25%2B");
  EXPECT_EQ(EscapeQueryValue(R"({"reference":{"x":true}})"),
            "%7B%22reference%22%3A%7B%22x%22%3Atrue%7D%7D");
  EXPECT_EQ(EscapeQueryValue(std::string("\x00\n\xff", 3)), "%00%0A%FF");
  EXPECT_EQ(EscapeQueryValue(""), "");
}

TEST(EscapeImageNameTest, ReferencesPassThrough) {
  for (const char* name :
       {"busybox", "localhost:5000/busybox:1.36",
        "registry.k8s.io/e2e-test-images/busybox@sha256:"
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "sha256:8b26e31365b6", "8b26e313", "my_repo/a-b.c:v1.0__x"}) {
    absl::StatusOr<std::string> escaped = EscapeImageName(name);
    ASSERT_TRUE(escaped.ok()) << name << ": " << escaped.status();
    EXPECT_EQ(*escaped, name);
  }
}

TEST(EscapeImageNameTest, NothingCanInject) {
  const struct {
    std::string name, want;
  } cases[] = {
      {"busybox?force=1", "busybox%3Fforce%3D1"},
      {"busybox#frag", "busybox%23frag"},
      {"a b", "a%20b"},
      {"100%", "100%25"},
      {"x\r\nHost: evil", "x%0D%0AHost:%20evil"},
      {std::string("nul\0x", 5), "nul%00x"},
      {"caf\xc3\xa9", "caf%C3%A9"},
      {"a+b;c", "a%2Bb%3Bc"},
  };
  for (const auto& c : cases) {
    absl::StatusOr<std::string> escaped = EscapeImageName(c.name);
    ASSERT_TRUE(escaped.ok()) << escaped.status();
    EXPECT_EQ(*escaped, c.want);
  }
}

TEST(EscapeImageNameTest, RejectsWhatWouldLeaveTheImagesEndpoint) {
  for (const char* name : {"", "/", "..", ".", "../containers/x", "a/../b",
                           "a/./b", "a//b", "/busybox", "busybox/"}) {
    EXPECT_EQ(EscapeImageName(name).status().code(),
              absl::StatusCode::kInvalidArgument)
        << name;
  }
  // Dots inside a segment are fine.
  EXPECT_TRUE(EscapeImageName("a..b/.c/d.").ok());
}

TEST(EscapePathSegmentTest, EscapesAllButUnreserved) {
  EXPECT_EQ(EscapePathSegment("0123abcdef", "id").value_or("?"), "0123abcdef");
  EXPECT_EQ(EscapePathSegment("k8s_POD_a-b.c~d", "id").value_or("?"),
            "k8s_POD_a-b.c~d");
  EXPECT_EQ(EscapePathSegment("a b:c?d#e%", "id").value_or("?"),
            "a%20b%3Ac%3Fd%23e%25");
  EXPECT_EQ(EscapePathSegment("x\r\ny", "id").value_or("?"), "x%0D%0Ay");
  EXPECT_EQ(EscapePathSegment("a..b", "id").value_or("?"), "a..b");
}

TEST(EscapePathSegmentTest, RejectsWhatWouldLeaveTheSegment) {
  for (const char* bad : {"", ".", "..", "/", "a/b", "/name", "../x", "x/"}) {
    absl::Status s = EscapePathSegment(bad, "container ID").status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(s.message()),
                ::testing::HasSubstr("invalid container ID"));
  }
}

}  // namespace
}  // namespace cri_dockerd::docker
