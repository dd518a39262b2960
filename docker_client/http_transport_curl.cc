#include "docker_client/http_transport_curl.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <mutex>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace cri_dockerd::docker::internal {
namespace {

// Calls the check at most this often from curl's progress callback, which
// fires on every read while data flows.
constexpr absl::Duration kMinCheckSpacing = absl::Milliseconds(20);

struct CheckState {
  const std::function<absl::Status()>* check;
  absl::Time last = absl::InfinitePast();
  absl::Status failure;

  // False once the check has failed.
  bool Poll() {
    if (!failure.ok()) return false;
    const absl::Time now = absl::Now();
    if (now - last < kMinCheckSpacing) return true;
    last = now;
    failure = (*check)();
    return failure.ok();
  }
};

int OnProgress(void* userp, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<CheckState*>(userp)->Poll() ? 0 : 1;  // 1 aborts
}

bool IsSuccess(long status) { return status / 100 == 2; }

}  // namespace

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string UrlPrefix(const Endpoint& endpoint) {
  return endpoint.kind == Endpoint::Kind::kUnix
             ? std::string("http://docker")
             : absl::StrCat("http://", endpoint.address);
}

void SetCommonOptions(CURL* curl, const Endpoint& endpoint,
                      const std::string& url, char* errbuf,
                      Transfer* transfer) {
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  if (endpoint.kind == Endpoint::Kind::kUnix) {
    curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, endpoint.address.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http");
  curl_easy_setopt(curl, CURLOPT_PROXY, "");  // never via *_proxy env
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "cri-dockerd");
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, transfer);
}

void SetDeadline(CURL* curl, absl::Time deadline, absl::Time now) {
  if (deadline == absl::InfiniteFuture()) return;
  const int64_t ms =
      std::clamp<int64_t>(absl::ToInt64Milliseconds(absl::Ceil(
                              deadline - now, absl::Milliseconds(1))),
                          1, INT_MAX);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(ms));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(ms));
}

std::string FailureDetail(CURL* curl, CURLcode rc, const char* errbuf,
                          const Endpoint& endpoint) {
  std::string detail = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
  long os_errno = 0;
  curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno);
  if (absl::string_view name = ErrnoName(os_errno); !name.empty()) {
    // curl's own text names a made-up "docker port 80" for unix sockets.
    if (rc == CURLE_COULDNT_CONNECT && endpoint.kind == Endpoint::Kind::kUnix) {
      detail = std::string(name);
    } else {
      absl::StrAppend(&detail, ": ", name);
    }
  }
  return detail;
}

size_t OnBody(char* data, size_t size, size_t nmemb, void* userp) {
  auto* t = static_cast<Transfer*>(userp);
  const size_t n = size * nmemb;
  if (t->sink == Transfer::Sink::kUndecided) {
    long status = 0;
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
    t->sink = t->on_body != nullptr && *t->on_body && IsSuccess(status)
                  ? Transfer::Sink::kStream
                  : Transfer::Sink::kCollect;
  }
  if (t->sink == Transfer::Sink::kStream) {
    if ((*t->on_body)(absl::string_view(data, n))) return n;
    t->consumer_stopped = true;
    return 0;  // anything but n aborts the transfer
  }
  if (t->response->body.size() + n > t->limit) {
    t->too_large = true;
    return 0;
  }
  t->response->body.append(data, n);
  return n;
}

size_t OnHeader(char* data, size_t size, size_t nmemb, void* userp) {
  auto* t = static_cast<Transfer*>(userp);
  const size_t n = size * nmemb;
  const absl::string_view line(data, n);
  auto& headers = t->response->headers;
  // A new status line (after "100 Continue") starts a new header block.
  if (absl::StartsWith(line, "HTTP/")) {
    headers.clear();
    return n;
  }
  const size_t colon = line.find(':');
  if (colon == absl::string_view::npos) return n;
  std::string name =
      absl::AsciiStrToLower(absl::StripAsciiWhitespace(line.substr(0, colon)));
  std::string value(absl::StripAsciiWhitespace(line.substr(colon + 1)));
  auto [it, inserted] = headers.emplace(std::move(name), value);
  if (!inserted) absl::StrAppend(&it->second, ", ", value);
  return n;
}

CURLcode PerformWithCheck(CURL* curl,
                          const std::function<absl::Status()>& check,
                          absl::Duration interval,
                          absl::Status* check_failure) {
  CheckState state{
      .check = &check, .last = absl::InfinitePast(), .failure = {}};
  if (!state.Poll()) {
    *check_failure = state.failure;
    return CURLE_ABORTED_BY_CALLBACK;
  }
  CURLM* multi = curl_multi_init();
  if (multi == nullptr) return CURLE_OUT_OF_MEMORY;
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &OnProgress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &state);
  CURLcode result = CURLE_OK;
  if (curl_multi_add_handle(multi, curl) != CURLM_OK) {
    result = CURLE_FAILED_INIT;
  } else {
    const int poll_ms = static_cast<int>(absl::ToInt64Milliseconds(interval));
    for (bool done = false; !done;) {
      int running = 0;
      if (curl_multi_perform(multi, &running) != CURLM_OK) {
        result = CURLE_RECV_ERROR;
        break;
      }
      int queued = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
        if (msg->msg == CURLMSG_DONE && msg->easy_handle == curl) {
          result = msg->data.result;
          done = true;
        }
      }
      if (done) break;
      if (!state.Poll()) {
        result = CURLE_ABORTED_BY_CALLBACK;
        break;
      }
      if (curl_multi_poll(multi, nullptr, 0, poll_ms, nullptr) != CURLM_OK) {
        result = CURLE_RECV_ERROR;
        break;
      }
    }
    curl_multi_remove_handle(multi, curl);
  }
  // Closes the connection of an unfinished transfer: dockerd sees the
  // client go away and cancels its side (a pull, for instance).
  curl_multi_cleanup(multi);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, nullptr);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 1L);
  *check_failure = state.failure;
  return result;
}

absl::string_view ErrnoName(long err) {
  switch (err) {
    case ENOENT:
      return "no such socket file";
    case ECONNREFUSED:
      return "connection refused";
    case EACCES:
      return "permission denied";
    case ETIMEDOUT:
      return "timed out";
    case ECONNRESET:
      return "connection reset";
    default:
      return "";
  }
}

absl::Status MapTransportError(CURLcode rc, absl::string_view detail,
                               const Transfer& transfer, absl::string_view what,
                               const Endpoint& endpoint) {
  const std::string ep = endpoint.ToString();
  if (transfer.consumer_stopped) {
    return absl::AbortedError(
        absl::StrCat(what, ": reply abandoned by its reader"));
  }
  if (transfer.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
    return absl::ResourceExhaustedError(
        absl::StrCat(what, ": reply from docker at ", ep, " exceeds the ",
                     transfer.limit, "-byte limit"));
  }
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
      return absl::DeadlineExceededError(
          absl::StrCat(what, ": no complete reply from docker at ", ep,
                       " before the deadline (", detail, ")"));
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
      return absl::UnavailableError(
          absl::StrCat(what, ": cannot connect to the Docker daemon at ", ep,
                       " (", detail, "); is the docker daemon running?"));
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
      return absl::UnavailableError(
          absl::StrCat(what, ": connection to the Docker daemon at ", ep,
                       " broke off (", detail, ")"));
    default:
      return absl::InternalError(absl::StrCat(
          what, ": HTTP exchange with docker at ", ep, " failed: ", detail));
  }
}

}  // namespace cri_dockerd::docker::internal
