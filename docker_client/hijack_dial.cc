// DialHijacked: one HTTP/1.1 exchange on a plain socket that the engine
// may take over. libcurl cannot hand a connection over for writing after
// the reply, so this small client speaks just enough HTTP: a request with
// a Content-Length body, a reply head, and an error reply's body
// (Content-Length, chunked or up to the close).
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "docker_client/hijacked_conn.h"

namespace cri_dockerd::docker {
namespace {

bool HasLineBreak(absl::string_view s) {
  return s.find_first_of("\r\n") != absl::string_view::npos;
}

std::string ErrnoText(int err) {
  const char* name = strerrorname_np(err);
  return name != nullptr ? name : absl::StrCat("errno ", err);
}

// What one setup is doing, for its error messages.
struct Exchange {
  std::string what;      // "POST /v1.41/exec/{id}/start"
  std::string endpoint;  // "unix:///var/run/docker.sock"
  absl::Time deadline;

  absl::Status Late() const {
    return absl::DeadlineExceededError(
        absl::StrCat(what, ": no complete reply from docker at ", endpoint,
                     " before the deadline"));
  }
  absl::Status CannotConnect(int err) const {
    return absl::UnavailableError(absl::StrCat(
        what, ": cannot connect to the Docker daemon at ", endpoint, " (",
        ErrnoText(err), "); is the docker daemon running?"));
  }
  absl::Status Broken(absl::string_view detail) const {
    return absl::UnavailableError(
        absl::StrCat(what, ": connection to the Docker daemon at ", endpoint,
                     " broke off (", detail, ")"));
  }

  // Waits until `fd` is ready for `events`; DeadlineExceeded past the
  // deadline.
  absl::Status Wait(int fd, int16_t events) const {
    for (;;) {
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) return Late();
      pollfd p = {fd, events, 0};
      const int ms = static_cast<int>(std::min<int64_t>(
          INT_MAX,
          absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1)))));
      const int n = poll(&p, 1, ms);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Broken(ErrnoText(errno));
      if (n > 0) return absl::OkStatus();
    }
  }
};

// Non-blocking connect of `fd` to `addr`, finished under the deadline.
absl::Status ConnectBy(int fd, const sockaddr* addr, socklen_t len,
                       const Exchange& ex) {
  for (;;) {
    if (connect(fd, addr, len) == 0) return absl::OkStatus();
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {
      // A unix listener's backlog is full: retry shortly.
      if (absl::Now() >= ex.deadline) return ex.Late();
      absl::SleepFor(absl::Milliseconds(5));
      continue;
    }
    if (errno != EINPROGRESS) return ex.CannotConnect(errno);
    break;
  }
  RETURN_IF_ERROR(ex.Wait(fd, POLLOUT));
  int err = 0;
  socklen_t err_len = sizeof(err);
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) != 0) err = errno;
  if (err != 0) return ex.CannotConnect(err);
  return absl::OkStatus();
}

// A connected, non-blocking socket to the engine, or the failure.
absl::StatusOr<int> Connect(const Endpoint& endpoint, const Exchange& ex) {
  if (endpoint.kind == Endpoint::Kind::kUnix) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (endpoint.address.size() >= sizeof(addr.sun_path)) {
      return absl::InvalidArgumentError(
          absl::StrCat("docker socket path too long: ", endpoint.address));
    }
    std::memcpy(addr.sun_path, endpoint.address.c_str(),
                endpoint.address.size() + 1);
    const int fd =
        socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return ex.CannotConnect(errno);
    absl::Status s =
        ConnectBy(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr), ex);
    if (!s.ok()) {
      close(fd);
      return s;
    }
    return fd;
  }
  // "host:port" or "[v6]:port", validated by ParseEndpoint.
  const size_t colon = endpoint.address.rfind(':');
  std::string host = endpoint.address.substr(0, colon);
  const std::string port = endpoint.address.substr(colon + 1);
  if (absl::StartsWith(host, "[")) host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (const int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found);
      rc != 0) {
    return absl::UnavailableError(
        absl::StrCat(ex.what, ": cannot resolve the Docker daemon's host ",
                     host, " (", gai_strerror(rc), ")"));
  }
  absl::Cleanup free_found = [found] { freeaddrinfo(found); };
  absl::Status last = ex.CannotConnect(ECONNREFUSED);
  for (const addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    const int fd =
        socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
               ai->ai_protocol);
    if (fd < 0) continue;
    last = ConnectBy(fd, ai->ai_addr, ai->ai_addrlen, ex);
    if (last.ok()) return fd;
    close(fd);
    if (absl::IsDeadlineExceeded(last)) break;
  }
  return last;
}

