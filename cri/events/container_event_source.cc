#include "cri/events/container_event_source.h"

#include <algorithm>
#include <iterator>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "common/thread.h"
#include "cri/convert/naming.h"
#include "cri/events/docker_watch_listener.h"

namespace cri_dockerd::events {
namespace {

// How long the dispatcher waits for work before retrying a failed
// resynchronisation.
constexpr absl::Duration kRetryResync = absl::Seconds(1);

// What the one watch asks docker for: the lifecycle actions CRI events
// report, what else makes a copy of a container's inspect stale (the
// container view), and what changes an image's tags or a container's
// networks. Not filtered by label, since image and network events carry
// none: the shim's containers are picked out here (IsLifecycleEvent) and
// by the listener.
void SetWatchFilters(docker::EventStreamOptions* stream) {
  // Container actions, then image ones, then network ones.
  static constexpr const char* kActions[] = {
      "create", "start",   "die",   "destroy", "rename",    "update",
      "pause",  "unpause", "oom",   "delete",  "import",    "load",
      "pull",   "tag",     "untag", "connect", "disconnect"};
  stream->filters["type"] = {"container", "image", "network"};
  stream->filters["event"] = {std::begin(kActions), std::end(kActions)};
}

// An event the dispatcher may turn into a CRI event.
bool IsLifecycleEvent(const docker::Event& e) {
  return e.type == "container" && CriEventType(e.action).has_value() &&
         e.attributes.count(kContainerTypeLabel) != 0;
}

}  // namespace

ContainerEventSource::ContainerEventSource(docker::DockerClient* docker,
                                           EventDescriber describe,
                                           EventSourceOptions options,
                                           DockerWatchListener* listener)
    : docker_(docker),
      options_(options),
      listener_(listener),
      broadcaster_(options.subscriber_queue_limit),
      describers_(std::move(describe), &broadcaster_, options.describe_threads,
                  options.describe_queue_limit) {}

ContainerEventSource::~ContainerEventSource() { Stop(); }

absl::Status ContainerEventSource::Start() {
  absl::Status failed;
  {
    absl::MutexLock lock(&mu_);
    if (started_ || stopping_) return absl::OkStatus();
    started_ = true;
    started_at_ = absl::Now();
    LOG(INFO) << "watching docker events";
    absl::StatusOr<std::thread> reader =
        StartThread("docker-events", [this] { ReadLoop(); });
    if (!reader.ok()) {
      started_ = false;  // a later Start() tries again
      return reader.status();
    }
    reader_ = *std::move(reader);
    absl::StatusOr<std::thread> dispatcher =
        StartThread("event-dispatch", [this] { DispatchLoop(); });
    if (dispatcher.ok()) {
      dispatcher_ = *std::move(dispatcher);
      return absl::OkStatus();
    }
    failed = dispatcher.status();
  }
  Stop();  // ends the reader
  return failed;
}

std::unique_ptr<EventBroadcaster::Subscription>
ContainerEventSource::Subscribe() {
  std::unique_ptr<EventBroadcaster::Subscription> sub =
      broadcaster_.Subscribe();
  if (absl::Status s = Start(); !s.ok()) {
    LOG(WARNING) << "cannot watch docker events: " << s;
  }
  return sub;
}

void ContainerEventSource::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  broadcaster_.Close();
  // Threads are only started under mu_ before stopping_ is set.
  if (reader_.joinable()) reader_.join();
  if (dispatcher_.joinable()) dispatcher_.join();
  describers_.Stop();
}

