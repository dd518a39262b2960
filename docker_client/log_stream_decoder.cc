#include "docker_client/log_stream_decoder.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/logging.h"

namespace cri_dockerd::docker {
namespace {

constexpr size_t kHeaderSize = 8;
// Docker's messages are at most a 16 KiB piece plus a timestamp; sized
// logging drivers allow up to 1 MiB. Anything far larger means the
// framing is lost.
constexpr uint32_t kMaxFrameSize = 16u << 20;
// "2006-01-02T15:04:05.000000000+07:00" is 35 bytes.
constexpr size_t kMaxTimestampText = 40;
// A TTY line longer than docker's pieces but not split by docker (never
// seen with json-file) is handed over in pieces of this size.
constexpr size_t kMaxRawLine = 1 << 20;

}  // namespace

bool ParseDockerLogTimestamp(absl::string_view text, absl::Time* out) {
  if (text.empty() || text.size() > kMaxTimestampText ||
      !absl::ascii_isdigit(static_cast<unsigned char>(text[0]))) {
    return false;
  }
  std::string err;
  return absl::ParseTime(absl::RFC3339_full, text, out, &err);
}

std::string FormatLogSince(absl::Time since) {
  if (since <= absl::UnixEpoch()) return "";
  const int64_t nanos = absl::ToUnixNanos(since);
  return absl::StrFormat("%d.%09d", nanos / 1000000000, nanos % 1000000000);
}

absl::Status LogStreamDecoder::Feed(absl::string_view chunk, const Sink& sink) {
  buf_.append(chunk.data(), chunk.size());
  if (!tty_) return DecodeFrames(sink);
  DecodeRaw(/*at_end=*/false, sink);
  return absl::OkStatus();
}

absl::Status LogStreamDecoder::Finish(const Sink& sink) {
  if (tty_) {
    DecodeRaw(/*at_end=*/true, sink);
    return absl::OkStatus();
  }
  if (!buf_.empty()) {
    return absl::UnavailableError(
        absl::StrCat("container log stream ended inside a frame (", buf_.size(),
                     " bytes left over)"));
  }
  return absl::OkStatus();
}

absl::Status LogStreamDecoder::DecodeFrames(const Sink& sink) {
  size_t pos = 0;
  while (buf_.size() - pos >= kHeaderSize) {
    const auto* h = reinterpret_cast<const unsigned char*>(buf_.data() + pos);
    const uint32_t size = (uint32_t{h[4]} << 24) | (uint32_t{h[5]} << 16) |
                          (uint32_t{h[6]} << 8) | uint32_t{h[7]};
    if (size > kMaxFrameSize) {
      return absl::InternalError(absl::StrCat(
          "malformed container log stream: a ", size, "-byte frame"));
    }
    if (buf_.size() - pos - kHeaderSize < size) break;
    const absl::string_view message(buf_.data() + pos + kHeaderSize, size);
    switch (h[0]) {
      case 0:  // stdin: docker shows it with stdout
      case 1:
        EmitMessage("stdout", message, sink);
        break;
      case 2:
        EmitMessage("stderr", message, sink);
        break;
      case 3:
        LOG(WARNING) << "docker, reading container logs: "
                     << absl::StripTrailingAsciiWhitespace(message);
        break;
      default:
        return absl::InternalError(
            absl::StrCat("malformed container log stream: stream type ",
                         static_cast<int>(h[0])));
    }
    pos += kHeaderSize + size;
  }
  buf_.erase(0, pos);
  return absl::OkStatus();
}

void LogStreamDecoder::DecodeRaw(bool at_end, const Sink& sink) {
  size_t pos = 0;
  while (pos < buf_.size()) {
    const absl::string_view rest(buf_.data() + pos, buf_.size() - pos);
    if (!mid_message_) {
      const size_t space = rest.find(' ');
      const size_t newline = rest.find('\n');
      if (space == absl::string_view::npos && rest.size() < kMaxTimestampText &&
          !at_end) {
        break;  // the timestamp is not all here yet
      }
      absl::Time ts;
      if (space != absl::string_view::npos && space < newline &&
          ParseDockerLogTimestamp(rest.substr(0, space), &ts)) {
        message_ts_text_ = std::string(rest.substr(0, space));
        last_ts_ = ts;
        mid_message_ = true;
        pos += space + 1;
        continue;
      }
      // No timestamp: a line of docker's own (its errors come in-band).
      if (newline == absl::string_view::npos && !at_end &&
          rest.size() < kMaxRawLine) {
        break;
      }
      const size_t len =
          newline == absl::string_view::npos ? rest.size() : newline + 1;
      const absl::string_view line = rest.substr(0, len);
      if (absl::StartsWith(line, "Error grabbing logs")) {
        LOG(WARNING) << "docker, reading container logs: "
                     << absl::StripTrailingAsciiWhitespace(line);
      } else {
        EmitText("stdout", FallbackTime(), line, sink);
      }
      pos += len;
      continue;
    }
    // Inside a message: it runs to its '\n', unless it is a 16 KiB piece
    // of a line docker split, which the same timestamp follows.
    const size_t window = std::min(rest.size(), kDockerLogPieceSize);
    if (const size_t nl = rest.substr(0, window).find('\n');
        nl != absl::string_view::npos) {
      EmitText("stdout", last_ts_, rest.substr(0, nl + 1), sink);
      pos += nl + 1;
      mid_message_ = false;
      continue;
    }
    if (rest.size() >= kDockerLogPieceSize) {
      const std::string next = message_ts_text_ + " ";
      const absl::string_view after = rest.substr(kDockerLogPieceSize);
      if (after.size() < next.size() && absl::StartsWith(next, after) &&
          !at_end) {
        break;  // cannot tell yet
      }
      if (absl::StartsWith(after, next)) {
        EmitText("stdout", last_ts_, rest.substr(0, kDockerLogPieceSize), sink);
        pos += kDockerLogPieceSize;
        mid_message_ = false;
        continue;
      }
      if (const size_t nl = rest.find('\n', kDockerLogPieceSize);
          nl != absl::string_view::npos) {
        EmitText("stdout", last_ts_, rest.substr(0, nl + 1), sink);
        pos += nl + 1;
        mid_message_ = false;
        continue;
      }
      if (rest.size() < kMaxRawLine && !at_end) break;
      EmitText("stdout", last_ts_, rest, sink);  // stays mid-message
      pos = buf_.size();
      continue;
    }
    if (!at_end) break;
    // The last message, unterminated: docker stored it without newline.
    EmitText("stdout", last_ts_, rest, sink);
    pos = buf_.size();
    mid_message_ = false;
  }
  buf_.erase(0, pos);
}

void LogStreamDecoder::EmitMessage(const char* stream,
                                   absl::string_view message,
                                   const Sink& sink) {
  absl::Time ts;
  if (TakeTimestamp(&message, &ts)) {
    last_ts_ = ts;
  } else {
    ts = FallbackTime();
  }
  EmitText(stream, ts, message, sink);
}

void LogStreamDecoder::EmitText(const char* stream, absl::Time ts,
                                absl::string_view text, const Sink& sink) {
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    LogEntry entry;
    entry.stream = stream;
    entry.timestamp = ts;
    entry.partial = nl == absl::string_view::npos;
    entry.line = std::string(text.substr(0, nl));
    text.remove_prefix(entry.partial ? text.size() : nl + 1);
    if (sink) sink(entry);
  }
}

bool LogStreamDecoder::TakeTimestamp(absl::string_view* text,
                                     absl::Time* ts) const {
  const size_t space = text->substr(0, kMaxTimestampText + 1).find(' ');
  if (space == absl::string_view::npos ||
      !ParseDockerLogTimestamp(text->substr(0, space), ts)) {
    return false;
  }
  text->remove_prefix(space + 1);
  return true;
}

absl::Time LogStreamDecoder::FallbackTime() const {
  return last_ts_ == absl::InfinitePast() ? absl::Now() : last_ts_;
}

}  // namespace cri_dockerd::docker
