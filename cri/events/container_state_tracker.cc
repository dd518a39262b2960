#include "cri/events/container_state_tracker.h"

#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "cri/convert/naming.h"

namespace cri_dockerd::events {
namespace {

// Attributes docker adds to a container event next to its labels.
bool IsEventAttribute(const std::string& key) {
  return key == "name" || key == "image" || key == "exitCode" ||
         key == "signal";
}

// Fills identity fields from docker labels; false if not the shim's.
bool Identify(const std::string& id,
              const std::map<std::string, std::string>& labels,
              ContainerChange* change) {
  auto type = labels.find(kContainerTypeLabel);
  if (type == labels.end()) return false;
  change->id = id;
  if (type->second == kContainerTypeSandbox) {
    change->is_sandbox = true;
    change->sandbox_id = id;
    return true;
  }
  if (type->second != kContainerTypeContainer) return false;
  auto sandbox = labels.find(kSandboxIdLabel);
  if (sandbox != labels.end()) change->sandbox_id = sandbox->second;
  return true;
}

std::optional<v1::ContainerEventType> StateOf(const std::string& state) {
  if (state == "created") return v1::CONTAINER_CREATED_EVENT;
  if (state == "running" || state == "paused" || state == "restarting") {
    return v1::CONTAINER_STARTED_EVENT;
  }
  if (state == "exited" || state == "dead" || state == "removing") {
    return v1::CONTAINER_STOPPED_EVENT;
  }
  return std::nullopt;
}

}  // namespace

std::optional<v1::ContainerEventType> CriEventType(const std::string& action) {
  if (action == "create") return v1::CONTAINER_CREATED_EVENT;
  if (action == "start") return v1::CONTAINER_STARTED_EVENT;
  if (action == "die") return v1::CONTAINER_STOPPED_EVENT;
  if (action == "destroy") return v1::CONTAINER_DELETED_EVENT;
  return std::nullopt;
}

bool ContainerStateTracker::Advance(const ContainerChange& change) {
  auto it = entries_.find(change.id);
  if (it != entries_.end() && change.type <= it->second.last) return false;
  Entry& e = entries_[change.id];
  e.last = change.type;
  e.time_nano = change.time_nano;
  e.sandbox_id = change.sandbox_id;
  e.is_sandbox = change.is_sandbox;
  if (!change.name.empty()) e.name = change.name;
  if (!change.labels.empty()) e.labels = change.labels;
  return true;
}

std::optional<ContainerChange> ContainerStateTracker::OnEvent(
    const docker::Event& ev) {
  if (ev.type != "container" || ev.id.empty()) return std::nullopt;
  std::optional<v1::ContainerEventType> type = CriEventType(ev.action);
  if (!type) return std::nullopt;
  ContainerChange change;
  for (const auto& [k, v] : ev.attributes) {
    if (!IsEventAttribute(k)) change.labels[k] = v;
  }
  if (!Identify(ev.id, change.labels, &change)) return std::nullopt;
  change.type = *type;
  change.time_nano = ev.time_nano;
  if (auto name = ev.attributes.find("name"); name != ev.attributes.end()) {
    change.name = std::string(absl::StripPrefix(name->second, "/"));
  }
  ForgetOldDeleted(ev.time_nano);
  if (auto it = entries_.find(ev.id); it != entries_.end() &&
                                      it->second.provisional &&
                                      ev.time_nano >= baseline_since_nano_) {
    entries_.erase(it);
  }
  if (!Advance(change)) return std::nullopt;
  // Describe a gone container with what was known while it existed.
  const Entry& e = entries_.at(change.id);
  change.name = e.name;
  change.labels = e.labels;
  return change;
}

void ContainerStateTracker::Baseline(
    const std::vector<docker::ContainerSummary>& containers,
    int64_t since_nano) {
  baseline_since_nano_ = since_nano;
  for (const docker::ContainerSummary& s : containers) {
    ContainerChange change;
    if (!Identify(s.id, s.labels, &change) || entries_.count(s.id) > 0) {
      continue;
    }
    std::optional<v1::ContainerEventType> state = StateOf(s.state);
    if (!state) continue;
    Entry& e = entries_[s.id];
    e.last = *state;
    e.time_nano = since_nano;
    e.sandbox_id = change.sandbox_id;
    e.is_sandbox = change.is_sandbox;
    if (!s.names.empty())
      e.name = std::string(absl::StripPrefix(s.names[0], "/"));
    e.labels = s.labels;
    e.provisional = true;
  }
}

std::vector<ContainerChange> ContainerStateTracker::Resync(
    const std::vector<docker::ContainerSummary>& containers, int64_t now_nano) {
  std::vector<ContainerChange> changes;
  std::set<std::string> listed;
  for (const docker::ContainerSummary& s : containers) {
    ContainerChange change;
    if (!Identify(s.id, s.labels, &change)) continue;
    std::optional<v1::ContainerEventType> state = StateOf(s.state);
    if (!state) continue;
    listed.insert(s.id);
    change.type = *state;
    change.time_nano = now_nano;
    change.labels = s.labels;
    if (!s.names.empty()) {
      change.name = std::string(absl::StripPrefix(s.names[0], "/"));
    }
    if (Advance(change)) changes.push_back(std::move(change));
  }
  for (auto& [id, e] : entries_) {
    if (e.last == v1::CONTAINER_DELETED_EVENT || listed.count(id) > 0) {
      continue;
    }
    e.last = v1::CONTAINER_DELETED_EVENT;
    e.time_nano = now_nano;
    ContainerChange change;
    change.id = id;
    change.sandbox_id = e.sandbox_id;
    change.is_sandbox = e.is_sandbox;
    change.type = v1::CONTAINER_DELETED_EVENT;
    change.time_nano = now_nano;
    change.name = e.name;
    change.labels = e.labels;
    changes.push_back(std::move(change));
  }
  ForgetOldDeleted(now_nano);
  return changes;
}

void ContainerStateTracker::ForgetOldDeleted(int64_t now_nano) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.last == v1::CONTAINER_DELETED_EVENT &&
        now_nano - it->second.time_nano > kForgetDeletedNanos) {
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace cri_dockerd::events
