#include "tests/fuzz/proto_mutator.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>
#include <string_view>

namespace cri_dockerd::fuzz {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::OneofDescriptor;
using google::protobuf::Reflection;

// Strings that break parsers and path handling, whatever the field.
constexpr std::string_view kSpecialStrings[] = {
    "",
    ".",
    "..",
    "../../../../etc/passwd",
    "a/../../b",
    "/",
    "//",
    "/a/./b/",
    " ",
    "\n",
    "\t\r\n",
    std::string_view("\0", 1),
    std::string_view("a\0b", 3),
    "-1",
    "0",
    "18446744073709551616",
    "9223372036854775807",
    "-9223372036854775808",
    "1e309",
    "NaN",
    "*",
    ":",
    "::",
    "@",
    "a:b:c@sha256:",
    "sha256:",
    "=",
    "a=b=c",
    ",",
    "%s%n%x",
    "\\",
    "\"",
    "'",
    "{}",
    "[]",
    "null",
    "\xc3\xa9",          // é
    "\xe2\x80\xae",      // right-to-left override
    "\xef\xbb\xbf",      // byte order mark
    "\xf0\x9f\x90\xb3",  // a four-byte character
    "\xf4\x8f\xbf\xbf",  // U+10FFFF
    "UPPER",
    "k8s_POD_a_b_c_0",
    "k8s_",
    "_____",
    "localhost",
    "127.0.0.1",
    "[::1]",
    "unix:///var/run/docker.sock",
};

// Lengths of the huge strings: around page and buffer boundaries.
constexpr size_t kHugeLengths[] = {255,   256,   4095,   4096,   4097,
                                   65535, 65536, 262144, 1 << 20};

}  // namespace

uint64_t FuzzInput::Uint64() {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(Byte()) << (8 * i);
  return v;
}

size_t FuzzInput::Below(size_t n) {
  if (n <= 1) return 0;
  if (n <= 256) return Byte() % n;
  uint64_t v = 0;
  for (size_t range = n; range > 0; range >>= 8) v = (v << 8) | Byte();
  return static_cast<size_t>(v % n);
}

std::string FuzzInput::Bytes(size_t max) {
  const size_t n = std::min(Below(max + 1), size_ - std::min(pos_, size_));
  std::string out(reinterpret_cast<const char*>(data_ + pos_), n);
  pos_ += n;
  return out;
}

std::string ToValidUtf8(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      len = 1;
      cp = c;
    } else if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      cp = c & 0x07;
    }
    bool ok = len > 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      ok = (cc & 0xc0) == 0x80;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // No overlong forms, surrogates or code points past U+10FFFF.
    if (ok && ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
               (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)) {
      ok = false;
    }
    if (ok) {
      out.append(s, i, len);
      i += len;
    } else {
      out.push_back('?');
      ++i;
    }
  }
  return out;
}

ProtoGenerator::ProtoGenerator(FuzzInput* in, GeneratorOptions options)
    : in_(in), options_(std::move(options)) {}

void ProtoGenerator::Fill(Message* msg) { FillMessage(msg, 0); }

bool ProtoGenerator::Charge(size_t size) {
  if (size > options_.byte_budget - bytes_used_) return false;
  bytes_used_ += size;
  return true;
}

void ProtoGenerator::FillMessage(Message* msg, int depth) {
  if (depth > options_.max_depth) return;
  const Descriptor* d = msg->GetDescriptor();
  // Oneofs first: at most one member each (or none).
  for (int i = 0; i < d->real_oneof_decl_count(); ++i) {
    const OneofDescriptor* oneof = d->oneof_decl(i);  // real ones come first
    const size_t pick = in_->Below(oneof->field_count() + 1);
    if (pick > 0) SetValue(msg, oneof->field(pick - 1), depth);
  }
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->real_containing_oneof() != nullptr) continue;
    // Input past its end (zeros) leaves the rest unset.
    const int n = std::max(options_.set_one_in, 2);
    if (in_->Byte() % n != n - 1) continue;
    if (f->is_repeated()) {
      SetRepeated(msg, f, depth);
    } else {
      SetValue(msg, f, depth);
    }
  }
}

