// CurlLogStreamMux: the callers' side (Follow, Resume, Cancel, the
// destructor) and the thread's loop. The per-stream transfer lives in
// curl_log_stream_mux_stream.cc.
#include "docker_client/curl_log_stream_mux.h"

#include <curl/curl.h>
#include <pthread.h>

#include <algorithm>
#include <climits>
#include <utility>

#include "absl/memory/memory.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "common/thread.h"
#include "docker_client/curl_log_stream_mux_stream.h"
#include "docker_client/http_transport_curl.h"

namespace cri_dockerd::docker {
namespace {

// Connections curl keeps open, those of running streams included: when a
// stream ends with more open, its idle connection is closed instead of
// cached for the next Follow. (curl's default is four per running
// transfer: up to 400 idle connections to dockerd after 100 streams.)
constexpr long kMaxCachedConnections = 8;

CURLM* Multi(void* multi) { return static_cast<CURLM*>(multi); }

}  // namespace

absl::StatusOr<std::unique_ptr<CurlLogStreamMux>> CurlLogStreamMux::Create(
    Engine engine) {
  internal::GlobalInitOnce();
  CURLM* multi = curl_multi_init();
  if (multi == nullptr) return absl::InternalError("curl_multi_init failed");
  curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, kMaxCachedConnections);
  auto mux = absl::WrapUnique(new CurlLogStreamMux(std::move(engine), multi));
  ASSIGN_OR_RETURN(mux->thread_, StartThread("log-stream-mux",
                                             [m = mux.get()] { m->Run(); }));
  return mux;
}

CurlLogStreamMux::CurlLogStreamMux(Engine engine, void* multi)
    : engine_(std::move(engine)),
      url_prefix_(internal::UrlPrefix(engine_.endpoint)),
      multi_(multi) {}

CurlLogStreamMux::~CurlLogStreamMux() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  Wake();
  if (thread_.joinable()) thread_.join();
  curl_multi_cleanup(Multi(multi_));
}

bool CurlLogStreamMux::OnMuxThread() const {
  return std::this_thread::get_id() == thread_.get_id();
}

void CurlLogStreamMux::Wake() { curl_multi_wakeup(Multi(multi_)); }

void CurlLogStreamMux::Resume(Handle handle) {
  {
    absl::MutexLock lock(&mu_);
    if (!live_.count(handle)) return;
    resumes_.push_back(handle);
  }
  Wake();
}

void CurlLogStreamMux::Cancel(Handle handle) {
  {
    absl::MutexLock lock(&mu_);
    if (!live_.count(handle)) return;
    cancels_.push_back(handle);
  }
  if (OnMuxThread()) {
    // From a callback: stop deliveries now, even within the chunk being
    // decoded; the loop ends the stream when the callback returns.
    if (auto it = streams_.find(handle); it != streams_.end()) {
      it->second->cancelled = true;
    }
    Wake();
    return;
  }
  Wake();
  absl::MutexLock lock(&mu_);
  auto ended = [this, handle]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return live_.count(handle) == 0;
  };
  mu_.Await(absl::Condition(&ended));
}

void CurlLogStreamMux::Run() {
  pthread_setname_np(pthread_self(), "docker-log-mux");
  while (TakeRequests()) {
    int running = 0;
    curl_multi_perform(Multi(multi_), &running);
    ReapTransfers();
    const absl::Time now = absl::Now();
    ExpireDeadlines(now);
    RetryConnects(now);
    // Returns early for socket activity, curl's timers and Wake(); a
    // Wake() made since TakeRequests (from a callback too) is not lost:
    // curl_multi_wakeup writes to a pipe that curl_multi_poll watches.
    curl_multi_poll(Multi(multi_), nullptr, 0, PollTimeoutMs(now), nullptr);
    wakeups_.fetch_add(1);
  }
}

bool CurlLogStreamMux::TakeRequests() {
  std::vector<std::unique_ptr<Stream>> adds;
  std::vector<Handle> cancels;
  std::vector<Handle> resumes;
  bool stopping;
  {
    absl::MutexLock lock(&mu_);
    adds.swap(adds_);
    cancels.swap(cancels_);
    resumes.swap(resumes_);
    stopping = stopping_;
  }
  for (std::unique_ptr<Stream>& s : adds) {
    const Handle h = s->handle;
    Stream& stream = *s;
    streams_.emplace(h, std::move(s));
    if (!stream.setup_error.ok()) {
      Finish(h, stream.setup_error);
    } else if (curl_multi_add_handle(Multi(multi_), stream.curl) != CURLM_OK) {
      Finish(h, absl::InternalError(absl::StrCat(
                    stream.what, ": curl_multi_add_handle failed")));
    } else {
      stream.in_multi = true;
    }
  }
  for (Handle h : cancels) {
    if (auto it = streams_.find(h); it != streams_.end()) {
      it->second->cancelled = true;
      Finish(h, absl::CancelledError(
                    absl::StrCat("following the logs of container ",
                                 it->second->id, ": cancelled")));
    }
  }
  for (Handle h : resumes) ResumeStream(h);
  if (!stopping) return true;
  // Follow() refuses new streams from now on; end the ones there are.
  while (!streams_.empty()) {
    auto it = streams_.begin();
    it->second->cancelled = true;
    Finish(it->first, absl::CancelledError(absl::StrCat(
                          "following the logs of container ", it->second->id,
                          ": the log stream follower is shutting down")));
  }
  return false;
}

