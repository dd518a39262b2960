#include "cri/streaming/spdy/spdy_header_block.h"

#include <zlib.h>

#include <cstdint>
#include <limits>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cri/streaming/spdy/spdy_dictionary.h"

namespace cri_dockerd::streaming::spdy {
namespace {

// Like Chromium's SPDY compressor: a 2 KiB window and minimal memory keep
// each connection's deflate state near 10 KiB; headers are tiny anyway.
constexpr int kCompressLevel = 9;
constexpr int kCompressWindowBits = 11;
constexpr int kCompressMemLevel = 1;

void Put32(uint32_t v, std::string* out) {
  out->push_back(static_cast<char>(v >> 24));
  out->push_back(static_cast<char>(v >> 16));
  out->push_back(static_cast<char>(v >> 8));
  out->push_back(static_cast<char>(v));
}

// Reads a 32-bit length-prefixed string from `*in`, advancing it.
bool TakeString(absl::string_view* in, absl::string_view* out) {
  if (in->size() < 4) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(in->data());
  uint32_t n = (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) |
               (uint32_t{p[2]} << 8) | uint32_t{p[3]};
  in->remove_prefix(4);
  if (in->size() < n) return false;
  *out = in->substr(0, n);
  in->remove_prefix(n);
  return true;
}

const Bytef* Bytes(absl::string_view s) {
  return reinterpret_cast<const Bytef*>(s.data());
}

}  // namespace

std::string FirstHeaderValue(const Headers& headers, absl::string_view name) {
  for (const auto& [n, v] : headers) {
    if (absl::EqualsIgnoreCase(n, name)) {
      return std::string(absl::string_view(v).substr(0, v.find('\0')));
    }
  }
  return "";
}

absl::StatusOr<std::string> EncodeHeaderBlock(const Headers& headers) {
  std::string out;
  absl::flat_hash_set<std::string> seen;
  size_t total = 4;
  for (const auto& [name, value] : headers) {
    total += 8 + name.size() + value.size();
    if (total > std::numeric_limits<int32_t>::max()) {
      return absl::InvalidArgumentError("SPDY header block too large");
    }
  }
  if (headers.size() > std::numeric_limits<int32_t>::max()) {
    return absl::InvalidArgumentError("too many SPDY headers");
  }
  out.reserve(total);
  Put32(static_cast<uint32_t>(headers.size()), &out);
  for (const auto& [name, value] : headers) {
    std::string lower = absl::AsciiStrToLower(name);
    if (lower.empty()) {
      return absl::InvalidArgumentError("empty SPDY header name");
    }
    if (!seen.insert(lower).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("duplicate SPDY header name \"", lower, "\""));
    }
    Put32(static_cast<uint32_t>(lower.size()), &out);
    out.append(lower);
    Put32(static_cast<uint32_t>(value.size()), &out);
    out.append(value);
  }
  return out;
}

absl::StatusOr<Headers> DecodeHeaderBlock(absl::string_view block) {
  if (block.size() < 4) {
    return absl::InvalidArgumentError("truncated SPDY header block");
  }
  const auto* p = reinterpret_cast<const unsigned char*>(block.data());
  uint32_t count = (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) |
                   (uint32_t{p[2]} << 8) | uint32_t{p[3]};
  absl::string_view rest = block.substr(4);
  // Each pair takes at least 8 bytes, which bounds the reservation.
  if (count > rest.size() / 8) {
    return absl::InvalidArgumentError(absl::StrCat("SPDY header block claims ",
                                                   count, " headers in ",
                                                   block.size(), " bytes"));
  }
  Headers headers;
  headers.reserve(count);
  absl::flat_hash_set<absl::string_view> seen;
  for (uint32_t i = 0; i < count; ++i) {
    absl::string_view name, value;
    if (!TakeString(&rest, &name) || !TakeString(&rest, &value)) {
      return absl::InvalidArgumentError("truncated SPDY header block");
    }
    if (name.empty()) {
      return absl::InvalidArgumentError("empty SPDY header name");
    }
    for (char c : name) {
      if (absl::ascii_isupper(static_cast<unsigned char>(c))) {
        return absl::InvalidArgumentError(absl::StrCat(
            "SPDY header name not lowercase: \"", absl::CEscape(name), "\""));
      }
    }
    if (!seen.insert(name).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "duplicate SPDY header name \"", absl::CEscape(name), "\""));
    }
    headers.emplace_back(std::string(name), std::string(value));
  }
  if (!rest.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(rest.size(), " trailing bytes after SPDY headers"));
  }
  return headers;
}

