#include "cri/streaming/spdy/spdy_frame.h"

#include "absl/strings/str_cat.h"

namespace cri_dockerd::streaming::spdy {
namespace {

uint32_t Load32(absl::string_view buf, size_t at) {
  const auto* p = reinterpret_cast<const unsigned char*>(buf.data() + at);
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) |
         (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

void Put32(uint32_t v, std::string* out) {
  out->push_back(static_cast<char>(v >> 24));
  out->push_back(static_cast<char>(v >> 16));
  out->push_back(static_cast<char>(v >> 8));
  out->push_back(static_cast<char>(v));
}

absl::Status Malformed(FrameType type, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("malformed SPDY ", FrameTypeName(type), " frame: ", what));
}

bool IsKnownControlType(uint16_t t) {
  return (t >= 1 && t <= 4) || (t >= 6 && t <= 9);
}

// Parses the payload of a control frame whose header says `type`; `body`
// is exactly the declared payload.
absl::Status ParseControlBody(FrameType type, absl::string_view body,
                              Frame* f) {
  auto need_exact = [&](size_t n) -> absl::Status {
    if (body.size() != n) {
      return Malformed(type,
                       absl::StrCat("length ", body.size(), ", expected ", n));
    }
    return absl::OkStatus();
  };
  auto need_min = [&](size_t n) -> absl::Status {
    if (body.size() < n) {
      return Malformed(type, absl::StrCat("length ", body.size(),
                                          ", expected at least ", n));
    }
    return absl::OkStatus();
  };
  absl::Status s;
  switch (type) {
    case FrameType::kSynStream:
      if (!(s = need_min(10)).ok()) return s;
      f->stream_id = Load32(body, 0) & kMaxStreamId;
      f->associated_stream_id = Load32(body, 4) & kMaxStreamId;
      f->priority = static_cast<uint8_t>(static_cast<uint8_t>(body[8]) >> 5);
      f->slot = static_cast<uint8_t>(body[9]);
      f->payload = std::string(body.substr(10));
      break;
    case FrameType::kSynReply:
    case FrameType::kHeaders:
      if (!(s = need_min(4)).ok()) return s;
      f->stream_id = Load32(body, 0) & kMaxStreamId;
      f->payload = std::string(body.substr(4));
      break;
    case FrameType::kRstStream:
      if (!(s = need_exact(8)).ok()) return s;
      f->stream_id = Load32(body, 0) & kMaxStreamId;
      f->status = Load32(body, 4);
      if (f->status == 0) return Malformed(type, "status 0");
      break;
    case FrameType::kSettings: {
      if (!(s = need_min(4)).ok()) return s;
      uint32_t n = Load32(body, 0);
      if ((body.size() - 4) % 8 != 0 || (body.size() - 4) / 8 != n) {
        return Malformed(
            type, absl::StrCat(n, " entries do not fit length ", body.size()));
      }
      f->settings.reserve(n);
      for (size_t at = 4; at < body.size(); at += 8) {
        uint32_t flag_id = Load32(body, at);
        f->settings.push_back(Setting{static_cast<uint8_t>(flag_id >> 24),
                                      flag_id & 0xffffff,
                                      Load32(body, at + 4)});
      }
      break;
    }
    case FrameType::kPing:
      if (!(s = need_exact(4)).ok()) return s;
      f->ping_id = Load32(body, 0);
      break;
    case FrameType::kGoAway:
      if (!(s = need_exact(8)).ok()) return s;
      f->stream_id = Load32(body, 0) & kMaxStreamId;
      f->status = Load32(body, 4);
      break;
    case FrameType::kWindowUpdate:
      if (!(s = need_exact(8)).ok()) return s;
      f->stream_id = Load32(body, 0) & kMaxStreamId;
      f->delta_window = Load32(body, 4) & 0x7fffffff;
      break;
    default:
      f->payload.assign(body.data(), body.size());
      break;
  }
  bool needs_stream =
      type == FrameType::kSynStream || type == FrameType::kSynReply ||
      type == FrameType::kHeaders || type == FrameType::kRstStream;
  if (needs_stream && f->stream_id == 0) return Malformed(type, "stream id 0");
  return absl::OkStatus();
}

void PutControlHeader(FrameType type, uint8_t flags, size_t length,
                      std::string* out) {
  Put32(0x80000000u | (uint32_t{kSpdyVersion} << 16) |
            static_cast<uint16_t>(type),
        out);
  Put32((uint32_t{flags} << 24) | static_cast<uint32_t>(length), out);
}

}  // namespace

const char* FrameTypeName(FrameType type) {
  switch (type) {
    case FrameType::kData:
      return "DATA";
    case FrameType::kSynStream:
      return "SYN_STREAM";
    case FrameType::kSynReply:
      return "SYN_REPLY";
    case FrameType::kRstStream:
      return "RST_STREAM";
    case FrameType::kSettings:
      return "SETTINGS";
    case FrameType::kPing:
      return "PING";
    case FrameType::kGoAway:
      return "GOAWAY";
    case FrameType::kHeaders:
      return "HEADERS";
    case FrameType::kWindowUpdate:
      return "WINDOW_UPDATE";
    case FrameType::kUnknown:
      break;
  }
  return "unknown control";
}

absl::Status ParseFrame(absl::string_view buf, size_t max_frame_bytes,
                        Frame* out, size_t* consumed) {
  *consumed = 0;
  if (buf.size() < kFrameHeaderSize) return absl::OkStatus();
  uint32_t word0 = Load32(buf, 0);
  uint32_t word1 = Load32(buf, 4);
  uint8_t flags = static_cast<uint8_t>(word1 >> 24);
  size_t length = word1 & 0xffffff;
  bool control = (word0 & 0x80000000u) != 0;
  FrameType type = FrameType::kData;
  uint16_t raw_type = 0;
  if (control) {
    uint16_t version = static_cast<uint16_t>((word0 >> 16) & 0x7fff);
    if (version != kSpdyVersion) {
      return absl::InvalidArgumentError(
          absl::StrCat("unsupported SPDY version ", version));
    }
    raw_type = static_cast<uint16_t>(word0 & 0xffff);
    type = IsKnownControlType(raw_type) ? static_cast<FrameType>(raw_type)
                                        : FrameType::kUnknown;
  }
  if (length > max_frame_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("SPDY ", FrameTypeName(type), " frame of ", length,
                     " bytes exceeds the limit of ", max_frame_bytes));
  }
  if (buf.size() - kFrameHeaderSize < length) return absl::OkStatus();
  absl::string_view body = buf.substr(kFrameHeaderSize, length);
  Frame f;
  f.type = type;
  f.flags = flags;
  if (control) {
    f.unknown_type = type == FrameType::kUnknown ? raw_type : 0;
    absl::Status s = ParseControlBody(type, body, &f);
    if (!s.ok()) return s;
  } else {
    f.stream_id = word0 & kMaxStreamId;
    if (f.stream_id == 0) return Malformed(type, "stream id 0");
    f.payload.assign(body.data(), body.size());
  }
  *out = std::move(f);
  *consumed = kFrameHeaderSize + length;
  return absl::OkStatus();
}

