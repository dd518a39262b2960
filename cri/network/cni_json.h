// Raw-JSON helpers for CNI documents. Plugin configs, results and cache
// entries are passed on byte for byte where possible: a round trip through
// google::protobuf::Struct turns every number into a double (large integers
// lose precision, 1e15 prints as "1e+15", which Go plugins refuse for
// integer fields). Validity is still checked with protobuf's parser; these
// helpers only split and join well-formed text.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/json_quote.h"

namespace cri_dockerd::network {

// One member of a JSON object: the decoded key and the value's raw text.
using JsonMember = std::pair<std::string, std::string>;

// The members of the JSON object `text`, in order. InvalidArgument if
// `text` is not a well-formed JSON object.
absl::StatusOr<std::vector<JsonMember>> SplitJsonObject(absl::string_view text);

// The raw text of each element of the JSON array `text`.
absl::StatusOr<std::vector<std::string>> SplitJsonArray(absl::string_view text);

// The raw value of `key` in `members`, or "" when absent.
std::string FindMember(const std::vector<JsonMember>& members,
                       absl::string_view key);

// `s` as a JSON string literal (common/json_quote.h).
using ::cri_dockerd::JsonQuote;

// The decoded value of a JSON string literal; InvalidArgument if `raw` is
// not one.
absl::StatusOr<std::string> JsonUnquote(absl::string_view raw);

// {"k":v,...} from members whose values are raw JSON.
std::string JoinJsonObject(const std::vector<JsonMember>& members);

// [a,b,...] from raw JSON values.
std::string JoinJsonArray(const std::vector<std::string>& values);

// [s1,s2,...] of JSON strings.
std::string JsonStringArray(const std::vector<std::string>& values);

}  // namespace cri_dockerd::network
