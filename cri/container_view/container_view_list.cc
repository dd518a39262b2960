// ContainerView::ListContainers: docker's listing of the shim's
// containers answered from memory, with docker's label filters; stale
// entries are asked for first, with one listing filtered by their IDs.
#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "cri/container_view/container_view.h"
#include "cri/convert/naming.h"

namespace cri_dockerd::container_view {
namespace {

// docker's label filter: "k" matches a label k with any value, "k=v"
// only that value. Parsed once per listing: it is tried on every entry.
struct LabelFilter {
  std::string key;
  std::optional<std::string> value;
};

std::vector<LabelFilter> LabelFilters(
    const docker::ListContainersOptions& options) {
  std::vector<LabelFilter> out;
  auto labels = options.filters.find("label");
  if (labels == options.filters.end()) return out;
  for (const std::string& f : labels->second) {
    const size_t eq = f.find('=');
    LabelFilter parsed{f.substr(0, eq), std::nullopt};
    if (eq != std::string::npos) parsed.value = f.substr(eq + 1);
    out.push_back(std::move(parsed));
  }
  return out;
}

bool Selected(const docker::ContainerSummary& s,
              const std::vector<LabelFilter>& filters) {
  for (const LabelFilter& f : filters) {
    auto it = s.labels.find(f.key);
    if (it == s.labels.end()) return false;
    if (f.value.has_value() && it->second != *f.value) return false;
  }
  return true;
}

// Whether the view holds every container `options` can select: all of
// them (not just running ones), filtered by labels only, among which
// io.kubernetes.docker.type.
bool Answerable(const docker::ListContainersOptions& options) {
  if (!options.all) return false;
  bool ours = false;
  for (const auto& [key, values] : options.filters) {
    if (values.empty()) continue;
    if (key != "label") return false;
    for (const std::string& v : values) {
      ours = ours ||
             absl::string_view(v).substr(0, v.find('=')) == kContainerTypeLabel;
    }
  }
  return ours;
}

// The listings kept: kubelet's two (pods, containers), a few per-pod
// ones.
constexpr size_t kMaxListings = 16;

// What distinguishes one answerable listing from another: its label
// filters, in order.
std::string ListingKey(const docker::ListContainersOptions& options) {
  auto labels = options.filters.find("label");
  if (labels == options.filters.end()) return "";
  return absl::StrJoin(labels->second, "\n");
}

std::vector<SummaryPtr> Wrap(std::vector<docker::ContainerSummary> listed) {
  std::vector<SummaryPtr> out;
  out.reserve(listed.size());
  for (docker::ContainerSummary& s : listed) {
    out.push_back(
        std::make_shared<const docker::ContainerSummary>(std::move(s)));
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<SummaryPtr>> ContainerView::ListContainers(
    const docker::ListContainersOptions& options, absl::Time deadline) {
  if (Answerable(options) && EnsureBuilt(deadline)) {
    absl::StatusOr<std::map<std::string, SummaryPtr>> fetched =
        RefreshSummaries(deadline);
    if (!fetched.ok()) return fetched.status();
    const std::vector<LabelFilter> filters = LabelFilters(options);
    const std::string key = ListingKey(options);
    std::vector<SummaryPtr> out;
    bool served = false;
    uint64_t version = 0;
    {
      absl::MutexLock lock(&mu_);
      if (built_) {
        served = true;
        version = listing_version_;
        auto cached = listings_.find(key);
        if (fetched->empty() && cached != listings_.end() &&
            cached->second.version == version) {
          return cached->second.summaries;
        }
        for (const auto& [id, e] : entries_) {
          SummaryPtr s = e.summary;
          // Changed again while docker was asked: docker's answer is as
          // new as a listing made then.
          if (auto f = fetched->find(id); f != fetched->end()) s = f->second;
          if (s != nullptr && Selected(*s, filters)) out.push_back(s);
        }
      }
    }
    if (served) {
      // Newest first, as docker lists them.
      std::sort(out.begin(), out.end(),
                [](const SummaryPtr& a, const SummaryPtr& b) {
                  return a->created != b->created ? a->created > b->created
                                                  : a->id > b->id;
                });
      if (fetched->empty()) {
        absl::MutexLock lock(&mu_);
        if (listing_version_ == version) {
          if (listings_.size() >= kMaxListings) listings_.clear();
          listings_[key] = Listing{version, out};
        }
      }
      return out;
    }
  }
  absl::StatusOr<std::vector<docker::ContainerSummary>> listed =
      docker_->ListContainers(options, deadline);
  if (!listed.ok()) return listed.status();
  return Wrap(*std::move(listed));
}

absl::StatusOr<std::map<std::string, SummaryPtr>>
ContainerView::RefreshSummaries(absl::Time deadline) {
  std::map<std::string, SummaryPtr> fetched;
  std::vector<std::string> ids;
  Stamp stamp;
  {
    absl::MutexLock lock(&mu_);
    if (!built_) return fetched;
    for (const auto& [id, e] : entries_) {
      if (e.summary == nullptr || e.summary_stale) ids.push_back(id);
    }
    stamp = StampLocked();
  }
  if (ids.empty()) return fetched;
  docker::ListContainersOptions list;
  list.all = true;
  list.filters["label"] = {kContainerTypeLabel};
  if (ids.size() <= options_.max_listed_ids) list.filters["id"] = ids;
  absl::StatusOr<std::vector<docker::ContainerSummary>> listed =
      docker_->ListContainers(list, deadline);
  if (!listed.ok()) return listed.status();
  for (const std::string& id : ids) fetched[id] = nullptr;  // gone...
  for (docker::ContainerSummary& s : *listed) {
    auto f = fetched.find(s.id);  // ... unless listed
    if (f != fetched.end()) {
      f->second =
          std::make_shared<const docker::ContainerSummary>(std::move(s));
    }
  }
  absl::MutexLock lock(&mu_);
  ListingChangedLocked();
  for (const auto& [id, s] : fetched) {
    auto it = entries_.find(id);
    if (it == entries_.end() || !CurrentLocked(stamp, it->second)) continue;
    if (s == nullptr) {
      entries_.erase(it);
      continue;
    }
    it->second.summary = s;
    it->second.summary_stale = false;
  }
  return fetched;
}

}  // namespace cri_dockerd::container_view
