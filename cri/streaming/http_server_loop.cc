// HttpServer's loop thread: accepts connections, reads their request heads
// without a thread each (poll over every pending connection), hands
// complete ones to the router, starts sessions, and closes sessions that
// went idle. One poll() wakes it for all of these and for Stop().
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/thread.h"
#include "cri/streaming/http_server.h"

namespace cri_dockerd::streaming {
namespace {

// Connections accepted per loop turn, so that a flood of new ones cannot
// keep the loop from reading the ones it has.
constexpr int kAcceptBatch = 64;
// How long to stop accepting when the process is out of descriptors.
constexpr absl::Duration kAcceptBackoff = absl::Milliseconds(100);
// At most one log line per this long about evicted connections.
constexpr absl::Duration kEvictionLogInterval = absl::Minutes(1);

std::string PeerName(const sockaddr_storage& ss) {
  char host[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
    port = ntohs(a->sin_port);
    return absl::StrCat(host, ":", port);
  }
  if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
    port = ntohs(a->sin6_port);
  }
  return absl::StrCat("[", host, "]:", port);
}

// A short reply on a connection nothing was sent on yet: it fits the
// socket's buffer, so a non-blocking send either takes it or the peer is
// gone.
void ReplyAndClose(int fd, const std::string& reply) {
  if (!reply.empty()) {
    (void)!send(fd, reply.data(), reply.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  }
  close(fd);
}

int PollTimeoutMs(absl::Time now, absl::Time until) {
  if (until == absl::InfiniteFuture()) return -1;
  if (until <= now) return 0;
  // Rounded up: waking early would only spin.
  const int64_t ms = absl::ToInt64Milliseconds(until - now) + 1;
  return static_cast<int>(std::min<int64_t>(ms, 1 << 30));
}

}  // namespace

void HttpServer::Loop() {
  std::vector<pollfd> fds;
  while (true) {
    absl::Time now = absl::Now();
    absl::Time wake_at = CheckIdle();
    const bool listen = accepting_ && now >= accept_backoff_until_;
    if (accepting_ && !listen)
      wake_at = std::min(wake_at, accept_backoff_until_);
    fds.clear();
    fds.push_back({wake_fd_, POLLIN, 0});
    fds.push_back({listen ? listen_fd_ : -1, POLLIN, 0});
    for (const Pending& p : pending_) {
      fds.push_back({p.fd, POLLIN, 0});
      wake_at = std::min(wake_at, p.deadline);
    }
    const int n = poll(fds.data(), fds.size(), PollTimeoutMs(now, wake_at));
    if (n < 0) {
      if (errno != EINTR) {
        LOG(ERROR) << "streaming server: poll: " << strerror(errno);
        absl::SleepFor(kAcceptBackoff);
      }
      continue;
    }
    if (fds[0].revents != 0) break;  // Stop()
    now = absl::Now();
    // Pending connections first (fds[2...] match pending_ as polled), then
    // the deadlines, then new connections.
    std::vector<Pending> kept;
    kept.reserve(pending_.size());
    for (size_t i = 0; i < pending_.size(); ++i) {
      Pending& p = pending_[i];
      if (n > 0 && fds[i + 2].revents != 0 && ReadPending(p)) continue;
      if (now >= p.deadline) {
        LOG(DEBUG) << "streaming: " << p.peer << " sent no complete request in "
                   << absl::FormatDuration(options_.head_timeout)
                   << "; closing the connection";
        close(p.fd);
        continue;
      }
      kept.push_back(std::move(p));
    }
    pending_.swap(kept);
    if (n > 0 && fds[1].revents != 0) AcceptSome(now);
    pending_count_.store(static_cast<int>(pending_.size()));
  }
  for (const Pending& p : pending_) close(p.fd);
  pending_.clear();
  pending_count_.store(0);
}

void HttpServer::AcceptSome(absl::Time now) {
  for (int i = 0; i < kAcceptBatch; ++i) {
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    const int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&ss), &len,
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
          errno == ENOMEM) {
        // Out of descriptors: a pending connection gives its up, or
        // accepting pauses (rather than spin on a listening socket that
        // stays readable).
        if (!pending_.empty()) {
          EvictOldest();
          continue;
        }
        accept_backoff_until_ = now + kAcceptBackoff;
        return;
      }
      LOG(ERROR) << "streaming server: accept: " << strerror(errno)
                 << "; no longer accepting connections";
      accepting_ = false;
      return;
    }
    if (static_cast<int>(pending_.size()) >= options_.max_pending) {
      EvictOldest();
    }
    pending_.push_back(
        {fd, std::string(), now + options_.head_timeout, PeerName(ss)});
    // A client usually sends its request with the connection: read it
    // now, before more accepts can push it out.
    if (ReadPending(pending_.back())) pending_.pop_back();
  }
}

