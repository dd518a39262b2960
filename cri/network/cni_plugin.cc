// Contract: SetUpPod leaves the pod fully attached (every plugin's ADD ran
// and the result is cached) or not attached at all (DEL of the whole list
// ran). TearDownPod is idempotent. Neither forks anything but the CNI
// plugins themselves; netns work happens in-process (netns_addrs.h).
#include "cri/network/cni_plugin.h"

#include <unistd.h>

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "cri/network/cni_cache.h"
#include "cri/network/netns_addrs.h"

namespace cri_dockerd::network {
namespace {

constexpr char kIfName[] = "eth0";
// Bound for calls whose caller gave no deadline.
constexpr absl::Duration kDefaultTimeout = absl::Minutes(3);
// Undoing a failed ADD gets at least this long, even if the ADD used up
// the caller's deadline: leaving the pod half-attached is worse.
constexpr absl::Duration kRollbackTimeout = absl::Seconds(20);

absl::Time Bounded(absl::Time deadline) {
  return std::min(deadline, absl::Now() + kDefaultTimeout);
}

std::vector<std::string> SplitBinDirs(const std::string& dirs) {
  std::vector<std::string> out;
  for (absl::string_view d :
       absl::StrSplit(dirs, ',', absl::SkipWhitespace())) {
    out.emplace_back(absl::StripAsciiWhitespace(d));
  }
  return out;
}

std::string PodName(const PodNetworkRequest& pod) {
  return absl::StrCat(pod.pod_namespace, "/", pod.pod_name, " (",
                      pod.sandbox_id.substr(0, 12), ")");
}

}  // namespace

CniNetworkPlugin::CniNetworkPlugin(NetworkSettings settings)
    : settings_(std::move(settings)),
      bin_dirs_(SplitBinDirs(settings_.cni_bin_dirs)) {}

absl::Status CniNetworkPlugin::Ready() {
  absl::StatusOr<CniConfig> config = FindCniConfig(settings_.cni_conf_dir);
  if (!config.ok()) return config.status();
  for (const std::string& type : config->plugin_types) {
    if (!FindPluginBinary(type, bin_dirs_).ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("CNI plugin \"", type, "\" used by ", config->file,
                       " not found in --cni-bin-dir ", settings_.cni_bin_dirs));
    }
  }
  return absl::OkStatus();
}

void CniNetworkPlugin::SetPodCidr(const std::string& cidr) {
  absl::MutexLock lock(&mu_);
  pod_cidr_ = cidr;
}

std::string CniNetworkPlugin::PodCidr() const {
  absl::MutexLock lock(&mu_);
  return pod_cidr_;
}

CniInvocation CniNetworkPlugin::Invocation(const std::string& command,
                                           const std::string& container_id,
                                           const std::string& netns,
                                           const CniArgs& args) const {
  CniInvocation inv;
  inv.command = command;
  inv.container_id = container_id;
  inv.netns = netns;
  inv.ifname = kIfName;
  inv.cni_args = JoinCniArgs(args);
  inv.bin_dirs = bin_dirs_;
  return inv;
}

absl::StatusOr<std::string> CniNetworkPlugin::AddNetworkList(
    const CniConfig& config, const CniInvocation& inv, const std::string& caps,
    absl::Time deadline) const {
  std::string result;
  absl::Status status;
  for (size_t i = 0; i < config.plugins.size(); ++i) {
    const CniPluginConfig& plugin = config.plugins[i];
    if (i == 1) {
      // The first plugin attached the pod; the rest of the chain has not.
      settings_.fault_point.Reached(fault_step::kRunMidCniAdd);
    }
    absl::StatusOr<std::string> in =
        BuildPluginStdin(config, plugin, caps, result);
    absl::StatusOr<std::string> out =
        in.ok() ? ExecCniPlugin(inv, config.name, plugin.type, *in, deadline)
                : in.status();
    if (!out.ok()) {
      status = out.status();
      break;
    }
    result = *std::move(out);
  }
  if (status.ok()) return result;
  // Undo whatever the plugins before (and the failing one) did.
  const absl::Status undo = DelNetworkList(
      config, inv, caps,
      CniVersionHasDelPrevResult(config.cni_version) ? result : "",
      std::max(deadline, absl::Now() + kRollbackTimeout));
  if (!undo.ok()) {
    LOG(WARNING) << "undoing the failed ADD of " << inv.container_id
                 << " also failed: " << undo;
  }
  return status;
}

absl::Status CniNetworkPlugin::DelNetworkList(const CniConfig& config,
                                              CniInvocation inv,
                                              const std::string& caps,
                                              const std::string& prev_result,
                                              absl::Time deadline) const {
  inv.command = "DEL";
  absl::Status first_error;
  for (auto it = config.plugins.rbegin(); it != config.plugins.rend(); ++it) {
    absl::StatusOr<std::string> in =
        BuildPluginStdin(config, *it, caps, prev_result);
    absl::Status status =
        in.ok()
            ? ExecCniPlugin(inv, config.name, it->type, *in, deadline).status()
            : in.status();
    if (!status.ok() && first_error.ok()) first_error = status;
  }
  return first_error;
}

