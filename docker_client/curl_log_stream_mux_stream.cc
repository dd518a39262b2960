// CurlLogStreamMux: one stream's transfer -- setting it up in Follow, its
// body through the decoder into on_entry (with pauses), and its outcome.
#include "docker_client/curl_log_stream_mux_stream.h"

#include <curl/curl.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "docker_client/curl_log_stream_mux.h"
#include "docker_client/http_transport_curl.h"
#include "docker_client/log_follow_request.h"

namespace cri_dockerd::docker {
namespace {

// Docker's error replies are a short JSON message; more is cut off.
constexpr size_t kMaxErrorBody = 64 << 10;

// A remote engine that vanishes without closing its connections (a
// network partition) is noticed by the kernel's keepalive probes, at no
// cost to the mux thread, instead of at each stream's deadline.
constexpr long kKeepAliveIdleSeconds = 60;
constexpr long kKeepAliveIntervalSeconds = 15;

bool IsSuccess(long status) { return status / 100 == 2; }

// Reaching dockerd took longer than connect_timeout, well before the
// stream's own deadline: to the caller, dockerd is unavailable.
absl::Status SlowEngineIsUnavailable(absl::Status s, absl::Time deadline) {
  if (!absl::IsDeadlineExceeded(s) || absl::Now() >= deadline) return s;
  return absl::UnavailableError(
      absl::StrCat(s.message(), " (dockerd did not answer in time)"));
}

}  // namespace

void CurlLogStreamMux::Stream::Deliver(const LogEntry& entry) {
  if (cancelled) return;
  if (paused) {
    held.push_back(entry);
    return;
  }
  if (on_entry && on_entry(entry) == Flow::kPause) paused = true;
}

absl::StatusOr<LogStreamMux::Handle> CurlLogStreamMux::Follow(
    const LogFollowOptions& options, EntrySink on_entry, EndSink on_end) {
  if (options.deadline == absl::InfiniteFuture()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "following the logs of container ", options.id, " needs a deadline"));
  }
  ASSIGN_OR_RETURN(LogFollowRequest request,
                   MakeLogFollowRequest(options.id, options.since));
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      return absl::CancelledError("the log stream follower is shutting down");
    }
  }
  auto s = std::make_unique<Stream>(options.tty);
  s->id = options.id;
  s->what = std::move(request.what);
  s->deadline = options.deadline;
  s->started = absl::Now();
  s->on_entry = std::move(on_entry);
  s->on_end = std::move(on_end);
  s->sink = [stream = s.get()](const LogEntry& e) { stream->Deliver(e); };
  const absl::Time connect_by =
      std::min(options.deadline, s->started + options.connect_timeout);
  s->connect_by = connect_by;
  s->path = std::move(request.path);
  if (engine_.api_version) {
    absl::StatusOr<std::string> version = engine_.api_version(connect_by);
    if (version.ok()) {
      s->path = absl::StrCat("/v", *version, s->path);
    } else {
      s->setup_error =
          SlowEngineIsUnavailable(version.status(), options.deadline);
    }
  }
  if (s->setup_error.ok()) s->setup_error = SetUpTransfer(*s, connect_by);
  Handle h;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      return absl::CancelledError("the log stream follower is shutting down");
    }
    h = next_handle_++;
    s->handle = h;
    if (s->curl != nullptr) {
      curl_easy_setopt(s->curl, CURLOPT_PRIVATE,
                       reinterpret_cast<char*>(static_cast<uintptr_t>(h)));
    }
    live_.insert(h);
    adds_.push_back(std::move(s));
  }
  LOG(DEBUG) << "Following the logs of container " << options.id
             << " (log stream " << h << ")";
  Wake();
  return h;
}

absl::Status CurlLogStreamMux::SetUpTransfer(Stream& s, absl::Time connect_by) {
  s.curl = curl_easy_init();
  if (s.curl == nullptr) return absl::InternalError("curl_easy_init failed");
  CURL* curl = s.curl;
  s.transfer.curl = curl;
  s.transfer.response = &s.response;
  s.transfer.limit = kMaxErrorBody;
  internal::SetCommonOptions(curl, engine_.endpoint, url_prefix_ + s.path,
                             s.errbuf, &s.transfer);
  curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &CurlLogStreamMux::OnData);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &s);
  // Only connecting is curl's to time; the deadline is the loop's, so
  // that it holds for paused transfers too.
  const int64_t connect_ms =
      std::clamp<int64_t>(absl::ToInt64Milliseconds(absl::Ceil(
                              connect_by - absl::Now(), absl::Milliseconds(1))),
                          1, INT_MAX);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(connect_ms));
  if (engine_.endpoint.kind == Endpoint::Kind::kTcp) {
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPIDLE, kKeepAliveIdleSeconds);
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPINTVL, kKeepAliveIntervalSeconds);
  }
  return absl::OkStatus();
}

