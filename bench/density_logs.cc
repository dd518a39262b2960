// MeasureLogs: the SIGKILL restart check and the disk figures.
#include <algorithm>
#include <iostream>

#include "absl/time/clock.h"
#include "bench/density_measure.h"
#include "bench/log_audit.h"
#include "common/status_macros.h"

namespace cri_dockerd::bench {
namespace {

// How long the restarted daemon may take to bring every checked CRI log
// up to docker's last value once the settle time is over.
constexpr absl::Duration kCatchUp = absl::Seconds(30);

// Sleeps `d` in short steps; false if `stop` was set meanwhile.
bool Pause(absl::Duration d, const std::atomic<bool>& stop) {
  const absl::Time end = absl::Now() + d;
  while (absl::Now() < end && !stop) absl::SleepFor(absl::Milliseconds(100));
  return !stop;
}

// Docker's json-file log files of container `id`; empty (and an error
// counted) if it cannot be inspected.
std::vector<std::string> DockerLogsOf(DensityWorkload& w, const std::string& id,
                                      int* errors) {
  auto c = w.docker().InspectContainer(id, absl::Now() + absl::Seconds(30));
  if (!c.ok() || c->log_path.empty()) {
    std::cerr << "cannot inspect " << id << ": " << c.status() << "\n";
    ++*errors;
    return {};
  }
  return DockerLogFiles(c->log_path);
}

}  // namespace

absl::Status MeasureLogs(const MeasureOptions& o, DensityWorkload& w,
                         const std::atomic<bool>& stop, LogResults* out) {
  const std::vector<DensityWorkload::Container>& cs = w.containers();
  const int n = std::min<int>(o.restart_containers, cs.size());
  std::cerr << "SIGKILL of the daemon, " << o.restart_down_seconds
            << " s down, restart, " << o.restart_settle_seconds << " s settle"
            << std::endl;
  RETURN_IF_ERROR(w.CrashAndRestart(absl::Seconds(o.restart_down_seconds)));
  if (!Pause(absl::Seconds(o.restart_settle_seconds), stop)) {
    return absl::CancelledError("interrupted");
  }
  RETURN_IF_ERROR(w.Check("the settle time after the restart"));
  // Docker's last value first: the CRI copy can only be behind it.
  std::vector<int64_t> last(n, -1);
  for (int i = 0; i < n; ++i) {
    last[i] = LastDockerCounter(DockerLogsOf(w, cs[i].id, &out->errors));
  }
  std::cerr << "checking " << n << " CRI logs against docker's" << std::endl;
  std::vector<CriLogAudit> audit(n);
  const absl::Time end = absl::Now() + kCatchUp;
  for (bool first = true;; first = false) {
    int behind = 0;
    for (int i = 0; i < n; ++i) {
      if (!first && audit[i].max_value >= last[i]) continue;
      audit[i] = AuditCriLog(cs[i].log_path, last[i]);
      if (audit[i].max_value < last[i]) ++behind;
    }
    out->behind = behind;
    if (behind == 0 || absl::Now() > end) break;
    if (!Pause(absl::Seconds(1), stop)) {
      return absl::CancelledError("interrupted");
    }
  }
  out->checked = n;
  for (const CriLogAudit& a : audit) {
    out->lost += a.lost;
    out->repeated += a.repeated;
    out->garbled += a.garbled;
  }
  std::cerr << "measuring the logs of all " << cs.size() << " containers"
            << std::endl;
  for (const DensityWorkload::Container& c : cs) {
    const CriLogAudit a = AuditCriLog(c.log_path, -1);
    out->cri_log_bytes += a.file_bytes;
    out->output_bytes += a.content_bytes;
    out->docker_log_bytes += FileBytes(DockerLogsOf(w, c.id, &out->errors));
  }
  return w.Check("the log check");
}

}  // namespace cri_dockerd::bench