void ProtoGenerator::SetRepeated(Message* msg, const FieldDescriptor* field,
                                 int depth) {
  const uint8_t shape = in_->Byte();
  // One in sixteen lists is long; the rest stay short.
  const int max = (shape & 0x0f) == 0x0f ? options_.max_elements_burst
                                         : options_.max_elements;
  const size_t n = 1 + in_->Below(static_cast<size_t>(max));
  for (size_t i = 0; i < n; ++i) SetValue(msg, field, depth);
}

int64_t ProtoGenerator::SignedValue(int64_t min, int64_t max) {
  switch (in_->Byte() % 10) {
    case 0:
      return 0;
    case 1:
      return in_->Byte();  // small
    case 2:
      return -static_cast<int64_t>(in_->Byte()) - 1;  // small negative
    case 3:
      return min;
    case 4:
      return max;
    case 5:
      return max - 1;
    case 6: {
      // A power of two, give or take one.
      const int shift = static_cast<int>(in_->Byte() % 63);
      const int64_t p = int64_t{1} << shift;
      return p + static_cast<int64_t>(in_->Byte() % 3) - 1;
    }
    case 7: {
      // Sizes that mean something: pages, MiB, GiB, a second in ns.
      static constexpr int64_t kSizes[] = {4096,       1 << 20,   1 << 30,
                                           1000000000, 999999999, 65536};
      return kSizes[in_->Below(std::size(kSizes))];
    }
    default: {
      const auto v = static_cast<int64_t>(in_->Uint64());
      if (min == 0) return v < 0 ? -(v + 1) : v;
      return v;
    }
  }
}

uint64_t ProtoGenerator::UnsignedValue(uint64_t max) {
  switch (in_->Byte() % 6) {
    case 0:
      return 0;
    case 1:
      return in_->Byte();
    case 2:
      return max;
    case 3:
      return max - 1;
    case 4:
      return uint64_t{1} << (in_->Byte() % 64);
    default:
      return in_->Uint64();
  }
}

double ProtoGenerator::DoubleValue() {
  switch (in_->Byte() % 10) {
    case 0:
      return 0;
    case 1:
      return -0.0;
    case 2:
      return 1;
    case 3:
      return -1;
    case 4:
      return std::numeric_limits<double>::quiet_NaN();
    case 5:
      return std::numeric_limits<double>::infinity();
    case 6:
      return -std::numeric_limits<double>::infinity();
    case 7:
      return std::numeric_limits<double>::max();
    case 8:
      return std::numeric_limits<double>::denorm_min();
    default: {
      const uint64_t bits = in_->Uint64();
      double d;
      static_assert(sizeof(d) == sizeof(bits));
      std::memcpy(&d, &bits, sizeof(d));
      return d;
    }
  }
}

int ProtoGenerator::EnumValue(const FieldDescriptor& field) {
  const google::protobuf::EnumDescriptor* e = field.enum_type();
  // Open (proto3) enums also get values no enumerator has.
  const bool open =
      e->file()->syntax() == google::protobuf::FileDescriptor::SYNTAX_PROTO3;
  const size_t pick = in_->Below(e->value_count() + (open ? 1 : 0));
  if (pick < static_cast<size_t>(e->value_count())) {
    return e->value(static_cast<int>(pick))->number();
  }
  static constexpr int kUnknown[] = {-1, 1000, std::numeric_limits<int>::min(),
                                     std::numeric_limits<int>::max()};
  return kUnknown[in_->Below(std::size(kUnknown))];
}

