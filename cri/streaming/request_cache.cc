#include "cri/streaming/request_cache.h"

#include <sys/random.h>

#include <cerrno>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace cri_dockerd::streaming {
namespace {

absl::StatusOr<std::string> NewToken() {
  char bytes[RequestCache::kTokenBytes];
  size_t got = 0;
  while (got < sizeof(bytes)) {
    ssize_t n = getrandom(bytes + got, sizeof(bytes) - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::InternalError(absl::StrCat("getrandom: ", strerror(errno)));
    }
    got += static_cast<size_t>(n);
  }
  return absl::WebSafeBase64Escape(absl::string_view(bytes, sizeof(bytes)));
}

}  // namespace

RequestCache::RequestCache(std::function<absl::Time()> now)
    : now_(std::move(now)) {}

void RequestCache::DropExpired(absl::Time now) {
  while (!order_.empty()) {
    auto it = entries_.find(order_.front());
    if (it != entries_.end() && it->second.expires > now) break;
    if (it != entries_.end()) entries_.erase(it);
    order_.pop_front();
  }
}

absl::StatusOr<std::string> RequestCache::Insert(PendingRequest request) {
  absl::StatusOr<std::string> token = NewToken();
  if (!token.ok()) return token.status();
  const absl::Time now = now_();
  absl::MutexLock lock(&mu_);
  DropExpired(now);
  if (static_cast<int>(entries_.size()) >= kMaxInFlight) {
    return absl::ResourceExhaustedError(
        absl::StrCat("too many streaming requests waiting for a client (",
                     kMaxInFlight, "); try again later"));
  }
  // 128 random bits do not collide in practice; a duplicate would only
  // replace a request, never expose another one's.
  entries_[*token] = Entry{std::move(request), now + kTokenTtl};
  order_.push_back(*token);
  return token;
}

absl::StatusOr<PendingRequest> RequestCache::Consume(const std::string& token) {
  const absl::Time now = now_();
  absl::MutexLock lock(&mu_);
  DropExpired(now);
  auto it = entries_.find(token);
  if (it == entries_.end()) {
    return absl::NotFoundError("unknown, used or expired streaming token");
  }
  PendingRequest request = std::move(it->second.request);
  entries_.erase(it);
  // Its slot in order_ is skipped by DropExpired when it comes up.
  return request;
}

int RequestCache::size() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(entries_.size());
}

}  // namespace cri_dockerd::streaming
