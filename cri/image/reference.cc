#include "cri/image/reference.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"

namespace cri_dockerd::image {
namespace {

// Limits and names from github.com/distribution/reference.
constexpr size_t kNameTotalLengthMax = 255;
constexpr size_t kTagLengthMax = 128;
constexpr size_t kMinDigestHex = 32;
constexpr absl::string_view kDefaultDomain = "docker.io";
constexpr absl::string_view kLegacyDefaultDomain = "index.docker.io";
constexpr absl::string_view kOfficialRepoPrefix = "library/";
constexpr absl::string_view kIdPrefix = "sha256:";

absl::Status Invalid(absl::string_view ref, absl::string_view what) {
  // CHexEscape makes control characters visible in the message.
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid image reference \"", absl::CHexEscape(ref), "\": ", what));
}

bool IsLowerAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool IsLowerHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}
bool IsWordChar(char c) { return absl::ascii_isalnum(c) || c == '_'; }

bool HasUpper(absl::string_view s) {
  for (char c : s) {
    if (absl::ascii_isupper(c)) return true;
  }
  return false;
}

// Characters that may appear anywhere in a reference; each part narrows this.
bool IsReferenceChar(char c) {
  return absl::ascii_isalnum(c) || c == '.' || c == '_' || c == '-' ||
         c == '/' || c == ':' || c == '@' || c == '[' || c == ']' || c == '+';
}

// tag = [\w][\w.-]{0,127}
absl::Status CheckTag(absl::string_view ref, absl::string_view tag) {
  if (tag.empty()) return Invalid(ref, "empty tag after ':'");
  if (tag.size() > kTagLengthMax) {
    return Invalid(ref, "tag is longer than 128 characters");
  }
  if (!IsWordChar(tag.front())) {
    return Invalid(ref, absl::StrCat("tag \"", tag,
                                     "\" must start with a letter, digit "
                                     "or '_'"));
  }
  for (char c : tag) {
    if (!IsWordChar(c) && c != '.' && c != '-') {
      return Invalid(ref, absl::StrCat("tag \"", tag,
                                       "\" may only contain letters, digits, "
                                       "'_', '.' and '-'"));
    }
  }
  return absl::OkStatus();
}

// algorithm = [A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*
bool ValidDigestAlgorithm(absl::string_view alg) {
  bool expect_letter = true;
  for (char c : alg) {
    if (expect_letter) {
      if (!absl::ascii_isalpha(c)) return false;
      expect_letter = false;
    } else if (c == '-' || c == '_' || c == '+' || c == '.') {
      expect_letter = true;
    } else if (!absl::ascii_isalnum(c)) {
      return false;
    }
  }
  return !alg.empty() && !expect_letter;
}

// digest = algorithm ":" hex, with the registered algorithms' exact lengths
// (go-digest's Validate).
absl::Status CheckDigest(absl::string_view ref, absl::string_view digest) {
  const size_t colon = digest.find(':');
  if (colon == absl::string_view::npos || colon == 0) {
    return Invalid(ref, "digest after '@' must be algorithm:hex");
  }
  const absl::string_view alg = digest.substr(0, colon);
  const absl::string_view hex = digest.substr(colon + 1);
  bool all_hex = hex.size() >= kMinDigestHex;
  for (char c : hex) all_hex = all_hex && absl::ascii_isxdigit(c);
  if (!ValidDigestAlgorithm(alg) || !all_hex) {
    return Invalid(ref, absl::StrCat("digest \"", digest,
                                     "\" must be algorithm:hex with at least "
                                     "32 hex digits"));
  }
  size_t want = 0;
  if (alg == "sha256") want = 64;
  if (alg == "sha384") want = 96;
  if (alg == "sha512") want = 128;
  if (want == 0) {
    return Invalid(ref, absl::StrCat("unsupported digest algorithm \"", alg,
                                     "\" (want sha256, sha384 or sha512)"));
  }
  bool lower = true;
  for (char c : hex) lower = lower && IsLowerHex(c);
  if (hex.size() != want || !lower) {
    return Invalid(ref, absl::StrCat(alg, " digest must be ", want,
                                     " lowercase hex digits"));
  }
  return absl::OkStatus();
}

