#include "cri/stats/metrics_proto.h"

namespace cri_dockerd {
namespace {

std::optional<uint64_t> Seconds(std::optional<uint64_t> nanos) {
  if (!nanos) return std::nullopt;
  return NanosToSeconds(*nanos);
}

}  // namespace

uint64_t NanosToSeconds(uint64_t nanos) { return nanos / 1'000'000'000; }

MetricWriter::MetricWriter(const MetricTarget& target,
                           google::protobuf::RepeatedPtrField<v1::Metric>* out)
    : base_{target.pod, target.ns, target.container, target.id, target.image},
      out_(out) {}

void MetricWriter::Add(const MetricDef& def, absl::Time at,
                       std::optional<uint64_t> value,
                       std::initializer_list<absl::string_view> extra) {
  if (!value) return;
  v1::Metric* m = out_->Add();
  m->set_name(def.name);
  m->set_timestamp(absl::ToUnixNanos(at));
  m->set_metric_type(def.type);
  for (const std::string& v : base_) m->add_label_values(v);
  for (absl::string_view v : extra) m->add_label_values(std::string(v));
  m->mutable_value()->set_value(*value);
}

void MetricWriter::AddCgroup(const stats::CgroupSample& s,
                             const stats::CgroupDetails* d) {
  namespace m = metric;
  const absl::Time at = s.timestamp;
  Add(m::kCpuUsageSecondsTotal, at, Seconds(s.cpu_usage_nanos));
  if (s.memory) {
    Add(m::kMemoryUsageBytes, at, s.memory->usage);
    Add(m::kMemoryWorkingSetBytes, at, s.memory->working_set);
    Add(m::kMemoryRss, at, s.memory->rss);
  }
  if (s.swap) Add(m::kMemorySwap, at, s.swap->usage);
  Add(m::kThreads, at, s.pids);
  if (d == nullptr) return;

  Add(m::kCpuUserSecondsTotal, at, Seconds(d->cpu_user_nanos));
  Add(m::kCpuSystemSecondsTotal, at, Seconds(d->cpu_system_nanos));
  // Like cAdvisor: the CFS counters only mean something under a quota.
  if (d->cpu_quota_us) {
    Add(m::kCpuCfsPeriodsTotal, at, d->cfs_periods);
    Add(m::kCpuCfsThrottledPeriodsTotal, at, d->cfs_throttled_periods);
    Add(m::kCpuCfsThrottledSecondsTotal, at, Seconds(d->cfs_throttled_nanos));
  }
  Add(m::kMemoryCache, at, d->cache);
  Add(m::kMemoryMappedFile, at, d->mapped_file);
  Add(m::kMemoryMaxUsageBytes, at, d->max_usage);
  Add(m::kMemoryFailcnt, at, d->failcnt);
  Add(m::kMemoryFailuresTotal, at, d->pgfault, {"pgfault", "container"});
  Add(m::kMemoryFailuresTotal, at, d->pgmajfault, {"pgmajfault", "container"});
  Add(m::kMemoryFailuresTotal, at, d->hierarchy_pgfault,
      {"pgfault", "hierarchy"});
  Add(m::kMemoryFailuresTotal, at, d->hierarchy_pgmajfault,
      {"pgmajfault", "hierarchy"});
  Add(m::kMemoryTotalActiveFileBytes, at, d->active_file);
  Add(m::kMemoryTotalInactiveFileBytes, at, d->inactive_file);
  Add(m::kOomEventsTotal, at, d->oom_kills);
  Add(m::kProcesses, at, d->processes);
  Add(m::kThreadsMax, at, d->threads_max);
  Add(m::kSpecCpuPeriod, at, d->cpu_period_us);
  Add(m::kSpecCpuQuota, at, d->cpu_quota_us);
  Add(m::kSpecCpuShares, at, d->cpu_shares);
  if (s.memory) Add(m::kSpecMemoryLimitBytes, at, s.memory->limit);
  Add(m::kSpecMemoryReservationLimitBytes, at, d->memory_reservation);
}

void MetricWriter::AddNetwork(
    const std::vector<stats::InterfaceStats>& interfaces, absl::Time at) {
  namespace m = metric;
  for (const stats::InterfaceStats& i : interfaces) {
    Add(m::kNetworkReceiveBytesTotal, at, i.rx_bytes, {i.name});
    Add(m::kNetworkReceivePacketsTotal, at, i.rx_packets, {i.name});
    Add(m::kNetworkReceivePacketsDroppedTotal, at, i.rx_dropped, {i.name});
    Add(m::kNetworkReceiveErrorsTotal, at, i.rx_errors, {i.name});
    Add(m::kNetworkTransmitBytesTotal, at, i.tx_bytes, {i.name});
    Add(m::kNetworkTransmitPacketsTotal, at, i.tx_packets, {i.name});
    Add(m::kNetworkTransmitPacketsDroppedTotal, at, i.tx_dropped, {i.name});
    Add(m::kNetworkTransmitErrorsTotal, at, i.tx_errors, {i.name});
  }
}

}  // namespace cri_dockerd
