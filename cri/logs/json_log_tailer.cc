#include "cri/logs/json_log_tailer.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "common/thread.h"
#include "cri/logs/json_log_tailer_tail.h"

namespace cri_dockerd::logs {
namespace {

constexpr uint32_t kWatchMask = IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE |
                                IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE |
                                IN_DELETE_SELF | IN_ONLYDIR;
// How long Stop waits for the thread to let go of a copy.
constexpr absl::Duration kStopWait = absl::Seconds(5);

absl::Status ErrnoError(absl::string_view what) {
  const int err = errno;
  const std::string msg = absl::StrCat(what, ": ", std::strerror(err));
  if (err == EMFILE || err == ENFILE || err == ENOMEM || err == ENOSPC) {
    return absl::ResourceExhaustedError(msg);
  }
  return absl::InternalError(msg);
}

}  // namespace

absl::StatusOr<std::unique_ptr<JsonLogTailer>> JsonLogTailer::Create(
    TailerOptions options, WriterClosed on_writer_closed) {
  const int ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (ino < 0) return ErrnoError("inotify_init1");
  const int wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake < 0) {
    absl::Status s = ErrnoError("eventfd");
    close(ino);
    return s;
  }
  auto tailer = std::unique_ptr<JsonLogTailer>(
      new JsonLogTailer(options, std::move(on_writer_closed), ino, wake));
  absl::StatusOr<std::thread> thread =
      StartThread("log-tailer", [t = tailer.get()] { t->Run(); });
  if (!thread.ok()) return thread.status();
  tailer->thread_ = *std::move(thread);
  return tailer;
}

JsonLogTailer::JsonLogTailer(TailerOptions options,
                             WriterClosed on_writer_closed, int inotify_fd,
                             int wake_fd)
    : options_(options),
      on_writer_closed_(std::move(on_writer_closed)),
      inotify_fd_(inotify_fd),
      wake_fd_(wake_fd) {}

JsonLogTailer::~JsonLogTailer() {
  {
    absl::MutexLock lock(&mu_);
    shutdown_ = true;
  }
  Wake();
  if (thread_.joinable()) thread_.join();
  close(inotify_fd_);
  close(wake_fd_);
}

void JsonLogTailer::Wake() {
  const uint64_t one = 1;
  // EAGAIN: the counter is full, a wake-up is pending anyway.
  if (write(wake_fd_, &one, sizeof(one)) < 0 && errno != EAGAIN) {
    LOG(ERROR) << "waking the log tailer: " << std::strerror(errno);
  }
}

absl::Status JsonLogTailer::Start(CopyRequest req) {
  if (req.docker_log_path.empty() || req.docker_log_path[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("container ", req.id, ": no docker log path to tail"));
  }
  auto t = std::make_shared<Tail>();
  t->id = req.id;
  t->path = req.docker_log_path;
  const std::filesystem::path p(t->path);
  t->dir = p.parent_path().string();
  t->base = p.filename().string();
  t->file = std::shared_ptr<LogFile>(std::move(req.file));
  t->resume = std::move(req.resume);
  t->running = req.running;
  t->backoff = options_.initial_retry;
  {
    absl::MutexLock lock(&mu_);
    if (tails_.count(t->id) > 0) {
      return absl::AlreadyExistsError(absl::StrCat(
          "the output of container ", t->id, " is already copied"));
    }
    tails_[t->id] = t;
    added_.push_back(t);
  }
  Wake();
  return absl::OkStatus();
}

absl::Status JsonLogTailer::Reopen(const std::string& id) {
  std::shared_ptr<LogFile> file;
  {
    absl::MutexLock lock(&mu_);
    auto it = tails_.find(id);
    if (it == tails_.end()) {
      return absl::NotFoundError(
          absl::StrCat("no log copy runs for container ", id));
    }
    file = it->second->file;
  }
  return file->Reopen();
}

