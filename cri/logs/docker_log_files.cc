#include "cri/logs/docker_log_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <system_error>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cri/logs/log_resume.h"
#include "docker_client/json_log_decoder.h"

namespace cri_dockerd::logs {
namespace {

// Reads of the binary search and of first lines; docker's lines are at
// most a 16 KiB piece, a few times that once JSON-escaped.
constexpr size_t kProbe = 16 << 10;
constexpr size_t kMaxLine = 1 << 20;
// Below this the search stops: scanning forward from `lo` is cheaper.
constexpr uint64_t kScanSpan = 64 << 10;

// Reads up to `n` bytes at `offset`; fewer at the end of the file.
std::string ReadAt(int fd, uint64_t offset, size_t n) {
  std::string out(n, '\0');
  size_t done = 0;
  while (done < n) {
    const ssize_t r = pread(fd, out.data() + done, n - done,
                            static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    done += static_cast<size_t>(r);
  }
  out.resize(done);
  return out;
}

// The complete line starting at `start` (without '\n'), if one ends
// before `limit`.
std::optional<std::string> LineAt(int fd, uint64_t start, uint64_t limit) {
  std::string line;
  for (size_t want = kProbe; start + line.size() < limit;) {
    const uint64_t at = start + line.size();
    std::string more = ReadAt(
        fd, at, static_cast<size_t>(std::min<uint64_t>(want, limit - at)));
    if (more.empty()) return std::nullopt;
    const size_t nl = more.find('\n');
    if (nl != std::string::npos) {
      line.append(more, 0, nl);
      return line;
    }
    line += more;
    if (line.size() >= kMaxLine) return std::nullopt;
    want = std::min(want * 2, kMaxLine);
  }
  return std::nullopt;
}

// The first line that starts after `from` (from > 0) and ends before
// `limit`: its start and time (nullopt time: it does not parse).
struct Probe {
  uint64_t start = 0;
  std::optional<absl::Time> time;
};
std::optional<Probe> LineAfter(int fd, uint64_t from, uint64_t limit) {
  for (uint64_t at = from; at < limit;) {
    const std::string chunk = ReadAt(
        fd, at, static_cast<size_t>(std::min<uint64_t>(kProbe, limit - at)));
    if (chunk.empty()) return std::nullopt;
    const size_t nl = chunk.find('\n');
    if (nl == std::string::npos) {
      at += chunk.size();
      continue;
    }
    Probe p;
    p.start = at + nl + 1;
    if (p.start >= limit) return std::nullopt;
    std::optional<std::string> line = LineAt(fd, p.start, limit);
    if (!line) return std::nullopt;
    absl::Time t;
    if (docker::JsonLogLineTime(*line, &t)) p.time = t;
    return p;
  }
  return std::nullopt;
}

uint64_t FileSize(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

}  // namespace

std::string DockerLogFilePath(const std::string& path, int index) {
  return index == 0 ? path : absl::StrCat(path, ".", index);
}

std::vector<DockerLogFileId> StatDockerLogFiles(const std::string& path) {
  const std::filesystem::path p(path);
  const std::string prefix = p.filename().string() + ".";
  std::map<int, DockerLogFileId, std::greater<int>> found;  // oldest first
  auto add = [&found](const std::string& file, int index) {
    struct stat st;
    if (stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return;
    found[index] = DockerLogFileId{st.st_dev, st.st_ino, index};
  };
  std::error_code ec;
  for (std::filesystem::directory_iterator it(p.parent_path(), ec), end;
       !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    int index = 0;
    if (absl::StartsWith(name, prefix) &&
        absl::SimpleAtoi(absl::string_view(name).substr(prefix.size()),
                         &index) &&
        index > 0) {
      add(it->path().string(), index);
    }
  }
  add(path, 0);
  std::vector<DockerLogFileId> out;
  for (auto& [index, id] : found) out.push_back(id);
  return out;
}

bool IsCurrentDockerLogFile(const std::string& path,
                            const DockerLogFileId& id) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         id.SameFile(DockerLogFileId{st.st_dev, st.st_ino, 0});
}

absl::StatusOr<FdHandle> OpenDockerLogFile(const std::string& path,
                                           const DockerLogFileId& want) {
  const std::string file = DockerLogFilePath(path, want.index);
  FdHandle fd(open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) {
    const int err = errno;
    const std::string msg =
        absl::StrCat("cannot open ", file, ": ", std::strerror(err));
    if (err == ENOENT) return absl::NotFoundError(msg);
    if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(msg);
    return absl::InternalError(msg);
  }
  struct stat st;
  if (fstat(fd.get(), &st) != 0 || st.st_dev != want.dev ||
      st.st_ino != want.ino) {
    return absl::NotFoundError(absl::StrCat(file, " was rotated meanwhile"));
  }
  return fd;
}

std::optional<absl::Time> FirstEntryTime(int fd) {
  const uint64_t size = FileSize(fd);
  for (uint64_t start = 0; start < size && start < kMaxLine;) {
    std::optional<std::string> line = LineAt(fd, start, size);
    if (!line) return std::nullopt;
    absl::Time t;
    if (docker::JsonLogLineTime(*line, &t)) return t;
    start += line->size() + 1;
  }
  return std::nullopt;
}

uint64_t FindOffsetBefore(int fd, uint64_t size, absl::Time t) {
  // Invariant: lo is a line start (0, or a line stamped before t); every
  // line starting at or after hi is stamped at or after t (or torn).
  uint64_t lo = 0, hi = size;
  while (hi - lo > kScanSpan) {
    const uint64_t mid = lo + (hi - lo) / 2;
    std::optional<Probe> p = LineAfter(fd, mid, hi);
    if (!p) {
      hi = mid;
    } else if (p->time && *p->time < t) {
      lo = p->start;
    } else {
      hi = mid;
    }
  }
  return lo;
}

absl::StatusOr<DockerLogResumePoint> FindDockerLogResumePoint(
    const std::string& path, absl::Time since) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    const std::vector<DockerLogFileId> files = StatDockerLogFiles(path);
    if (files.empty()) {
      return absl::NotFoundError(absl::StrCat("no docker log at ", path));
    }
    // Newest first; stop at the first file that starts before `since`.
    const absl::Time threshold = since - kResumeSlack;
    bool raced = false;
    for (int i = static_cast<int>(files.size()) - 1; i >= 0; --i) {
      absl::StatusOr<FdHandle> fd = OpenDockerLogFile(path, files[i]);
      if (!fd.ok()) {
        raced = true;  // rotated under us: list again
        break;
      }
      std::optional<absl::Time> first = since == absl::InfinitePast()
                                            ? std::nullopt
                                            : FirstEntryTime(fd->get());
      const bool oldest = i == 0;
      if (!oldest && !(first && *first < threshold)) continue;
      DockerLogResumePoint point;
      point.file = files[i];
      point.newer_files = static_cast<int>(files.size()) - 1 - i;
      if (first && *first < threshold) {
        point.offset =
            FindOffsetBefore(fd->get(), FileSize(fd->get()), threshold);
      }
      point.maybe_lost = oldest && files[i].index > 0 &&
                         since != absl::InfinitePast() && first &&
                         *first > since + kResumeSlack;
      point.fd = std::move(*fd);
      return point;
    }
    if (!raced) break;
  }
  return absl::UnavailableError(
      absl::StrCat("docker kept rotating ", path, " while it was searched"));
}

}  // namespace cri_dockerd::logs
