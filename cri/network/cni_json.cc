#include "cri/network/cni_json.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace cri_dockerd::network {
namespace {

// Nesting deeper than this is not a CNI document (and would risk the stack).
constexpr int kMaxDepth = 256;

// A strict scanner over one JSON text (RFC 8259 grammar).
class Scanner {
 public:
  explicit Scanner(absl::string_view text) : text_(text) {}

  size_t pos() const { return pos_; }
  bool AtEnd() {
    SkipSpace();
    return pos_ == text_.size();
  }
  bool Consume(char c) {
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void SkipSpace() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' ||
            text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  // Skips one value; false if malformed.
  bool Value(int depth = 0) {
    SkipSpace();
    if (pos_ >= text_.size() || depth > kMaxDepth) return false;
    switch (text_[pos_]) {
      case '{':
        return Container('}', depth, /*object=*/true);
      case '[':
        return Container(']', depth, /*object=*/false);
      case '"':
        return String(nullptr);
      case 't':
        return Literal("true");
      case 'f':
        return Literal("false");
      case 'n':
        return Literal("null");
      default:
        return Number();
    }
  }
  // Reads a string literal, decoding it into `out` when not null.
  bool String(std::string* out) {
    SkipSpace();
    if (pos_ >= text_.size() || text_[pos_] != '"') return false;
    ++pos_;
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') {
        if (out) out->push_back(c);
        continue;
      }
      if (pos_ >= text_.size()) return false;
      const char e = text_[pos_++];
      char plain = 0;
      switch (e) {
        case '"':
        case '\\':
        case '/':
          plain = e;
          break;
        case 'b':
          plain = '\b';
          break;
        case 'f':
          plain = '\f';
          break;
        case 'n':
          plain = '\n';
          break;
        case 'r':
          plain = '\r';
          break;
        case 't':
          plain = '\t';
          break;
        case 'u': {
          uint32_t cp = 0;
          if (!Hex4(&cp)) return false;
          if (cp >= 0xD800 && cp < 0xDC00 && pos_ + 1 < text_.size() &&
              text_[pos_] == '\\' && text_[pos_ + 1] == 'u') {
            pos_ += 2;
            uint32_t low = 0;
            if (!Hex4(&low) || low < 0xDC00 || low > 0xDFFF) return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          if (out) AppendUtf8(cp, out);
          continue;
        }
        default:
          return false;
      }
      if (out) out->push_back(plain);
    }
    return false;
  }

 private:
  bool Container(char close, int depth, bool object) {
    ++pos_;
    if (Consume(close)) return true;
    do {
      if (object && (!String(nullptr) || !Consume(':'))) return false;
      if (!Value(depth + 1)) return false;
    } while (Consume(','));
    return Consume(close);
  }
  bool Literal(absl::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }
  bool Digits() {
    const size_t start = pos_;
    while (pos_ < text_.size() && absl::ascii_isdigit(text_[pos_])) ++pos_;
    return pos_ > start;
  }
  bool Number() {
    if (pos_ < text_.size() && text_[pos_] == '-') ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '0') {
      ++pos_;
    } else if (!Digits()) {
      return false;
    }
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      if (!Digits()) return false;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) {
        ++pos_;
      }
      if (!Digits()) return false;
    }
    return true;
  }
  bool Hex4(uint32_t* cp) {
    if (pos_ + 4 > text_.size()) return false;
    for (int i = 0; i < 4; ++i) {
      const char h = text_[pos_++];
      if (!absl::ascii_isxdigit(h)) return false;
      *cp = *cp * 16 +
            static_cast<uint32_t>(absl::ascii_isdigit(h)
                                      ? h - '0'
                                      : absl::ascii_tolower(h) - 'a' + 10);
    }
    return true;
  }
  static void AppendUtf8(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  absl::string_view text_;
  size_t pos_ = 0;
};

// Splits `text` (an object when `object`, else an array) into members;
// array elements get an empty key.
absl::StatusOr<std::vector<JsonMember>> Split(absl::string_view text,
                                              bool object) {
  Scanner s(text);
  const char open = object ? '{' : '[';
  const char close = object ? '}' : ']';
  const auto bad = [&] {
    return absl::InvalidArgumentError(object ? "not a JSON object"
                                             : "not a JSON array");
  };
  std::vector<JsonMember> members;
  if (!s.Consume(open)) return bad();
  if (!s.Consume(close)) {
    do {
      std::string key;
      if (object && (!s.String(&key) || !s.Consume(':'))) return bad();
      s.SkipSpace();  // so the value's text starts at pos()
      const size_t start = s.pos();
      if (!s.Value()) return bad();
      members.emplace_back(std::move(key),
                           std::string(text.substr(start, s.pos() - start)));
    } while (s.Consume(','));
    if (!s.Consume(close)) return bad();
  }
  if (!s.AtEnd()) return bad();
  return members;
}

}  // namespace

absl::StatusOr<std::vector<JsonMember>> SplitJsonObject(
    absl::string_view text) {
  return Split(text, /*object=*/true);
}

absl::StatusOr<std::vector<std::string>> SplitJsonArray(
    absl::string_view text) {
  absl::StatusOr<std::vector<JsonMember>> members =
      Split(text, /*object=*/false);
  if (!members.ok()) return members.status();
  std::vector<std::string> values;
  for (JsonMember& m : *members) values.push_back(std::move(m.second));
  return values;
}

std::string FindMember(const std::vector<JsonMember>& members,
                       absl::string_view key) {
  for (const JsonMember& m : members) {
    if (m.first == key) return m.second;
  }
  return "";
}

absl::StatusOr<std::string> JsonUnquote(absl::string_view raw) {
  Scanner s(raw);
  std::string out;
  if (!s.String(&out) || !s.AtEnd()) {
    return absl::InvalidArgumentError("not a JSON string");
  }
  return out;
}

std::string JoinJsonObject(const std::vector<JsonMember>& members) {
  std::string out = "{";
  for (const JsonMember& m : members) {
    if (out.size() > 1) out.push_back(',');
    absl::StrAppend(&out, JsonQuote(m.first), ":", m.second);
  }
  out.push_back('}');
  return out;
}

std::string JoinJsonArray(const std::vector<std::string>& values) {
  std::string out = "[";
  for (const std::string& v : values) {
    if (out.size() > 1) out.push_back(',');
    out += v;
  }
  out.push_back(']');
  return out;
}

std::string JsonStringArray(const std::vector<std::string>& values) {
  std::vector<std::string> quoted;
  for (const std::string& v : values) quoted.push_back(JsonQuote(v));
  return JoinJsonArray(quoted);
}

}  // namespace cri_dockerd::network