void JsonLogTailer::Stop(const std::string& id) {
  std::shared_ptr<Tail> t;
  {
    absl::MutexLock lock(&mu_);
    auto it = tails_.find(id);
    if (it == tails_.end()) return;
    t = it->second;
    tails_.erase(it);
    removed_.push_back(t);
  }
  Wake();
  {
    absl::MutexLock lock(&mu_);
    if (!mu_.AwaitWithTimeout(absl::Condition(&t->released), kStopWait)) {
      LOG(WARNING) << "the log tailer is slow to let go of container " << id;
    }
  }
  t->file->Close();  // no write after this, in any case
}

std::optional<std::string> JsonLogTailer::CopyPath(
    const std::string& id) const {
  absl::MutexLock lock(&mu_);
  auto it = tails_.find(id);
  if (it == tails_.end()) return std::nullopt;
  return it->second->file->path();
}

bool JsonLogTailer::AwaitCopyEnd(const std::string& id, absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  auto gone = [this, &id]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return tails_.count(id) == 0;
  };
  return mu_.AwaitWithDeadline(absl::Condition(&gone), deadline);
}

void JsonLogTailer::ContainerStopped(const std::string& id) {
  {
    absl::MutexLock lock(&mu_);
    if (tails_.count(id) == 0) return;
    stopped_.push_back(id);
  }
  Wake();
}

TailerCounters JsonLogTailer::Counters() const {
  absl::MutexLock lock(&mu_);
  return counters_;
}

absl::Duration JsonLogTailer::NextTimeout() const {
  absl::Time next = absl::InfiniteFuture();
  for (const auto& [id, t] : active_) {
    if (t->ready) return absl::ZeroDuration();
    next = std::min({next, t->retry_at, t->closed_at + options_.close_grace});
  }
  if (next == absl::InfiniteFuture()) return absl::InfiniteDuration();
  return std::max(next - absl::Now(), absl::ZeroDuration());
}

void JsonLogTailer::Run() {
  buf_.resize(std::max<size_t>(options_.read_chunk, 64 << 10));
  for (;;) {
    absl::Duration wait = NextTimeout();
    // Within min_turn_interval of the last turn, inotify is not polled:
    // its events (and the data) wait for the next turn.
    const absl::Duration hold =
        last_turn_ + options_.min_turn_interval - absl::Now();
    const bool holding = hold > absl::ZeroDuration();
    if (holding) wait = hold;
    int timeout_ms = -1;
    if (wait != absl::InfiniteDuration()) {
      timeout_ms = static_cast<int>(std::min<int64_t>(
          absl::ToInt64Milliseconds(wait + absl::Microseconds(999)), INT_MAX));
    }
    // A negative fd is skipped by poll.
    pollfd fds[2] = {{holding ? -1 : inotify_fd_, POLLIN, 0},
                     {wake_fd_, POLLIN, 0}};
    if (poll(fds, 2, timeout_ms) < 0 && errno != EINTR) {
      LOG(ERROR) << "log tailer: poll: " << std::strerror(errno);
    }
    if (fds[1].revents & POLLIN) {
      uint64_t count;
      if (read(wake_fd_, &count, sizeof(count)) < 0 && errno != EAGAIN) {
        LOG(ERROR) << "log tailer: eventfd: " << std::strerror(errno);
      }
    }
    TakeCommands();
    {
      absl::MutexLock lock(&mu_);
      if (shutdown_) break;
    }
    // The turn comes once the hold is over and inotify was polled.
    if (holding) continue;
    if (options_.before_turn) options_.before_turn();
    if (fds[0].revents & POLLIN) ReadEvents();

    const absl::Time now = absl::Now();
    last_turn_ = now;
    std::vector<std::string> closed;
    std::vector<std::shared_ptr<Tail>> turn;
    for (auto& [id, t] : active_) {
      if (t->retry_at <= now) {
        t->retry_at = absl::InfiniteFuture();
        t->ready = true;
      }
      if (t->closed_at + options_.close_grace <= now) {
        t->closed_at = absl::InfiniteFuture();
        t->ready = true;
        if (t->running) closed.push_back(id);
      }
      if (t->ready) turn.push_back(t);
    }
    for (const std::string& id : closed) on_writer_closed_(id);
    for (const std::shared_ptr<Tail>& t : turn) {
      if (!t->finished) t->ready = Pump(*t);
    }
  }
  // Shutting down: let go of everything.
  std::vector<std::shared_ptr<Tail>> all;
  for (auto& [id, t] : active_) all.push_back(t);
  for (const std::shared_ptr<Tail>& t : all) Finish(*t, "");
  absl::MutexLock lock(&mu_);
  for (auto& [id, t] : tails_) {
    t->file->Close();
    t->released = true;
  }
  tails_.clear();
  for (auto& t : removed_) t->released = true;
}

