// The streaming server's pending requests: Exec, Attach and PortForward
// each park their request here under a fresh random token, and the URL they
// return carries it. A token is good for one connection within a minute;
// at most kMaxInFlight wait at a time, so a client that asks for URLs it
// never dials cannot grow memory. No protobufs here: plain structs.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace cri_dockerd::streaming {

struct ExecRequest {
  std::string container_id;
  std::vector<std::string> cmd;
  bool tty = false;
  bool stdin = false;
  bool stdout = false;
  bool stderr = false;
};

struct AttachRequest {
  std::string container_id;
  bool tty = false;
  bool stdin = false;
  bool stdout = false;
  bool stderr = false;
};

struct PortForwardRequest {
  std::string pod_sandbox_id;
  // May be empty: the client names the ports then (SPDY stream headers,
  // WebSocket query).
  std::vector<int32_t> ports;
};

using PendingRequest =
    std::variant<ExecRequest, AttachRequest, PortForwardRequest>;

class RequestCache {
 public:
  static constexpr int kMaxInFlight = 1000;
  static constexpr absl::Duration kTokenTtl = absl::Minutes(1);
  // 16 random bytes: 128 bits, URL-safe base64 without padding.
  static constexpr int kTokenBytes = 16;

  // `now` is the clock (tests replace it).
  explicit RequestCache(std::function<absl::Time()> now = absl::Now);

  // Parks `request` and returns its token. Expired entries are dropped
  // first; ResourceExhausted if kMaxInFlight are still waiting; Internal
  // if the kernel gives no randomness.
  absl::StatusOr<std::string> Insert(PendingRequest request);

  // Takes the request parked under `token` out of the cache. NotFound if
  // the token is unknown, already used or expired.
  absl::StatusOr<PendingRequest> Consume(const std::string& token);

  int size() const;

 private:
  struct Entry {
    PendingRequest request;
    absl::Time expires;
  };
  void DropExpired(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Constant after construction.
  const std::function<absl::Time()> now_;

  mutable absl::Mutex mu_;
  std::map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  // Tokens in insertion order (= expiry order).
  std::deque<std::string> order_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cri_dockerd::streaming
