#include "cri/image/reference.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace cri_dockerd::image {
namespace {

// sha256 of the empty string: a realistic 64-hex digest.
constexpr char kHex64[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::string Hex(size_t n) {
  std::string out;
  while (out.size() < n) out += "0123456789abcdef";
  out.resize(n);
  return out;
}

std::string Sha256() { return absl::StrCat("sha256:", kHex64); }

struct ValidCase {
  std::string input;
  std::string domain;
  std::string path;
  std::string tag;
  std::string digest;
  std::string string;    // String()
  std::string familiar;  // Familiar()
};

std::vector<ValidCase> ValidCases() {
  const std::string d = Sha256();
  const std::string d384 = absl::StrCat("sha384:", Hex(96));
  const std::string d512 = absl::StrCat("sha512:", Hex(128));
  const std::string tag128(128, 't');
  return {
      // Docker Hub official images and their spellings.
      {"busybox", "docker.io", "library/busybox", "", "",
       "docker.io/library/busybox", "busybox"},
      {"busybox:1.36", "docker.io", "library/busybox", "1.36", "",
       "docker.io/library/busybox:1.36", "busybox:1.36"},
      {"library/busybox", "docker.io", "library/busybox", "", "",
       "docker.io/library/busybox", "busybox"},
      {"docker.io/busybox", "docker.io", "library/busybox", "", "",
       "docker.io/library/busybox", "busybox"},
      {"docker.io/library/busybox:latest", "docker.io", "library/busybox",
       "latest", "", "docker.io/library/busybox:latest", "busybox:latest"},
      {"index.docker.io/busybox", "docker.io", "library/busybox", "", "",
       "docker.io/library/busybox", "busybox"},
      {"index.docker.io/library/busybox:1.36", "docker.io", "library/busybox",
       "1.36", "", "docker.io/library/busybox:1.36", "busybox:1.36"},
      // Docker Hub user repositories.
      {"foo/bar", "docker.io", "foo/bar", "", "", "docker.io/foo/bar",
       "foo/bar"},
      {"index.docker.io/foo/bar:v1", "docker.io", "foo/bar", "v1", "",
       "docker.io/foo/bar:v1", "foo/bar:v1"},
      {"foo/bar/baz", "docker.io", "foo/bar/baz", "", "",
       "docker.io/foo/bar/baz", "foo/bar/baz"},
      // "library/" stays when more than the repository follows it.
      {"docker.io/library/foo/bar", "docker.io", "library/foo/bar", "", "",
       "docker.io/library/foo/bar", "library/foo/bar"},
      // Without a '/', "localhost" and "localhost:5000" are Hub names (the
      // ':' after the last '/' starts the tag), as in docker.
      {"localhost", "docker.io", "library/localhost", "", "",
       "docker.io/library/localhost", "localhost"},
      {"localhost:5000", "docker.io", "library/localhost", "5000", "",
       "docker.io/library/localhost:5000", "localhost:5000"},
      // Other registries.
      {"localhost/x", "localhost", "x", "", "", "localhost/x", "localhost/x"},
      {"localhost:5000/x", "localhost:5000", "x", "", "", "localhost:5000/x",
       "localhost:5000/x"},
      {"localhost:5000/x/y:tag", "localhost:5000", "x/y", "tag", "",
       "localhost:5000/x/y:tag", "localhost:5000/x/y:tag"},
      {"registry.k8s.io/pause:3.10", "registry.k8s.io", "pause", "3.10", "",
       "registry.k8s.io/pause:3.10", "registry.k8s.io/pause:3.10"},
      {"gcr.io/google-containers/pause-amd64:3.2", "gcr.io",
       "google-containers/pause-amd64", "3.2", "",
       "gcr.io/google-containers/pause-amd64:3.2",
       "gcr.io/google-containers/pause-amd64:3.2"},
      {"127.0.0.1:5000/busybox:1.36", "127.0.0.1:5000", "busybox", "1.36", "",
       "127.0.0.1:5000/busybox:1.36", "127.0.0.1:5000/busybox:1.36"},
      {"sub.example-1.com:443/a/b/c:v1.0-rc_1", "sub.example-1.com:443",
       "a/b/c", "v1.0-rc_1", "", "sub.example-1.com:443/a/b/c:v1.0-rc_1",
       "sub.example-1.com:443/a/b/c:v1.0-rc_1"},
      {"[::1]:5000/x", "[::1]:5000", "x", "", "", "[::1]:5000/x",
       "[::1]:5000/x"},
      {"[2001:db8::1]/ns/app:1.0", "[2001:db8::1]", "ns/app", "1.0", "",
       "[2001:db8::1]/ns/app:1.0", "[2001:db8::1]/ns/app:1.0"},
      // A first component with uppercase letters is a registry host.
      {"EXAMPLE/app", "EXAMPLE", "app", "", "", "EXAMPLE/app", "EXAMPLE/app"},
      // Path separators: '.', '_', '__', runs of '-'.
      {"my_app/sub-path__x/a.b---c", "docker.io", "my_app/sub-path__x/a.b---c",
       "", "", "docker.io/my_app/sub-path__x/a.b---c",
       "my_app/sub-path__x/a.b---c"},
      // Tags: word characters first, then '.', '-' too; up to 128.
      {"busybox:_V1.2-RC", "docker.io", "library/busybox", "_V1.2-RC", "",
       "docker.io/library/busybox:_V1.2-RC", "busybox:_V1.2-RC"},
      {absl::StrCat("busybox:", tag128), "docker.io", "library/busybox", tag128,
       "", absl::StrCat("docker.io/library/busybox:", tag128),
       absl::StrCat("busybox:", tag128)},
      // Digests.
      {absl::StrCat("busybox@", d), "docker.io", "library/busybox", "", d,
       absl::StrCat("docker.io/library/busybox@", d),
       absl::StrCat("busybox@", d)},
      {absl::StrCat("busybox:1.36@", d), "docker.io", "library/busybox", "1.36",
       d, absl::StrCat("docker.io/library/busybox:1.36@", d),
       absl::StrCat("busybox:1.36@", d)},
      {absl::StrCat("localhost:5000/x@", d), "localhost:5000", "x", "", d,
       absl::StrCat("localhost:5000/x@", d),
       absl::StrCat("localhost:5000/x@", d)},
      {absl::StrCat("quay.io/org/app:v2@", d384), "quay.io", "org/app", "v2",
       d384, absl::StrCat("quay.io/org/app:v2@", d384),
       absl::StrCat("quay.io/org/app:v2@", d384)},
      {absl::StrCat("registry.example.com/team/app@", d512),
       "registry.example.com", "team/app", "", d512,
       absl::StrCat("registry.example.com/team/app@", d512),
       absl::StrCat("registry.example.com/team/app@", d512)},
      // A 64-hex repository name is fine when it has a tag.
      {absl::StrCat(kHex64, ":v1"), "docker.io",
       absl::StrCat("library/", kHex64), "v1", "",
       absl::StrCat("docker.io/library/", kHex64, ":v1"),
       absl::StrCat(kHex64, ":v1")},
  };
}

TEST(ParseImageReferenceTest, ValidReferences) {
  for (const ValidCase& c : ValidCases()) {
    SCOPED_TRACE(c.input);
    absl::StatusOr<ImageReference> ref = ParseImageReference(c.input);
    ASSERT_TRUE(ref.ok()) << ref.status();
    EXPECT_EQ(ref->domain, c.domain);
    EXPECT_EQ(ref->path, c.path);
    EXPECT_EQ(ref->tag, c.tag);
    EXPECT_EQ(ref->digest, c.digest);
    EXPECT_EQ(ref->Name(), absl::StrCat(c.domain, "/", c.path));
    EXPECT_EQ(ref->String(), c.string);
    EXPECT_EQ(ref->Familiar(), c.familiar);

    // Both printed forms parse back to the same reference.
    absl::StatusOr<ImageReference> again = ParseImageReference(ref->String());
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(*again, *ref);
    absl::StatusOr<ImageReference> familiar =
        ParseImageReference(ref->Familiar());
    ASSERT_TRUE(familiar.ok()) << familiar.status();
    EXPECT_EQ(*familiar, *ref);
  }
}

TEST(ParseImageReferenceTest, SpellingsOfOneImageAreEqual) {
  const std::vector<std::string> spellings = {
      "busybox",
      "library/busybox",
      "docker.io/busybox",
      "docker.io/library/busybox",
      "index.docker.io/busybox",
      "index.docker.io/library/busybox"};
  absl::StatusOr<ImageReference> want = ParseImageReference("busybox");
  ASSERT_TRUE(want.ok()) << want.status();
  for (const std::string& s : spellings) {
    absl::StatusOr<ImageReference> got = ParseImageReference(s);
    ASSERT_TRUE(got.ok()) << s << ": " << got.status();
    EXPECT_EQ(*got, *want) << s;
  }
  // A tag or digest makes a different reference.
  EXPECT_FALSE(*ParseImageReference("busybox:1.36") == *want);
  EXPECT_FALSE(*ParseImageReference(absl::StrCat("busybox@", Sha256())) ==
               *want);
}

TEST(ParseImageReferenceTest, NoDefaultTagIsAdded) {
  absl::StatusOr<ImageReference> ref = ParseImageReference("busybox");
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_EQ(ref->tag, "");
  EXPECT_EQ(ref->digest, "");
}

struct InvalidCase {
  std::string input;
  std::string why;  // a fragment of the message saying what is wrong
};

std::vector<InvalidCase> InvalidCases() {
  const std::string d = Sha256();
  return {
      {"", "empty"},
      // Uppercase in the repository path.
      {"Busybox", "lowercase"},
      {"foo/Bar", "lowercase"},
      {"docker.io/library/BusyBox", "lowercase"},
      {"registry.example.com/Team/app:1", "lowercase"},
      // Whitespace and other characters no part allows.
      {"busy box", "whitespace"},
      {" busybox", "whitespace"},
      {"busybox ", "whitespace"},
      {"busybox\t", "whitespace"},
      {"busybox:1.36\n", "whitespace"},
      {"busy$box", "character"},
      {"busybox:v1!", "character"},
      {"foo/bar?x=1", "character"},
      {"a+b/c", "path component"},
      // Tags.
      {"busybox:", "tag"},
      {"busybox:-v1", "tag"},
      {"busybox:.v1", "tag"},
      {"busybox:v+1", "tag"},
      {absl::StrCat("busybox:", std::string(129, 't')), "128"},
      // Digests.
      {"busybox@", "digest"},
      {"busybox@sha256", "digest"},
      {absl::StrCat("busybox@:", kHex64), "digest"},
      {"busybox@sha256:abc123", "digest"},
      {absl::StrCat("busybox@sha256:", Hex(63)), "64"},
      {absl::StrCat("busybox@sha256:", Hex(65)), "64"},
      {absl::StrCat("busybox@sha256:", Hex(62), "zz"), "digest"},
      {absl::StrCat("busybox@sha256:", "E3B0C44298FC1C149AFBF4C8996FB924",
                    "27AE41E4649B934CA495991B7852B855"),
       "lowercase"},
      {absl::StrCat("busybox@sha512:", kHex64), "128"},
      {absl::StrCat("busybox@md5:", Hex(32)), "algorithm"},
      {absl::StrCat("busybox@sha1:", Hex(40)), "algorithm"},
      {absl::StrCat("busybox@1sha:", kHex64), "digest"},
      {absl::StrCat("busybox:1.36@", d, "@", d), "digest"},
      // Path components: separators only inside, one at a time.
      {"-busybox", "path component"},
      {"busybox-", "path component"},
      {"_foo/bar", "path component"},
      {"foo/bar.", "path component"},
      {"foo..bar", "path component"},
      {"foo/../bar", "path component"},
      {"foo___bar", "path component"},
      {"foo._bar", "path component"},
      {"busybox:1.0:2.0", "path component"},
      {"foo//bar", "empty path component"},
      {"foo/", "empty path component"},
      {"registry.example.com/a//b", "empty path component"},
      {"/foo", "must not start with '/'"},
      {"docker.io//foo", "must not start with '/'"},
      {"docker.io/", "missing repository path"},
      {"localhost:5000/", "missing repository path"},
      {":tag", "missing repository name"},
      {absl::StrCat("@", d), "missing repository name"},
      // Registry hosts and ports.
      {"example.com:port/foo", "port"},
      {"example.com:/foo", "port"},
      {"example.com:50:00/foo", "port"},
      {"-example.com/foo", "registry host"},
      {"example-.com/foo", "registry host"},
      {"example..com/foo", "registry host"},
      {"exa_mple.com/foo", "registry host"},
      {"[::1/foo", "unterminated"},
      {"[]:5000/foo", "IPv6"},
      {"[::g]:5000/foo", "IPv6"},
      {"[::1]x/foo", "port"},
      // Image IDs are not names.
      {kHex64, "image ID"},
      {d, "image ID"},
      // Too long.
      {absl::StrCat("example.com/", std::string(300, 'a')), "255"},
  };
}

TEST(ParseImageReferenceTest, InvalidReferences) {
  for (const InvalidCase& c : InvalidCases()) {
    SCOPED_TRACE(absl::CHexEscape(c.input));
    absl::StatusOr<ImageReference> ref = ParseImageReference(c.input);
    ASSERT_FALSE(ref.ok()) << ref->String();
    EXPECT_TRUE(absl::IsInvalidArgument(ref.status())) << ref.status();
    // The message quotes the reference (control characters escaped).
    EXPECT_NE(ref.status().message().find(
                  absl::StrCat("\"", absl::CHexEscape(c.input), "\"")),
              absl::string_view::npos)
        << ref.status();
    EXPECT_NE(ref.status().message().find(c.why), absl::string_view::npos)
        << "want \"" << c.why << "\" in: " << ref.status();
  }
}

TEST(ParseImageReferenceTest, ControlCharactersAreEscapedInTheMessage) {
  absl::StatusOr<ImageReference> ref = ParseImageReference("bad\nname");
  ASSERT_FALSE(ref.ok());
  EXPECT_EQ(ref.status().message().find('\n'), absl::string_view::npos)
      << ref.status();
  EXPECT_NE(ref.status().message().find("bad\\nname"), absl::string_view::npos)
      << ref.status();
}

TEST(ParseImageReferenceTest, NameLengthLimitIs255AfterNormalisation) {
  // "example.com/" is 12 characters: 243 more make 255.
  const std::string at_limit =
      absl::StrCat("example.com/", std::string(243, 'a'));
  absl::StatusOr<ImageReference> ref = ParseImageReference(at_limit);
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_EQ(ref->Name().size(), 255u);
  // The tag and digest do not count.
  EXPECT_TRUE(ParseImageReference(absl::StrCat(at_limit, ":v1")).ok());
  EXPECT_TRUE(
      ParseImageReference(absl::StrCat(at_limit, ":v1@", Sha256())).ok());

  const std::string over = absl::StrCat("example.com/", std::string(244, 'a'));
  absl::StatusOr<ImageReference> bad = ParseImageReference(over);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(bad.status())) << bad.status();

  // The limit applies to the normalised name: a 237-character Hub name
  // becomes "docker.io/library/" (18) + 237 = 255.
  ref = ParseImageReference(std::string(237, 'b'));
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_EQ(ref->Name().size(), 255u);
  bad = ParseImageReference(std::string(238, 'b'));
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(bad.status())) << bad.status();
  // ... and "docker.io/" (10) + 245 = 255 for a user repository.
  const std::string user_repo = absl::StrCat("u/", std::string(243, 'c'));
  EXPECT_TRUE(ParseImageReference(user_repo).ok());
  EXPECT_FALSE(ParseImageReference(absl::StrCat(user_repo, "c")).ok());
}