absl::Status SendAllBy(int fd, absl::string_view data, const Exchange& ex) {
  while (!data.empty()) {
    const ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      RETURN_IF_ERROR(ex.Wait(fd, POLLOUT));
      continue;
    }
    if (n < 0) return ex.Broken(ErrnoText(errno));
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

// Appends what arrives next to *buf; 0 at EOF.
absl::StatusOr<size_t> RecvBy(int fd, std::string* buf, const Exchange& ex) {
  char chunk[16 * 1024];
  for (;;) {
    const ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
    if (n >= 0) {
      buf->append(chunk, static_cast<size_t>(n));
      return static_cast<size_t>(n);
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return ex.Broken(ErrnoText(errno));
    RETURN_IF_ERROR(ex.Wait(fd, POLLIN));
  }
}

// Parses "HTTP/1.x NNN reason" and the header lines into *reply.
absl::Status ParseHead(absl::string_view head, const Exchange& ex,
                       HijackReply* reply) {
  std::vector<absl::string_view> lines = absl::StrSplit(head, "\r\n");
  const absl::string_view status_line = lines[0];
  if (!absl::StartsWith(status_line, "HTTP/1.") || status_line.size() < 12 ||
      status_line[8] != ' ' ||
      !absl::SimpleAtoi(status_line.substr(9, 3), &reply->status) ||
      reply->status < 100 || reply->status > 599) {
    return absl::InternalError(
        absl::StrCat(ex.what, ": malformed reply from docker at ", ex.endpoint,
                     ": \"", absl::CEscape(status_line.substr(0, 80)), "\""));
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    const size_t colon = lines[i].find(':');
    if (colon == absl::string_view::npos) continue;
    const std::string name = absl::AsciiStrToLower(lines[i].substr(0, colon));
    const absl::string_view value =
        absl::StripAsciiWhitespace(lines[i].substr(colon + 1));
    auto [it, inserted] = reply->headers.emplace(name, std::string(value));
    if (!inserted) absl::StrAppend(&it->second, ", ", value);
  }
  return absl::OkStatus();
}

// Decodes the chunked body `raw` (possibly cut short) into *out; true once
// its last chunk was seen.
bool DecodeChunked(absl::string_view raw, std::string* out) {
  for (;;) {
    const size_t eol = raw.find("\r\n");
    if (eol == absl::string_view::npos) return false;
    size_t size = 0;
    const absl::string_view size_text = raw.substr(0, raw.find_first_of(";\r"));
    if (!absl::SimpleHexAtoi(size_text, &size)) return true;  // garbage: stop
    if (size == 0) return true;
    raw.remove_prefix(eol + 2);
    out->append(raw.data(), std::min(size, raw.size()));
    if (raw.size() < size + 2) return false;
    raw.remove_prefix(size + 2);
  }
}

// Reads the rest of an error reply's body (some of it may be in `body`
// already), up to kMaxHijackErrorBody; keeps what came when the deadline
// or the connection ends the wait: the status line says enough.
void ReadErrorBody(int fd, HijackReply* reply, std::string body,
                   const Exchange& ex) {
  const auto header = [&](const char* name) -> absl::string_view {
    auto it = reply->headers.find(name);
    return it == reply->headers.end() ? "" : it->second;
  };
  const bool chunked = absl::StrContains(
      absl::AsciiStrToLower(header("transfer-encoding")), "chunked");
  size_t length = kMaxHijackErrorBody;
  const bool has_length =
      !chunked && absl::SimpleAtoi(header("content-length"), &length);
  length = std::min(length, kMaxHijackErrorBody);
  for (;;) {
    if (has_length && body.size() >= length) break;
    if (chunked) {
      std::string decoded;
      if (DecodeChunked(body, &decoded) ||
          decoded.size() >= kMaxHijackErrorBody) {
        break;
      }
    }
    if (body.size() >= 2 * kMaxHijackErrorBody) break;
    absl::StatusOr<size_t> n = RecvBy(fd, &body, ex);
    if (!n.ok() || *n == 0) break;
  }
  if (chunked) {
    DecodeChunked(body, &reply->body);
  } else {
    reply->body = std::move(body);
  }
  if (reply->body.size() > kMaxHijackErrorBody) {
    reply->body.resize(kMaxHijackErrorBody);
  }
}

}  // namespace

absl::StatusOr<HijackReply> DialHijacked(const Endpoint& endpoint,
                                         const HijackRequest& request,
                                         absl::Time deadline) {
  Exchange ex;
  ex.what = absl::StrCat(request.method, " ",
                         request.path.substr(0, request.path.find('?')));
  ex.endpoint = endpoint.ToString();
  ex.deadline = deadline;
  if (!absl::StartsWith(request.path, "/") || HasLineBreak(request.path) ||
      request.path.find(' ') != std::string::npos || request.method.empty() ||
      HasLineBreak(request.method) || HasLineBreak(request.content_type)) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed HTTP request: ", ex.what));
  }
  if (deadline <= absl::Now()) {
    return absl::DeadlineExceededError(
        absl::StrCat(ex.what, ": deadline passed before the request was sent"));
  }
  ASSIGN_OR_RETURN(const int fd, Connect(endpoint, ex));
  absl::Cleanup close_fd = [fd] { close(fd); };

  std::string wire = absl::StrCat(
      request.method, " ", request.path, " HTTP/1.1\r\nHost: ",
      endpoint.kind == Endpoint::Kind::kUnix ? "docker" : endpoint.address,
      "\r\nUser-Agent: cri-dockerd\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n");
  if (!request.content_type.empty()) {
    absl::StrAppend(&wire, "Content-Type: ", request.content_type, "\r\n");
  }
  absl::StrAppend(&wire, "Content-Length: ", request.body.size(), "\r\n\r\n",
                  request.body);
  RETURN_IF_ERROR(SendAllBy(fd, wire, ex));

  std::string buf;
  size_t head_end;
  while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
    if (buf.size() > kMaxHijackHead) {
      return absl::ResourceExhaustedError(
          absl::StrCat(ex.what, ": reply head from docker at ", ex.endpoint,
                       " exceeds ", kMaxHijackHead, " bytes"));
    }
    ASSIGN_OR_RETURN(const size_t n, RecvBy(fd, &buf, ex));
    if (n == 0) return ex.Broken("closed before a complete reply");
  }
  if (head_end > kMaxHijackHead) {
    return absl::ResourceExhaustedError(
        absl::StrCat(ex.what, ": reply head from docker at ", ex.endpoint,
                     " exceeds ", kMaxHijackHead, " bytes"));
  }
  HijackReply reply;
  RETURN_IF_ERROR(
      ParseHead(absl::string_view(buf).substr(0, head_end), ex, &reply));
  std::string rest = buf.substr(head_end + 4);
  if (reply.status == 101 || reply.status == 200) {
    // The stream is ours now, with no deadline: back to blocking mode.
    const int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
      return ex.Broken(ErrnoText(errno));
    }
    std::move(close_fd).Cancel();
    reply.conn = MakeSocketHijackedConn(fd, std::move(rest));
    return reply;
  }
  ReadErrorBody(fd, &reply, std::move(rest), ex);
  return reply;
}

}  // namespace cri_dockerd::docker