size_t CurlLogStreamMux::OnData(char* data, size_t size, size_t nmemb,
                                void* userp) {
  auto* s = static_cast<Stream*>(userp);
  const size_t n = size * nmemb;
  if (s->body == Stream::Body::kUndecided) {
    long status = 0;
    curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
    s->body = IsSuccess(status) ? Stream::Body::kEntries : Stream::Body::kError;
  }
  if (s->body == Stream::Body::kError) {
    std::string& body = s->response.body;
    body.append(data, std::min(n, kMaxErrorBody -
                                      std::min(kMaxErrorBody, body.size())));
    return n;
  }
  if (s->cancelled || !s->failure.ok()) return 0;  // ends the transfer
  if (s->paused) {
    // curl keeps this chunk and hands it over again on CURLPAUSE_CONT.
    s->curl_paused = true;
    return CURL_WRITEFUNC_PAUSE;
  }
  s->failure = s->decoder.Feed(absl::string_view(data, n), s->sink);
  return s->failure.ok() && !s->cancelled ? n : 0;
}

void CurlLogStreamMux::TransferDone(Stream& s, int result) {
  const auto rc = static_cast<CURLcode>(result);
  if (rc == CURLE_COULDNT_CONNECT && !s.cancelled && RetryLater(s)) return;
  long status = 0;
  curl_easy_getinfo(s.curl, CURLINFO_RESPONSE_CODE, &status);
  if (status != 0 && engine_.note_headers) {
    s.daemon_changed = engine_.note_headers(s.response.headers);
  }
  absl::Status outcome;
  if (s.cancelled) {
    outcome = absl::CancelledError(
        absl::StrCat("following the logs of container ", s.id, ": cancelled"));
  } else if (!s.failure.ok()) {
    outcome = s.failure;
  } else if (rc != CURLE_OK) {
    outcome = SlowEngineIsUnavailable(
        internal::MapTransportError(
            rc, internal::FailureDetail(s.curl, rc, s.errbuf, engine_.endpoint),
            s.transfer, s.what, engine_.endpoint),
        s.deadline);
  } else if (!IsSuccess(status)) {
    outcome = MapLogsError(static_cast<int>(status), s.response.body, s.what);
    if (status == 400 && s.daemon_changed) {
      // Most likely "client version is too new" from a downgraded daemon.
      outcome = absl::UnavailableError(
          absl::StrCat(outcome.message(),
                       " (dockerd changed its API version; follow "
                       "again to renegotiate)"));
    }
  } else {
    outcome = s.decoder.Finish(s.sink);  // may deliver a last TTY entry
  }
  if (absl::IsUnavailable(outcome) && engine_.on_unavailable) {
    engine_.on_unavailable();
  }
  ReleaseTransfer(s);
  if (!s.held.empty() && !s.cancelled) {
    s.parked_end = std::move(outcome);  // on_end once the receiver resumes
    return;
  }
  Finish(s.handle, std::move(outcome));
}

bool CurlLogStreamMux::RetryLater(Stream& s) {
  long os_errno = 0;
  curl_easy_getinfo(s.curl, CURLINFO_OS_ERRNO, &os_errno);
  // curl takes a unix socket's EAGAIN for a connect in progress and then
  // finds the socket unconnected, with no errno of its own; a daemon that
  // is gone leaves ECONNREFUSED or ENOENT instead.
  if ((os_errno != EAGAIN && os_errno != 0) ||
      engine_.endpoint.kind != Endpoint::Kind::kUnix) {
    return false;
  }
  // 10 ms, doubling to at most 320 ms.
  const absl::Time at =
      absl::Now() +
      absl::Milliseconds(10 << std::min(s.connect_attempts - 1, 5));
  if (at >= s.connect_by) return false;
  ++s.connect_attempts;
  curl_multi_remove_handle(static_cast<CURLM*>(multi_), s.curl);
  s.in_multi = false;
  s.errbuf[0] = '\0';
  s.response = HttpResponse();
  s.body = Stream::Body::kUndecided;
  s.retry_at = at;
  return true;
}

void CurlLogStreamMux::ReleaseTransfer(Stream& s) {
  if (s.curl == nullptr) return;
  if (s.in_multi) {
    if (engine_.observer) {
      long status = 0;
      curl_easy_getinfo(s.curl, CURLINFO_RESPONSE_CODE, &status);
      engine_.observer(HttpExchange{"GET", s.path, static_cast<int>(status),
                                    absl::Now() - s.started});
    }
    curl_multi_remove_handle(static_cast<CURLM*>(multi_), s.curl);
    s.in_multi = false;
  }
  curl_easy_cleanup(s.curl);
  s.curl = nullptr;
}

}  // namespace cri_dockerd::docker
