#include "common/go_duration.h"

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"

namespace cri_dockerd {
namespace {

// Nanoseconds per unit, as Go's time.ParseDuration spells units.
bool UnitNanos(std::string_view unit, int64_t* nanos) {
  if (unit == "ns") {
    *nanos = 1;
  } else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") {
    *nanos = 1000;
  } else if (unit == "ms") {
    *nanos = 1000 * 1000;
  } else if (unit == "s") {
    *nanos = 1000 * 1000 * 1000;
  } else if (unit == "m") {
    *nanos = int64_t{60} * 1000 * 1000 * 1000;
  } else if (unit == "h") {
    *nanos = int64_t{3600} * 1000 * 1000 * 1000;
  } else {
    return false;
  }
  return true;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Go's fractional formatting: writes v/10^prec with trailing zeros dropped.
std::string FormatFrac(uint64_t v, int prec) {
  std::string frac;
  bool printed = false;
  for (int i = 0; i < prec; ++i) {
    const int digit = static_cast<int>(v % 10);
    printed = printed || digit != 0;
    if (printed) frac.insert(frac.begin(), static_cast<char>('0' + digit));
    v /= 10;
  }
  std::string out = std::to_string(v);
  if (!frac.empty()) absl::StrAppend(&out, ".", frac);
  return out;
}

}  // namespace

absl::StatusOr<absl::Duration> ParseGoDuration(std::string_view text) {
  const std::string original(text);
  auto invalid = [&original]() {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid duration \"", original,
                     "\" (want Go syntax such as 1m0s, 90s or 500ms)"));
  };
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return absl::ZeroDuration();
  if (s.empty()) return invalid();
  // Accumulate in long double nanoseconds; the range check below keeps the
  // result inside int64 like Go does.
  long double total = 0;
  while (!s.empty()) {
    size_t i = 0;
    long double whole = 0;
    bool any_digit = false;
    while (i < s.size() && IsDigit(s[i])) {
      whole = whole * 10 + (s[i] - '0');
      any_digit = true;
      ++i;
    }
    long double frac = 0;
    if (i < s.size() && s[i] == '.') {
      ++i;
      long double scale = 0.1L;
      while (i < s.size() && IsDigit(s[i])) {
        frac += (s[i] - '0') * scale;
        scale /= 10;
        any_digit = true;
        ++i;
      }
    }
    if (!any_digit) return invalid();
    size_t j = i;
    while (j < s.size() && !IsDigit(s[j]) && s[j] != '.') ++j;
    int64_t unit = 0;
    if (j == i || !UnitNanos(s.substr(i, j - i), &unit)) return invalid();
    total += (whole + frac) * static_cast<long double>(unit);
    if (total > 9.2233720368547758e18L) return invalid();
    s.remove_prefix(j);
  }
  const int64_t nanos = static_cast<int64_t>(total);
  return absl::Nanoseconds(negative ? -nanos : nanos);
}

std::string FormatGoDuration(absl::Duration d) {
  int64_t nanos = absl::ToInt64Nanoseconds(d);
  if (nanos == 0) return "0s";
  const bool negative = nanos < 0;
  uint64_t u = negative ? static_cast<uint64_t>(-(nanos + 1)) + 1
                        : static_cast<uint64_t>(nanos);
  std::string out;
  if (u < 1000000000ULL) {
    // Sub-second: the largest unit that keeps a leading non-zero digit.
    if (u < 1000ULL) {
      out = absl::StrCat(u, "ns");
    } else if (u < 1000000ULL) {
      out = absl::StrCat(FormatFrac(u, 3), "\xC2\xB5s");
    } else {
      out = absl::StrCat(FormatFrac(u, 6), "ms");
    }
  } else {
    const uint64_t secs_frac = u % 60000000000ULL;
    uint64_t minutes = u / 60000000000ULL;
    const uint64_t hours = minutes / 60;
    minutes %= 60;
    out = absl::StrCat(FormatFrac(secs_frac, 9), "s");
    if (hours > 0) {
      out = absl::StrCat(hours, "h", minutes, "m", out);
    } else if (minutes > 0) {
      out = absl::StrCat(minutes, "m", out);
    }
  }
  return negative ? "-" + out : out;
}

}  // namespace cri_dockerd
