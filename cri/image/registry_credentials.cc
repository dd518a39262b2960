#include "cri/image/registry_credentials.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/logging.h"
#include "cri/image/reference.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace cri_dockerd::image {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;
using internal::CredentialEntry;

// Credentials files are a few KiB; anything this large is not one.
constexpr off_t kMaxFileBytes = 4 << 20;

// Reads a regular file. NotFound when it does not exist.
absl::StatusOr<std::string> ReadSmallFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return absl::NotFoundError(path);
    return absl::PermissionDeniedError(
        absl::StrCat("cannot open: errno ", errno));
  }
  struct stat st;
  std::string text;
  absl::Status status;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    status = absl::FailedPreconditionError("not a regular file");
  } else if (st.st_size > kMaxFileBytes) {
    status = absl::InvalidArgumentError("larger than 4 MiB");
  } else {
    char buf[8192];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0) text.append(buf, n);
    if (n < 0) status = absl::DataLossError("read error");
  }
  close(fd);
  if (!status.ok()) return status;
  return text;
}

// Returns the string value of `field`: "" when absent or null, an error
// when it has another type.
absl::StatusOr<std::string> StringField(const Struct& s,
                                        const std::string& field) {
  auto it = s.fields().find(field);
  if (it == s.fields().end() || it->second.kind_case() == Value::kNullValue) {
    return std::string();
  }
  if (it->second.kind_case() != Value::kStringValue) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", field, "\" is not a string"));
  }
  return it->second.string_value();
}

// Splits "host[:port]" (host may be "[ipv6]") and maps Docker Hub's aliases
// to docker.io.
void SplitHostPort(absl::string_view hostport, std::string* host,
                   std::string* port) {
  size_t colon = hostport.rfind(':');
  const size_t bracket = hostport.rfind(']');
  if (bracket != absl::string_view::npos && colon < bracket) {
    colon = absl::string_view::npos;
  }
  *host = absl::AsciiStrToLower(hostport.substr(0, colon));
  *port = colon == absl::string_view::npos
              ? ""
              : std::string(hostport.substr(colon + 1));
  if (port->empty() &&
      (*host == "index.docker.io" || *host == "registry-1.docker.io" ||
       *host == "registry.hub.docker.com")) {
    *host = "docker.io";
  }
}

// Normalises a key of the auths map like the Go keyring: no scheme, no
// leading "/v1/" or "/v2/" API path, no trailing '/'.
bool ParseKey(absl::string_view key, CredentialEntry* e) {
  absl::string_view s = key;
  if (absl::StartsWithIgnoreCase(s, "https://")) {
    s.remove_prefix(8);
  } else if (absl::StartsWithIgnoreCase(s, "http://")) {
    s.remove_prefix(7);
  }
  const size_t slash = s.find('/');
  absl::string_view path =
      slash == absl::string_view::npos ? "" : s.substr(slash + 1);
  if (path == "v1" || path == "v2" || absl::StartsWith(path, "v1/") ||
      absl::StartsWith(path, "v2/")) {
    path.remove_prefix(2);
  }
  while (absl::ConsumePrefix(&path, "/")) {
  }
  while (absl::ConsumeSuffix(&path, "/")) {
  }
  SplitHostPort(s.substr(0, slash), &e->host, &e->port);
  if (e->host.empty()) return false;
  e->path = std::string(path);
  e->has_glob = e->host.find_first_of("*?") != std::string::npos;
  e->key_length = e->host.size() + (e->port.empty() ? 0 : e->port.size() + 1) +
                  (e->path.empty() ? 0 : e->path.size() + 1);
  return true;
}

