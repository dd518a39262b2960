// MeasureCpu and MeasureLatencies (MeasureLogs is in density_logs.cc).
#include "bench/density_measure.h"

#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/bench_util.h"
#include "bench/density_probes.h"
#include "common/status_macros.h"

namespace cri_dockerd::bench {
namespace {

namespace v1 = ::runtime::v1;

constexpr absl::Duration kCallTimeout = absl::Seconds(60);
constexpr char kRequestsFamily[] = "cri_dockerd_docker_requests_total";

// Runs `call` (returning true on success) and adds its wall time to `ms`;
// counts a failure in `errors`.
template <typename Call>
void Timed(Call call, std::vector<double>* ms, int* errors) {
  const absl::Time start = absl::Now();
  const bool ok = call();
  ms->push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
  if (!ok) ++*errors;
}

bool DockerGet(const std::string& socket, const std::string& path) {
  absl::StatusOr<HttpReply> r =
      DockerRequest(socket, "GET", path, kCallTimeout);
  return r.ok() && r->status == 200;
}

// `calls` CRI calls (cri(i)), then as many docker requests (docker(i)),
// each series back to back after one untimed call. Not in turns: docker
// goes on working for milliseconds after it answers a listing (its
// garbage collector), which slowed whatever call came next: after
// GET /containers/json, a PodSandboxStatus took 0.7 ms instead of 0.17.
template <typename Cri, typename Docker>
Series InBlocks(int calls, Cri cri, Docker docker) {
  Series s;
  cri(0);
  for (int i = 0; i < calls; ++i) {
    Timed([&] { return cri(i); }, &s.cri_ms, &s.errors);
  }
  docker(0);
  for (int i = 0; i < calls; ++i) {
    Timed([&] { return docker(i); }, &s.docker_ms, &s.errors);
  }
  return s;
}

bool ListPods(DensityWorkload& w) {
  v1::ListPodSandboxResponse resp;
  return w.daemon()
      .runtime()
      ->ListPodSandbox(Deadline(kCallTimeout).get(), {}, &resp)
      .ok();
}

bool ListContainers(DensityWorkload& w) {
  v1::ListContainersResponse resp;
  return w.daemon()
      .runtime()
      ->ListContainers(Deadline(kCallTimeout).get(), {}, &resp)
      .ok();
}

// kubelet's relist without the status calls: the docker requests the
// daemon makes for `n` relists (after one to warm up), per relist.
absl::StatusOr<double> RequestsPerRelist(DensityWorkload& w, int port, int n,
                                         int* errors) {
  if (!ListPods(w) || !ListContainers(w)) ++*errors;
  ASSIGN_OR_RETURN(double before, ScrapeCounterSum(port, kRequestsFamily));
  for (int i = 0; i < n; ++i) {
    if (!ListPods(w)) ++*errors;
    if (!ListContainers(w)) ++*errors;
  }
  ASSIGN_OR_RETURN(double after, ScrapeCounterSum(port, kRequestsFamily));
  return (after - before) / n;
}

// Docker's create of a container like the workload's (image, command,
// the run label) and its removal; only the create counts as a success
// or failure of the timed request, a failed delete is reported.
bool DockerCreateAndDelete(const MeasureOptions& o, DensityWorkload& w,
                           double* create_ms) {
  const std::string body = absl::StrCat(
      R"({"Image":")", o.image, R"(","Cmd":["sh","-c","sleep 1"],)",
      R"("Labels":{")", kRunLabel, R"(":")", w.run_id(), R"("}})");
  const absl::Time start = absl::Now();
  absl::StatusOr<HttpReply> r = DockerRequest(
      o.docker_socket, "POST", "/containers/create", kCallTimeout, body);
  *create_ms = absl::ToDoubleMilliseconds(absl::Now() - start);
  if (!r.ok() || r->status != 201) return false;
  // {"Id":"<64 hex>","Warnings":[]}
  const size_t at = r->body.find(R"("Id":")");
  if (at == std::string::npos) return false;
  const std::string id = r->body.substr(at + 6, 64);
  absl::StatusOr<HttpReply> del =
      DockerRequest(o.docker_socket, "DELETE",
                    "/containers/" + id + "?force=1&v=1", kCallTimeout);
  if (!del.ok() || del->status != 204) {
    std::cerr << "cannot delete docker's container " << id << "\n";
  }
  return true;
}

// The daemon's own docker create requests as its transport timed them:
// the sum (seconds) and count of its latency histogram.
struct RequestTimes {
  double seconds = 0;
  double count = 0;
};
constexpr char kDurationFamily[] =
    "cri_dockerd_docker_request_duration_seconds";
constexpr char kCreateOperation[] = R"(operation="POST /containers/create")";

absl::StatusOr<RequestTimes> ScrapeCreateTimes(int port) {
  RequestTimes t;
  ASSIGN_OR_RETURN(t.seconds,
                   ScrapeCounterSum(port, absl::StrCat(kDurationFamily, "_sum"),
                                    kCreateOperation));
  ASSIGN_OR_RETURN(
      t.count, ScrapeCounterSum(port, absl::StrCat(kDurationFamily, "_count"),
                                kCreateOperation));
  return t;
}

Series MeasureCreate(const MeasureOptions& o, DensityWorkload& w,
                     double* daemon_create_mean_ms) {
  Series s;
  // The workload's containers were made through the daemon: the
  // histogram has samples.
  absl::StatusOr<RequestTimes> before = ScrapeCreateTimes(o.metrics_port);
  for (int i = 0; i < o.creates; ++i) {
    v1::CreateContainerRequest req =
        w.CreateRequest(i % w.pod_ids().size(), absl::StrCat("create-", i));
    v1::CreateContainerResponse resp;
    Timed(
        [&] {
          return w.daemon()
              .runtime()
              ->CreateContainer(Deadline(kCallTimeout).get(), req, &resp)
              .ok();
        },
        &s.cri_ms, &s.errors);
    if (!resp.container_id().empty()) {
      v1::RemoveContainerRequest rm;
      rm.set_container_id(resp.container_id());
      v1::RemoveContainerResponse removed;
      w.daemon().runtime()->RemoveContainer(Deadline(kCallTimeout).get(), rm,
                                            &removed);
    }
    double ms = 0;
    if (!DockerCreateAndDelete(o, w, &ms)) ++s.errors;
    s.docker_ms.push_back(ms);
  }
  absl::StatusOr<RequestTimes> after = ScrapeCreateTimes(o.metrics_port);
  if (!before.ok() || !after.ok() || after->count - before->count < 1) {
    std::cerr << "cannot read the daemon's docker create times: "
              << (before.ok() ? after.status() : before.status()) << "\n";
    ++s.errors;
  } else {
    *daemon_create_mean_ms = (after->seconds - before->seconds) * 1000 /
                             (after->count - before->count);
  }
  return s;
}

}  // namespace

absl::Status MeasureCpu(DensityWorkload& w, pid_t dockerd, int seconds,
                        const std::atomic<bool>& stop, CpuRates* out) {
  const pid_t shim = w.daemon().pid();
  const double shim0 = CpuSeconds(shim);
  const double dockerd0 = CpuSeconds(dockerd);
  const absl::Time start = absl::Now();
  const absl::Time end = start + absl::Seconds(seconds);
  while (absl::Now() < end && !stop) absl::SleepFor(absl::Milliseconds(100));
  RETURN_IF_ERROR(w.Check("a CPU window"));
  const double s = absl::ToDoubleSeconds(absl::Now() - start);
  out->shim_ms_per_s = (CpuSeconds(shim) - shim0) * 1000 / s;
  out->dockerd_ms_per_s = (CpuSeconds(dockerd) - dockerd0) * 1000 / s;
  return absl::OkStatus();
}

absl::Status MeasureLatencies(const MeasureOptions& o, DensityWorkload& w,
                              LatencyResults* out) {
  const std::string& sock = o.docker_socket;
  const std::vector<std::string>& pods = w.pod_ids();
  const std::vector<DensityWorkload::Container>& cs = w.containers();
  auto docker_list = [&](int) {
    return DockerGet(sock, "/containers/json?all=1");
  };
  std::cerr << "timing ListPodSandbox and ListContainers" << std::endl;
  out->list_pods = InBlocks(
      o.calls, [&](int) { return ListPods(w); }, docker_list);
  RETURN_IF_ERROR(w.Check("ListPodSandbox"));
  out->list_containers = InBlocks(
      o.calls, [&](int) { return ListContainers(w); }, docker_list);
  RETURN_IF_ERROR(w.Check("ListContainers"));
  auto pod_status = [&](int i) {
    v1::PodSandboxStatusRequest req;
    req.set_pod_sandbox_id(pods[i % pods.size()]);
    v1::PodSandboxStatusResponse resp;
    return w.daemon()
        .runtime()
        ->PodSandboxStatus(Deadline(kCallTimeout).get(), req, &resp)
        .ok();
  };
  auto container_status = [&](int i) {
    v1::ContainerStatusRequest req;
    req.set_container_id(cs[i % cs.size()].id);
    v1::ContainerStatusResponse resp;
    return w.daemon()
        .runtime()
        ->ContainerStatus(Deadline(kCallTimeout).get(), req, &resp)
        .ok();
  };
  // Untimed, once each: kubelet's first relist asks for every pod and
  // container, so the timed calls are its steady state.
  for (size_t i = 0; i < pods.size(); ++i) pod_status(static_cast<int>(i));
  for (size_t i = 0; i < cs.size(); ++i) container_status(static_cast<int>(i));
  std::cerr << "timing PodSandboxStatus and ContainerStatus" << std::endl;
  out->pod_status = InBlocks(o.calls, pod_status, [&](int i) {
    return DockerGet(sock, "/containers/" + pods[i % pods.size()] + "/json");
  });
  RETURN_IF_ERROR(w.Check("PodSandboxStatus"));
  out->container_status = InBlocks(o.calls, container_status, [&](int i) {
    return DockerGet(sock, "/containers/" + cs[i % cs.size()].id + "/json");
  });
  RETURN_IF_ERROR(w.Check("ContainerStatus"));
  std::cerr << "counting docker requests over " << o.relists << " relists"
            << std::endl;
  absl::StatusOr<double> per_relist =
      RequestsPerRelist(w, o.metrics_port, o.relists, &out->relist_errors);
  if (!per_relist.ok()) {
    std::cerr << "cannot count docker requests: " << per_relist.status()
              << "\n";
    ++out->relist_errors;
  } else {
    out->docker_requests_per_relist = *per_relist;
  }
  RETURN_IF_ERROR(w.Check("the relists"));
  std::cerr << "timing CreateContainer" << std::endl;
  out->create = MeasureCreate(o, w, &out->create_docker_mean_ms);
  return w.Check("CreateContainer");
}

}  // namespace cri_dockerd::bench
