// FakeDockerClient's container queries: inspect and list (with docker's
// filters).
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "docker_client/testing/fake_docker_client.h"

namespace cri_dockerd::docker {
namespace {

// The statuses docker's "status" filter accepts.
const std::set<std::string>& ValidStatuses() {
  static const auto* statuses =
      new std::set<std::string>{"created", "restarting", "running", "removing",
                                "paused",  "exited",     "dead"};
  return *statuses;
}

// "k" matches a label k with any value, "k=v" only that value.
bool LabelMatches(const std::map<std::string, std::string>& labels,
                  const std::string& filter) {
  const size_t eq = filter.find('=');
  auto it = labels.find(filter.substr(0, eq));
  if (it == labels.end()) return false;
  return eq == std::string::npos || it->second == filter.substr(eq + 1);
}

std::string HumanStatus(const ContainerState& state) {
  if (state.running) return "Up";
  if (state.status == "exited") {
    return absl::StrCat("Exited (", state.exit_code, ")");
  }
  return state.status == "created" ? "Created" : state.status;
}

}  // namespace

ContainerInspect FakeDockerClient::InspectLocked(const FakeContainer& c) const {
  const ContainerCreateConfig& config = c.config;
  ContainerInspect out;
  out.id = c.id;
  out.name = c.name;
  out.created =
      absl::FormatTime(absl::RFC3339_full, c.created, absl::UTCTimeZone());
  out.image = c.image_id;
  if (c.ever_started) {
    out.resolv_conf_path = c.resolv_conf_path;
    out.hostname_path = c.dir + "/hostname";
    out.hosts_path = c.dir + "/hosts";
    out.log_path = absl::StrCat(c.dir, "/", c.id, "-json.log");
  }
  out.state = c.state;
  out.config_image = config.image;
  out.hostname = c.hostname;
  out.labels = c.labels;
  out.env = c.env;
  out.tty = config.tty;
  out.network_mode = c.network_mode;
  out.ipc_mode = c.ipc_mode;
  out.pid_mode = c.pid_mode;
  out.uts_mode = config.uts_mode;
  out.runtime = config.runtime.empty() ? info_.default_runtime : config.runtime;
  out.cgroup_parent = config.cgroup_parent;
  out.privileged = config.privileged;
  out.port_bindings = config.port_bindings;
  out.stop_signal = c.stop_signal;
  out.resources = c.resources;
  out.resources.hugepage_limits.clear();  // docker keeps none
  out.oom_score_adj = config.oom_score_adj;
  if (!absl::StartsWith(c.network_mode, "container:")) {
    const std::string network =
        c.network_mode == "default" ? "bridge" : c.network_mode;
    out.networks[network].ip_address = c.ip_address;
  }
  out.sandbox_key = c.sandbox_key;
  for (const BindMount& m : config.mounts) {
    out.mounts.push_back(
        {.type = "bind",
         .source = m.source,
         .destination = m.target,
         .rw = !m.read_only && !m.recursive_read_only,
         .propagation = m.propagation.empty() ? "rprivate" : m.propagation});
  }
  return out;
}

absl::StatusOr<ContainerInspect> FakeDockerClient::InspectContainer(
    const std::string& ref, absl::Time deadline) {
  if (absl::Status s = Enter("InspectContainer", deadline); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(const std::string id, ResolveContainerLocked(ref));
  return InspectLocked(containers_.at(id));
}

absl::StatusOr<std::vector<ContainerSummary>> FakeDockerClient::ListContainers(
    const ListContainersOptions& options, absl::Time deadline) {
  if (absl::Status s = Enter("ListContainers", deadline); !s.ok()) return s;
  bool all = options.all;
  for (const auto& [key, values] : options.filters) {
    if (key != "label" && key != "id" && key != "name" && key != "status") {
      return absl::InvalidArgumentError(
          absl::StrCat("Invalid filter '", key, "'"));
    }
    if (key != "status") continue;
    for (const std::string& v : values) {
      if (ValidStatuses().count(v) == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("Invalid filter 'status=", v, "'"));
      }
      all = true;  // as in docker
    }
  }
  auto any_of = [&](const char* key, const auto& pred) {
    auto it = options.filters.find(key);
    if (it == options.filters.end() || it->second.empty()) return true;
    return std::any_of(it->second.begin(), it->second.end(), pred);
  };
  absl::MutexLock lock(&mu_);
  std::vector<const FakeContainer*> matches;
  for (const auto& entry : containers_) {
    // Not a structured binding: clang 14 (the fuzz build) cannot capture
    // one in the lambdas below.
    const FakeContainer& c = entry.second;
    if (!all && !c.state.running) continue;
    if (auto it = options.filters.find("label"); it != options.filters.end()) {
      if (!std::all_of(it->second.begin(), it->second.end(),
                       [&](const std::string& f) {
                         return LabelMatches(c.labels, f);
                       })) {
        continue;
      }
    }
    if (!any_of(
            "id",
            [&](const std::string& v) { return absl::StartsWith(c.id, v); }) ||
        !any_of("name",
                [&](const std::string& v) {
                  return absl::StrContains(c.name, v);
                }) ||
        !any_of("status",
                [&](const std::string& v) { return c.state.status == v; })) {
      continue;
    }
    matches.push_back(&c);
  }
  std::sort(matches.begin(), matches.end(),
            [](const auto* a, const auto* b) { return a->serial > b->serial; });
  std::vector<ContainerSummary> out;
  for (const FakeContainer* c : matches) {
    out.push_back({.id = c->id,
                   .names = {c->name},
                   .image = c->config.image,
                   .image_id = c->image_id,
                   .created = absl::ToUnixSeconds(c->created),
                   .state = c->state.status,
                   .status = HumanStatus(c->state),
                   .labels = c->labels});
  }
  return out;
}

}  // namespace cri_dockerd::docker
