// Pieces of the Prometheus text exposition format 0.0.4: HELP/TYPE lines,
// label sets with escaped values, and sample values written the way the
// Go client does (shortest round-trip form, +Inf/-Inf/NaN).
#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace cri_dockerd::metrics {

// The Content-Type of a text exposition.
inline constexpr char kTextContentType[] =
    "text/plain; version=0.0.4; charset=utf-8";

// Appends "# HELP name help\n# TYPE name type\n" (help escaped: \ and
// newline).
void AppendHeader(std::string* out, absl::string_view name,
                  absl::string_view help, absl::string_view type);

// Escapes a label value: \ -> \\, " -> \", newline -> \n.
std::string EscapeLabelValue(absl::string_view value);

// A sample value: integers below 2^53 without exponent or point ("3"),
// others as Go's strconv 'g' with shortest digits ("0.25", "0.0005",
// "1e-05"), "+Inf", "-Inf", "NaN".
std::string FormatValue(double value);

// Appends one sample line: name{k="v",...,extra_name="extra_value"} value.
// `extra_name` (e.g. "le") is added last when non-empty.
void AppendSample(std::string* out, absl::string_view name,
                  absl::Span<const std::string> label_names,
                  absl::Span<const std::string> label_values,
                  absl::string_view extra_name, absl::string_view extra_value,
                  absl::string_view value);

}  // namespace cri_dockerd::metrics