bool ContainerEventSource::Stopping() const {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

void ContainerEventSource::Enqueue(Item item) {
  bool overflow = false;
  {
    absl::MutexLock lock(&mu_);
    if (backlog_.size() >= options_.backlog_limit) {
      LOG(WARNING) << "docker event backlog over " << options_.backlog_limit
                   << " events; resynchronising from a container listing";
      backlog_.clear();
      Item resync;
      resync.resync = true;
      backlog_.push_back(std::move(resync));
      overflow = true;
    }
    backlog_.push_back(std::move(item));
  }
  // The listing reports states, not every change in between: whoever
  // follows the events must list again to be sure.
  if (overflow) {
    broadcaster_.DropAll(absl::StrCat("the shim fell more than ",
                                      options_.backlog_limit,
                                      " docker events behind"));
  }
}

absl::Status ContainerEventSource::ReadOnce(absl::Time* resume_from) {
  if (absl::Status s = docker_->Ping(absl::Now() + options_.docker_timeout);
      !s.ok()) {
    return s;
  }
  if (listener_ != nullptr) listener_->OnWatchConnecting();
  // Queued before the stream's events: the listing happens after the
  // stream is (about to be) open, so nothing falls between the two.
  Item resync;
  resync.resync = true;
  Enqueue(std::move(resync));
  docker::EventStreamOptions stream;
  stream.since = *resume_from;
  SetWatchFilters(&stream);
  stream.on_event = [&](const docker::Event& e) {
    if (e.time_nano > 0) *resume_from = absl::FromUnixNanos(e.time_nano);
    if (listener_ != nullptr) listener_->OnDockerEvent(e);
    if (!IsLifecycleEvent(e)) return;
    Item item;
    item.event = e;
    Enqueue(std::move(item));
  };
  stream.check = [this] {
    return Stopping() ? absl::CancelledError("stopping") : absl::OkStatus();
  };
  // The watch runs for the daemon's life: a stop may take a second, but
  // the check costs a wake-up a second, not ten.
  stream.check_interval = absl::Seconds(1);
  absl::Status s = docker_->StreamEvents(stream, absl::InfiniteFuture());
  if (s.ok()) s = absl::UnavailableError("docker ended the event stream");
  if (listener_ != nullptr) listener_->OnWatchDisconnected(s);
  return s;
}

void ContainerEventSource::ReadLoop() {
  absl::Duration backoff = options_.min_backoff;
  absl::Time resume_from = started_at_;
  while (!Stopping()) {
    const absl::Time attempt = absl::Now();
    absl::Status s = ReadOnce(&resume_from);
    if (Stopping()) break;
    // A stream that stayed up for a while resets the backoff.
    if (absl::Now() - attempt > options_.max_backoff) {
      backoff = options_.min_backoff;
    }
    LOG(WARNING) << "docker event stream: " << s << "; reconnecting in "
                 << backoff;
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), backoff);
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

bool ContainerEventSource::Resync(ContainerStateTracker& tracker,
                                  bool initial) {
  docker::ListContainersOptions list;
  list.all = true;
  list.filters["label"] = {kContainerTypeLabel};
  const int64_t now = absl::ToUnixNanos(absl::Now());
  absl::StatusOr<std::vector<docker::ContainerSummary>> containers =
      docker_->ListContainers(list, absl::Now() + options_.docker_timeout);
  if (!containers.ok()) {
    LOG(WARNING) << "cannot list containers to resynchronise events: "
                 << containers.status();
    return false;
  }
  if (initial) {
    // Events already reported (a late first listing) must not count as
    // new again when replayed.
    tracker.Baseline(*containers, tracker.size() == 0
                                      ? absl::ToUnixNanos(started_at_)
                                      : now);
    return true;
  }
  std::vector<ContainerChange> changes = tracker.Resync(*containers, now);
  if (!changes.empty()) {
    LOG(INFO) << "container events: " << changes.size()
              << " changes found by resynchronising";
  }
  for (const ContainerChange& c : changes) Publish(c);
  return true;
}

void ContainerEventSource::Publish(const ContainerChange& change) {
  // Describing costs docker calls: skip it when nobody listens.
  if (broadcaster_.subscribers() == 0) return;
  describers_.Submit(change);
}

void ContainerEventSource::DispatchLoop() {
  ContainerStateTracker tracker;
  bool baselined = false;
  bool resync_pending = false;
  for (;;) {
    std::optional<Item> item;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || !backlog_.empty();
      };
      mu_.AwaitWithTimeout(absl::Condition(&ready), kRetryResync);
      if (stopping_) return;
      if (!backlog_.empty()) {
        item = std::move(backlog_.front());
        backlog_.pop_front();
      }
    }
    if (item && item->resync) resync_pending = true;
    // Until one listing succeeded, listings only record (Baseline).
    if (resync_pending && Resync(tracker, !baselined)) {
      resync_pending = false;
      baselined = true;
    }
    if (item && !item->resync) {
      if (std::optional<ContainerChange> c = tracker.OnEvent(item->event)) {
        Publish(*c);
      }
    }
  }
}

}  // namespace cri_dockerd::events
