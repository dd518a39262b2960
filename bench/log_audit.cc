#include "bench/log_audit.h"

#include <sys/stat.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bench/bench_util.h"
#include "cri/logs/cri_log_format.h"

namespace cri_dockerd::bench {
namespace {

// Docker's json-file entry starts {"log":"<text>", with the text JSON
// escaped; the counter's digits need no escaping.
constexpr absl::string_view kLogKey = "{\"log\":\"";

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

}  // namespace

std::vector<std::string> DockerLogFiles(const std::string& log_path) {
  std::vector<std::string> files;
  if (log_path.empty()) return files;
  if (Exists(log_path)) files.push_back(log_path);
  // Rotation renames .1 to .2 and so on; with compression docker writes
  // .N.gz, whose lines this benchmark does not read back.
  for (int i = 1;; ++i) {
    const std::string rotated = absl::StrCat(log_path, ".", i);
    if (Exists(rotated)) {
      files.push_back(rotated);
    } else if (Exists(rotated + ".gz")) {
      files.push_back(rotated + ".gz");
    } else {
      break;
    }
  }
  return files;
}

uint64_t FileBytes(const std::vector<std::string>& paths) {
  uint64_t sum = 0;
  for (const std::string& p : paths) {
    struct stat st;
    if (stat(p.c_str(), &st) == 0) sum += static_cast<uint64_t>(st.st_size);
  }
  return sum;
}

int64_t LastDockerCounter(const std::vector<std::string>& files) {
  int64_t last = -1;
  for (const std::string& f : files) {
    const std::string text = ReadWholeFile(f);
    for (absl::string_view line : absl::StrSplit(text, '\n')) {
      if (!absl::StartsWith(line, kLogKey)) continue;
      line.remove_prefix(kLogKey.size());
      const size_t end = line.find_first_not_of("0123456789");
      int64_t v = 0;
      if (end != 0 && absl::SimpleAtoi(line.substr(0, end), &v)) {
        last = std::max(last, v);
      }
    }
  }
  return last;
}

CriLogAudit AuditCriLog(const std::string& path, int64_t upto) {
  CriLogAudit a;
  a.file_bytes = FileBytes({path});
  std::vector<int> seen(upto >= 0 ? upto + 1 : 0, 0);
  const std::string text = ReadWholeFile(path);
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty()) continue;  // the split after the last '\n'
    ++a.lines;
    std::optional<logs::CriLogLine> l = logs::ParseCriLogLine(line);
    int64_t v = 0;
    if (!l.has_value() || l->partial || !absl::SimpleAtoi(l->content, &v) ||
        v < 0) {
      ++a.garbled;
      continue;
    }
    a.content_bytes += l->content.size() + 1;
    a.max_value = std::max(a.max_value, v);
    if (v <= upto) ++seen[v];
  }
  for (int n : seen) {
    if (n == 0) ++a.lost;
    if (n > 1) a.repeated += n - 1;
  }
  return a;
}

}  // namespace cri_dockerd::bench
