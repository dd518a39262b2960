#include "cri/streaming/remote_status.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/json_quote.h"

namespace cri_dockerd::streaming {
namespace {

std::string NonZeroMessage(int code) {
  return absl::StrCat(
      "command terminated with non-zero exit code: error executing "
      "command, exit code ",
      code);
}

std::string InternalMessage(const absl::Status& error) {
  return std::string(error.message());
}

// Reads the unsigned integer after "key": in `obj`, if any.
std::optional<uint16_t> Field(absl::string_view obj, absl::string_view key) {
  size_t pos = obj.find(absl::StrCat("\"", key, "\""));
  if (pos == absl::string_view::npos) return std::nullopt;
  pos = obj.find(':', pos);
  if (pos == absl::string_view::npos) return std::nullopt;
  ++pos;
  while (pos < obj.size() && absl::ascii_isspace(obj[pos])) ++pos;
  size_t end = pos;
  while (end < obj.size() && absl::ascii_isdigit(obj[end])) ++end;
  uint32_t v = 0;
  if (end == pos || end - pos > 5 ||
      !absl::SimpleAtoi(obj.substr(pos, end - pos), &v) || v > 0xffff) {
    return std::nullopt;
  }
  return static_cast<uint16_t>(v);
}

}  // namespace

std::string V4StatusJson(const RemoteOutcome& outcome) {
  if (outcome.exit_code.has_value() && *outcome.exit_code == 0) {
    return R"({"metadata":{},"status":"Success"})";
  }
  if (outcome.exit_code.has_value()) {
    int code = *outcome.exit_code;
    return absl::StrCat(
        R"({"metadata":{},"status":"Failure","message":)",
        JsonQuote(NonZeroMessage(code)),
        R"(,"reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":")",
        code, R"("}]}})");
  }
  std::string message = InternalMessage(outcome.error);
  return absl::StrCat(
      R"({"metadata":{},"status":"Failure","message":)",
      JsonQuote(absl::StrCat("Internal error occurred: ", message)),
      R"(,"reason":"InternalError","details":{"causes":[{"message":)",
      JsonQuote(message), R"(}]},"code":500})");
}

std::string LegacyStatusText(const RemoteOutcome& outcome) {
  if (outcome.exit_code.has_value() && *outcome.exit_code == 0) return "";
  if (outcome.exit_code.has_value()) {
    return NonZeroMessage(*outcome.exit_code);
  }
  return absl::StrCat("Internal error occurred: ",
                      InternalMessage(outcome.error));
}

void ResizeParser::Feed(absl::string_view data) {
  buf_.append(data.data(), data.size());
}

std::optional<TerminalSize> ResizeParser::Next() {
  while (true) {
    size_t open = buf_.find('{');
    if (open == std::string::npos) {
      buf_.clear();
      return std::nullopt;
    }
    size_t close = buf_.find('}', open);
    if (close == std::string::npos) {
      buf_.erase(0, open);
      if (buf_.size() > 4096) buf_.clear();
      return std::nullopt;
    }
    absl::string_view obj(buf_.data() + open, close - open + 1);
    std::optional<uint16_t> w = Field(obj, "Width");
    std::optional<uint16_t> h = Field(obj, "Height");
    buf_.erase(0, close + 1);
    if (w.has_value() && h.has_value()) return TerminalSize{*w, *h};
  }
}

}  // namespace cri_dockerd::streaming