// domain = host [":" port]; host = domain-name | "[" ipv6 "]".
absl::Status CheckDomain(absl::string_view ref, absl::string_view domain) {
  absl::string_view host = domain;
  absl::string_view port;
  if (absl::StartsWith(domain, "[")) {
    const size_t close = domain.find(']');
    if (close == absl::string_view::npos) {
      return Invalid(ref, "unterminated '[' in registry host");
    }
    host = domain.substr(0, close + 1);
    port = domain.substr(close + 1);
    const absl::string_view addr = host.substr(1, host.size() - 2);
    if (addr.empty() || addr.find_first_not_of("0123456789abcdefABCDEF:") !=
                            absl::string_view::npos) {
      return Invalid(ref, "bad IPv6 address in registry host");
    }
  } else {
    const size_t colon = domain.find(':');
    if (colon != absl::string_view::npos) {
      host = domain.substr(0, colon);
      port = domain.substr(colon);
    }
    for (absl::string_view label : absl::StrSplit(host, '.')) {
      bool ok = !label.empty() && label.front() != '-' && label.back() != '-';
      for (char c : label) ok = ok && (absl::ascii_isalnum(c) || c == '-');
      if (!ok) {
        return Invalid(ref, absl::StrCat("bad registry host \"", host,
                                         "\": labels are letters, digits "
                                         "and inner '-', separated by '.'"));
      }
    }
  }
  if (!port.empty()) {
    const absl::string_view digits = port.substr(1);
    if (port.front() != ':' || digits.empty() ||
        digits.find_first_not_of("0123456789") != absl::string_view::npos) {
      return Invalid(ref, absl::StrCat("bad registry port in \"", domain,
                                       "\": want host:digits"));
    }
  }
  return absl::OkStatus();
}

// path-component = [a-z0-9]+ (separator [a-z0-9]+)*, separator = [._] | __
// | -+ ; components are joined by '/'.
absl::Status CheckPath(absl::string_view ref, absl::string_view path) {
  if (absl::StartsWith(path, "/")) {
    return Invalid(ref, "repository path must not start with '/'");
  }
  for (absl::string_view comp : absl::StrSplit(path, '/')) {
    if (comp.empty()) {
      return Invalid(ref, "empty path component (doubled or trailing '/')");
    }
    bool ok = IsLowerAlnum(comp.front()) && IsLowerAlnum(comp.back());
    for (size_t i = 0; ok && i < comp.size();) {
      if (IsLowerAlnum(comp[i])) {
        ++i;
        continue;
      }
      size_t j = i;
      while (j < comp.size() && !IsLowerAlnum(comp[j])) ++j;
      const absl::string_view sep = comp.substr(i, j - i);
      ok = sep == "." || sep == "_" || sep == "__" ||
           sep.find_first_not_of('-') == absl::string_view::npos;
      i = j;
    }
    if (!ok) {
      return Invalid(
          ref, absl::StrCat("bad path component \"", comp,
                            "\": lowercase letters and digits, separated by "
                            "one '.', one or two '_', or dashes, and no "
                            "leading or trailing separator"));
    }
  }
  return absl::OkStatus();
}

std::string FamiliarName(const ImageReference& r) {
  if (r.domain != kDefaultDomain) return r.Name();
  if (absl::StartsWith(r.path, kOfficialRepoPrefix)) {
    absl::string_view rest = r.path;
    rest.remove_prefix(kOfficialRepoPrefix.size());
    if (!absl::StrContains(rest, '/')) return std::string(rest);
  }
  return r.path;
}

}  // namespace

std::string ImageReference::Name() const {
  return absl::StrCat(domain, "/", path);
}

std::string ImageReference::String() const {
  return absl::StrCat(Name(), tag.empty() ? "" : ":", tag,
                      digest.empty() ? "" : "@", digest);
}

std::string ImageReference::Familiar() const {
  return absl::StrCat(FamiliarName(*this), tag.empty() ? "" : ":", tag,
                      digest.empty() ? "" : "@", digest);
}

