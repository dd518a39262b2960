#include "docker_client/mux_stream_decoder.h"

#include "absl/strings/str_cat.h"

namespace cri_dockerd::docker {
namespace {

constexpr size_t kHeaderSize = 8;

}  // namespace

std::string EncodeMuxFrame(MuxStream stream, absl::string_view payload) {
  const uint32_t size = static_cast<uint32_t>(payload.size());
  std::string frame(kHeaderSize, '\0');
  frame[0] = static_cast<char>(stream);
  frame[4] = static_cast<char>((size >> 24) & 0xff);
  frame[5] = static_cast<char>((size >> 16) & 0xff);
  frame[6] = static_cast<char>((size >> 8) & 0xff);
  frame[7] = static_cast<char>(size & 0xff);
  frame.append(payload.data(), payload.size());
  return frame;
}

absl::Status MuxStreamDecoder::Feed(absl::string_view chunk, const Sink& sink) {
  // Whole frames straight from `chunk` when nothing is pending, so large
  // payloads are not copied; only an incomplete tail is buffered.
  absl::string_view data = chunk;
  if (!buf_.empty()) {
    buf_.append(chunk.data(), chunk.size());
    data = buf_;
  }
  size_t pos = 0;
  while (data.size() - pos >= kHeaderSize) {
    const auto* h = reinterpret_cast<const unsigned char*>(data.data() + pos);
    const uint32_t size = (uint32_t{h[4]} << 24) | (uint32_t{h[5]} << 16) |
                          (uint32_t{h[6]} << 8) | uint32_t{h[7]};
    if (h[0] > static_cast<unsigned char>(MuxStream::kSystemErr)) {
      return absl::InternalError(absl::StrCat(
          "malformed docker stream: stream type ", static_cast<int>(h[0])));
    }
    if (size > kMaxFrameSize) {
      return absl::InternalError(
          absl::StrCat("malformed docker stream: a ", size, "-byte frame"));
    }
    if (data.size() - pos - kHeaderSize < size) break;
    if (sink) {
      sink(static_cast<MuxStream>(h[0]), data.substr(pos + kHeaderSize, size));
    }
    pos += kHeaderSize + size;
  }
  if (buf_.empty()) {
    buf_.assign(data.data() + pos, data.size() - pos);
  } else {
    buf_.erase(0, pos);
  }
  return absl::OkStatus();
}

absl::Status MuxStreamDecoder::Finish() const {
  if (buf_.empty()) return absl::OkStatus();
  return absl::UnavailableError(
      absl::StrCat("docker stream ended inside a frame (", buf_.size(),
                   " bytes left over)"));
}

}  // namespace cri_dockerd::docker
