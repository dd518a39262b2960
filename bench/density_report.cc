#include "bench/density_report.h"

#include <unistd.h>

#include <iostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/bench_util.h"

namespace cri_dockerd::bench {
namespace {

double Mean(const std::vector<double>& values) {
  double sum = 0;
  for (double v : values) sum += v;
  return values.empty() ? 0 : sum / values.size();
}

std::string Verdict(bool met) { return met ? "met" : "NOT met"; }

std::string MedianP90(const std::vector<double>& ms) {
  return absl::StrFormat("%.2f / %.2f", Percentile(ms, 50), Percentile(ms, 90));
}

void Row(const std::string& figure, const std::string& shim,
         const std::string& docker, const std::string& target,
         const std::string& verdict) {
  std::cout << absl::StrFormat("%-36s %-18s %-38s %-16s %s\n", figure, shim,
                               docker, target, verdict);
}

void LatencyRow(const std::string& rpc, const Series& s,
                const std::string& request) {
  const double median = Percentile(s.cri_ms, 50);
  Row(rpc + " ms (median / p90)", MedianP90(s.cri_ms),
      request + " " + MedianP90(s.docker_ms), "median <= 1",
      Verdict(!s.cri_ms.empty() && median <= 1));
}

std::string Rate(double ms_per_s) {
  return ms_per_s < 0 ? "-" : absl::StrFormat("%.1f", ms_per_s);
}

}  // namespace

bool PrintDensityReport(const DensityReport& r) {
  const int total = r.pods * r.containers_per_pod;
  std::cout << absl::StrFormat(
      "\ncrid_density_bench: %d pods x %d containers = %d running; dockerd "
      "%s; %d CPUs; CPU windows %d s\n\n",
      r.pods, r.containers_per_pod, total, r.docker_version,
      std::thread::hardware_concurrency(), r.window_seconds);
  Row("figure", "cri-dockerd", "docker, same run", "target", "");
  const Footprint& s = r.shim;
  const int fd_target = 64 + 2 * total;
  Row("daemon threads", absl::StrCat(s.threads), "-", "<= 32",
      Verdict(s.threads >= 0 && s.threads <= 32));
  Row("daemon open fds", absl::StrCat(s.fds), "-",
      absl::StrCat("<= ", fd_target),
      Verdict(s.fds >= 0 && s.fds <= fd_target));
  Row("daemon RSS MB", absl::StrFormat("%.1f", s.rss_mb), "-", "<= 48",
      Verdict(s.rss_mb >= 0 && s.rss_mb <= 48));
  Row("daemon CPU ms/s, silent", Rate(r.silent.shim_ms_per_s),
      "dockerd " + Rate(r.silent.dockerd_ms_per_s), "<= 2",
      Verdict(r.silent.shim_ms_per_s >= 0 && r.silent.shim_ms_per_s <= 2));
  Row("daemon CPU ms/s, writing", Rate(r.writing.shim_ms_per_s),
      "dockerd " + Rate(r.writing.dockerd_ms_per_s), "<= 20",
      Verdict(r.writing.shim_ms_per_s >= 0 && r.writing.shim_ms_per_s <= 20));
  const int added = r.dockerd_with.inotify - r.dockerd_before.inotify;
  Row("dockerd inotify instances", absl::StrCat(r.dockerd_with.inotify),
      absl::StrCat(r.dockerd_before.inotify, " before the run"), "0 added",
      Verdict(r.dockerd_with.inotify >= 0 && added <= 0));
  const LatencyResults& l = r.latency;
  LatencyRow("ListPodSandbox", l.list_pods, "GET /containers/json");
  LatencyRow("ListContainers", l.list_containers, "GET /containers/json");
  LatencyRow("PodSandboxStatus", l.pod_status, "GET /containers/{id}/json");
  LatencyRow("ContainerStatus", l.container_status,
             "GET /containers/{id}/json");
  Row("docker requests per relist",
      l.docker_requests_per_relist < 0
          ? "-"
          : absl::StrFormat("%.2f", l.docker_requests_per_relist),
      "-", "0", Verdict(l.docker_requests_per_relist == 0));
  // docker's create of the bench's own minimal body is context; the
  // like-for-like floor is the daemon's own create request (same body,
  // same containers), which its transport times.
  Row("CreateContainer ms (median / p90)", MedianP90(l.create.cri_ms),
      "POST /containers/create " + MedianP90(l.create.docker_ms), "-", "");
  const bool timed = !l.create.cri_ms.empty() && l.create_docker_mean_ms >= 0;
  const double cri_mean = timed ? Mean(l.create.cri_ms) : 0;
  const double create_added = cri_mean - l.create_docker_mean_ms;
  Row("CreateContainer added ms (mean)",
      timed ? absl::StrFormat("%.2f", create_added) : "-",
      timed ? absl::StrFormat("its POST /containers/create %.2f",
                              l.create_docker_mean_ms)
            : "-",
      "<= 3", Verdict(timed && create_added <= 3));
  const LogResults& g = r.logs;
  const double out = static_cast<double>(g.output_bytes);
  Row("disk MB per MB of output",
      out <= 0 ? "-"
               : absl::StrFormat("%.1f",
                                 (g.cri_log_bytes + g.docker_log_bytes) / out),
      out <= 0
          ? "-"
          : absl::StrFormat("json-file alone %.1f", g.docker_log_bytes / out),
      "-", "");
  Row(absl::StrCat("lines lost / repeated (", g.checked, " logs)"),
      absl::StrCat(g.lost, " / ", g.repeated), "-", "0 / 0",
      Verdict(g.checked > 0 && g.lost == 0 && g.repeated == 0));

  std::cout << absl::StrFormat(
      "\ndaemon before any pod: %d threads, %d fds, %.1f MB RSS\n"
      "dockerd before / with the containers: %d / %d threads, %d / %d fds, "
      "%.0f / %.0f MB RSS\n",
      r.shim_empty.threads, r.shim_empty.fds, r.shim_empty.rss_mb,
      r.dockerd_before.threads, r.dockerd_with.threads, r.dockerd_before.fds,
      r.dockerd_with.fds, r.dockerd_before.rss_mb, r.dockerd_with.rss_mb);
  std::cout << absl::StrFormat(
      "logs: %d bytes of output; %d in CRI files, %d in docker's json-file "
      "logs\n",
      g.output_bytes, g.cri_log_bytes, g.docker_log_bytes);
  std::cout << absl::StrFormat(
      "restart: %d CRI logs checked, %d still short of docker's last line, "
      "%d unreadable lines\n",
      g.checked, g.behind, g.garbled);
  const int errors = l.list_pods.errors + l.list_containers.errors +
                     l.pod_status.errors + l.container_status.errors +
                     l.create.errors + l.relist_errors + g.errors;
  if (errors > 0) {
    std::cout << errors << " calls or requests failed: the figures above "
              << "are not to be trusted\n";
  }
  return errors == 0;
}

}  // namespace cri_dockerd::bench
