// CPU usage rates (usage_nano_cores) from successive cumulative readings:
// remembers the previous reading per container or pod. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace cri_dockerd::stats {

class CpuRateCache {
 public:
  // Readings closer than `min_window` to the latest kept one are rated
  // against the one before it (so that two callers polling at once, say
  // kubelet and crictl, do not produce rates over a few microseconds) and
  // are not kept. Keys not updated for `expiry` are dropped.
  explicit CpuRateCache(absl::Duration min_window = absl::Seconds(1),
                        absl::Duration expiry = absl::Minutes(10));

  // Records cumulative usage `usage_nanos` of `key` at `at`. Returns the
  // average usage since an earlier reading in nano-cores (1e9 = one
  // core), or nothing for the first reading, after the counter went
  // backwards (a new cgroup under the same key), or when no earlier
  // reading is far enough back.
  std::optional<uint64_t> Update(const std::string& key, absl::Time at,
                                 uint64_t usage_nanos);

  // Keys currently remembered.
  size_t size() const;

 private:
  struct Reading {
    absl::Time at;
    uint64_t usage = 0;
  };
  struct Entry {
    std::optional<Reading> previous;
    Reading latest;
  };

  // Constant after construction.
  const absl::Duration min_window_;
  const absl::Duration expiry_;

  mutable absl::Mutex mu_;
  std::map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  absl::Time last_sweep_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace cri_dockerd::stats
