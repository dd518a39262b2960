// The in-memory view of the shim's docker containers: every container
// labelled io.kubernetes.docker.type (pod containers and infra "POD"
// containers) as docker last listed and inspected it, and the images they
// run, kept current by the daemon's one docker event watch. It answers the
// reads kubelet makes every second (ListPodSandbox, ListContainers, the
// Status verbs) without asking docker; docker stays the source of truth
// and the view is rebuilt from a listing after every (re)connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cri/events/docker_watch_listener.h"
#include "docker_client/docker_client.h"

namespace cri_dockerd::container_view {

using SummaryPtr = std::shared_ptr<const docker::ContainerSummary>;
using InspectPtr = std::shared_ptr<const docker::ContainerInspect>;
using ImagePtr = std::shared_ptr<const docker::ImageInspect>;

struct ContainerViewOptions {
  // Image inspects kept; past it the cache starts over.
  size_t max_images = 256;
  // Changed containers refreshed with one listing filtered by their IDs;
  // past this many the refresh lists all of the shim's containers.
  size_t max_listed_ids = 64;
};

// How it works:
//  - Serving: once the watch is connected (OnWatchConnecting) the first
//    read lists the shim's containers (one GET /containers/json) and from
//    then on reads are answered from memory. Until then, and from the
//    moment the stream breaks until the next connection and listing, every
//    read goes to docker as if there were no view (correct, just slower).
//  - Events mark the container they name stale (a "destroy" too: docker
//    confirms it is gone), image events empty the image cache. Nothing is
//    fetched on the watch's thread: the next read of a stale entry asks
//    docker for just that entry (a listing filtered by the stale IDs for
//    ListContainers, an inspect for InspectContainer), outside the lock,
//    and keeps the answer unless the entry changed again meanwhile.
//  - Read-your-writes: a verb that changed containers through docker calls
//    Invalidate(id) before returning, so the next read asks docker even if
//    the event has not arrived yet.
//  - Inspects are fetched when first asked for and kept without raw_json
//    (ask docker for a verbose answer).
// Thread-safe. One mutex, never held across a docker call: a reader waits
// only for docker calls about the containers it reads.
class ContainerView : public events::DockerWatchListener {
 public:
  // `docker` must outlive this object.
  explicit ContainerView(docker::DockerClient* docker,
                         ContainerViewOptions options = {});
  ~ContainerView() override;
  ContainerView(const ContainerView&) = delete;
  ContainerView& operator=(const ContainerView&) = delete;

  // DockerClient::ListContainers, answered from memory while serving when
  // `options` asks for all containers (`all`) with only "label" filters,
  // one of which names io.kubernetes.docker.type ("k" or "k=v"); docker
  // answers anything else. Newest first, like docker.
  absl::StatusOr<std::vector<SummaryPtr>> ListContainers(
      const docker::ListContainersOptions& options, absl::Time deadline);

  // DockerClient::InspectContainer (by full ID, name or unique ID prefix,
  // in docker's order), answered from memory while serving, without
  // raw_json. While serving, a reference that names none of the shim's
  // containers is NotFound and one that is ambiguous among them is
  // InvalidArgument, without asking docker (docker would name someone
  // else's container at most). Otherwise docker answers (raw_json
  // included).
  absl::StatusOr<InspectPtr> InspectContainer(const std::string& ref,
                                              absl::Time deadline);

  // DockerClient::InspectImage, answered while serving from a cache by
  // reference (meant for the image IDs inspect reports), without
  // raw_json; any image event (tag, untag, delete, pull, load, import)
  // empties the cache.
  absl::StatusOr<ImagePtr> InspectImage(const std::string& ref,
                                        absl::Time deadline);

  // The shim changed (or may have changed) container `id` (a full ID)
  // through docker: the next read of it asks docker. An ID the view does
  // not know yet (just created) is listed from then on if docker has it.
  void Invalidate(const std::string& id);

  // Whether reads are answered from memory now: the watch is connected
  // and its listing done.
  bool Serving() const;

  // events::DockerWatchListener (the watch's reader thread).
  void OnWatchConnecting() override;
  void OnDockerEvent(const docker::Event& event) override;
  void OnWatchDisconnected(const absl::Status& status) override;

 private:
  struct Entry {
    SummaryPtr summary;  // null until listed
    InspectPtr inspect;  // null until inspected
    bool summary_stale = true;
    bool inspect_stale = true;
    // change_ at the entry's last invalidation: an answer fetched from
    // docker is kept only if it was asked for after that.
    uint64_t changed = 0;
  };
  // What a read saw when it started, to check nothing changed since.
  struct Stamp {
    uint64_t epoch = 0;
    uint64_t change = 0;
  };

  // Lists docker's containers into the view if the watch is connected and
  // the view not built yet; whether reads may be answered from memory.
  bool EnsureBuilt(absl::Time deadline) ABSL_LOCKS_EXCLUDED(mu_);
  // Asks docker for the summaries of the stale entries; the fresh ones
  // (nullptr: gone) by ID.
  absl::StatusOr<std::map<std::string, SummaryPtr>> RefreshSummaries(
      absl::Time deadline) ABSL_LOCKS_EXCLUDED(mu_);
  // What a reference names among the entries.
  enum class Resolved {
    kOne,        // *id
    kNone,       // no container of the shim's
    kAmbiguous,  // a prefix of several
    kUnsure,     // not found, but an entry's name is not known yet
  };
  Resolved ResolveLocked(const std::string& ref, std::string* id) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void InvalidateLocked(const std::string& id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ListingChangedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    ++listing_version_;
  }
  // Whether an answer asked for at `stamp` may be kept for entry `e`.
  bool CurrentLocked(const Stamp& stamp, const Entry& e) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Stamp StampLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return {epoch_, change_};
  }

  // Constant after construction.
  docker::DockerClient* const docker_;
  const ContainerViewOptions options_;

  mutable absl::Mutex mu_;
  bool connected_ ABSL_GUARDED_BY(mu_) = false;
  bool built_ ABSL_GUARDED_BY(mu_) = false;
  bool building_ ABSL_GUARDED_BY(mu_) = false;
  // Bumped by every connection and disconnection of the watch.
  uint64_t epoch_ ABSL_GUARDED_BY(mu_) = 0;
  // Bumped by every invalidation.
  uint64_t change_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);  // by full ID
  std::map<std::string, ImagePtr> images_ ABSL_GUARDED_BY(mu_);
  // Bumped by every image event.
  uint64_t image_change_ ABSL_GUARDED_BY(mu_) = 0;
  // Bumped by every change to what ListContainers would answer: an entry
  // invalidated, listed, refreshed or dropped, a (dis)connection.
  uint64_t listing_version_ ABSL_GUARDED_BY(mu_) = 0;
  // ListContainers' last answers (sorted) by their label filters, at the
  // listing_version_ they were made at: kubelet lists the same way every
  // second, and while nothing changed the answer is the same.
  struct Listing {
    uint64_t version = 0;
    std::vector<SummaryPtr> summaries;
  };
  std::map<std::string, Listing> listings_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cri_dockerd::container_view
