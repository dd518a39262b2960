// cri/stats readings as CRI Metric samples (ListPodSandboxMetrics): the
// families of metric_descriptors.h with their label values in
// descriptor order. A figure that was not read is left out, never sent
// as zero.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cri/stats/cgroup_details.h"
#include "cri/stats/cgroup_reader.h"
#include "cri/stats/metric_descriptors.h"
#include "cri/stats/netns_stats.h"
#include "proto/cri_api.h"

namespace cri_dockerd {

// Appends samples of one container (or pod) to `out`.
class MetricWriter {
 public:
  // `out` must outlive this object.
  MetricWriter(const MetricTarget& target,
               google::protobuf::RepeatedPtrField<v1::Metric>* out);

  // One sample of `def` stamped `at`; nothing if `value` is unset.
  // `extra` are the values of the family's labels beyond the base ones.
  void Add(const MetricDef& def, absl::Time at, std::optional<uint64_t> value,
           std::initializer_list<absl::string_view> extra = {});

  // CPU, memory, swap and thread figures of a cgroup reading, and when
  // `details` is given the rest of what cgroup_details.h reads:
  // processes, page faults, OOM kills, limits.
  void AddCgroup(const stats::CgroupSample& sample,
                 const stats::CgroupDetails* details);

  // Per-interface network counters read at `at`.
  void AddNetwork(const std::vector<stats::InterfaceStats>& interfaces,
                  absl::Time at);

 private:
  std::vector<std::string> base_;
  google::protobuf::RepeatedPtrField<v1::Metric>* const out_;
};

// Whole seconds in `nanos` (the wire value is an integer).
uint64_t NanosToSeconds(uint64_t nanos);

}  // namespace cri_dockerd
