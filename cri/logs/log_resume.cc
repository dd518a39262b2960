#include "cri/logs/log_resume.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/fs/no_follow.h"
#include "cri/logs/cri_log_format.h"

namespace cri_dockerd::logs {
namespace {

constexpr uint64_t kFirstWindow = 64 << 10;
constexpr uint64_t kMaxScan = 8 << 20;
constexpr absl::Duration kWindow = absl::Seconds(2);  // 2 * kResumeSlack

// Reads [offset, offset + n) of `fd` into *out.
bool ReadAt(int fd, uint64_t offset, uint64_t n, std::string* out) {
  out->resize(n);
  size_t done = 0;
  while (done < n) {
    const ssize_t r = pread(fd, out->data() + done, n - done,
                            static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    done += static_cast<size_t>(r);
  }
  return true;
}

// Parses the complete lines of `data` (which starts at a line start if
// `whole`) from the end back. Returns false if more data before it is
// needed to finish the scan.
bool ScanBack(absl::string_view data, bool whole,
              std::vector<absl::Time>* newest_first) {
  newest_first->clear();
  absl::Time cutoff = absl::InfinitePast();
  size_t end = data.size();
  while (end > 0) {
    const size_t nl = data.rfind('\n', end - 1);
    if (nl == absl::string_view::npos && !whole) return false;
    const size_t begin = nl == absl::string_view::npos ? 0 : nl + 1;
    if (auto line = ParseCriLogLine(data.substr(begin, end - begin))) {
      if (newest_first->empty()) cutoff = line->timestamp - kWindow;
      if (line->timestamp < cutoff) return true;
      newest_first->push_back(line->timestamp);
      if (newest_first->size() >= kMaxTrackedEntries) return true;
    }
    if (begin == 0) return true;
    end = begin - 1;  // drop the '\n'
  }
  return true;
}

}  // namespace

void ResumeTracker::Record(absl::Time t) {
  recent_.push_back(t);
  while (recent_.size() > kMaxTrackedEntries ||
         recent_.front() < recent_.back() - kWindow) {
    recent_.pop_front();
  }
}

absl::Time ResumeTracker::Since() const {
  return recent_.empty() ? absl::InfinitePast() : recent_.back() - kResumeSlack;
}

std::vector<absl::Time> ResumeTracker::RecordedSince() const {
  const absl::Time since = Since();
  std::vector<absl::Time> out;
  for (absl::Time t : recent_) {
    if (t >= since) out.push_back(t);
  }
  return out;
}

bool ReplayFilter::Skip(absl::Time t) {
  if (t < since_) return true;
  if (diverged_ || matched_ >= expected_.size()) return false;
  if (t == expected_[matched_]) {
    ++matched_;
    return true;
  }
  diverged_ = true;
  return false;
}

absl::StatusOr<LogFileTail> ReadLogFileTail(const std::string& path) {
  // No symlink followed in any component, a FIFO refused without blocking.
  absl::StatusOr<fs::UniqueFd> file = fs::OpenFile(path, O_RDONLY);
  if (!file.ok()) return file.status();
  const int fd = file->get();
  LogFileTail tail;
  struct stat st;
  if (fstat(fd, &st) != 0) {
    return absl::InternalError(absl::StrCat("cannot stat ", path));
  }
  tail.size = static_cast<uint64_t>(st.st_size);
  std::string data;
  std::vector<absl::Time> newest_first;
  for (uint64_t window = kFirstWindow;; window *= 2) {
    window = std::min({window, tail.size, kMaxScan});
    const uint64_t start = tail.size - window;
    if (!ReadAt(fd, start, window, &data)) {
      return absl::InternalError(absl::StrCat("cannot read ", path));
    }
    const size_t last_nl = data.rfind('\n');
    const bool last_window = start == 0 || window == kMaxScan;
    if (last_nl == std::string::npos) {
      if (!last_window) continue;
      // One torn line is the whole file (cut it), or its start lies
      // beyond the scan (leave it).
      tail.complete_size = start == 0 ? 0 : tail.size;
      break;
    }
    tail.complete_size = start + last_nl + 1;
    // The complete lines, without the last '\n'. Past kMaxScan the
    // oldest line in the window may be cut: it then fails to parse and
    // is ignored.
    const absl::string_view lines(data.data(), last_nl);
    if (ScanBack(lines, /*whole=*/last_window, &newest_first) || last_window) {
      break;
    }
  }
  for (auto it = newest_first.rbegin(); it != newest_first.rend(); ++it) {
    tail.resume.Record(*it);
  }
  return tail;
}

ResumeTracker ReadRotatedResumePoint(const std::string& path) {
  ResumeTracker best;
  if (!fs::ValidateNormalPath(path).ok() || path == "/") return best;
  const auto [dir_path, file] = fs::SplitParent(path);
  const std::string prefix = absl::StrCat(file, ".");
  // The directory is reached as the log file is (no symlink followed);
  // fdopendir takes the fd over.
  absl::StatusOr<fs::UniqueFd> dir_fd = fs::OpenDirectory(dir_path);
  if (!dir_fd.ok()) return best;
  DIR* dir = fdopendir(dir_fd->get());
  if (dir == nullptr) return best;
  dir_fd->Release();
  std::vector<std::string> names;
  while (const dirent* e = readdir(dir)) {
    const absl::string_view name = e->d_name;
    if (absl::StartsWith(name, prefix) && !absl::EndsWith(name, ".gz") &&
        !absl::EndsWith(name, ".tmp")) {
      names.emplace_back(name);
    }
  }
  closedir(dir);
  for (const std::string& name : names) {
    absl::StatusOr<LogFileTail> tail = ReadLogFileTail(
        absl::StrCat(dir_path == "/" ? "" : dir_path, "/", name));
    if (tail.ok() && !tail->resume.empty() &&
        (best.empty() || tail->resume.Since() > best.Since())) {
      best = tail->resume;
    }
  }
  return best;
}

}  // namespace cri_dockerd::logs
