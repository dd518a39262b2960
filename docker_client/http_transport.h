// HTTP/1.1 requests to the Docker Engine over libcurl, on a unix socket or
// plain tcp. Knows nothing about docker's API beyond the endpoint: callers
// build paths (with the /v1.xx prefix) and interpret replies.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "docker_client/endpoint.h"

namespace cri_dockerd::docker {

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
};

struct HttpResponse {
  int status = 0;
  std::string body;
  // Lowercased names; repeated headers joined with ", ".
  std::map<std::string, std::string> headers;
};

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
  //   anything else              -> Internal
  absl::StatusOr<HttpResponse> Do(const HttpRequest& request);

  const Endpoint& endpoint() const { return endpoint_; }

 private:
  // Both deal in CURL* (void* in curl.h), kept opaque here so that this
  // header does not pull in curl.
  void* AcquireHandle();
  void ReleaseHandle(void* handle, bool reusable);

  // Constant after construction.
  const Endpoint endpoint_;
  const std::string url_prefix_;  // "http://docker" or "http://host:port"

  absl::Mutex mu_;
  std::vector<void*> idle_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cri_dockerd::docker
