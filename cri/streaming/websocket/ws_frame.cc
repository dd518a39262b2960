#include "cri/streaming/websocket/ws_frame.h"

#include "absl/strings/str_cat.h"

namespace cri_dockerd::streaming::websocket {
namespace {

bool KnownOpcode(uint8_t op) {
  switch (static_cast<Opcode>(op)) {
    case Opcode::kContinuation:
    case Opcode::kText:
    case Opcode::kBinary:
    case Opcode::kClose:
    case Opcode::kPing:
    case Opcode::kPong:
      return true;
  }
  return false;
}

}  // namespace

void ApplyMask(const MaskKey& key, char* data, size_t len) {
  for (size_t i = 0; i < len; ++i) {
    data[i] = static_cast<char>(static_cast<uint8_t>(data[i]) ^ key[i & 3]);
  }
}

absl::Status ParseFrame(absl::string_view buf, uint64_t max_payload, Frame* out,
                        size_t* consumed) {
  *consumed = 0;
  if (buf.size() < 2) return absl::OkStatus();
  const auto* p = reinterpret_cast<const uint8_t*>(buf.data());
  const bool fin = p[0] & 0x80;
  if (p[0] & 0x70) {
    return absl::InvalidArgumentError("websocket frame has reserved bits set");
  }
  const uint8_t op = p[0] & 0x0F;
  if (!KnownOpcode(op)) {
    return absl::InvalidArgumentError(
        absl::StrCat("websocket frame has unknown opcode ", op));
  }
  const Opcode opcode = static_cast<Opcode>(op);
  const bool masked = p[1] & 0x80;
  uint64_t length = p[1] & 0x7F;
  if (IsControl(opcode) && (!fin || length > kMaxControlPayload)) {
    return absl::InvalidArgumentError(
        "websocket control frame is fragmented or longer than 125 bytes");
  }
  size_t header = 2;
  if (length == 126) {
    if (buf.size() < 4) return absl::OkStatus();
    length = (uint64_t{p[2]} << 8) | p[3];
    header = 4;
  } else if (length == 127) {
    if (buf.size() < 10) return absl::OkStatus();
    length = 0;
    for (int i = 0; i < 8; ++i) length = (length << 8) | p[2 + i];
    if (length >> 63) {
      return absl::InvalidArgumentError(
          "websocket frame length has the top bit set");
    }
    header = 10;
  }
  out->declared_length = length;
  if (length > max_payload) {
    return absl::InvalidArgumentError(
        absl::StrCat("websocket frame payload of ", length,
                     " bytes exceeds the limit of ", max_payload));
  }
  MaskKey key = {};
  if (masked) {
    if (buf.size() < header + 4) return absl::OkStatus();
    for (int i = 0; i < 4; ++i) key[i] = p[header + i];
    header += 4;
  }
  // length <= max_payload and both header and buf.size() are small, so no
  // overflow in the comparison below.
  if (buf.size() - header < length) return absl::OkStatus();
  out->fin = fin;
  out->opcode = opcode;
  out->masked = masked;
  out->mask_key = key;
  out->payload.assign(buf.data() + header, static_cast<size_t>(length));
  if (masked) ApplyMask(key, out->payload.data(), out->payload.size());
  *consumed = header + static_cast<size_t>(length);
  return absl::OkStatus();
}

std::string SerializeFrame(Opcode opcode, absl::string_view payload, bool fin,
                           std::optional<MaskKey> mask) {
  std::string out;
  out.reserve(kMaxFrameHeader + payload.size());
  out.push_back(
      static_cast<char>((fin ? 0x80 : 0) | static_cast<uint8_t>(opcode)));
  const uint8_t mask_bit = mask ? 0x80 : 0;
  const uint64_t len = payload.size();
  if (len < 126) {
    out.push_back(static_cast<char>(mask_bit | len));
  } else if (len <= 0xFFFF) {
    out.push_back(static_cast<char>(mask_bit | 126));
    out.push_back(static_cast<char>(len >> 8));
    out.push_back(static_cast<char>(len & 0xFF));
  } else {
    out.push_back(static_cast<char>(mask_bit | 127));
    for (int shift = 56; shift >= 0; shift -= 8) {
      out.push_back(static_cast<char>((len >> shift) & 0xFF));
    }
  }
  if (mask) {
    for (uint8_t b : *mask) out.push_back(static_cast<char>(b));
  }
  size_t start = out.size();
  out.append(payload.data(), payload.size());
  if (mask) ApplyMask(*mask, out.data() + start, payload.size());
  return out;
}

}  // namespace cri_dockerd::streaming::websocket
