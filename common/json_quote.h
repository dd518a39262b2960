// JSON string literals for the few places that write small JSON documents
// by hand (CNI configs and caches, Kubernetes Status objects) in code that
// does not link a JSON library.
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace cri_dockerd {

// `s` as a JSON string literal, quotes included: `"` and `\` escaped,
// control characters as \n, \r, \t or \u00XX. Other bytes pass through
// (UTF-8 stays UTF-8).
std::string JsonQuote(absl::string_view s);

}  // namespace cri_dockerd