absl::Status AppendFrame(const Frame& f, std::string* out) {
  auto bad = [&](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot serialize SPDY ", FrameTypeName(f.type), " frame: ", what));
  };
  if (f.stream_id > kMaxStreamId || f.associated_stream_id > kMaxStreamId) {
    return bad("stream id over 2^31-1");
  }
  size_t fixed = 0;
  switch (f.type) {
    case FrameType::kData:
    case FrameType::kSynReply:
    case FrameType::kHeaders:
    case FrameType::kRstStream:
      if (f.stream_id == 0) return bad("stream id 0");
      fixed = f.type == FrameType::kData ? 0 : 4;
      break;
    case FrameType::kSynStream:
      if (f.stream_id == 0) return bad("stream id 0");
      fixed = 10;
      break;
    case FrameType::kSettings:
      if (f.settings.size() > (kMaxFramePayload - 4) / 8) {
        return bad("too many settings");
      }
      break;
    case FrameType::kPing:
    case FrameType::kGoAway:
    case FrameType::kWindowUpdate:
      break;
    case FrameType::kUnknown:
      return bad("unknown type");
  }
  if (f.payload.size() > kMaxFramePayload - fixed) return bad("too long");
  switch (f.type) {
    case FrameType::kData:
      Put32(f.stream_id, out);
      Put32((uint32_t{f.flags} << 24) | static_cast<uint32_t>(f.payload.size()),
            out);
      out->append(f.payload);
      break;
    case FrameType::kSynStream:
      PutControlHeader(f.type, f.flags, 10 + f.payload.size(), out);
      Put32(f.stream_id, out);
      Put32(f.associated_stream_id, out);
      out->push_back(static_cast<char>((f.priority & 0x7) << 5));
      out->push_back(static_cast<char>(f.slot));
      out->append(f.payload);
      break;
    case FrameType::kSynReply:
    case FrameType::kHeaders:
      PutControlHeader(f.type, f.flags, 4 + f.payload.size(), out);
      Put32(f.stream_id, out);
      out->append(f.payload);
      break;
    case FrameType::kRstStream:
    case FrameType::kGoAway:
      PutControlHeader(f.type, 0, 8, out);
      Put32(f.stream_id, out);
      Put32(f.status, out);
      break;
    case FrameType::kSettings:
      PutControlHeader(f.type, f.flags, 4 + 8 * f.settings.size(), out);
      Put32(static_cast<uint32_t>(f.settings.size()), out);
      for (const Setting& s : f.settings) {
        Put32((uint32_t{s.flags} << 24) | (s.id & 0xffffff), out);
        Put32(s.value, out);
      }
      break;
    case FrameType::kPing:
      PutControlHeader(f.type, 0, 4, out);
      Put32(f.ping_id, out);
      break;
    case FrameType::kWindowUpdate:
      PutControlHeader(f.type, 0, 8, out);
      Put32(f.stream_id, out);
      Put32(f.delta_window & 0x7fffffff, out);
      break;
    case FrameType::kUnknown:
      break;
  }
  return absl::OkStatus();
}

Frame DataFrame(uint32_t stream_id, absl::string_view data, bool fin) {
  Frame f;
  f.type = FrameType::kData;
  f.stream_id = stream_id;
  f.flags = fin ? kFlagFin : 0;
  f.payload = std::string(data);
  return f;
}

Frame RstStreamFrame(uint32_t stream_id, RstStatus status) {
  Frame f;
  f.type = FrameType::kRstStream;
  f.stream_id = stream_id;
  f.status = static_cast<uint32_t>(status);
  return f;
}

Frame PingFrame(uint32_t id) {
  Frame f;
  f.type = FrameType::kPing;
  f.ping_id = id;
  return f;
}

Frame GoAwayFrame(uint32_t last_good_stream_id, GoAwayStatus status) {
  Frame f;
  f.type = FrameType::kGoAway;
  f.stream_id = last_good_stream_id;
  f.status = static_cast<uint32_t>(status);
  return f;
}

}  // namespace cri_dockerd::streaming::spdy
