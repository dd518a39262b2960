#include "cri/convert/reported_resources.h"

namespace cri_dockerd {

v1::ContainerResources ReportedResources(const docker::ContainerInspect& c) {
  const docker::Resources& r = c.resources;
  v1::ContainerResources out;
  v1::LinuxContainerResources* linux = out.mutable_linux();
  linux->set_cpu_period(r.cpu_period);
  linux->set_cpu_quota(r.cpu_quota);
  linux->set_cpu_shares(r.cpu_shares);
  linux->set_cpuset_cpus(r.cpuset_cpus);
  linux->set_cpuset_mems(r.cpuset_mems);
  linux->set_memory_limit_in_bytes(r.memory);
  linux->set_memory_swap_limit_in_bytes(r.memory_swap > 0 ? r.memory_swap : 0);
  linux->set_oom_score_adj(c.oom_score_adj);
  return out;
}

}  // namespace cri_dockerd
