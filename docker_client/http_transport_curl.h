// Internal to http_transport*.cc: the libcurl pieces of HttpTransport that
// do not need its state -- the per-exchange callbacks, the mapping of curl
// failures to statuses, and the multi-interface loop that polls a check.
#pragma once

#include <curl/curl.h>

#include <cstddef>
#include <functional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
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

// CURLOPT_WRITEFUNCTION / CURLOPT_HEADERFUNCTION; userp is a Transfer*.
size_t OnBody(char* data, size_t size, size_t nmemb, void* userp);
size_t OnHeader(char* data, size_t size, size_t nmemb, void* userp);

// Runs the transfer configured on `curl` to its end like
// curl_easy_perform, but through a private multi handle so that `check`
// runs at least every kCheckInterval even while no byte moves (the easy
// interface wakes only about once a second on an idle connection). If
// `check` fails, the transfer is cut off (its connection closed), the
// status goes to *check_failure and the result is
// CURLE_ABORTED_BY_CALLBACK.
CURLcode PerformWithCheck(CURL* curl,
                          const std::function<absl::Status()>& check,
                          absl::Status* check_failure);

// The one mapping of libcurl failures to status codes; `detail` is curl's
// error text, `what` names the request.
absl::Status MapTransportError(CURLcode rc, absl::string_view detail,
                               const Transfer& transfer, absl::string_view what,
                               const Endpoint& endpoint);

// A readable name for the errno behind a failed connect, or "".
absl::string_view ErrnoName(long err);

}  // namespace cri_dockerd::docker::internal