void HttpServer::EvictOldest() {
  ReplyAndClose(pending_.front().fd,
                PlainResponse(503, "too many connections waiting"));
  pending_.erase(pending_.begin());
  ++evicted_;
  const absl::Time now = absl::Now();
  if (now - evicted_logged_ >= kEvictionLogInterval) {
    LOG(WARNING) << "streaming: " << evicted_
                 << " connection(s) closed before they sent a request, to "
                    "make room: more than "
                 << options_.max_pending << " were waiting at once";
    evicted_ = 0;
    evicted_logged_ = now;
  }
}

bool HttpServer::ReadPending(Pending& p) {
  char chunk[4096];
  while (true) {
    const ssize_t n = recv(p.fd, chunk, sizeof(chunk), MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
    if (n <= 0) {  // gone before a whole request
      close(p.fd);
      return true;
    }
    p.buf.append(chunk, static_cast<size_t>(n));
    const size_t end = FindHeadEnd(p.buf);
    if (end > kMaxRequestHead || (end == 0 && p.buf.size() > kMaxRequestHead)) {
      ReplyAndClose(p.fd, PlainResponse(431, "request head too large"));
      return true;
    }
    if (end != 0) {
      Dispatch(p, end);
      return true;
    }
  }
}

void HttpServer::Dispatch(Pending& p, size_t head_end) {
  HttpRequestHead head;
  if (absl::Status s =
          ParseRequestHead(absl::string_view(p.buf).substr(0, head_end), &head);
      !s.ok()) {
    ReplyAndClose(p.fd, PlainResponse(400, s.message()));
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      close(p.fd);
      return;
    }
    // Before the router: a refused client keeps its token for a retry.
    if (static_cast<int>(live_.size()) >= options_.max_sessions) {
      ++refused_;
      if (absl::Now() - refused_logged_ >= kEvictionLogInterval) {
        LOG(WARNING) << "streaming: " << options_.max_sessions
                     << " sessions running; " << refused_
                     << " request(s) refused with 503, the last from "
                     << p.peer;
        refused_ = 0;
        refused_logged_ = absl::Now();
      }
      ReplyAndClose(p.fd, PlainResponse(503, "too many streaming sessions"));
      return;
    }
  }
  HttpRoute route = router_(head);
  if (!route.session) {
    ReplyAndClose(p.fd, route.reply);
    return;
  }
  // Sessions use blocking sockets.
  const int flags = fcntl(p.fd, F_GETFL);
  if (flags >= 0) fcntl(p.fd, F_SETFL, flags & ~O_NONBLOCK);
  auto conn = std::make_shared<HttpConnection>();
  conn->fd = p.fd;
  conn->head = std::move(head);
  conn->extra = p.buf.substr(head_end);
  conn->activity = std::make_shared<io::ActivityClock>();
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) {  // Stop() has shut the sessions down already
      close(p.fd);
      return;
    }
    live_[p.fd] = Live{conn->activity, route.description, p.peer};
  }
  ThreadStarter start = options_.start_thread ? options_.start_thread
                                              : ThreadStarter(StartThread);
  absl::StatusOr<std::thread> thread =
      start("stream-session", [this, conn, session = std::move(route.session)] {
        session(*conn);
        Finish(conn->fd);
      });
  if (!thread.ok()) {
    LOG(WARNING) << "streaming: " << route.description << " from " << p.peer
                 << " refused: " << thread.status();
    SendAllTo(p.fd,
              PlainResponse(503, absl::StrCat("cannot start the session: ",
                                              thread.status().message())));
    Finish(p.fd);
    return;
  }
  thread->detach();  // Stop() waits for live_ to empty instead
}

absl::Time HttpServer::CheckIdle() {
  const absl::Duration timeout = options_.idle_timeout;
  if (timeout <= absl::ZeroDuration() || timeout == absl::InfiniteDuration()) {
    return absl::InfiniteFuture();
  }
  const absl::Time now = absl::Now();
  absl::Time next = absl::InfiniteFuture();
  absl::MutexLock lock(&mu_);
  for (auto& [fd, live] : live_) {
    if (live.idle_closed) continue;
    const absl::Duration idle = live.activity->IdleFor();
    if (idle < timeout) {
      next = std::min(next, now + (timeout - idle));
      continue;
    }
    LOG(INFO) << "streaming: " << live.description << " from " << live.peer
              << " had no traffic for " << absl::FormatDuration(idle)
              << " (idle timeout " << absl::FormatDuration(timeout)
              << "); closing it";
    live.idle_closed = true;
    shutdown(fd, SHUT_RDWR);
  }
  return next;
}

void HttpServer::Finish(int fd) {
  absl::MutexLock lock(&mu_);
  live_.erase(fd);
  close(fd);
}

}  // namespace cri_dockerd::streaming
