// Containers' writable-layer usage, kept off the stats hot path: a
// background thread asks docker for disk usage (GET /system/df, SizeRw:
// a walk of every writable layer, far too slow to do per stats call) at
// most every refresh interval while stats are being asked for, and the
// stats verbs only read the cached figures.
//
// Inodes are not reported: docker does not count them, and counting
// them ourselves would mean a second walk of every writable layer (under
// docker's private storage layout) as costly as the one docker does for
// the bytes. kubelet treats the field as optional (the Go shim leaves it
// unset too).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "docker_client/docker_client.h"

namespace cri_dockerd::stats {

struct LayerUsage {
  uint64_t used_bytes = 0;
  absl::Time sampled_at;  // when docker reported it
};

class WritableLayerCache {
 public:
  struct Options {
    absl::Duration refresh_interval = absl::Seconds(30);
    absl::Duration call_timeout = absl::Seconds(20);
    // No refreshes once nobody has asked for this long.
    absl::Duration idle_after = absl::Minutes(5);
  };

  // `docker` must outlive this object. No thread runs until the first
  // Get().
  WritableLayerCache(docker::DockerClient* docker, Options options);
  // Stops the refresher (waiting for a docker call in flight).
  ~WritableLayerCache();
  WritableLayerCache(const WritableLayerCache&) = delete;
  WritableLayerCache& operator=(const WritableLayerCache&) = delete;

  // The last figure docker gave for container `id` (full ID), if any.
  // Never calls docker; wakes the refresher if it was idle.
  std::optional<LayerUsage> Get(const std::string& id);
  // Docker's data root (the filesystem holding the layers), "" until
  // the refresher has learnt it.
  std::string Mountpoint() const;

 private:
  void Loop();
  // One round of docker calls; updates the cache on success.
  void Refresh();

  // Constant after construction.
  docker::DockerClient* const docker_;
  const Options options_;

  mutable absl::Mutex mu_;
  std::map<std::string, LayerUsage> usage_ ABSL_GUARDED_BY(mu_);
  std::string mountpoint_ ABSL_GUARDED_BY(mu_);
  absl::Time last_wanted_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;    // set once, under mu_, by the first Get()
  bool failing_ = false;  // only the refresher thread uses it
};

}  // namespace cri_dockerd::stats