absl::StatusOr<PodNetworkStatus> CniNetworkPlugin::SetUpPod(
    const PodNetworkRequest& pod, absl::Time deadline) {
  deadline = Bounded(deadline);
  if (pod.sandbox_id.empty() || pod.netns_path.empty()) {
    return absl::InvalidArgumentError(
        "CNI set-up needs the sandbox ID and its network namespace");
  }
  absl::StatusOr<CniConfig> config = FindCniConfig(settings_.cni_conf_dir);
  if (!config.ok()) {
    return absl::FailedPreconditionError(config.status().message());
  }
  absl::StatusOr<std::string> caps = BuildCapabilityArgs(pod, PodCidr());
  if (!caps.ok()) return caps.status();
  if (absl::Status lo = BringUpLoopback(pod.netns_path); !lo.ok()) {
    return absl::Status(
        lo.code(),
        absl::StrCat("bringing up lo for ", PodName(pod), ": ", lo.message()));
  }
  const CniArgs args = PodCniArgs(pod);
  const CniInvocation inv =
      Invocation("ADD", pod.sandbox_id, pod.netns_path, args);
  absl::StatusOr<std::string> result =
      AddNetworkList(*config, inv, *caps, deadline);
  if (!result.ok()) return result.status();

  CniCacheEntry entry;
  entry.container_id = pod.sandbox_id;
  entry.if_name = kIfName;
  entry.network_name = config->name;
  entry.netns = pod.netns_path;
  entry.config_json = config->list_json;
  entry.cni_args = args;
  entry.capability_args_json = *caps;
  entry.result_json = *result;
  if (absl::Status s = WriteCniCache(settings_.cni_cache_dir, entry); !s.ok()) {
    // Without the cache DEL could not repeat this ADD: undo it now.
    DelNetworkList(
        *config, inv, *caps,
        CniVersionHasDelPrevResult(config->cni_version) ? *result : "",
        std::max(deadline, absl::Now() + kRollbackTimeout))
        .IgnoreError();
    return absl::InternalError(absl::StrCat("caching the CNI result of ",
                                            PodName(pod), ": ", s.message()));
  }
  PodNetworkStatus status;
  status.ips = ResultIps(*result, kIfName);
  if (status.ips.empty()) {
    // A result without addresses (some plugins): ask the netns itself.
    absl::StatusOr<std::vector<std::string>> ips =
        InterfaceAddresses(pod.netns_path, kIfName);
    if (ips.ok()) status.ips = *std::move(ips);
  }
  LOG(INFO) << "CNI network \"" << config->name << "\" attached "
            << PodName(pod) << ": " << absl::StrJoin(status.ips, ", ");
  return status;
}

absl::Status CniNetworkPlugin::TearDownPod(const PodNetworkRequest& pod,
                                           absl::Time deadline) {
  deadline = Bounded(deadline);
  // DEL may run without a netns (the container is gone): CNI allows it.
  const std::string netns =
      !pod.netns_path.empty() && access(pod.netns_path.c_str(), F_OK) == 0
          ? pod.netns_path
          : "";
  absl::Status first_error;
  int done = 0;
  for (const CniCacheEntry& e :
       FindCniCache(settings_.cni_cache_dir, pod.sandbox_id, kIfName)) {
    absl::StatusOr<CniConfig> config = ParseCniConfList(e.path, e.config_json);
    if (!config.ok()) {
      LOG(WARNING) << "ignoring CNI cache entry: " << config.status();
      continue;
    }
    const CniArgs args = e.cni_args.empty() ? PodCniArgs(pod) : e.cni_args;
    absl::Status s = DelNetworkList(
        *config, Invocation("DEL", pod.sandbox_id, netns, args),
        e.capability_args_json,
        CniVersionHasDelPrevResult(config->cni_version) ? e.result_json : "",
        deadline);
    if (s.ok()) s = RemoveCniCache(e.path);
    if (s.ok()) {
      ++done;
      LOG(INFO) << "CNI network \"" << config->name << "\" detached "
                << PodName(pod);
    } else if (first_error.ok()) {
      first_error = s;
    }
  }
  if (done > 0 || !first_error.ok()) return first_error;

  // Nothing cached (an ADD that never finished, or a cache wiped by a
  // reboot): DEL with what the configuration says now.
  absl::StatusOr<CniConfig> config = FindCniConfig(settings_.cni_conf_dir);
  if (!config.ok()) {
    LOG(INFO) << "no CNI configuration and no cached result for "
              << PodName(pod) << ": nothing to tear down";
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> caps = BuildCapabilityArgs(pod, PodCidr());
  return DelNetworkList(
      *config, Invocation("DEL", pod.sandbox_id, netns, PodCniArgs(pod)),
      caps.ok() ? *caps : "{}", "", deadline);
}

absl::StatusOr<PodNetworkStatus> CniNetworkPlugin::GetPodNetworkStatus(
    const PodNetworkRequest& pod, absl::Time deadline) {
  PodNetworkStatus status;
  if (!pod.netns_path.empty()) {
    absl::StatusOr<std::vector<std::string>> ips =
        InterfaceAddresses(pod.netns_path, kIfName);
    if (ips.ok() && !ips->empty()) {
      status.ips = *std::move(ips);
      return status;
    }
    if (!ips.ok() && !absl::IsNotFound(ips.status())) {
      LOG(DEBUG) << "reading the addresses of " << PodName(pod) << ": "
                 << ips.status();
    }
  }
  for (const CniCacheEntry& e :
       FindCniCache(settings_.cni_cache_dir, pod.sandbox_id, kIfName)) {
    status.ips = ResultIps(e.result_json, kIfName);
    if (!status.ips.empty()) break;
  }
  return status;
}

}  // namespace cri_dockerd::network
