// What the shim last reported for each of its containers, so that docker
// events replayed after a reconnect (docker's `since` is inclusive) and
// changes found by comparing a fresh listing are reported exactly once.
// Used by one thread (ContainerEventSource's dispatcher); not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "docker_client/container_types.h"
#include "docker_client/event_types.h"
#include "proto/cri_api.h"

namespace cri_dockerd::events {

namespace v1 = ::runtime::v1;

// A lifecycle change of a container the shim manages (a pod's container
// or its infra "POD" container), before it is described to CRI clients.
struct ContainerChange {
  std::string id;
  // The pod's sandbox ID (equal to `id` for the infra container).
  std::string sandbox_id;
  bool is_sandbox = false;
  v1::ContainerEventType type = v1::CONTAINER_CREATED_EVENT;
  // When docker logged it; for a change found by a listing, when found.
  int64_t time_nano = 0;
  // docker's name (no leading '/') and labels, kept for describing a
  // container or sandbox that is gone.
  std::string name;
  std::map<std::string, std::string> labels;
};

// The CRI event for a docker container action: create -> CREATED,
// start -> STARTED, die -> STOPPED, destroy -> DELETED ("stop" always
// follows a "die" and is not mapped). nullopt for other actions.
std::optional<v1::ContainerEventType> CriEventType(const std::string& action);

// A container's lifecycle only moves forward, CREATED < STARTED <
// STOPPED < DELETED: kubelet never restarts a container (it creates a new
// one) and the shim creates them with docker's restart policy "no". So an
// event is new exactly when it moves its container forward; anything
// else is a replay (or an operator's `docker restart`, which kubelet's
// periodic relist still notices).
class ContainerStateTracker {
 public:
  // The change to report for docker event `e`, and records it; nullopt
  // for events that are not lifecycle changes of the shim's containers
  // (io.kubernetes.docker.type label) or were already reported.
  std::optional<ContainerChange> OnEvent(const docker::Event& e);

  // Takes the shim's containers as docker lists them now (`now_nano`:
  // the time of the listing) and returns the changes that explain the
  // difference with what was reported: containers never seen (their
  // current state), states moved forward, containers gone (DELETED).
  std::vector<ContainerChange> Resync(
      const std::vector<docker::ContainerSummary>& containers,
      int64_t now_nano);

  // The first listing: records the states of containers not known yet
  // without reporting them, as provisional. A provisional state is what the
  // listing happened to see, which may already include changes made at or after
  // `since_nano` (when the watch started): an event stamped then or
  // later for such a container is reported as if its container were new.
  void Baseline(const std::vector<docker::ContainerSummary>& containers,
                int64_t since_nano);

  size_t size() const { return entries_.size(); }

  // Deleted containers are remembered this long (to drop replays).
  static constexpr int64_t kForgetDeletedNanos = int64_t{10} * 60 * 1000000000;

 private:
  struct Entry {
    v1::ContainerEventType last = v1::CONTAINER_CREATED_EVENT;
    int64_t time_nano = 0;
    std::string sandbox_id;
    bool is_sandbox = false;
    std::string name;
    std::map<std::string, std::string> labels;
    bool provisional = false;  // from Baseline, no event since
  };
  // Records `change` if it moves its container forward; false otherwise.
  bool Advance(const ContainerChange& change);
  void ForgetOldDeleted(int64_t now_nano);

  std::map<std::string, Entry> entries_;
  int64_t baseline_since_nano_ = 0;
};

}  // namespace cri_dockerd::events
