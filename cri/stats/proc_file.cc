#include "cri/stats/proc_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace cri_dockerd::stats {

absl::StatusOr<std::string> ReadProcFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    const std::string msg = absl::StrCat(path, ": ", std::strerror(err));
    // ESRCH: a /proc/<pid> whose process is exiting.
    if (err == ENOENT || err == ESRCH) return absl::NotFoundError(msg);
    return absl::InternalError(msg);
  }
  std::string text;
  char buf[8192];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n > 0) {
      text.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    const int err = errno;
    close(fd);
    if (n == 0) return text;
    const std::string msg = absl::StrCat(path, ": ", std::strerror(err));
    if (err == ENODEV || err == ESRCH) return absl::NotFoundError(msg);
    return absl::InternalError(msg);
  }
}

bool ParseUint(absl::string_view text, uint64_t* out, bool max_word) {
  text = absl::StripAsciiWhitespace(text);
  if (max_word && text == "max") {
    *out = std::numeric_limits<uint64_t>::max();
    return true;
  }
  return absl::SimpleAtoi(text, out);
}

absl::StatusOr<uint64_t> ReadUint(const std::string& path) {
  absl::StatusOr<std::string> text = ReadProcFile(path);
  if (!text.ok()) return text.status();
  uint64_t value = 0;
  if (!ParseUint(*text, &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a number: \"", *text, "\""));
  }
  return value;
}

std::map<std::string, uint64_t> ReadKeyedFile(const std::string& path) {
  std::map<std::string, uint64_t> out;
  absl::StatusOr<std::string> text = ReadProcFile(path);
  if (!text.ok()) return out;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    std::vector<absl::string_view> f =
        absl::StrSplit(line, ' ', absl::SkipEmpty());
    uint64_t v = 0;
    if (f.size() == 2 && absl::SimpleAtoi(f[1], &v)) out[std::string(f[0])] = v;
  }
  return out;
}

std::optional<uint64_t> ReadOptionalUint(const std::string& path) {
  absl::StatusOr<uint64_t> v = ReadUint(path);
  if (!v.ok()) return std::nullopt;
  return *v;
}

std::optional<uint64_t> KeyedValue(const std::map<std::string, uint64_t>& m,
                                   const std::string& key) {
  auto it = m.find(key);
  if (it == m.end()) return std::nullopt;
  return it->second;
}

}  // namespace cri_dockerd::stats
