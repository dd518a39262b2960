// FakeDockerClient's container store: create, start, stop, remove,
// inspect and list, with docker's answers and defaults.
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "docker_client/testing/fake_docker_client.h"

namespace cri_dockerd::docker {
namespace {

constexpr char kNever[] = "0001-01-01T00:00:00Z";
constexpr char kContainerPrefix[] = "container:";
constexpr size_t kContainerPrefixLen = sizeof(kContainerPrefix) - 1;

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone());
}

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// 64 hex digits, distinct per serial and the same in every run.
std::string NewId(int64_t serial) {
  uint64_t state = static_cast<uint64_t>(serial) * 0x2545f4914f6cdd1dULL;
  std::string id;
  for (int i = 0; i < 4; ++i) {
    absl::StrAppend(&id, absl::StrFormat("%016x", SplitMix64(state)));
  }
  return id;
}

// docker's ^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$
bool ValidName(absl::string_view name) {
  name = absl::StripPrefix(name, "/");
  if (name.size() < 2 || !absl::ascii_isalnum(name[0])) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isalnum(c) || c == '_' || c == '.' || c == '-';
  });
}

absl::string_view EnvKey(absl::string_view kv) {
  return kv.substr(0, kv.find('='));
}

}  // namespace

absl::StatusOr<std::string> FakeDockerClient::ResolveContainerLocked(
    const std::string& ref) const {
  // CurlDockerClient puts the reference into the URL path as one segment.
  if (ref.empty() || ref.find('/') != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid container ID or name \"", ref, "\": empty or holding '/'"));
  }
  if (containers_.count(ref) > 0) return ref;
  for (const auto& [id, c] : containers_) {
    if (c.name == ref) return id;
  }
  if (ref.size() >= 4) {
    std::vector<std::string> matches;
    for (const auto& [id, c] : containers_) {
      if (absl::StartsWith(id, ref)) matches.push_back(id);
    }
    if (matches.size() == 1) return matches[0];
    if (matches.size() > 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("multiple IDs found with provided prefix: ", ref));
    }
  }
  return absl::NotFoundError(absl::StrCat("No such container: ", ref));
}

absl::StatusOr<std::string> FakeDockerClient::StateDirLocked() {
  if (!state_dir_.empty()) return state_dir_;
  std::error_code ec;
  std::string tmpl =
      (std::filesystem::temp_directory_path(ec) / "fake-docker-XXXXXX")
          .string();
  if (ec || mkdtemp(tmpl.data()) == nullptr) {
    return absl::InternalError("fake docker: cannot make a state dir");
  }
  state_dir_ = tmpl;
  own_state_dir_ = true;
  return state_dir_;
}

bool FakeDockerClient::ImageUsedByContainerLocked(
    const std::string& image_id) const {
  return std::any_of(
      containers_.begin(), containers_.end(),
      [&](const auto& entry) { return entry.second.image_id == image_id; });
}

