// Cost of recording one CRI call in the metrics (what every RPC pays when
// --metrics-bind-addr is set) and of one scrape, single- and
// multi-threaded. Prints figures; run by hand.
#include <cstdio>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "cmd/cri-dockerd/daemon_metrics.h"

namespace cri_dockerd {
namespace {

double NsPerRpc(DaemonMetrics* m, int threads, int per_thread) {
  const char* methods[] = {"Version", "ListPodSandbox", "ContainerStatus",
                           "ListContainers", "PodSandboxStatus"};
  const absl::Time start = absl::Now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        m->OnRpcDone(
            methods[(i + t) % 5],
            i % 10 ? absl::StatusCode::kOk : absl::StatusCode::kNotFound,
            absl::Microseconds(i % 5000));
      }
    });
  }
  for (auto& w : workers) w.join();
  return absl::ToDoubleNanoseconds(absl::Now() - start) / per_thread;
}

int Main() {
  metrics::Registry registry;
  DaemonMetrics m(&registry);
  NsPerRpc(&m, 1, 100000);  // warm: create the series
  for (int threads : {1, 2, 4}) {
    std::printf(
        "OnRpcDone, %d thread(s): %.1f ns per call (wall / calls "
        "per thread)\n",
        threads, NsPerRpc(&m, threads, 2000000));
  }
  for (int i = 0; i < 50; ++i) {
    m.OnDockerRequest("GET /containers/{id}/json", 200, absl::Milliseconds(1));
  }
  const absl::Time start = absl::Now();
  size_t bytes = 0;
  for (int i = 0; i < 1000; ++i) bytes = registry.Render().size();
  std::printf("Render: %.1f us per scrape (%zu bytes)\n",
              absl::ToDoubleMicroseconds(absl::Now() - start) / 1000, bytes);
  return 0;
}

}  // namespace
}  // namespace cri_dockerd

int main() { return cri_dockerd::Main(); }