std::string ProtoGenerator::String(const FieldDescriptor& field) {
  std::string s;
  switch (in_->Byte() % 8) {
    case 0:
      break;  // empty
    case 1:
    case 2: {
      std::vector<std::string> hints;
      if (options_.string_hints) hints = options_.string_hints(field);
      if (!hints.empty()) {
        s = hints[in_->Below(hints.size())];
      } else {
        s = std::string(
            kSpecialStrings[in_->Below(std::size(kSpecialStrings))]);
      }
      break;
    }
    case 3: {
      // A hint cut short, or with something appended: prefixes of IDs,
      // names that almost match.
      std::vector<std::string> hints;
      if (options_.string_hints) hints = options_.string_hints(field);
      if (hints.empty()) {
        s = in_->Bytes(options_.max_string);
        break;
      }
      s = hints[in_->Below(hints.size())];
      if (in_->Bool()) {
        s.resize(in_->Below(s.size() + 1));
      } else {
        s += std::string(
            kSpecialStrings[in_->Below(std::size(kSpecialStrings))]);
      }
      break;
    }
    case 4:
      s = std::string(kSpecialStrings[in_->Below(std::size(kSpecialStrings))]);
      break;
    case 5: {
      // Huge: one character, or a short pattern, repeated.
      const size_t len = kHugeLengths[in_->Below(std::size(kHugeLengths))];
      std::string unit = in_->Bytes(4);
      if (unit.empty()) unit.push_back('a');
      s.resize(len);
      for (size_t k = 0; k < len; ++k) s[k] = unit[k % unit.size()];
      break;
    }
    default:
      s = in_->Bytes(options_.max_string);
      break;
  }
  if (field.type() == FieldDescriptor::TYPE_STRING) s = ToValidUtf8(s);
  if (!Charge(s.size())) s.clear();
  return s;
}

void ProtoGenerator::SetValue(Message* msg, const FieldDescriptor* field,
                              int depth) {
  const Reflection* r = msg->GetReflection();
  const bool rep = field->is_repeated();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32: {
      const auto v = static_cast<int32_t>(
          SignedValue(std::numeric_limits<int32_t>::min(),
                      std::numeric_limits<int32_t>::max()));
      rep ? r->AddInt32(msg, field, v) : r->SetInt32(msg, field, v);
      break;
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      const int64_t v = SignedValue(std::numeric_limits<int64_t>::min(),
                                    std::numeric_limits<int64_t>::max());
      rep ? r->AddInt64(msg, field, v) : r->SetInt64(msg, field, v);
      break;
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      const auto v = static_cast<uint32_t>(
          UnsignedValue(std::numeric_limits<uint32_t>::max()));
      rep ? r->AddUInt32(msg, field, v) : r->SetUInt32(msg, field, v);
      break;
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      const uint64_t v = UnsignedValue(std::numeric_limits<uint64_t>::max());
      rep ? r->AddUInt64(msg, field, v) : r->SetUInt64(msg, field, v);
      break;
    }
    case FieldDescriptor::CPPTYPE_DOUBLE: {
      const double v = DoubleValue();
      rep ? r->AddDouble(msg, field, v) : r->SetDouble(msg, field, v);
      break;
    }
    case FieldDescriptor::CPPTYPE_FLOAT: {
      const auto v = static_cast<float>(DoubleValue());
      rep ? r->AddFloat(msg, field, v) : r->SetFloat(msg, field, v);
      break;
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      const bool v = in_->Bool();
      rep ? r->AddBool(msg, field, v) : r->SetBool(msg, field, v);
      break;
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const int v = EnumValue(*field);
      rep ? r->AddEnumValue(msg, field, v) : r->SetEnumValue(msg, field, v);
      break;
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string v = String(*field);
      rep ? r->AddString(msg, field, std::move(v))
          : r->SetString(msg, field, std::move(v));
      break;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      Message* sub =
          rep ? r->AddMessage(msg, field) : r->MutableMessage(msg, field);
      FillMessage(sub, depth + 1);
      break;
    }
  }
}

}  // namespace cri_dockerd::fuzz