HeaderCompressor::HeaderCompressor() : zs_(new z_stream{}), ok_(false) {
  if (deflateInit2(zs_, kCompressLevel, Z_DEFLATED, kCompressWindowBits,
                   kCompressMemLevel, Z_DEFAULT_STRATEGY) != Z_OK) {
    return;
  }
  absl::string_view dict = HeaderDictionary();
  ok_ = deflateSetDictionary(zs_, Bytes(dict),
                             static_cast<uInt>(dict.size())) == Z_OK;
}

HeaderCompressor::~HeaderCompressor() {
  deflateEnd(zs_);
  delete zs_;
}

absl::StatusOr<std::string> HeaderCompressor::Compress(
    absl::string_view block) {
  if (!ok_) return absl::InternalError("SPDY header compressor failed");
  std::string out;
  zs_->next_in = const_cast<Bytef*>(Bytes(block));
  zs_->avail_in = static_cast<uInt>(block.size());
  char chunk[4096];
  do {
    zs_->next_out = reinterpret_cast<Bytef*>(chunk);
    zs_->avail_out = sizeof(chunk);
    int rc = deflate(zs_, Z_SYNC_FLUSH);
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      ok_ = false;
      return absl::InternalError(absl::StrCat("deflate failed: ", rc));
    }
    out.append(chunk, sizeof(chunk) - zs_->avail_out);
  } while (zs_->avail_out == 0 || zs_->avail_in > 0);
  return out;
}

HeaderDecompressor::HeaderDecompressor() : zs_(new z_stream{}), ok_(false) {
  ok_ = inflateInit(zs_) == Z_OK;
}

HeaderDecompressor::~HeaderDecompressor() {
  inflateEnd(zs_);
  delete zs_;
}

absl::StatusOr<std::string> HeaderDecompressor::Decompress(
    absl::string_view compressed, size_t max_output) {
  if (!ok_) {
    return absl::InvalidArgumentError("SPDY header decompressor is broken");
  }
  std::string out;
  zs_->next_in = const_cast<Bytef*>(Bytes(compressed));
  zs_->avail_in = static_cast<uInt>(compressed.size());
  char chunk[4096];
  while (zs_->avail_in > 0) {
    zs_->next_out = reinterpret_cast<Bytef*>(chunk);
    zs_->avail_out = sizeof(chunk);
    int rc = inflate(zs_, Z_SYNC_FLUSH);
    if (rc == Z_NEED_DICT) {
      absl::string_view dict = HeaderDictionary();
      rc = inflateSetDictionary(zs_, Bytes(dict),
                                static_cast<uInt>(dict.size()));
    }
    size_t produced = sizeof(chunk) - zs_->avail_out;
    // Z_BUF_ERROR only means no progress was possible; with input left and
    // no output produced that is corrupt input.
    bool stuck = rc == Z_BUF_ERROR && produced == 0;
    if ((rc != Z_OK && rc != Z_BUF_ERROR) || stuck) {
      ok_ = false;
      return absl::InvalidArgumentError(
          absl::StrCat("corrupt SPDY header block (zlib ", rc, ": ",
                       zs_->msg != nullptr ? zs_->msg : "no message", ")"));
    }
    if (produced > max_output - out.size()) {
      ok_ = false;
      return absl::InvalidArgumentError(absl::StrCat(
          "SPDY header block inflates past ", max_output, " bytes"));
    }
    out.append(chunk, produced);
  }
  // Output the inflater still holds once the input is used up.
  for (;;) {
    zs_->next_out = reinterpret_cast<Bytef*>(chunk);
    zs_->avail_out = sizeof(chunk);
    int rc = inflate(zs_, Z_SYNC_FLUSH);
    size_t produced = sizeof(chunk) - zs_->avail_out;
    if ((rc != Z_OK && rc != Z_BUF_ERROR) ||
        produced > max_output - out.size()) {
      ok_ = false;
      return absl::InvalidArgumentError(
          "corrupt or oversized SPDY header block");
    }
    out.append(chunk, produced);
    if (produced < sizeof(chunk)) break;
  }
  return out;
}

absl::StatusOr<Headers> DecompressHeaders(HeaderDecompressor& decompressor,
                                          absl::string_view compressed) {
  absl::StatusOr<std::string> block = decompressor.Decompress(compressed);
  if (!block.ok()) return block.status();
  return DecodeHeaderBlock(*block);
}

}  // namespace cri_dockerd::streaming::spdy
