// ContainerView: following the watch, building from a listing,
// invalidation, and the inspects of containers and images.
#include "cri/container_view/container_view.h"

#include <iterator>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "cri/convert/naming.h"

namespace cri_dockerd::container_view {

ContainerView::ContainerView(docker::DockerClient* docker,
                             ContainerViewOptions options)
    : docker_(docker), options_(options) {}

ContainerView::~ContainerView() = default;

bool ContainerView::Serving() const {
  absl::MutexLock lock(&mu_);
  return built_;
}

void ContainerView::OnWatchConnecting() {
  absl::MutexLock lock(&mu_);
  // Whatever was missed while the stream was down is in the listing the
  // next read makes; events from now on mark what changed after it.
  connected_ = true;
  built_ = false;
  ++epoch_;
  ListingChangedLocked();
  entries_.clear();
  images_.clear();
  ++image_change_;
}

void ContainerView::OnWatchDisconnected(const absl::Status& status) {
  absl::MutexLock lock(&mu_);
  if (built_) {
    LOG(INFO) << "container view: docker's event stream ended (" << status
              << "); reads go to docker until it is back";
  }
  connected_ = false;
  built_ = false;
  ++epoch_;
  ListingChangedLocked();
  entries_.clear();
  images_.clear();
  ++image_change_;
}

void ContainerView::OnDockerEvent(const docker::Event& event) {
  absl::MutexLock lock(&mu_);
  if (!connected_) return;
  if (event.type == "container") {
    // Containers of others (no io.kubernetes.docker.type) are not kept.
    if (event.id.empty() || event.attributes.count(kContainerTypeLabel) == 0) {
      return;
    }
    InvalidateLocked(event.id);
  } else if (event.type == "image") {
    // Tags and digests move between image IDs: start over.
    images_.clear();
    ++image_change_;
  } else if (event.type == "network" &&
             (event.action == "connect" || event.action == "disconnect")) {
    // The container's addresses changed.
    auto container = event.attributes.find("container");
    if (container != event.attributes.end() &&
        entries_.count(container->second) != 0) {
      InvalidateLocked(container->second);
    }
  }
}

void ContainerView::Invalidate(const std::string& id) {
  absl::MutexLock lock(&mu_);
  // Not connected: nothing is answered from memory, and the next
  // connection starts from a listing anyway.
  if (connected_ && !id.empty()) InvalidateLocked(id);
}

void ContainerView::InvalidateLocked(const std::string& id) {
  Entry& e = entries_[id];
  e.summary_stale = true;
  e.inspect_stale = true;
  e.changed = ++change_;
  ListingChangedLocked();
}

bool ContainerView::CurrentLocked(const Stamp& stamp, const Entry& e) const {
  return stamp.epoch == epoch_ && e.changed <= stamp.change;
}

bool ContainerView::EnsureBuilt(absl::Time deadline) {
  Stamp stamp;
  {
    absl::MutexLock lock(&mu_);
    if (built_) return true;
    // One reader lists; the others ask docker meanwhile.
    if (!connected_ || building_) return false;
    building_ = true;
    stamp = StampLocked();
  }
  docker::ListContainersOptions list;
  list.all = true;
  list.filters["label"] = {kContainerTypeLabel};
  absl::StatusOr<std::vector<docker::ContainerSummary>> listed =
      docker_->ListContainers(list, deadline);
  absl::MutexLock lock(&mu_);
  building_ = false;
  if (!listed.ok()) {
    LOG(WARNING) << "container view: cannot list containers: "
                 << listed.status();
    return false;
  }
  if (stamp.epoch != epoch_) return false;  // the stream went and came
  std::map<std::string, Entry> built;
  for (docker::ContainerSummary& s : *listed) {
    Entry& e = built[s.id];
    e.summary = std::make_shared<const docker::ContainerSummary>(std::move(s));
    e.summary_stale = false;
  }
  // What changed since the listing was asked for may be missing from it.
  for (const auto& [id, old] : entries_) {
    if (old.changed <= stamp.change) continue;
    Entry& e = built[id];
    e.summary_stale = true;
    e.changed = old.changed;
  }
  entries_ = std::move(built);
  built_ = true;
  ListingChangedLocked();
  LOG(INFO) << "container view: serving " << entries_.size()
            << " containers from memory, following docker's events";
  return true;
}

ContainerView::Resolved ContainerView::ResolveLocked(const std::string& ref,
                                                     std::string* id) const {
  if (ref.empty()) return Resolved::kUnsure;  // docker's error
  // docker's order: full ID, name, unique ID prefix.
  if (entries_.count(ref) != 0) {
    *id = ref;
    return Resolved::kOne;
  }
  bool unnamed = false;
  for (const auto& [key, e] : entries_) {
    if (e.summary == nullptr) {
      unnamed = true;
    } else if (!e.summary->names.empty() && e.summary->names[0] == ref) {
      *id = key;
      return Resolved::kOne;
    }
  }
  auto it = entries_.lower_bound(ref);
  if (it == entries_.end() || !absl::StartsWith(it->first, ref)) {
    return unnamed ? Resolved::kUnsure : Resolved::kNone;
  }
  auto next = std::next(it);
  if (next != entries_.end() && absl::StartsWith(next->first, ref)) {
    return Resolved::kAmbiguous;
  }
  *id = it->first;
  return Resolved::kOne;
}

absl::StatusOr<InspectPtr> ContainerView::InspectContainer(
    const std::string& ref, absl::Time deadline) {
  std::string id;
  Stamp stamp;
  if (EnsureBuilt(deadline)) {
    absl::MutexLock lock(&mu_);
    switch (built_ ? ResolveLocked(ref, &id) : Resolved::kUnsure) {
      case Resolved::kOne: {
        const Entry& e = entries_.at(id);
        if (e.inspect != nullptr && !e.inspect_stale) return e.inspect;
        stamp = StampLocked();
        break;
      }
      case Resolved::kNone:
        return absl::NotFoundError(absl::StrCat("No such container: ", ref));
      case Resolved::kAmbiguous:
        return absl::InvalidArgumentError(
            absl::StrCat("multiple IDs found with provided prefix: ", ref));
      case Resolved::kUnsure:
        break;
    }
  }
  if (id.empty()) {
    absl::StatusOr<docker::ContainerInspect> c =
        docker_->InspectContainer(ref, deadline);
    if (!c.ok()) return c.status();
    return std::make_shared<const docker::ContainerInspect>(*std::move(c));
  }
  absl::StatusOr<docker::ContainerInspect> c =
      docker_->InspectContainer(id, deadline);
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(id);
  const bool keep = it != entries_.end() && CurrentLocked(stamp, it->second);
  if (!c.ok()) {
    if (keep && absl::IsNotFound(c.status())) {
      entries_.erase(it);
      ListingChangedLocked();
    }
    return c.status();
  }
  c->raw_json.clear();  // ~5 KB each; verbose answers ask docker
  auto inspect =
      std::make_shared<const docker::ContainerInspect>(*std::move(c));
  if (keep) {
    if (inspect->labels.count(kContainerTypeLabel) == 0) {
      entries_.erase(it);  // not the shim's after all
      ListingChangedLocked();
    } else {
      it->second.inspect = inspect;
      it->second.inspect_stale = false;
    }
  }
  return inspect;
}

absl::StatusOr<ImagePtr> ContainerView::InspectImage(const std::string& ref,
                                                     absl::Time deadline) {
  bool cache = false;
  uint64_t epoch = 0;
  uint64_t image_change = 0;
  if (EnsureBuilt(deadline)) {
    absl::MutexLock lock(&mu_);
    if (built_) {
      if (auto it = images_.find(ref); it != images_.end()) return it->second;
      cache = true;
      epoch = epoch_;
      image_change = image_change_;
    }
  }
  absl::StatusOr<docker::ImageInspect> image =
      docker_->InspectImage(ref, deadline);
  if (!image.ok()) return image.status();
  if (!cache) {
    return std::make_shared<const docker::ImageInspect>(*std::move(image));
  }
  image->raw_json.clear();
  auto kept = std::make_shared<const docker::ImageInspect>(*std::move(image));
  absl::MutexLock lock(&mu_);
  if (built_ && epoch == epoch_ && image_change == image_change_) {
    if (images_.size() >= options_.max_images) images_.clear();
    images_[ref] = kept;
  }
  return kept;
}

}  // namespace cri_dockerd::container_view