absl::StatusOr<std::string> FakeDockerClient::CreateContainer(
    const ContainerCreateConfig& config, absl::Time deadline) {
  if (absl::Status s = Enter("CreateContainer", deadline); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  FakeContainer c;
  c.config = config;
  // Like docker: ipc/pid donors must exist now, a network donor may not.
  c.ipc_mode = config.ipc_mode.empty() ? "private" : config.ipc_mode;
  c.pid_mode = config.pid_mode;
  c.network_mode =
      config.network_mode.empty() ? "default" : config.network_mode;
  for (std::string* mode : {&c.ipc_mode, &c.pid_mode, &c.network_mode}) {
    if (!absl::StartsWith(*mode, kContainerPrefix)) continue;
    const std::string donor = mode->substr(kContainerPrefixLen);
    absl::StatusOr<std::string> id = ResolveContainerLocked(donor);
    if (id.ok()) {
      *mode = kContainerPrefix + *id;
    } else if (mode != &c.network_mode) {
      return absl::InvalidArgumentError(
          absl::StrCat("No such container: ", donor));
    }
  }
  std::string ref;
  ASSIGN_OR_RETURN(c.image_id, ResolveImageLocked(config.image, &ref));
  const int64_t serial = ++container_serial_;
  c.name = config.name.empty()
               ? absl::StrCat("fake_container_", serial)
               : std::string(absl::StripPrefix(config.name, "/"));
  if (!ValidName(c.name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("Invalid container name (", config.name,
                     "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"));
  }
  for (const auto& [id, other] : containers_) {
    if (other.name != c.name) continue;
    return absl::AlreadyExistsError(absl::StrCat(
        "Conflict. The container name \"/", c.name,
        "\" is already in use by container \"", id,
        "\". You have to remove (or rename) that container to be able to "
        "reuse that name."));
  }
  c.id = NewId(serial);
  c.serial = serial;
  c.created = absl::Now();
  c.state.status = "created";
  c.state.started_at = kNever;
  c.state.finished_at = kNever;
  const ImageInspect& image = images_.at(c.image_id);
  c.labels = image.labels;
  for (const auto& [k, v] : config.labels) c.labels[k] = v;
  c.stop_signal =
      config.stop_signal.empty() ? image.stop_signal : config.stop_signal;
  c.resources = config.resources;
  if (c.resources.memory > 0 && c.resources.memory_swap == 0) {
    c.resources.memory_swap = 2 * c.resources.memory;
  }
  c.env = config.env;
  for (const std::string& kv : image.env) {
    if (std::none_of(c.env.begin(), c.env.end(), [&](const std::string& e) {
          return EnvKey(e) == EnvKey(kv);
        })) {
      c.env.push_back(kv);
    }
  }
  c.hostname = !config.hostname.empty()   ? config.hostname
               : c.network_mode == "host" ? info_.name
                                          : c.id.substr(0, 12);
  ASSIGN_OR_RETURN(const std::string root, StateDirLocked());
  c.dir = absl::StrCat(root, "/", c.id);
  std::error_code ec;
  std::filesystem::create_directories(c.dir, ec);
  if (ec) {
    return absl::InternalError(
        absl::StrCat("fake docker: cannot make ", c.dir));
  }
  std::string id = c.id;
  LogContainerEventLocked(c, "create");
  containers_.emplace(id, std::move(c));
  return id;
}

absl::Status FakeDockerClient::UpdateContainerResources(
    const std::string& ref, const Resources& resources, absl::Time deadline) {
  if (absl::Status s = Enter("UpdateContainerResources", deadline); !s.ok()) {
    return s;
  }
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(const std::string id, ResolveContainerLocked(ref));
  FakeContainer& c = containers_[id];
  c.updated = resources;
  // Docker's update: what is zero or empty stays as it was.
  Resources& r = c.resources;
  for (auto [field, value] : {std::pair{&r.cpu_shares, resources.cpu_shares},
                              {&r.cpu_period, resources.cpu_period},
                              {&r.cpu_quota, resources.cpu_quota},
                              {&r.memory, resources.memory},
                              {&r.memory_swap, resources.memory_swap}}) {
    if (value != 0) *field = value;
  }
  if (!resources.cpuset_cpus.empty()) r.cpuset_cpus = resources.cpuset_cpus;
  if (!resources.cpuset_mems.empty()) r.cpuset_mems = resources.cpuset_mems;
  if (resources.pids_limit.has_value()) r.pids_limit = resources.pids_limit;
  LogContainerEventLocked(c, "update");
  return absl::OkStatus();
}

std::optional<Resources> FakeDockerClient::UpdatedResources(
    const std::string& ref) const {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<std::string> id = ResolveContainerLocked(ref);
  if (!id.ok()) return std::nullopt;
  return containers_.at(*id).updated;
}

absl::Status FakeDockerClient::StartContainer(const std::string& ref,
                                              absl::Time deadline) {
  if (absl::Status s = Enter("StartContainer", deadline); !s.ok()) return s;
  std::function<void(const std::string&, int)> on_start;
  std::string id;
  int pid = 0;
  {
    absl::MutexLock lock(&mu_);
    ASSIGN_OR_RETURN(id, ResolveContainerLocked(ref));
    if (containers_.at(id).state.running) return absl::OkStatus();
    RETURN_IF_ERROR(StartContainerLocked(containers_.at(id)));
    pid = containers_.at(id).state.pid;
    on_start = on_start_;
  }
  // Unlocked: the hook may call back into this client.
  if (on_start) on_start(id, pid);
  return absl::OkStatus();
}

void FakeDockerClient::SetOnStart(
    std::function<void(const std::string& id, int pid)> hook) {
  absl::MutexLock lock(&mu_);
  on_start_ = std::move(hook);
}

absl::Status FakeDockerClient::StartContainerLocked(FakeContainer& c) {
  // Docker writes the network files when it first starts the container
  // (one sharing another's network namespace gets the other's).
  if (c.resolv_conf_path.empty()) {
    if (absl::StartsWith(c.network_mode, kContainerPrefix)) {
      auto donor = containers_.find(c.network_mode.substr(kContainerPrefixLen));
      if (donor != containers_.end()) {
        c.resolv_conf_path = donor->second.resolv_conf_path;
      }
    } else {
      c.resolv_conf_path = c.dir + "/resolv.conf";
      std::ofstream out(c.resolv_conf_path, std::ios::trunc);
      out << "nameserver 8.8.8.8\n";
      if (!out.good()) {
        return absl::InternalError(
            absl::StrCat("fake docker: cannot write ", c.resolv_conf_path));
      }
    }
  }
  c.ever_started = true;
  c.state.status = "running";
  c.state.running = true;
  c.state.paused = false;
  c.state.oom_killed = false;
  c.state.pid = static_cast<int>(1000 + c.serial);
  c.state.exit_code = 0;
  c.state.error.clear();
  c.state.started_at = Rfc3339(absl::Now());
  if (c.sandbox_key.empty() &&
      !absl::StartsWith(c.network_mode, kContainerPrefix)) {
    c.sandbox_key =
        absl::StrCat("/var/run/docker/netns/",
                     c.network_mode == "host" ? "default" : c.id.substr(0, 12));
  }
  if (c.network_mode == "default" || c.network_mode == "bridge") {
    c.ip_address = absl::StrCat("172.17.0.", 2 + c.serial % 250);
  }
  LogContainerEventLocked(c, "start");
  return absl::OkStatus();
}

absl::Status FakeDockerClient::StopContainer(const std::string& ref,
                                             absl::Duration /*grace*/,
                                             absl::Time deadline) {
  if (absl::Status s = Enter("StopContainer", deadline); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(const std::string id, ResolveContainerLocked(ref));
  FakeContainer& c = containers_.at(id);
  if (!c.state.running) return absl::OkStatus();  // docker's 304
  c.state.status = "exited";
  c.state.running = false;
  c.state.pid = 0;
  c.state.exit_code = stop_exit_code_;
  c.state.finished_at = Rfc3339(absl::Now());
  c.ip_address.clear();
  LogContainerEventLocked(c, "kill", {{"signal", "15"}});
  LogContainerEventLocked(c, "die",
                          {{"exitCode", absl::StrCat(c.state.exit_code)}});
  LogContainerEventLocked(c, "stop");
  return absl::OkStatus();
}

absl::Status FakeDockerClient::RemoveContainer(const std::string& ref,
                                               bool force,
                                               bool /*remove_volumes*/,
                                               absl::Time deadline) {
  if (absl::Status s = Enter("RemoveContainer", deadline); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(const std::string id, ResolveContainerLocked(ref));
  FakeContainer& c = containers_.at(id);
  if (c.state.running && !force) {
    return absl::FailedPreconditionError(absl::StrCat(
        "You cannot remove a running container ", id,
        ". Stop the container before attempting removal or force remove"));
  }
  std::error_code ignored;
  std::filesystem::remove_all(c.dir, ignored);
  // docker kills a running container it force-removes.
  if (c.state.running) {
    LogContainerEventLocked(c, "kill", {{"signal", "9"}});
    LogContainerEventLocked(c, "die", {{"exitCode", "137"}});
  }
  LogContainerEventLocked(c, "destroy");
  containers_.erase(id);
  return absl::OkStatus();
}

void FakeDockerClient::SetStateDir(const std::string& dir) {
  absl::MutexLock lock(&mu_);
  state_dir_ = dir;
  own_state_dir_ = false;
}

const ContainerCreateConfig* FakeDockerClient::CreatedConfig(
    const std::string& id) const {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<std::string> resolved = ResolveContainerLocked(id);
  return resolved.ok() ? &containers_.at(*resolved).config : nullptr;
}

std::vector<std::string> FakeDockerClient::ContainerIds() const {
  absl::MutexLock lock(&mu_);
  std::vector<const FakeContainer*> all;
  for (const auto& [id, c] : containers_) all.push_back(&c);
  std::sort(all.begin(), all.end(),
            [](const auto* a, const auto* b) { return a->serial < b->serial; });
  std::vector<std::string> ids;
  for (const FakeContainer* c : all) ids.push_back(c->id);
  return ids;
}

void FakeDockerClient::SetContainerState(const std::string& id,
                                         ContainerState state) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<std::string> resolved = ResolveContainerLocked(id);
  if (resolved.ok()) containers_.at(*resolved).state = std::move(state);
}

void FakeDockerClient::SetStopExitCode(int exit_code) {
  absl::MutexLock lock(&mu_);
  stop_exit_code_ = exit_code;
}

}  // namespace cri_dockerd::docker
