#include "cri/stats/cpu_rate.h"

#include <cmath>

namespace cri_dockerd::stats {

CpuRateCache::CpuRateCache(absl::Duration min_window, absl::Duration expiry)
    : min_window_(min_window), expiry_(expiry) {}

std::optional<uint64_t> CpuRateCache::Update(const std::string& key,
                                             absl::Time at,
                                             uint64_t usage_nanos) {
  absl::MutexLock lock(&mu_);
  if (at - last_sweep_ >= expiry_) {
    // Containers and pods come and go: forget the ones not asked about.
    for (auto it = entries_.begin(); it != entries_.end();) {
      it = at - it->second.latest.at >= expiry_ ? entries_.erase(it)
                                                : std::next(it);
    }
    last_sweep_ = at;
  }
  const Reading now{at, usage_nanos};
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    entries_[key].latest = now;
    return std::nullopt;
  }
  Entry& e = it->second;
  if (usage_nanos < e.latest.usage || at < e.latest.at) {
    e = Entry{std::nullopt, now};
    return std::nullopt;
  }
  const bool keep = at - e.latest.at >= min_window_;
  const std::optional<Reading> base = keep ? e.latest : e.previous;
  if (keep) {
    e.previous = e.latest;
    e.latest = now;
  }
  if (!base || at <= base->at) return std::nullopt;
  const double seconds = absl::ToDoubleSeconds(at - base->at);
  const double rate = static_cast<double>(usage_nanos - base->usage) / seconds;
  return static_cast<uint64_t>(std::llround(rate));
}

size_t CpuRateCache::size() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

}  // namespace cri_dockerd::stats