void JsonLogTailer::TakeCommands() {
  std::vector<std::shared_ptr<Tail>> added, removed;
  std::vector<std::string> stopped;
  {
    absl::MutexLock lock(&mu_);
    added.swap(added_);
    removed.swap(removed_);
    stopped.swap(stopped_);
  }
  for (std::shared_ptr<Tail>& t : added) {
    active_[t->id] = t;
    t->ready = true;
  }
  for (const std::string& id : stopped) {
    auto it = active_.find(id);
    if (it == active_.end()) continue;
    it->second->running = false;
    it->second->ready = true;
  }
  for (std::shared_ptr<Tail>& t : removed) Finish(*t, "");
}

void JsonLogTailer::ReadEvents() {
  alignas(inotify_event) char events[64 << 10];
  for (;;) {
    const ssize_t n = read(inotify_fd_, events, sizeof(events));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    for (ssize_t off = 0; off < n;) {
      const auto* ev = reinterpret_cast<const inotify_event*>(events + off);
      OnEvent(ev->wd, ev->mask, ev->len > 0 ? std::string(ev->name) : "");
      off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
    }
  }
}

void JsonLogTailer::OnEvent(int wd, uint32_t mask, const std::string& name) {
  if (mask & IN_Q_OVERFLOW) {
    LOG(WARNING) << "log tailer: inotify queue overflow; reading every log";
    for (auto& [id, t] : active_) t->ready = true;
    return;
  }
  auto it = watches_.find(wd);
  if (it == watches_.end()) return;
  if (mask & (IN_IGNORED | IN_DELETE_SELF)) {
    // Docker's directory is gone: the container was removed.
    for (Tail* t : it->second) {
      t->dir_gone = true;
      t->ready = true;
      if (mask & IN_IGNORED) t->wd = -1;
    }
    if (mask & IN_IGNORED) watches_.erase(it);
    return;
  }
  for (Tail* t : it->second) {
    if (name == t->base) {
      t->ready = true;
      if (mask & IN_CREATE) ++t->creates;
      if (mask & (IN_CREATE | IN_MOVED_TO | IN_MODIFY)) {
        t->closed_at = absl::InfiniteFuture();  // written again
      } else if ((mask & IN_CLOSE_WRITE) &&
                 t->closed_at == absl::InfiniteFuture()) {
        t->closed_at = absl::Now();
      }
    } else if (absl::StartsWith(name, t->base) &&
               name.size() > t->base.size() && name[t->base.size()] == '.') {
      t->ready = true;  // a rotation under way
    }
  }
}

bool JsonLogTailer::Watch(Tail& t) {
  if (t.wd >= 0) return true;
  const int wd = inotify_add_watch(inotify_fd_, t.dir.c_str(), kWatchMask);
  if (wd < 0) {
    LOG(DEBUG) << "log tailer: watching " << t.dir << ": "
               << std::strerror(errno);
    return false;
  }
  t.wd = wd;
  watches_[wd].push_back(&t);
  return true;
}

void JsonLogTailer::Unwatch(Tail& t) {
  if (t.wd < 0) return;
  auto it = watches_.find(t.wd);
  if (it != watches_.end()) {
    auto& users = it->second;
    users.erase(std::remove(users.begin(), users.end(), &t), users.end());
    if (users.empty()) {
      inotify_rm_watch(inotify_fd_, t.wd);
      watches_.erase(it);
    }
  }
  t.wd = -1;
}

}  // namespace cri_dockerd::logs
