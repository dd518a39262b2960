// The fixed table of metric families that ListPodSandboxMetrics may
// report (metric_descriptors.h).
#include "cri/stats/metric_descriptors.h"

namespace cri_dockerd {
namespace metric {
namespace {

constexpr v1::MetricType kCounter = v1::COUNTER;
constexpr v1::MetricType kGauge = v1::GAUGE;
constexpr MetricLabels kBase = MetricLabels::kBase;
constexpr MetricLabels kInterface = MetricLabels::kInterface;
constexpr MetricLabels kDevice = MetricLabels::kDevice;

}  // namespace

const MetricDef kCpuUsageSecondsTotal = {
    "container_cpu_usage_seconds_total",
    "Cumulative cpu time consumed in seconds.", kCounter, kBase};
const MetricDef kCpuUserSecondsTotal = {
    "container_cpu_user_seconds_total",
    "Cumulative user cpu time consumed in seconds.", kCounter, kBase};
const MetricDef kCpuSystemSecondsTotal = {
    "container_cpu_system_seconds_total",
    "Cumulative system cpu time consumed in seconds.", kCounter, kBase};
const MetricDef kCpuCfsPeriodsTotal = {
    "container_cpu_cfs_periods_total",
    "Number of elapsed enforcement period intervals.", kCounter, kBase};
const MetricDef kCpuCfsThrottledPeriodsTotal = {
    "container_cpu_cfs_throttled_periods_total",
    "Number of throttled period intervals.", kCounter, kBase};
const MetricDef kCpuCfsThrottledSecondsTotal = {
    "container_cpu_cfs_throttled_seconds_total",
    "Total time duration the container has been throttled.", kCounter, kBase};

const MetricDef kMemoryUsageBytes = {
    "container_memory_usage_bytes",
    "Current memory usage in bytes, including all memory regardless of when "
    "it was accessed",
    kGauge, kBase};
const MetricDef kMemoryWorkingSetBytes = {"container_memory_working_set_bytes",
                                          "Current working set in bytes.",
                                          kGauge, kBase};
const MetricDef kMemoryRss = {"container_memory_rss", "Size of RSS in bytes.",
                              kGauge, kBase};
const MetricDef kMemoryCache = {"container_memory_cache",
                                "Number of bytes of page cache memory.", kGauge,
                                kBase};
const MetricDef kMemoryMappedFile = {"container_memory_mapped_file",
                                     "Size of memory mapped files in bytes.",
                                     kGauge, kBase};
const MetricDef kMemorySwap = {"container_memory_swap",
                               "Container swap usage in bytes.", kGauge, kBase};
const MetricDef kMemoryMaxUsageBytes = {
    "container_memory_max_usage_bytes",
    "Maximum memory usage recorded in bytes", kGauge, kBase};
const MetricDef kMemoryFailcnt = {"container_memory_failcnt",
                                  "Number of memory usage hits limits",
                                  kCounter, kBase};
const MetricDef kMemoryFailuresTotal = {
    "container_memory_failures_total",
    "Cumulative count of memory allocation failures.", kCounter,
    MetricLabels::kFailure};
const MetricDef kMemoryTotalActiveFileBytes = {
    "container_memory_total_active_file_bytes",
    "Current total active file in bytes.", kGauge, kBase};
const MetricDef kMemoryTotalInactiveFileBytes = {
    "container_memory_total_inactive_file_bytes",
    "Current total inactive file in bytes.", kGauge, kBase};
const MetricDef kOomEventsTotal = {
    "container_oom_events_total",
    "Count of out of memory events observed for the container", kCounter,
    kBase};

const MetricDef kProcesses = {
    "container_processes", "Number of processes running inside the container.",
    kGauge, kBase};
const MetricDef kThreads = {"container_threads",
                            "Number of threads running inside the container",
                            kGauge, kBase};
const MetricDef kThreadsMax = {
    "container_threads_max",
    "Maximum number of threads allowed inside the container, infinity if "
    "value is zero",
    kGauge, kBase};

const MetricDef kFsUsageBytes = {
    "container_fs_usage_bytes",
    "Number of bytes that are consumed by the container on this filesystem.",
    kGauge, kDevice};
const MetricDef kFsLimitBytes = {
    "container_fs_limit_bytes",
    "Number of bytes that can be consumed by the container on this "
    "filesystem.",
    kGauge, kDevice};
const MetricDef kFsInodesTotal = {"container_fs_inodes_total",
                                  "Number of Inodes", kGauge, kDevice};
const MetricDef kFsInodesFree = {"container_fs_inodes_free",
                                 "Number of available Inodes", kGauge, kDevice};

const MetricDef kNetworkReceiveBytesTotal = {
    "container_network_receive_bytes_total",
    "Cumulative count of bytes received", kCounter, kInterface};
const MetricDef kNetworkReceivePacketsTotal = {
    "container_network_receive_packets_total",
    "Cumulative count of packets received", kCounter, kInterface};
const MetricDef kNetworkReceivePacketsDroppedTotal = {
    "container_network_receive_packets_dropped_total",
    "Cumulative count of packets dropped while receiving", kCounter,
    kInterface};
const MetricDef kNetworkReceiveErrorsTotal = {
    "container_network_receive_errors_total",
    "Cumulative count of errors encountered while receiving", kCounter,
    kInterface};
const MetricDef kNetworkTransmitBytesTotal = {
    "container_network_transmit_bytes_total",
    "Cumulative count of bytes transmitted", kCounter, kInterface};
const MetricDef kNetworkTransmitPacketsTotal = {
    "container_network_transmit_packets_total",
    "Cumulative count of packets transmitted", kCounter, kInterface};
const MetricDef kNetworkTransmitPacketsDroppedTotal = {
    "container_network_transmit_packets_dropped_total",
    "Cumulative count of packets dropped while transmitting", kCounter,
    kInterface};
const MetricDef kNetworkTransmitErrorsTotal = {
    "container_network_transmit_errors_total",
    "Cumulative count of errors encountered while transmitting", kCounter,
    kInterface};

const MetricDef kLastSeen = {"container_last_seen",
                             "Last time a container was seen by the exporter",
                             kGauge, kBase};
const MetricDef kStartTimeSeconds = {
    "container_start_time_seconds",
    "Start time of the container since unix epoch in seconds.", kGauge, kBase};

const MetricDef kSpecCpuPeriod = {
    "container_spec_cpu_period", "CPU period of the container.", kGauge, kBase};
const MetricDef kSpecCpuQuota = {"container_spec_cpu_quota",
                                 "CPU quota of the container.", kGauge, kBase};
const MetricDef kSpecCpuShares = {"container_spec_cpu_shares",
                                  "CPU share of the container.", kGauge, kBase};
const MetricDef kSpecMemoryLimitBytes = {"container_spec_memory_limit_bytes",
                                         "Memory limit for the container.",
                                         kGauge, kBase};
const MetricDef kSpecMemoryReservationLimitBytes = {
    "container_spec_memory_reservation_limit_bytes",
    "Memory reservation limit for the container.", kGauge, kBase};

}  // namespace metric

const std::vector<const MetricDef*>& AllMetricDefs() {
  static const auto* const kAll = new std::vector<const MetricDef*>{
      &metric::kCpuUsageSecondsTotal,
      &metric::kCpuUserSecondsTotal,
      &metric::kCpuSystemSecondsTotal,
      &metric::kCpuCfsPeriodsTotal,
      &metric::kCpuCfsThrottledPeriodsTotal,
      &metric::kCpuCfsThrottledSecondsTotal,
      &metric::kMemoryUsageBytes,
      &metric::kMemoryWorkingSetBytes,
      &metric::kMemoryRss,
      &metric::kMemoryCache,
      &metric::kMemoryMappedFile,
      &metric::kMemorySwap,
      &metric::kMemoryMaxUsageBytes,
      &metric::kMemoryFailcnt,
      &metric::kMemoryFailuresTotal,
      &metric::kMemoryTotalActiveFileBytes,
      &metric::kMemoryTotalInactiveFileBytes,
      &metric::kOomEventsTotal,
      &metric::kProcesses,
      &metric::kThreads,
      &metric::kThreadsMax,
      &metric::kFsUsageBytes,
      &metric::kFsLimitBytes,
      &metric::kFsInodesTotal,
      &metric::kFsInodesFree,
      &metric::kNetworkReceiveBytesTotal,
      &metric::kNetworkReceivePacketsTotal,
      &metric::kNetworkReceivePacketsDroppedTotal,
      &metric::kNetworkReceiveErrorsTotal,
      &metric::kNetworkTransmitBytesTotal,
      &metric::kNetworkTransmitPacketsTotal,
      &metric::kNetworkTransmitPacketsDroppedTotal,
      &metric::kNetworkTransmitErrorsTotal,
      &metric::kLastSeen,
      &metric::kStartTimeSeconds,
      &metric::kSpecCpuPeriod,
      &metric::kSpecCpuQuota,
      &metric::kSpecCpuShares,
      &metric::kSpecMemoryLimitBytes,
      &metric::kSpecMemoryReservationLimitBytes,
  };
  return *kAll;
}

std::vector<std::string> LabelKeys(MetricLabels labels) {
  std::vector<std::string> keys = {"pod", "namespace", "container", "id",
                                   "image"};
  switch (labels) {
    case MetricLabels::kBase:
      break;
    case MetricLabels::kInterface:
      keys.push_back("interface");
      break;
    case MetricLabels::kDevice:
      keys.push_back("device");
      break;
    case MetricLabels::kFailure:
      keys.push_back("failure_type");
      keys.push_back("scope");
      break;
  }
  return keys;
}

}  // namespace cri_dockerd