TEST(ParseImageReferenceTest, TagLengthLimitIs128) {
  EXPECT_TRUE(
      ParseImageReference(absl::StrCat("busybox:", std::string(128, 'v')))
          .ok());
  absl::StatusOr<ImageReference> bad =
      ParseImageReference(absl::StrCat("busybox:", std::string(129, 'v')));
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(bad.status())) << bad.status();
}

TEST(WithDefaultTagTest, AddsLatestOnlyWithoutTagAndDigest) {
  ImageReference plain = *ParseImageReference("busybox");
  ImageReference tagged = WithDefaultTag(plain);
  EXPECT_EQ(tagged.tag, "latest");
  EXPECT_EQ(tagged.String(), "docker.io/library/busybox:latest");
  EXPECT_EQ(tagged.Familiar(), "busybox:latest");
  // The argument is taken by value: the original is unchanged.
  EXPECT_EQ(plain.tag, "");

  ImageReference with_tag = *ParseImageReference("busybox:1.36");
  EXPECT_EQ(WithDefaultTag(with_tag), with_tag);

  const std::string by_digest = absl::StrCat("busybox@", Sha256());
  ImageReference with_digest = *ParseImageReference(by_digest);
  EXPECT_EQ(WithDefaultTag(with_digest), with_digest);
  EXPECT_EQ(WithDefaultTag(with_digest).tag, "");

  ImageReference both =
      *ParseImageReference(absl::StrCat("busybox:1.36@", Sha256()));
  EXPECT_EQ(WithDefaultTag(both), both);

  // Idempotent.
  EXPECT_EQ(WithDefaultTag(tagged), tagged);
}

