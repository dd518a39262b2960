#include "cri/stats/stats_proto.h"

#include <utility>

namespace cri_dockerd {
namespace {

void Set(v1::UInt64Value* field, uint64_t value) { field->set_value(value); }

void Set(v1::NetworkInterfaceUsage* out, const stats::InterfaceStats& in) {
  out->set_name(in.name);
  Set(out->mutable_rx_bytes(), in.rx_bytes);
  Set(out->mutable_rx_errors(), in.rx_errors);
  Set(out->mutable_tx_bytes(), in.tx_bytes);
  Set(out->mutable_tx_errors(), in.tx_errors);
}

}  // namespace

v1::ContainerAttributes TakeAttributes(v1::Container& c) {
  v1::ContainerAttributes a;
  a.set_id(c.id());
  *a.mutable_metadata() = std::move(*c.mutable_metadata());
  a.mutable_labels()->swap(*c.mutable_labels());
  a.mutable_annotations()->swap(*c.mutable_annotations());
  return a;
}

void FillCgroupUsage(const stats::CgroupSample& sample,
                     std::optional<uint64_t> nano_cores, v1::CpuUsage* cpu,
                     v1::MemoryUsage* memory, v1::SwapUsage* swap) {
  const int64_t at = absl::ToUnixNanos(sample.timestamp);
  if (sample.cpu_usage_nanos) {
    cpu->set_timestamp(at);
    Set(cpu->mutable_usage_core_nano_seconds(), *sample.cpu_usage_nanos);
    if (nano_cores) Set(cpu->mutable_usage_nano_cores(), *nano_cores);
  }
  if (const std::optional<stats::MemoryStats>& m = sample.memory) {
    memory->set_timestamp(at);
    Set(memory->mutable_usage_bytes(), m->usage);
    Set(memory->mutable_working_set_bytes(), m->working_set);
    if (m->available()) Set(memory->mutable_available_bytes(), *m->available());
    if (m->rss) Set(memory->mutable_rss_bytes(), *m->rss);
    if (m->page_faults) Set(memory->mutable_page_faults(), *m->page_faults);
    if (m->major_page_faults) {
      Set(memory->mutable_major_page_faults(), *m->major_page_faults);
    }
  }
  if (const std::optional<stats::SwapStats>& s = sample.swap) {
    swap->set_timestamp(at);
    Set(swap->mutable_swap_usage_bytes(), s->usage);
    if (s->available())
      Set(swap->mutable_swap_available_bytes(), *s->available());
  }
}

void FillNetworkUsage(const std::vector<stats::InterfaceStats>& interfaces,
                      absl::Time at, v1::NetworkUsage* out) {
  out->set_timestamp(absl::ToUnixNanos(at));
  const stats::InterfaceStats* default_if = nullptr;
  for (const stats::InterfaceStats& i : interfaces) {
    if (i.name == "eth0") default_if = &i;
    Set(out->add_interfaces(), i);
  }
  if (default_if == nullptr && !interfaces.empty()) {
    default_if = &interfaces.front();
  }
  if (default_if != nullptr) Set(out->mutable_default_interface(), *default_if);
}

}  // namespace cri_dockerd