absl::StatusOr<ImageReference> ParseImageReference(absl::string_view ref) {
  if (ref.empty()) return Invalid(ref, "empty reference");
  for (char c : ref) {
    if (absl::ascii_isspace(c)) return Invalid(ref, "contains whitespace");
    if (!IsReferenceChar(c)) {
      return Invalid(ref,
                     absl::StrCat("invalid character '",
                                  absl::CHexEscape(std::string(1, c)), "'"));
    }
  }
  if (LooksLikeImageId(ref)) {
    return Invalid(ref,
                   "64 hex digits are an image ID, not a repository name; "
                   "resolve it as an image ID instead");
  }

  ImageReference out;
  absl::string_view name = ref;
  if (const size_t at = name.find('@'); at != absl::string_view::npos) {
    RETURN_IF_ERROR(CheckDigest(ref, name.substr(at + 1)));
    out.digest = std::string(name.substr(at + 1));
    name = name.substr(0, at);
  }
  // Path components never hold ':', so a ':' after the last '/' starts the
  // tag; an earlier one is the registry port.
  const size_t slash = name.rfind('/');
  const size_t colon = name.rfind(':');
  if (colon != absl::string_view::npos &&
      (slash == absl::string_view::npos || colon > slash)) {
    RETURN_IF_ERROR(CheckTag(ref, name.substr(colon + 1)));
    out.tag = std::string(name.substr(colon + 1));
    name = name.substr(0, colon);
  }
  if (name.empty()) return Invalid(ref, "missing repository name");

  // Docker's splitDockerDomain.
  absl::string_view remainder = name;
  const size_t first_slash = name.find('/');
  const absl::string_view first = name.substr(0, first_slash);
  if (first_slash != absl::string_view::npos &&
      (first.find_first_of(".:") != absl::string_view::npos ||
       first == "localhost" || HasUpper(first))) {
    out.domain = std::string(first);
    remainder = name.substr(first_slash + 1);
  } else {
    out.domain = std::string(kDefaultDomain);
  }
  if (out.domain == kLegacyDefaultDomain)
    out.domain = std::string(kDefaultDomain);
  if (remainder.empty()) return Invalid(ref, "missing repository path");
  out.path = out.domain == kDefaultDomain && !absl::StrContains(remainder, '/')
                 ? absl::StrCat(kOfficialRepoPrefix, remainder)
                 : std::string(remainder);

  if (HasUpper(out.path)) {
    return Invalid(ref, absl::StrCat("repository name \"", out.path,
                                     "\" must be lowercase"));
  }
  RETURN_IF_ERROR(CheckDomain(ref, out.domain));
  RETURN_IF_ERROR(CheckPath(ref, out.path));
  if (out.Name().size() > kNameTotalLengthMax) {
    return Invalid(ref, absl::StrCat("repository name \"", out.Name(),
                                     "\" is longer than 255 characters"));
  }
  return out;
}

ImageReference WithDefaultTag(ImageReference r) {
  if (r.tag.empty() && r.digest.empty()) r.tag = "latest";
  return r;
}

bool LooksLikeImageId(absl::string_view s) {
  if (absl::StartsWith(s, kIdPrefix)) s.remove_prefix(kIdPrefix.size());
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!IsLowerHex(c)) return false;
  }
  return true;
}

bool NamesImageId(absl::string_view name, absl::string_view id) {
  if (name == id) return true;
  absl::string_view bare_id = id, bare = name;
  absl::ConsumePrefix(&bare_id, kIdPrefix);
  const bool prefixed = absl::ConsumePrefix(&bare, kIdPrefix);
  if (prefixed && !absl::StartsWith(id, kIdPrefix)) return false;
  return bare.size() >= 4 && absl::StartsWith(bare_id, bare) &&
         std::all_of(bare.begin(), bare.end(), IsLowerHex);
}

std::string DockerRepository(const ImageReference& r) {
  std::string familiar = FamiliarName(r);
  // A Docker Hub namespace that looks like a host ("docker.io/foo.bar/x")
  // would be read back as a registry: send the full name then.
  const std::string first = familiar.substr(0, familiar.find('/'));
  if (r.domain == kDefaultDomain && first.size() < familiar.size() &&
      (absl::StrContains(first, '.') || absl::StrContains(first, ':') ||
       first == "localhost")) {
    return r.Name();
  }
  return familiar;
}

std::string DockerTagOrDigest(const ImageReference& r) {
  if (!r.digest.empty()) return r.digest;
  if (!r.tag.empty()) return r.tag;
  return "latest";
}

}  // namespace cri_dockerd::image