TEST(LooksLikeImageIdTest, SixtyFourLowercaseHexWithOrWithoutPrefix) {
  EXPECT_TRUE(LooksLikeImageId(kHex64));
  EXPECT_TRUE(LooksLikeImageId(Sha256()));
  EXPECT_TRUE(LooksLikeImageId(std::string(64, '0')));

  EXPECT_FALSE(LooksLikeImageId(""));
  EXPECT_FALSE(LooksLikeImageId("sha256:"));
  EXPECT_FALSE(LooksLikeImageId(Hex(63)));
  EXPECT_FALSE(LooksLikeImageId(Hex(65)));
  EXPECT_FALSE(LooksLikeImageId(absl::StrCat("sha256:", Hex(63))));
  EXPECT_FALSE(LooksLikeImageId(absl::StrCat("sha256:", Hex(65))));
  EXPECT_FALSE(LooksLikeImageId(absl::StrCat("sha256:sha256:", kHex64)));
  EXPECT_FALSE(LooksLikeImageId(absl::StrCat("sha512:", kHex64)));
  EXPECT_FALSE(LooksLikeImageId(absl::StrCat("SHA256:", kHex64)));
  EXPECT_FALSE(LooksLikeImageId(std::string(64, 'A')));
  EXPECT_FALSE(LooksLikeImageId(std::string(64, 'g')));
  EXPECT_FALSE(LooksLikeImageId(absl::StrCat(" ", kHex64)));
  EXPECT_FALSE(LooksLikeImageId("busybox"));
  EXPECT_FALSE(LooksLikeImageId(absl::StrCat("busybox@", Sha256())));
  // Short IDs (docker accepts prefixes) are not recognised here.
  EXPECT_FALSE(LooksLikeImageId("e3b0c44298fc"));
}

