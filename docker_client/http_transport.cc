#include "docker_client/http_transport.h"

#include <curl/curl.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "docker_client/http_transport_curl.h"

namespace cri_dockerd::docker {
namespace {

using internal::Transfer;

constexpr size_t kMaxIdleHandles = 4;

bool HasLineBreak(absl::string_view s) {
  return s.find_first_of("\r\n") != absl::string_view::npos;
}

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

}  // namespace

HttpTransport::HttpTransport(Endpoint endpoint)
    : endpoint_(std::move(endpoint)),
      url_prefix_(internal::UrlPrefix(endpoint_)) {
  internal::GlobalInitOnce();
}

HttpTransport::~HttpTransport() {
  absl::MutexLock lock(&mu_);
  for (void* handle : idle_) curl_easy_cleanup(static_cast<CURL*>(handle));
}

void* HttpTransport::AcquireHandle() {
  {
    absl::MutexLock lock(&mu_);
    if (!idle_.empty()) {
      void* handle = idle_.back();
      idle_.pop_back();
      return handle;
    }
  }
  return curl_easy_init();
}

void HttpTransport::ReleaseHandle(void* handle, bool reusable) {
  CURL* curl = static_cast<CURL*>(handle);
  if (reusable) {
    // Drops the options (and pointers to this call's buffers) but keeps
    // the open connection for the next exchange.
    curl_easy_reset(curl);
    absl::MutexLock lock(&mu_);
    if (idle_.size() < kMaxIdleHandles) {
      idle_.push_back(curl);
      return;
    }
  }
  curl_easy_cleanup(curl);
}

absl::StatusOr<HttpResponse> HttpTransport::Do(const HttpRequest& request) {
  if (!observer_) return Exchange(request);
  const absl::Time start = absl::Now();
  absl::StatusOr<HttpResponse> response = Exchange(request);
  observer_(HttpExchange{request.method, request.path,
                         response.ok() ? response->status : 0,
                         absl::Now() - start});
  return response;
}

absl::StatusOr<HttpResponse> HttpTransport::Exchange(
    const HttpRequest& request) {
  const std::string what = absl::StrCat(
      request.method, " ", request.path.substr(0, request.path.find('?')));
  if (!absl::StartsWith(request.path, "/") || HasLineBreak(request.path) ||
      request.method.empty() || HasLineBreak(request.method) ||
      request.path.find(' ') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed HTTP request line: ", what));
  }
  const absl::Time now = absl::Now();
  if (request.deadline <= now) {
    return absl::DeadlineExceededError(
        absl::StrCat(what, ": deadline passed before the request was sent"));
  }

  std::unique_ptr<curl_slist, SlistDeleter> headers;
  bool out_of_memory = false;
  auto add_header = [&](const std::string& line) {
    curl_slist* head = curl_slist_append(headers.get(), line.c_str());
    if (head == nullptr) {
      out_of_memory = true;
    } else {
      (void)headers.release();  // `head` is the same list, extended
      headers.reset(head);
    }
  };
  // No "Expect: 100-continue" round trip for large bodies.
  add_header("Expect:");
  if (!request.content_type.empty()) {
    add_header(absl::StrCat("Content-Type: ", request.content_type));
  }
  for (const auto& [name, value] : request.headers) {
    if (name.empty() || HasLineBreak(name) || HasLineBreak(value)) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": malformed header ", name));
    }
    add_header(absl::StrCat(name, ": ", value));
  }
  if (out_of_memory) {
    return absl::ResourceExhaustedError("out of memory building headers");
  }

  CURL* curl = static_cast<CURL*>(AcquireHandle());
  if (curl == nullptr) {
    return absl::InternalError("curl_easy_init failed");
  }
  HttpResponse response;
  Transfer transfer;
  transfer.curl = curl;
  transfer.response = &response;
  transfer.limit = request.max_response_bytes;
  if (request.on_body) transfer.on_body = &request.on_body;
  char errbuf[CURL_ERROR_SIZE] = {0};
  internal::SetCommonOptions(curl, endpoint_, url_prefix_ + request.path,
                             errbuf, &transfer);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &internal::OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  if (!request.on_body) {
    // A streamed body has no size limit; OnBody still caps collected ones.
    curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE,
                     static_cast<curl_off_t>(std::min<size_t>(
                         request.max_response_bytes, INT64_MAX)));
  }
  internal::SetDeadline(curl, request.deadline, now);
  if (request.method == "GET") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else {
    if (request.method != "POST") {
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    if (request.method == "POST" || !request.body.empty()) {
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    }
  }

  absl::Status check_failure;
  const CURLcode rc =
      request.check
          ? internal::PerformWithCheck(curl, request.check,
                                       request.check_interval, &check_failure)
          : curl_easy_perform(curl);
  if (!check_failure.ok()) {
    ReleaseHandle(curl, /*reusable=*/false);
    return check_failure;
  }
  if (rc != CURLE_OK) {
    const std::string detail =
        internal::FailureDetail(curl, rc, errbuf, endpoint_);
    // The connection is in an unknown state: close it with the handle.
    ReleaseHandle(curl, /*reusable=*/false);
    return internal::MapTransportError(rc, detail, transfer, what, endpoint_);
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  ReleaseHandle(curl, /*reusable=*/true);
  response.status = static_cast<int>(status);
  return response;
}

}  // namespace cri_dockerd::docker
