// HTTP/1.1 requests to the Docker Engine over libcurl, on a unix socket or
// plain tcp. Knows nothing about docker's API beyond the endpoint: callers
// build paths (with the /v1.xx prefix) and interpret replies.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "docker_client/endpoint.h"

namespace cri_dockerd::docker {

// How often HttpRequest::check is polled at least, unless it says.
inline constexpr absl::Duration kCheckInterval = absl::Milliseconds(100);

struct HttpRequest {
  std::string method = "GET";
  // Absolute path including any /v1.xx prefix and query string.
  std::string path;
  std::string body;
  std::string content_type;  // sent as Content-Type when non-empty
  std::vector<std::pair<std::string, std::string>> headers;
  // The whole exchange (connect, send, receive) must finish by then.
  absl::Time deadline = absl::InfiniteFuture();
  // Larger replies are abandoned with ResourceExhausted.
  size_t max_response_bytes = size_t{64} << 20;
  // Streaming: when set, the body of a 2xx reply is handed over piece by
  // piece as it arrives instead of being kept in HttpResponse::body (which
  // stays empty, and max_response_bytes does not apply to it). Returning
  // false aborts the exchange and Do() returns Aborted. Error replies
  // (non-2xx) are still collected into HttpResponse::body.
  std::function<bool(absl::string_view chunk)> on_body;
  // When set, polled every check_interval or more often while the
  // exchange runs, whether or not bytes move; a non-OK status aborts it
  // (closing the connection) and Do() returns exactly that status.
  std::function<absl::Status()> check;
  absl::Duration check_interval = kCheckInterval;
};

struct HttpResponse {
  int status = 0;
  std::string body;
  // Lowercased names; repeated headers joined with ", ".
  std::map<std::string, std::string> headers;
};

// One finished exchange, as an HttpObserver sees it.
struct HttpExchange {
  absl::string_view method;
  absl::string_view path;  // as requested, query string included
  int status = 0;          // the reply's status; 0 when none came
  absl::Duration duration;
};
// Told about every Do(), whatever its outcome (for metrics). Called from
// the calling thread; must be thread-safe and cheap.
using HttpObserver = std::function<void(const HttpExchange&)>;

// Thread-safe: Do() may run concurrently from many threads. A few idle
// curl handles are kept so their connections are reused (keep-alive).
class HttpTransport {
 public:
  explicit HttpTransport(Endpoint endpoint);
  ~HttpTransport();
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  // Performs one exchange. Any complete HTTP reply is returned as is,
  // whatever its status code. Failures to get one:
  //   deadline already past      -> DeadlineExceeded, nothing is sent
  //   deadline hit mid-exchange  -> DeadlineExceeded
  //   cannot connect             -> Unavailable ("is the docker daemon
  //                                 running?")
  //   connection lost, truncated reply -> Unavailable
  //   reply over max_response_bytes    -> ResourceExhausted
  //   bad request (path, header)       -> InvalidArgument
  //   request.check failed       -> its status
  //   request.on_body said stop  -> Aborted
  //   anything else              -> Internal
  absl::StatusOr<HttpResponse> Do(const HttpRequest& request);

  const Endpoint& endpoint() const { return endpoint_; }

  // Installs the observer; call before the first Do() (not synchronised).
  void set_observer(HttpObserver observer) { observer_ = std::move(observer); }
  const HttpObserver& observer() const { return observer_; }

 private:
  absl::StatusOr<HttpResponse> Exchange(const HttpRequest& request);
  // Both deal in CURL* (void* in curl.h), kept opaque here so that this
  // header does not pull in curl.
  void* AcquireHandle();
  void ReleaseHandle(void* handle, bool reusable);

  // Constant after construction.
  const Endpoint endpoint_;
  const std::string url_prefix_;  // "http://docker" or "http://host:port"
  HttpObserver observer_;         // set before use

  absl::Mutex mu_;
  std::vector<void*> idle_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cri_dockerd::docker