struct PullCase {
  std::string input;
  std::string repository;
  std::string tag_or_digest;
};

TEST(DockerPullArgumentsTest, RepositoryAndTagOrDigest) {
  const std::string d = Sha256();
  const std::vector<PullCase> cases = {
      {"busybox", "busybox", "latest"},
      {"busybox:1.36", "busybox", "1.36"},
      {"docker.io/library/busybox:1.36", "busybox", "1.36"},
      {"index.docker.io/busybox", "busybox", "latest"},
      {absl::StrCat("busybox@", d), "busybox", d},
      // Digest wins over tag.
      {absl::StrCat("busybox:1.36@", d), "busybox", d},
      {"foo/bar:v1", "foo/bar", "v1"},
      {"docker.io/library/foo/bar:1", "library/foo/bar", "1"},
      {"localhost:5000/x", "localhost:5000/x", "latest"},
      {"localhost:5000/x/y:tag", "localhost:5000/x/y", "tag"},
      {"registry.k8s.io/pause:3.10", "registry.k8s.io/pause", "3.10"},
      {"[::1]:5000/x:y", "[::1]:5000/x", "y"},
      {absl::StrCat("registry.example.com/app:v1@", d),
       "registry.example.com/app", d},
  };
  for (const PullCase& c : cases) {
    SCOPED_TRACE(c.input);
    absl::StatusOr<ImageReference> ref = ParseImageReference(c.input);
    ASSERT_TRUE(ref.ok()) << ref.status();
    EXPECT_EQ(DockerRepository(*ref), c.repository);
    EXPECT_EQ(DockerTagOrDigest(*ref), c.tag_or_digest);
    // The repository never carries a tag or digest.
    EXPECT_EQ(DockerRepository(*ref), DockerRepository(WithDefaultTag(*ref)));
  }
}

TEST(DockerPullArgumentsTest, HandBuiltReferences) {
  ImageReference r{"docker.io", "library/busybox", "", ""};
  EXPECT_EQ(DockerTagOrDigest(r), "latest");
  r.tag = "1.36";
  EXPECT_EQ(DockerTagOrDigest(r), "1.36");
  r.digest = Sha256();
  EXPECT_EQ(DockerTagOrDigest(r), Sha256());
  r.tag.clear();
  EXPECT_EQ(DockerTagOrDigest(r), Sha256());
  EXPECT_EQ(DockerRepository(r), "busybox");
  EXPECT_EQ(r.String(), absl::StrCat("docker.io/library/busybox@", Sha256()));
  EXPECT_EQ(r.Familiar(), absl::StrCat("busybox@", Sha256()));
}

}  // namespace
}  // namespace cri_dockerd::image