// Turns one entry of the auths map into credentials. Returns an error (the
// whole file is then ignored) for wrong JSON types; returns false, having
// logged why, for an entry that is skipped.
absl::StatusOr<bool> ParseEntry(const std::string& file, const std::string& key,
                                const Value& value, CredentialEntry* e) {
  if (value.kind_case() != Value::kStructValue) {
    return absl::InvalidArgumentError(
        absl::StrCat("entry \"", key, "\" is not an object"));
  }
  const Struct& s = value.struct_value();
  std::string auth, email;
  const struct {
    const char* name;
    std::string* out;
  } fields[] = {{"username", &e->auth.username},
                {"password", &e->auth.password},
                {"auth", &auth},
                {"identitytoken", &e->auth.identity_token},
                {"registrytoken", &e->auth.registry_token},
                {"email", &email}};
  for (const auto& f : fields) {
    absl::StatusOr<std::string> v = StringField(s, f.name);
    if (!v.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("entry \"", key, "\": ", v.status().message()));
    }
    *f.out = *std::move(v);
  }
  if (!auth.empty()) {
    // Go's decoder takes padded and unpadded base64; so does absl's.
    std::string decoded;
    if (!absl::Base64Unescape(absl::StripAsciiWhitespace(auth), &decoded) ||
        !absl::StrContains(decoded, ':')) {
      LOG(WARNING) << file << ": skipping registry \"" << key
                   << "\": \"auth\" is not base64(\"username:password\")";
      return false;
    }
    // As in docker and the Go keyring, "auth" wins over the plain fields.
    const size_t sep = decoded.find(':');
    e->auth.username = decoded.substr(0, sep);
    e->auth.password = decoded.substr(sep + 1);
  }
  if (!ParseKey(key, e)) {
    LOG(WARNING) << file << ": skipping registry \"" << key
                 << "\": no registry host in the key";
    return false;
  }
  if (e->auth.empty()) {
    LOG(WARNING) << file << ": skipping registry \"" << key
                 << "\": no credentials in the entry";
    return false;
  }
  e->auth.server_address = key;
  return true;
}

// Parses an auths map; any wrong JSON type makes the whole file unusable.
absl::StatusOr<std::vector<CredentialEntry>> ParseAuths(const std::string& file,
                                                        const Struct& auths) {
  std::vector<CredentialEntry> entries;
  for (const auto& [key, value] : auths.fields()) {
    CredentialEntry e;
    absl::StatusOr<bool> usable = ParseEntry(file, key, value, &e);
    if (!usable.ok()) return usable.status();
    if (*usable) entries.push_back(std::move(e));
  }
  return entries;
}

// Reads and parses one candidate file. NotFound when it does not exist.
absl::StatusOr<std::vector<CredentialEntry>> LoadFile(const std::string& file,
                                                      bool config_json) {
  absl::StatusOr<std::string> text = ReadSmallFile(file);
  if (!text.ok()) return text.status();
  Struct root;
  if (!google::protobuf::util::JsonStringToMessage(*text, &root).ok()) {
    return absl::InvalidArgumentError("not a JSON object");
  }
  if (!config_json) return ParseAuths(file, root);
  std::string helpers;
  for (const char* helper : {"credsStore", "credHelpers"}) {
    if (root.fields().contains(helper)) {
      absl::StrAppend(&helpers, helpers.empty() ? "" : " and ", helper);
    }
  }
  if (!helpers.empty()) {
    LOG(WARNING) << file << ": " << helpers
                 << " (external credential helpers) not supported; only "
                    "\"auths\" entries are used";
  }
  auto it = root.fields().find("auths");
  if (it == root.fields().end() ||
      it->second.kind_case() == Value::kNullValue) {
    return std::vector<CredentialEntry>();
  }
  if (it->second.kind_case() != Value::kStructValue) {
    return absl::InvalidArgumentError("\"auths\" is not an object");
  }
  return ParseAuths(file, it->second.struct_value());
}

