// Internal to docker_client/: the libcurl pieces of HttpTransport that do
// not need its state -- the common set-up of a transfer, the per-exchange
// callbacks, the mapping of curl failures to statuses, and the
// multi-interface loop that polls a check. CurlLogStreamMux shares them.
#pragma once

#include <curl/curl.h>

#include <cstddef>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "docker_client/endpoint.h"
#include "docker_client/http_transport.h"

namespace cri_dockerd::docker::internal {

// Per-exchange state the curl callbacks write into.
struct Transfer {
  CURL* curl = nullptr;
  HttpResponse* response = nullptr;
  size_t limit = 0;  // for collected bodies
  const std::function<bool(absl::string_view)>* on_body = nullptr;
  enum class Sink { kUndecided, kCollect, kStream };
  Sink sink = Sink::kUndecided;  // chosen at the first body byte
  bool too_large = false;
  bool consumer_stopped = false;  // on_body returned false
};

// curl_global_init, once per process, before the first curl handle.
void GlobalInitOnce();

// The scheme and authority of `endpoint`'s URLs: "http://docker" for a
// unix socket (curl needs a host name; dockerd ignores it), else
// "http://host:port".
std::string UrlPrefix(const Endpoint& endpoint);

// Sets on `curl` what every exchange with dockerd shares: `url` (the
// prefix and path), `endpoint`'s unix socket, plain HTTP/1.1 only, never a
// proxy from the environment, no signals, our user agent, curl's error
// text into `errbuf` (CURL_ERROR_SIZE bytes, alive while the transfer
// is), and the reply's headers through OnHeader into `transfer`.
void SetCommonOptions(CURL* curl, const Endpoint& endpoint,
                      const std::string& url, char* errbuf, Transfer* transfer);

// Sets curl's own timeouts so that the transfer ends by `deadline`
// (nothing for InfiniteFuture); `now` is when the exchange starts.
void SetDeadline(CURL* curl, absl::Time deadline, absl::Time now);

// What failure `rc` of the transfer on `curl` was: curl's error text in
// `errbuf` (else its generic text for `rc`), with the errno behind it
// named when known.
std::string FailureDetail(CURL* curl, CURLcode rc, const char* errbuf,
                          const Endpoint& endpoint);

// CURLOPT_WRITEFUNCTION / CURLOPT_HEADERFUNCTION; userp is a Transfer*.
size_t OnBody(char* data, size_t size, size_t nmemb, void* userp);
size_t OnHeader(char* data, size_t size, size_t nmemb, void* userp);

// Runs the transfer configured on `curl` to its end like
// curl_easy_perform, but through a private multi handle so that `check`
// runs at least every `interval` even while no byte moves (the easy
// interface wakes only about once a second on an idle connection). If
// `check` fails, the transfer is cut off (its connection closed), the
// status goes to *check_failure and the result is
// CURLE_ABORTED_BY_CALLBACK.
CURLcode PerformWithCheck(CURL* curl,
                          const std::function<absl::Status()>& check,
                          absl::Duration interval, absl::Status* check_failure);

// The one mapping of libcurl failures to status codes; `detail` is curl's
// error text, `what` names the request.
absl::Status MapTransportError(CURLcode rc, absl::string_view detail,
                               const Transfer& transfer, absl::string_view what,
                               const Endpoint& endpoint);

// A readable name for the errno behind a failed connect, or "".
absl::string_view ErrnoName(long err);

}  // namespace cri_dockerd::docker::internal
