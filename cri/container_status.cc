// ContainerStatus: CREATED / RUNNING / EXITED with times in ns, exit code
// and reason (Completed, Error, OOMKilled, ContainerCannotRun), the image
// by name and ID, mounts, log path, labels and annotations, and the
// identity of the running process (read from /proc, no docker exec), the
// resources in force (docker's HostConfig, so what UpdateContainerResources
// changed) and the stop signal (the container's, else its image's, else
// SIGTERM, docker's default, as KEP-4960 asks). Read-only.
#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "cri/container_view/container_view.h"
#include "cri/convert/image_spec_labels.h"
#include "cri/convert/naming.h"
#include "cri/convert/reported_resources.h"
#include "cri/convert/stop_signal.h"
#include "cri/logs/container_log_manager.h"
#include "cri/runtime_service.h"

namespace cri_dockerd {
namespace {

// docker's zero time ("0001-01-01T00:00:00Z") and parse failures are 0.
int64_t Nanos(const std::string& rfc3339) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &err) ||
      t < absl::UnixEpoch()) {
    return 0;
  }
  return absl::ToUnixNanos(t);
}

// uid, gid and supplementary groups of a live process.
bool ReadUser(int pid, v1::LinuxContainerUser* user) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  if (!in) return false;
  std::string line;
  bool found = false;
  while (std::getline(in, line)) {
    std::vector<std::string> f =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (f.size() >= 2 && f[0] == "Uid:") {
      int64_t v = 0;
      found = absl::SimpleAtoi(f[1], &v);
      user->set_uid(v);
    } else if (f.size() >= 2 && f[0] == "Gid:") {
      int64_t v = 0;
      if (absl::SimpleAtoi(f[1], &v)) user->set_gid(v);
    } else if (!f.empty() && f[0] == "Groups:") {
      for (size_t i = 1; i < f.size(); ++i) {
        int64_t g = 0;
        if (absl::SimpleAtoi(f[i], &g)) user->add_supplemental_groups(g);
      }
    }
  }
  return found;
}

}  // namespace

v1::ContainerState RuntimeService::CriState(const docker::ContainerState& s) {
  if (s.running || s.paused || s.restarting) return v1::CONTAINER_RUNNING;
  // A container docker failed to start stays "created" with an exit code.
  if (s.status == "created") {
    return s.exit_code != 0 ? v1::CONTAINER_EXITED : v1::CONTAINER_CREATED;
  }
  if (s.status == "exited" || s.status == "dead") return v1::CONTAINER_EXITED;
  return v1::CONTAINER_UNKNOWN;
}

namespace {
// How long ContainerStatus waits for an exited container's log copy.
constexpr absl::Duration kLogDrainWait = absl::Seconds(1);
}  // namespace

absl::StatusOr<v1::ContainerStatusResponse> RuntimeService::ContainerStatus(
    const CallContext& ctx, const v1::ContainerStatusRequest& req) {
  ASSIGN_OR_RETURN(docker::ContainerInspect c,
                   FindContainer(ctx, req.container_id()));
  if (logs_ != nullptr && !c.state.running && !c.state.paused &&
      !c.state.restarting) {
    // Like containerd, which finishes a container's output before it
    // reports the exit: once a container shows as exited its CRI log file
    // is complete. The copy ends within milliseconds of docker's stream;
    // the wait is bounded so a stuck copy cannot stall status calls.
    logs_->AwaitCopyEnd(c.id,
                        std::min(ctx.deadline, absl::Now() + kLogDrainWait));
  }
  v1::ContainerStatusResponse resp;
  v1::ContainerStatus* st = resp.mutable_status();
  st->set_id(c.id);
  if (absl::StatusOr<NameParts> parts = ParseName(c.name); parts.ok()) {
    st->mutable_metadata()->set_name(parts->container);
    st->mutable_metadata()->set_attempt(parts->attempt);
  }
  st->set_state(CriState(c.state));
  st->set_created_at(Nanos(c.created));
  st->set_started_at(Nanos(c.state.started_at));
  st->set_finished_at(Nanos(c.state.finished_at));
  // docker stamps StartedAt after the process began, so a process that
  // exits at once can show FinishedAt before it: never report that.
  if (st->finished_at() != 0 && st->finished_at() < st->started_at()) {
    st->set_finished_at(st->started_at());
  }
  st->set_exit_code(c.state.exit_code);
  if (st->state() == v1::CONTAINER_EXITED) {
    if (st->finished_at() == 0 && c.state.exit_code != 0) {
      // Never ran: docker could not start it.
      st->set_reason("ContainerCannotRun");
      st->set_started_at(st->created_at());
      st->set_finished_at(st->created_at());
    } else if (c.state.oom_killed) {
      st->set_reason("OOMKilled");
    } else {
      st->set_reason(c.state.exit_code == 0 ? "Completed" : "Error");
    }
    st->set_message(c.state.error);
  }
  // The image as the pod named it, and its ID (what PullImage returned).
  st->mutable_image()->set_image(c.config_image);
  FillImageSpecFromLabels(c.labels, st->mutable_image());
  st->set_image_id(c.image);
  st->set_image_ref(c.image);
  absl::StatusOr<container_view::ImagePtr> image =
      view_->InspectImage(c.image, DockerDeadline(ctx));
  if (image.ok()) {
    if (!(*image)->repo_tags.empty()) {
      st->mutable_image()->set_image((*image)->repo_tags[0]);
    }
    if (!(*image)->repo_digests.empty()) {
      st->set_image_ref((*image)->repo_digests[0]);
    }
  }
  // docker's Config.StopSignal already holds the image's STOPSIGNAL when
  // the container was created without one.
  st->set_stop_signal(c.stop_signal.empty() ? DefaultStopSignal()
                                            : CriStopSignal(c.stop_signal));
  *st->mutable_resources() = ReportedResources(c);
  for (const docker::MountPoint& m : c.mounts) {
    v1::Mount* mount = st->add_mounts();
    mount->set_host_path(m.source);
    mount->set_container_path(m.destination);
    mount->set_readonly(!m.rw);
    if (m.propagation == "rslave" || m.propagation == "slave") {
      mount->set_propagation(v1::PROPAGATION_HOST_TO_CONTAINER);
    } else if (m.propagation == "rshared" || m.propagation == "shared") {
      mount->set_propagation(v1::PROPAGATION_BIDIRECTIONAL);
    }
  }
  auto [labels, annotations] = ExtractLabels(c.labels);
  st->mutable_labels()->insert(labels.begin(), labels.end());
  st->mutable_annotations()->insert(annotations.begin(), annotations.end());
  if (auto path = c.labels.find(kLogPathLabel); path != c.labels.end()) {
    st->set_log_path(path->second);
  }
  if (c.state.running && c.state.pid > 0) {
    v1::LinuxContainerUser user;
    if (ReadUser(c.state.pid, &user)) {
      *st->mutable_user()->mutable_linux() = std::move(user);
    }
  }
  if (req.verbose()) (*resp.mutable_info())["info"] = VerboseInfo(ctx, c);
  return resp;
}

}  // namespace cri_dockerd