// filepath.Match-style globbing of one host label: '*' any run, '?' one char.
bool GlobMatch(absl::string_view pattern, absl::string_view text) {
  if (pattern.empty()) return text.empty();
  if (pattern.front() == '*') {
    for (size_t i = 0; i <= text.size(); ++i) {
      if (GlobMatch(pattern.substr(1), text.substr(i))) return true;
    }
    return false;
  }
  if (text.empty()) return false;
  if (pattern.front() != '?' && pattern.front() != text.front()) return false;
  return GlobMatch(pattern.substr(1), text.substr(1));
}

std::string JoinPath(absl::string_view dir, absl::string_view name) {
  return absl::StrCat(dir, absl::EndsWith(dir, "/") ? "" : "/", name);
}

bool HostMatches(const std::string& pattern, const std::string& host) {
  std::vector<absl::string_view> want = absl::StrSplit(pattern, '.');
  std::vector<absl::string_view> got = absl::StrSplit(host, '.');
  if (want.size() != got.size()) return false;
  for (size_t i = 0; i < want.size(); ++i) {
    if (!GlobMatch(want[i], got[i])) return false;
  }
  return true;
}

}  // namespace

RegistryCredentials RegistryCredentials::LoadFromDisk(
    const std::vector<std::string>& search_dirs) {
  RegistryCredentials creds;
  std::vector<std::pair<std::string, bool>> candidates;
  for (const std::string& dir : search_dirs) {
    candidates.emplace_back(JoinPath(dir, "config.json"), true);
    candidates.emplace_back(JoinPath(dir, ".docker/config.json"), true);
  }
  for (const std::string& dir : search_dirs) {
    candidates.emplace_back(JoinPath(dir, ".dockercfg"), false);
  }
  for (const auto& [file, config_json] : candidates) {
    absl::StatusOr<std::vector<CredentialEntry>> entries =
        LoadFile(file, config_json);
    if (absl::IsNotFound(entries.status())) continue;
    if (!entries.ok()) {
      LOG(WARNING) << "ignoring docker credentials file " << file << ": "
                   << entries.status().message();
      continue;
    }
    creds.entries_ = *std::move(entries);
    std::stable_sort(creds.entries_.begin(), creds.entries_.end(),
                     [](const CredentialEntry& a, const CredentialEntry& b) {
                       if (a.key_length != b.key_length) {
                         return a.key_length > b.key_length;
                       }
                       if (a.has_glob != b.has_glob) return !a.has_glob;
                       return a.auth.server_address < b.auth.server_address;
                     });
    LOG(INFO) << "using docker credentials file " << file << " ("
              << creds.entries_.size() << " registries)";
    return creds;
  }
  return creds;
}

std::vector<std::string> RegistryCredentials::DefaultSearchDirs() {
  std::vector<std::string> dirs = {"/var/lib/kubelet"};
  char cwd[PATH_MAX];
  if (getcwd(cwd, sizeof(cwd)) != nullptr) dirs.emplace_back(cwd);
  if (const char* home = getenv("HOME"); home != nullptr && *home != '\0') {
    dirs.emplace_back(home);
  }
  dirs.emplace_back("/");
  return dirs;
}

std::optional<docker::RegistryAuth> RegistryCredentials::Lookup(
    absl::string_view image_name) const {
  std::string host, port, path;
  if (absl::StatusOr<ImageReference> ref = ParseImageReference(image_name);
      ref.ok()) {
    SplitHostPort(ref->domain, &host, &port);
    path = ref->path;
  } else {
    const size_t slash = image_name.find('/');
    SplitHostPort(image_name.substr(0, slash), &host, &port);
    if (slash != absl::string_view::npos) {
      path = std::string(image_name.substr(slash + 1));
    }
  }
  for (const CredentialEntry& e : entries_) {
    if (e.port != port || !HostMatches(e.host, host)) continue;
    if (!e.path.empty() && path != e.path &&
        !absl::StartsWith(path, absl::StrCat(e.path, "/"))) {
      continue;
    }
    return e.auth;
  }
  return std::nullopt;
}

}  // namespace cri_dockerd::image
