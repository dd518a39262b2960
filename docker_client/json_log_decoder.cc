#include "docker_client/json_log_decoder.h"

#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "docker_client/json_util.h"
#include "docker_client/log_stream_decoder.h"

namespace cri_dockerd::docker {
namespace {

using json_util::json;

// Docker writes the fields in this order, "time" last (jsonlog's
// MarshalJSONBuf); inside a string value every '"' is escaped, so this
// text cannot occur there.
constexpr absl::string_view kTimeKey = "\"time\":\"";

}  // namespace

absl::StatusOr<LogEntry> DecodeJsonLogLine(absl::string_view line) {
  const json doc = json_util::Parse(line);
  if (doc.is_discarded() || !doc.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "not a json-file log entry (", line.size(), " bytes of text)"));
  }
  LogEntry entry;
  auto time = doc.find("time");
  if (time == doc.end() || !time->is_string() ||
      !ParseDockerLogTimestamp(time->get_ref<const std::string&>(),
                               &entry.timestamp)) {
    return absl::InvalidArgumentError("json-file log entry without a time");
  }
  auto stream = doc.find("stream");
  entry.stream = stream != doc.end() && stream->is_string() &&
                         stream->get_ref<const std::string&>() == "stderr"
                     ? "stderr"
                     : "stdout";
  auto log = doc.find("log");
  if (log != doc.end() && log->is_string()) {
    entry.line = log->get<std::string>();
  }
  if (absl::EndsWith(entry.line, "\n")) {
    entry.line.pop_back();
  } else {
    entry.partial = true;
  }
  return entry;
}

bool JsonLogLineTime(absl::string_view line, absl::Time* out) {
  const size_t key = line.rfind(kTimeKey);
  if (key != absl::string_view::npos) {
    const size_t begin = key + kTimeKey.size();
    const size_t end = line.find('"', begin);
    if (end != absl::string_view::npos &&
        ParseDockerLogTimestamp(line.substr(begin, end - begin), out)) {
      return true;
    }
  }
  absl::StatusOr<LogEntry> entry = DecodeJsonLogLine(line);
  if (!entry.ok()) return false;
  *out = entry->timestamp;
  return true;
}

JsonLogChunkResult DecodeJsonLogLines(
    absl::string_view data, const std::function<void(LogEntry&&)>& sink) {
  JsonLogChunkResult result;
  size_t pos = 0;
  for (size_t nl; (nl = data.find('\n', pos)) != absl::string_view::npos;
       pos = nl + 1) {
    absl::string_view line = data.substr(pos, nl - pos);
    if (absl::EndsWith(line, "\r")) line.remove_suffix(1);
    if (line.empty()) continue;
    absl::StatusOr<LogEntry> entry = DecodeJsonLogLine(line);
    if (!entry.ok()) {
      ++result.malformed;
      continue;
    }
    sink(std::move(*entry));
  }
  result.consumed = pos;
  return result;
}

}  // namespace cri_dockerd::docker
