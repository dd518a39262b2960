#include "cri/convert/resolv_conf.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace cri_dockerd {
namespace {

absl::Status CheckValues(
    const google::protobuf::RepeatedPtrField<std::string>& v,
    const char* field) {
  for (const std::string& s : v) {
    if (s.empty() || s.find_first_of("\r\n") != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("config.dns_config.", field, ": \"", s,
                       "\" is empty or spans lines"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string ResolvConfContent(const runtime::v1::DNSConfig& dns) {
  std::string out;
  for (const std::string& server : dns.servers()) {
    absl::StrAppend(&out, "nameserver ", server, "\n");
  }
  if (!dns.searches().empty()) {
    absl::StrAppend(&out, "search ", absl::StrJoin(dns.searches(), " "), "\n");
  }
  if (!dns.options().empty()) {
    absl::StrAppend(&out, "options ", absl::StrJoin(dns.options(), " "), "\n");
  }
  return out;
}

absl::Status RewriteResolvConf(const std::string& path,
                               const runtime::v1::DNSConfig& dns) {
  for (auto [values, field] : {std::pair{&dns.servers(), "servers"},
                               std::pair{&dns.searches(), "searches"},
                               std::pair{&dns.options(), "options"}}) {
    if (absl::Status s = CheckValues(*values, field); !s.ok()) return s;
  }
  const std::string content = ResolvConfContent(dns);
  if (content.empty()) return absl::OkStatus();
  if (path.empty()) {
    return absl::FailedPreconditionError(
        "docker reports no resolv.conf for the sandbox");
  }
  // O_NOFOLLOW: the path is docker's, but never write through a symlink.
  const int fd =
      open(path.c_str(), O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot rewrite ", path, ": ", std::strerror(errno)));
  }
  const ssize_t n = write(fd, content.data(), content.size());
  const int err = errno;
  close(fd);
  if (n != static_cast<ssize_t>(content.size())) {
    return absl::InternalError(
        absl::StrCat("cannot write ", path, ": ", std::strerror(err)));
  }
  return absl::OkStatus();
}

}  // namespace cri_dockerd
