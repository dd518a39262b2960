#include "cri/logs/cri_log_format.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace cri_dockerd::logs {
namespace {

// absl's %E9S: seconds with exactly nine fractional digits.
constexpr char kCriTimeFormat[] = "%Y-%m-%dT%H:%M:%E9SZ";

void AppendOne(const docker::LogEntry& entry, absl::string_view content,
               bool partial, std::string* out) {
  if (!partial) content = absl::StripSuffix(content, "\r");
  absl::StrAppend(out, FormatCriTimestamp(entry.timestamp), " ", entry.stream,
                  partial ? " P " : " F ", content, "\n");
}

// Splits off the text up to the first ' ' of *line.
bool NextField(absl::string_view* line, absl::string_view* field) {
  const size_t space = line->find(' ');
  if (space == absl::string_view::npos) return false;
  *field = line->substr(0, space);
  line->remove_prefix(space + 1);
  return true;
}

}  // namespace

std::string FormatCriTimestamp(absl::Time t) {
  return absl::FormatTime(kCriTimeFormat, t, absl::UTCTimeZone());
}

void AppendCriLogLines(const docker::LogEntry& entry, std::string* out) {
  absl::string_view text = entry.line;
  for (size_t nl; (nl = text.find('\n')) != absl::string_view::npos;) {
    AppendOne(entry, text.substr(0, nl), /*partial=*/false, out);
    text.remove_prefix(nl + 1);
  }
  AppendOne(entry, text, entry.partial, out);
}

std::optional<CriLogLine> ParseCriLogLine(absl::string_view line) {
  CriLogLine parsed;
  absl::string_view ts, tag;
  if (!NextField(&line, &ts) || !NextField(&line, &parsed.stream)) {
    return std::nullopt;
  }
  // kubelet accepts a line that ends right after the tag (empty content).
  if (!NextField(&line, &tag)) {
    tag = line;
    line = absl::string_view();
  }
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, ts, &parsed.timestamp, &err)) {
    return std::nullopt;
  }
  if (parsed.stream != "stdout" && parsed.stream != "stderr") {
    return std::nullopt;
  }
  tag = tag.substr(0, tag.find(':'));
  if (tag != "F" && tag != "P") return std::nullopt;
  parsed.partial = tag == "P";
  parsed.content = line;
  return parsed;
}

}  // namespace cri_dockerd::logs
