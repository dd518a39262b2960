// The metric families ListPodSandboxMetrics reports: cAdvisor's names,
// help texts and types, so kubelet's /metrics/cadvisor reads the same
// whether it takes them from cAdvisor or from the CRI (KEP-2371). Label
// keys follow containerd's CRI plugin: pod, namespace, container, id,
// image, plus interface / device / failure_type+scope where a family
// has them. Only families the shim can read for real are listed.
#pragma once

#include <string>
#include <vector>

#include "proto/cri_api.h"

namespace cri_dockerd {

namespace v1 = ::runtime::v1;

// The label keys a family has after the five base ones.
enum class MetricLabels {
  kBase,       // pod, namespace, container, id, image
  kInterface,  // + interface
  kDevice,     // + device
  kFailure,    // + failure_type, scope
};

struct MetricDef {
  const char* name;
  const char* help;
  v1::MetricType type;
  MetricLabels labels;
};

// The values of the base label keys, in order.
struct MetricTarget {
  std::string pod;
  std::string ns;
  std::string container;  // "" for pod-level figures
  std::string id;         // container ID, or the sandbox ID
  std::string image;      // "" for pod-level figures
};

namespace metric {

// CPU (cumulative seconds: whole seconds, as the wire value is an
// integer).
extern const MetricDef kCpuUsageSecondsTotal;
extern const MetricDef kCpuUserSecondsTotal;
extern const MetricDef kCpuSystemSecondsTotal;
extern const MetricDef kCpuCfsPeriodsTotal;
extern const MetricDef kCpuCfsThrottledPeriodsTotal;
extern const MetricDef kCpuCfsThrottledSecondsTotal;
// Memory.
extern const MetricDef kMemoryUsageBytes;
extern const MetricDef kMemoryWorkingSetBytes;
extern const MetricDef kMemoryRss;
extern const MetricDef kMemoryCache;
extern const MetricDef kMemoryMappedFile;
extern const MetricDef kMemorySwap;
extern const MetricDef kMemoryMaxUsageBytes;
extern const MetricDef kMemoryFailcnt;
extern const MetricDef kMemoryFailuresTotal;
extern const MetricDef kMemoryTotalActiveFileBytes;
extern const MetricDef kMemoryTotalInactiveFileBytes;
extern const MetricDef kOomEventsTotal;
// Processes.
extern const MetricDef kProcesses;
extern const MetricDef kThreads;
extern const MetricDef kThreadsMax;
// Filesystem (the writable layer, on the filesystem of docker's root).
extern const MetricDef kFsUsageBytes;
extern const MetricDef kFsLimitBytes;
extern const MetricDef kFsInodesTotal;
extern const MetricDef kFsInodesFree;
// Network (pod level, per interface).
extern const MetricDef kNetworkReceiveBytesTotal;
extern const MetricDef kNetworkReceivePacketsTotal;
extern const MetricDef kNetworkReceivePacketsDroppedTotal;
extern const MetricDef kNetworkReceiveErrorsTotal;
extern const MetricDef kNetworkTransmitBytesTotal;
extern const MetricDef kNetworkTransmitPacketsTotal;
extern const MetricDef kNetworkTransmitPacketsDroppedTotal;
extern const MetricDef kNetworkTransmitErrorsTotal;
// Miscellaneous.
extern const MetricDef kLastSeen;
extern const MetricDef kStartTimeSeconds;
// Configured limits.
extern const MetricDef kSpecCpuPeriod;
extern const MetricDef kSpecCpuQuota;
extern const MetricDef kSpecCpuShares;
extern const MetricDef kSpecMemoryLimitBytes;
extern const MetricDef kSpecMemoryReservationLimitBytes;

}  // namespace metric

// Every family above, in a fixed order.
const std::vector<const MetricDef*>& AllMetricDefs();

// The label keys of a family, base keys first.
std::vector<std::string> LabelKeys(MetricLabels labels);

}  // namespace cri_dockerd
