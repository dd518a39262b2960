#include "docker_client/json_decode_events.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "docker_client/json_util.h"

namespace cri_dockerd::docker {

using json_util::json;

absl::StatusOr<Event> DecodeEvent(absl::string_view text) {
  absl::StatusOr<json> doc = json_util::ParseObject(text, "GET /events");
  if (!doc.ok()) return doc.status();
  Event e;
  e.type = json_util::GetString(*doc, "Type");
  e.action = json_util::GetString(*doc, "Action");
  if (e.action.empty()) e.action = json_util::GetString(*doc, "status");
  if (const json* actor = json_util::ObjectField(*doc, "Actor")) {
    e.id = json_util::GetString(*actor, "ID");
    if (const json* attrs = json_util::ObjectField(*actor, "Attributes")) {
      for (auto it = attrs->begin(); it != attrs->end(); ++it) {
        if (it->is_string()) {
          e.attributes[it.key()] = it->get_ref<const std::string&>();
        }
      }
    }
  }
  if (e.id.empty()) e.id = json_util::GetString(*doc, "id");
  e.time_nano = json_util::GetInt(*doc, "timeNano");
  if (e.time_nano == 0) {
    const int64_t seconds = json_util::GetInt(*doc, "time");
    if (seconds > 0 && seconds < INT64_MAX / 1000000000) {
      e.time_nano = seconds * 1000000000;
    }
  }
  return e;
}

absl::Status EventStreamDecoder::DecodeLine(absl::string_view line,
                                            const Sink& sink) {
  line = absl::StripAsciiWhitespace(line);
  if (line.empty()) return absl::OkStatus();
  absl::StatusOr<Event> event = DecodeEvent(line);
  if (!event.ok()) return event.status();
  if (sink) sink(*event);
  return absl::OkStatus();
}

absl::Status EventStreamDecoder::Feed(absl::string_view chunk,
                                      const Sink& sink) {
  // Lines are decoded straight from the chunk; only a partial last line
  // is copied into pending_.
  while (!chunk.empty()) {
    const size_t nl = chunk.find('\n');
    if (nl == absl::string_view::npos) {
      if (pending_.size() + chunk.size() > kMaxEventLine) {
        return absl::ResourceExhaustedError(
            absl::StrCat("docker event longer than ", kMaxEventLine, " bytes"));
      }
      pending_.append(chunk.data(), chunk.size());
      return absl::OkStatus();
    }
    absl::Status s;
    if (pending_.empty()) {
      s = DecodeLine(chunk.substr(0, nl), sink);
    } else {
      pending_.append(chunk.data(), nl);
      s = DecodeLine(pending_, sink);
      pending_.clear();
    }
    if (!s.ok()) return s;
    chunk.remove_prefix(nl + 1);
  }
  return absl::OkStatus();
}

absl::Status EventStreamDecoder::Finish(const Sink& sink) {
  std::string rest = std::move(pending_);
  pending_.clear();
  return DecodeLine(rest, sink);
}

std::string FormatEventTime(absl::Time t) {
  const int64_t nanos = std::max<int64_t>(0, absl::ToUnixNanos(t));
  return absl::StrFormat("%d.%09d", nanos / 1000000000, nanos % 1000000000);
}

}  // namespace cri_dockerd::docker
