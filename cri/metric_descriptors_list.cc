// ListMetricDescriptors: the fixed table of metric families that
// ListPodSandboxMetrics may report (cri/stats/metric_descriptors.h). No
// docker call; the answer never changes while the shim runs.
#include "cri/runtime_service.h"
#include "cri/stats/metric_descriptors.h"

namespace cri_dockerd {

absl::StatusOr<v1::ListMetricDescriptorsResponse>
RuntimeService::ListMetricDescriptors(const CallContext&,
                                      const v1::ListMetricDescriptorsRequest&) {
  v1::ListMetricDescriptorsResponse resp;
  for (const MetricDef* def : AllMetricDefs()) {
    v1::MetricDescriptor* d = resp.add_descriptors();
    d->set_name(def->name);
    d->set_help(def->help);
    for (std::string& key : LabelKeys(def->labels)) {
      d->add_label_keys(std::move(key));
    }
  }
  return resp;
}

}  // namespace cri_dockerd
