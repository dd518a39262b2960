#include "docker_client/url_escape.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace cri_dockerd::docker {
namespace {

bool IsUnreserved(unsigned char c) {
  return absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

std::string Escape(absl::string_view s, absl::string_view keep) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c) || keep.find(ch) != absl::string_view::npos) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

}  // namespace

std::string EscapeQueryValue(absl::string_view value) {
  return Escape(value, "");
}

absl::StatusOr<std::string> EscapeImageName(absl::string_view name) {
  if (name.empty()) {
    return absl::InvalidArgumentError("image name must not be empty");
  }
  for (absl::string_view segment : absl::StrSplit(name, '/')) {
    if (segment.empty() || segment == "." || segment == "..") {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid image name \"", absl::CHexEscape(name),
                       "\": empty, \".\" or \"..\" path segment"));
    }
  }
  return Escape(name, "/:@");
}

absl::StatusOr<std::string> EscapePathSegment(absl::string_view segment,
                                              absl::string_view what) {
  if (segment.empty() || segment == "." || segment == ".." ||
      segment.find('/') != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid ", what, " \"", absl::CHexEscape(segment),
                     "\": empty, \".\", \"..\" or holding '/'"));
  }
  return Escape(segment, "");
}

}  // namespace cri_dockerd::docker
