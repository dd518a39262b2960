#include "cri/network/cni_exec.h"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/logging.h"
#include "cri/network/cni_json.h"
#include "cri/network/subprocess.h"

namespace cri_dockerd::network {
namespace {

constexpr char kDefaultPath[] =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
// CNI's "try again later" error code.
constexpr int kCniErrTryAgainLater = 11;

std::string StringAt(const std::vector<JsonMember>& m, absl::string_view key) {
  absl::StatusOr<std::string> s = JsonUnquote(FindMember(m, key));
  return s.ok() ? *s : "";
}

// What a failed plugin said: its error JSON when it printed one, else its
// exit status and output.
absl::Status PluginError(const std::string& prefix,
                         const SubprocessResult& run) {
  absl::StatusOr<std::vector<JsonMember>> error = SplitJsonObject(run.out);
  int code = 0;
  if (error.ok() && absl::SimpleAtoi(FindMember(*error, "code"), &code)) {
    std::string message = absl::StrCat(prefix, " failed: code ", code, ": ",
                                       StringAt(*error, "msg"));
    const std::string details = StringAt(*error, "details");
    if (!details.empty()) absl::StrAppend(&message, " (", details, ")");
    return code == kCniErrTryAgainLater ? absl::UnavailableError(message)
                                        : absl::InternalError(message);
  }
  std::string output(absl::StripAsciiWhitespace(run.err));
  if (output.empty()) output = std::string(absl::StripAsciiWhitespace(run.out));
  if (output.size() > 1024) output = output.substr(0, 1024) + "...";
  return absl::InternalError(absl::StrCat(prefix, " failed: ", run.Describe(),
                                          output.empty() ? "" : ": ", output));
}

}  // namespace

absl::StatusOr<std::string> FindPluginBinary(
    const std::string& type, const std::vector<std::string>& bin_dirs) {
  if (type.find('/') == std::string::npos && type != "." && type != "..") {
    for (const std::string& dir : bin_dirs) {
      const std::string path = absl::StrCat(dir, "/", type);
      if (access(path.c_str(), X_OK) == 0) return path;
    }
  }
  return absl::NotFoundError(absl::StrCat("CNI plugin \"", type,
                                          "\" not found in --cni-bin-dir ",
                                          absl::StrJoin(bin_dirs, ",")));
}

std::vector<std::string> CniEnvironment(const CniInvocation& inv) {
  const char* path = getenv("PATH");
  return {
      absl::StrCat("CNI_COMMAND=", inv.command),
      absl::StrCat("CNI_CONTAINERID=", inv.container_id),
      absl::StrCat("CNI_NETNS=", inv.netns),
      absl::StrCat("CNI_IFNAME=", inv.ifname),
      absl::StrCat("CNI_ARGS=", inv.cni_args),
      absl::StrCat("CNI_PATH=", absl::StrJoin(inv.bin_dirs, ":")),
      absl::StrCat("PATH=", path != nullptr && *path ? path : kDefaultPath)};
}

absl::StatusOr<std::string> ExecCniPlugin(const CniInvocation& inv,
                                          const std::string& network,
                                          const std::string& type,
                                          const std::string& stdin_conf,
                                          absl::Time deadline) {
  const std::string prefix = absl::StrCat(
      "network \"", network, "\": plugin \"", type, "\" ", inv.command);
  absl::StatusOr<std::string> binary = FindPluginBinary(type, inv.bin_dirs);
  if (!binary.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat(prefix, ": ", binary.status().message()));
  }
  absl::StatusOr<SubprocessResult> run = RunSubprocess(
      *binary, {*binary}, CniEnvironment(inv), stdin_conf, deadline);
  if (!run.ok()) {
    return absl::Status(run.status().code(),
                        absl::StrCat(prefix, ": ", run.status().message()));
  }
  if (!absl::StripAsciiWhitespace(run->err).empty()) {
    LOG(WARNING) << prefix << " for " << inv.container_id
                 << " stderr: " << absl::StripTrailingAsciiWhitespace(run->err);
  }
  if (run->term_signal != 0 || run->exit_code != 0) {
    return PluginError(prefix, *run);
  }
  if (inv.command == "ADD" && !SplitJsonObject(run->out).ok()) {
    return absl::InternalError(absl::StrCat(
        prefix, " printed no valid result: ", run->out.substr(0, 1024)));
  }
  return std::move(run->out);
}

std::vector<std::string> ResultIps(const std::string& result_json,
                                   const std::string& ifname) {
  std::vector<std::string> ips;
  absl::StatusOr<std::vector<JsonMember>> result = SplitJsonObject(result_json);
  if (!result.ok()) return ips;
  absl::StatusOr<std::vector<std::string>> interfaces =
      SplitJsonArray(FindMember(*result, "interfaces"));
  absl::StatusOr<std::vector<std::string>> entries =
      SplitJsonArray(FindMember(*result, "ips"));
  if (!entries.ok()) return ips;
  for (const std::string& e : *entries) {
    absl::StatusOr<std::vector<JsonMember>> ip = SplitJsonObject(e);
    if (!ip.ok()) continue;
    int index = -1;
    if (interfaces.ok() &&
        absl::SimpleAtoi(FindMember(*ip, "interface"), &index) && index >= 0 &&
        static_cast<size_t>(index) < interfaces->size()) {
      absl::StatusOr<std::vector<JsonMember>> iface =
          SplitJsonObject((*interfaces)[static_cast<size_t>(index)]);
      if (iface.ok() && StringAt(*iface, "name") != ifname) continue;
    }
    std::string address = StringAt(*ip, "address");
    address = address.substr(0, address.find('/'));
    if (!address.empty()) ips.push_back(address);
  }
  SortIpv4First(&ips);
  return ips;
}

void SortIpv4First(std::vector<std::string>* ips) {
  std::stable_sort(ips->begin(), ips->end(),
                   [](const std::string& a, const std::string& b) {
                     return a.find(':') == std::string::npos &&
                            b.find(':') != std::string::npos;
                   });
}

}  // namespace cri_dockerd::network
