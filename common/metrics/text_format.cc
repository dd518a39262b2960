#include "common/metrics/text_format.h"

#include <charconv>
#include <cmath>
#include <cstdint>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace cri_dockerd::metrics {

void AppendHeader(std::string* out, absl::string_view name,
                  absl::string_view help, absl::string_view type) {
  absl::StrAppend(out, "# HELP ", name, " ");
  for (char c : help) {
    if (c == '\\') {
      out->append("\\\\");
    } else if (c == '\n') {
      out->append("\\n");
    } else {
      out->push_back(c);
    }
  }
  absl::StrAppend(out, "\n# TYPE ", name, " ", type, "\n");
}

std::string EscapeLabelValue(absl::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\':
        out.append("\\\\");
        break;
      case '"':
        out.append("\\\"");
        break;
      case '\n':
        out.append("\\n");
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // Exact integers (counts, bytes) print without exponent up to 2^53.
  if (value == std::trunc(value) && std::fabs(value) < 9007199254740992.0) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  // Go's 'g' with the shortest digits: plain decimals from 1e-4 on
  // ("0.0005"), exponent form below ("1e-05") and for huge values.
  char buf[64];
  const auto sci = std::to_chars(buf, buf + sizeof buf, value,
                                 std::chars_format::scientific);
  const std::string scientific(buf, sci.ptr);
  int exponent = 0;
  const size_t e = scientific.find('e');
  if (e == std::string::npos ||
      !absl::SimpleAtoi(scientific.substr(e + 1), &exponent) || exponent < -4 ||
      exponent >= 21) {
    return scientific;
  }
  const auto fixed =
      std::to_chars(buf, buf + sizeof buf, value, std::chars_format::fixed);
  return std::string(buf, fixed.ptr);
}

void AppendSample(std::string* out, absl::string_view name,
                  absl::Span<const std::string> label_names,
                  absl::Span<const std::string> label_values,
                  absl::string_view extra_name, absl::string_view extra_value,
                  absl::string_view value) {
  out->append(name.data(), name.size());
  if (!label_names.empty() || !extra_name.empty()) {
    out->push_back('{');
    bool first = true;
    for (size_t i = 0; i < label_names.size(); ++i) {
      absl::StrAppend(out, first ? "" : ",", label_names[i], "=\"",
                      EscapeLabelValue(label_values[i]), "\"");
      first = false;
    }
    if (!extra_name.empty()) {
      absl::StrAppend(out, first ? "" : ",", extra_name, "=\"",
                      EscapeLabelValue(extra_value), "\"");
    }
    out->push_back('}');
  }
  absl::StrAppend(out, " ", value, "\n");
}

}  // namespace cri_dockerd::metrics
