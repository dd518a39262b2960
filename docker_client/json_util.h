// Internal to docker_client/*.cc: nlohmann helpers shared by the JSON
// decoders. Never include this from a header others see: nlohmann stays
// inside this folder. Nothing here throws; a field of the wrong type reads
// as the default value.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace cri_dockerd::docker::json_util {

using nlohmann::json;

// Parses without exceptions; a discarded value means malformed input.
// `Text` is any contiguous char range (std:: or absl::string_view, ...).
template <typename Text>
json Parse(const Text& body) {
  return json::parse(body.data(), body.data() + body.size(), /*cb=*/nullptr,
                     /*allow_exceptions=*/false);
}

// Parses `body`, which must be valid JSON of the `want` type (object or
// array); Internal naming `what` otherwise.
template <typename Text>
absl::StatusOr<json> ParseTyped(const Text& body, absl::string_view what,
                                json::value_t want) {
  json doc = Parse(body);
  if (doc.is_discarded()) {
    return absl::InternalError(absl::StrCat("malformed reply from docker for ",
                                            what, ": not valid JSON (",
                                            body.size(), " bytes)"));
  }
  if (doc.type() != want) {
    return absl::InternalError(absl::StrCat(
        "malformed reply from docker for ", what, ": expected a JSON ",
        want == json::value_t::array ? "array" : "object", ", got ",
        doc.type_name()));
  }
  return doc;
}

template <typename Text>
absl::StatusOr<json> ParseObject(const Text& body, absl::string_view what) {
  return ParseTyped(body, what, json::value_t::object);
}

template <typename Text>
absl::StatusOr<json> ParseArray(const Text& body, absl::string_view what) {
  return ParseTyped(body, what, json::value_t::array);
}

// The field helpers never call get<>() on a value of the wrong type, so a
// reply with surprising types decodes to defaults instead of throwing.

inline const json* Field(const json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

// The member `key` if it is an object, else nullptr (absent, null, ...).
inline const json* ObjectField(const json& obj, const char* key) {
  const json* v = Field(obj, key);
  return v != nullptr && v->is_object() ? v : nullptr;
}

inline std::string GetString(const json& obj, const char* key) {
  const json* v = Field(obj, key);
  if (v == nullptr || !v->is_string()) return "";
  return v->get_ref<const std::string&>();
}

// Integral numbers only; `fallback` when absent or not a count.
inline int64_t GetInt(const json& obj, const char* key, int64_t fallback = 0) {
  const json* v = Field(obj, key);
  if (v == nullptr) return fallback;
  if (v->is_number_unsigned()) {
    const uint64_t u = v->get<uint64_t>();
    return u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
               ? std::numeric_limits<int64_t>::max()
               : static_cast<int64_t>(u);
  }
  if (v->is_number_integer()) return v->get<int64_t>();
  if (v->is_number_float()) {
    const double d = v->get<double>();
    // Only integral values in range; anything else is not a count.
    if (std::isfinite(d) && d == std::trunc(d) && d >= -9.2e18 && d <= 9.2e18) {
      return static_cast<int64_t>(d);
    }
  }
  return fallback;
}

// String members of an array (others skipped); empty if absent or null.
inline std::vector<std::string> GetStringArray(const json& obj,
                                               const char* key) {
  std::vector<std::string> out;
  const json* v = Field(obj, key);
  if (v == nullptr || !v->is_array()) return out;
  for (const json& item : *v) {
    if (item.is_string()) out.push_back(item.get_ref<const std::string&>());
  }
  return out;
}

// Keys of an object member (sorted, as nlohmann stores them).
inline std::vector<std::string> GetObjectKeys(const json& obj,
                                              const char* key) {
  std::vector<std::string> out;
  const json* v = Field(obj, key);
  if (v == nullptr || !v->is_object()) return out;
  for (auto it = v->begin(); it != v->end(); ++it) out.push_back(it.key());
  return out;
}

}  // namespace cri_dockerd::docker::json_util