void CurlLogStreamMux::ReapTransfers() {
  // Collected first: ending a stream removes its easy handle, and with it
  // any message of curl's about it.
  std::vector<std::pair<Handle, CURLcode>> done;
  int queued = 0;
  while (CURLMsg* msg = curl_multi_info_read(Multi(multi_), &queued)) {
    if (msg->msg != CURLMSG_DONE) continue;
    char* priv = nullptr;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
    done.emplace_back(static_cast<Handle>(reinterpret_cast<uintptr_t>(priv)),
                      msg->data.result);
  }
  for (const auto& [h, result] : done) {
    if (auto it = streams_.find(h); it != streams_.end()) {
      TransferDone(*it->second, result);
    }
  }
}

void CurlLogStreamMux::ExpireDeadlines(absl::Time now) {
  std::vector<Handle> expired;
  for (const auto& [h, s] : streams_) {
    if (s->deadline <= now) expired.push_back(h);
  }
  for (Handle h : expired) {
    auto it = streams_.find(h);
    if (it == streams_.end()) continue;
    Finish(h, absl::DeadlineExceededError(absl::StrCat(
                  it->second->what, ": deadline passed after ",
                  absl::FormatDuration(absl::Trunc(now - it->second->started,
                                                   absl::Milliseconds(1))))));
  }
}

void CurlLogStreamMux::RetryConnects(absl::Time now) {
  std::vector<Handle> failed;
  for (auto& [h, s] : streams_) {
    if (s->retry_at > now) continue;
    s->retry_at = absl::InfiniteFuture();
    const int64_t ms =
        std::clamp<int64_t>(absl::ToInt64Milliseconds(absl::Ceil(
                                s->connect_by - now, absl::Milliseconds(1))),
                            1, INT_MAX);
    curl_easy_setopt(s->curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(ms));
    if (curl_multi_add_handle(Multi(multi_), s->curl) == CURLM_OK) {
      s->in_multi = true;
    } else {
      failed.push_back(h);
    }
  }
  for (Handle h : failed) {
    Finish(h, absl::InternalError("curl_multi_add_handle failed"));
  }
}

int CurlLogStreamMux::PollTimeoutMs(absl::Time now) const {
  absl::Time next = absl::InfiniteFuture();
  for (const auto& [h, s] : streams_) {
    next = std::min({next, s->deadline, s->retry_at});
  }
  int64_t ms = INT_MAX;
  if (next != absl::InfiniteFuture()) {
    ms = absl::ToInt64Milliseconds(
        absl::Ceil(next - now, absl::Milliseconds(1)));
  }
  long curl_ms = -1;
  curl_multi_timeout(Multi(multi_), &curl_ms);
  if (curl_ms >= 0) ms = std::min<int64_t>(ms, curl_ms);
  return static_cast<int>(std::clamp<int64_t>(ms, 0, INT_MAX));
}

void CurlLogStreamMux::ResumeStream(Handle h) {
  auto it = streams_.find(h);
  if (it == streams_.end()) return;
  Stream& s = *it->second;
  if (!s.paused) return;
  s.paused = false;
  while (!s.paused && !s.cancelled && !s.held.empty()) {
    const LogEntry entry = std::move(s.held.front());
    s.held.pop_front();
    s.Deliver(entry);
  }
  if (s.paused || s.cancelled) return;
  if (s.parked_end.has_value()) {
    Finish(h, *s.parked_end);
    return;
  }
  if (!s.curl_paused) return;
  s.curl_paused = false;
  // Hands curl's kept chunk to OnData before returning.
  if (curl_easy_pause(s.curl, CURLPAUSE_CONT) != CURLE_OK && !s.cancelled) {
    Finish(h, !s.failure.ok() ? s.failure
                              : absl::InternalError(absl::StrCat(
                                    s.what, ": resuming the transfer failed")));
  }
}

void CurlLogStreamMux::Finish(Handle h, absl::Status status) {
  auto it = streams_.find(h);
  if (it == streams_.end()) return;
  std::unique_ptr<Stream> s = std::move(it->second);
  streams_.erase(it);
  ReleaseTransfer(*s);
  LOG(DEBUG) << s->path << ": log stream " << h << " ended after "
             << absl::FormatDuration(absl::Trunc(absl::Now() - s->started,
                                                 absl::Milliseconds(1)))
             << ": " << status;
  if (s->on_end) s->on_end(std::move(status));
  absl::MutexLock lock(&mu_);
  live_.erase(h);
}

}  // namespace cri_dockerd::docker
