#include "cri/network/cni_cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/fs/sync_dir.h"
#include "cri/network/cni_config.h"
#include "cri/network/cni_json.h"

namespace cri_dockerd::network {
namespace {

constexpr char kCacheKind[] = "cniCacheV1";

absl::Status Errno(const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", strerror(errno)));
}

absl::Status MakeDirs(const std::string& dir) {
  for (size_t i = 1; i <= dir.size(); ++i) {
    if (i != dir.size() && dir[i] != '/') continue;
    const std::string prefix = dir.substr(0, i);
    if (mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
      return Errno(absl::StrCat("mkdir ", prefix));
    }
  }
  return absl::OkStatus();
}

absl::Status WriteFileAtomically(const std::string& path,
                                 const std::string& text) {
  static std::atomic<uint64_t> counter{0};
  const std::string tmp =
      absl::StrCat(path, ".tmp-", getpid(), "-", counter.fetch_add(1));
  const int fd =
      open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Errno(absl::StrCat("create ", tmp));
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  const bool ok = done == text.size() && fsync(fd) == 0;
  absl::Status status =
      ok ? absl::OkStatus() : Errno(absl::StrCat("write ", tmp));
  close(fd);
  if (status.ok() && rename(tmp.c_str(), path.c_str()) != 0) {
    status = Errno(absl::StrCat("rename ", tmp));
  }
  if (!status.ok()) {
    unlink(tmp.c_str());
    return status;
  }
  // The rename itself survives a power loss only once the directory is
  // synced: until then DEL could find no entry for a network ADD made.
  return fs::SyncDir(path.substr(0, path.rfind('/')));
}

std::string StringAt(const std::vector<JsonMember>& m, absl::string_view key) {
  absl::StatusOr<std::string> s = JsonUnquote(FindMember(m, key));
  return s.ok() ? *s : "";
}

// Parses one cache file.
absl::StatusOr<CniCacheEntry> ParseEntry(const std::string& path,
                                         const std::string& text) {
  absl::StatusOr<std::vector<JsonMember>> root = SplitJsonObject(text);
  if (!root.ok() || StringAt(*root, "kind") != kCacheKind) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a ", kCacheKind, " entry"));
  }
  CniCacheEntry e;
  e.path = path;
  e.container_id = StringAt(*root, "containerId");
  e.if_name = StringAt(*root, "ifName");
  e.network_name = StringAt(*root, "networkName");
  e.netns = StringAt(*root, "netns");
  if (!absl::Base64Unescape(StringAt(*root, "config"), &e.config_json)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": bad config"));
  }
  absl::StatusOr<std::vector<std::string>> args =
      SplitJsonArray(FindMember(*root, "cniArgs"));
  if (args.ok()) {
    for (const std::string& pair : *args) {
      absl::StatusOr<std::vector<std::string>> kv = SplitJsonArray(pair);
      if (!kv.ok() || kv->size() != 2) continue;
      absl::StatusOr<std::string> k = JsonUnquote((*kv)[0]);
      absl::StatusOr<std::string> v = JsonUnquote((*kv)[1]);
      if (k.ok() && v.ok()) e.cni_args.emplace_back(*k, *v);
    }
  }
  e.capability_args_json = FindMember(*root, "capabilityArgs");
  if (!SplitJsonObject(e.capability_args_json).ok()) {
    e.capability_args_json.clear();
  }
  e.result_json = FindMember(*root, "result");
  if (!SplitJsonObject(e.result_json).ok()) e.result_json.clear();
  return e;
}

}  // namespace

std::string CniCachePath(const std::string& cache_dir,
                         const std::string& network_name,
                         const std::string& container_id,
                         const std::string& if_name) {
  return absl::StrCat(cache_dir, "/results/", network_name, "-", container_id,
                      "-", if_name);
}

absl::Status WriteCniCache(const std::string& cache_dir,
                           const CniCacheEntry& entry) {
  absl::Status status = MakeDirs(absl::StrCat(cache_dir, "/results"));
  if (!status.ok()) return status;
  std::vector<std::string> args;
  for (const auto& [k, v] : entry.cni_args) {
    args.push_back(JsonStringArray({k, v}));
  }
  std::vector<JsonMember> members = {
      {"kind", JsonQuote(kCacheKind)},
      {"containerId", JsonQuote(entry.container_id)},
      {"config", JsonQuote(absl::Base64Escape(entry.config_json))},
      {"ifName", JsonQuote(entry.if_name)},
      {"networkName", JsonQuote(entry.network_name)}};
  if (!entry.netns.empty())
    members.emplace_back("netns", JsonQuote(entry.netns));
  if (!args.empty()) members.emplace_back("cniArgs", JoinJsonArray(args));
  if (!entry.capability_args_json.empty() &&
      entry.capability_args_json != "{}") {
    members.emplace_back("capabilityArgs", entry.capability_args_json);
  }
  if (!entry.result_json.empty()) {
    members.emplace_back("result", entry.result_json);
  }
  return WriteFileAtomically(CniCachePath(cache_dir, entry.network_name,
                                          entry.container_id, entry.if_name),
                             JoinJsonObject(members));
}

std::vector<CniCacheEntry> FindCniCache(const std::string& cache_dir,
                                        const std::string& container_id,
                                        const std::string& if_name) {
  std::vector<CniCacheEntry> entries;
  if (container_id.empty()) return entries;
  const std::string dir = absl::StrCat(cache_dir, "/results");
  const std::string suffix = absl::StrCat("-", container_id, "-", if_name);
  std::vector<std::string> names;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      if (absl::EndsWith(e->d_name, suffix)) names.push_back(e->d_name);
    }
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    const std::string path = absl::StrCat(dir, "/", name);
    absl::StatusOr<std::string> text = ReadSmallFile(path);
    if (!text.ok()) continue;
    absl::StatusOr<CniCacheEntry> entry = ParseEntry(path, *text);
    if (entry.ok() && entry->container_id == container_id &&
        entry->if_name == if_name) {
      entries.push_back(*std::move(entry));
    }
  }
  return entries;
}

absl::Status RemoveCniCache(const std::string& path) {
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Errno(absl::StrCat("remove ", path));
  }
  return absl::OkStatus();
}

}  // namespace cri_dockerd::network
