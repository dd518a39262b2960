#include "tests/component/fake_docker_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/memory/memory.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"

namespace cri_dockerd::docker {
namespace {

absl::Status Errno(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// "1.41" -> 1041; -1 if not a version.
int VersionKey(absl::string_view v) {
  std::pair<absl::string_view, absl::string_view> parts =
      absl::StrSplit(v, absl::MaxSplits('.', 1));
  int major = 0;
  int minor = 0;
  if (parts.second.empty() || !absl::SimpleAtoi(parts.first, &major) ||
      !absl::SimpleAtoi(parts.second, &minor)) {
    return -1;
  }
  return major * 1000 + minor;
}

absl::string_view Reason(int status) {
  switch (status) {
    case 101:
      return "UPGRADED";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 409:
      return "Conflict";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

FakeResponse Json(int status, std::string body) {
  FakeResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

bool SendAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<FakeDockerServer>> FakeDockerServer::StartUnix(
    std::string socket_path) {
  auto server = absl::WrapUnique(new FakeDockerServer());
  RETURN_IF_ERROR(server->Listen(/*unix_socket=*/true, std::move(socket_path)));
  return server;
}

absl::StatusOr<std::unique_ptr<FakeDockerServer>> FakeDockerServer::StartTcp() {
  auto server = absl::WrapUnique(new FakeDockerServer());
  RETURN_IF_ERROR(server->Listen(/*unix_socket=*/false, ""));
  return server;
}

absl::Status FakeDockerServer::Listen(bool unix_socket,
                                      std::string socket_path) {
  for (int& fd : stop_pipe_) {
    if (fd >= 0) close(fd);
    fd = -1;
  }
  if (pipe2(stop_pipe_, O_CLOEXEC) != 0) return Errno("pipe2");
  {
    absl::MutexLock lock(&mu_);
    stopped_ = false;
  }
  if (unix_socket) {
    if (socket_path.empty()) {
      char dir[] = "/tmp/crid-fake-docker-XXXXXX";
      if (mkdtemp(dir) == nullptr) return Errno("mkdtemp");
      temp_dir_ = dir;
      socket_path = temp_dir_ + "/docker.sock";
    }
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (socket_path.size() >= sizeof(addr.sun_path)) {
      return absl::InvalidArgumentError("socket path too long");
    }
    std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
    socket_path_ = socket_path;
    unlink(socket_path_.c_str());
    listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) return Errno("socket");
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr))) {
      return Errno("bind");
    }
  } else {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) return Errno("socket");
    const int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    socklen_t len = sizeof(addr);
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len)) {
      return Errno("bind");
    }
    port_ = ntohs(addr.sin_port);
  }
  if (listen(listen_fd_, 64) != 0) return Errno("listen");
  acceptor_ = std::thread([this] { AcceptLoop(); });
  return absl::OkStatus();
}

FakeDockerServer::~FakeDockerServer() {
  Stop();
  if (!socket_path_.empty()) unlink(socket_path_.c_str());
  for (int fd : stop_pipe_) {
    if (fd >= 0) close(fd);
  }
  if (!temp_dir_.empty()) rmdir(temp_dir_.c_str());
}

void FakeDockerServer::Stop() { StopImpl(/*remove_socket_file=*/true); }

void FakeDockerServer::Crash() { StopImpl(/*remove_socket_file=*/false); }

absl::Status FakeDockerServer::Restart() {
  Stop();
  return Listen(!socket_path_.empty(), socket_path_);
}

void FakeDockerServer::StopImpl(bool remove_socket_file) {
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  if (stop_pipe_[1] >= 0) {
    const ssize_t n = write(stop_pipe_[1], "x", 1);
    (void)n;
  }
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<std::thread> connections;
  {
    absl::MutexLock lock(&mu_);
    connections.swap(connections_);
  }
  for (std::thread& t : connections) t.join();
  if (listen_fd_ >= 0) close(listen_fd_);
  listen_fd_ = -1;
  if (remove_socket_file && !socket_path_.empty()) {
    unlink(socket_path_.c_str());
  }
}

std::string FakeDockerServer::endpoint() const {
  if (socket_path_.empty()) return absl::StrCat("tcp://127.0.0.1:", port_);
  return absl::StrCat("unix://", socket_path_);
}

void FakeDockerServer::SetResponse(const std::string& method,
                                   const std::string& path,
                                   FakeResponse response) {
  absl::MutexLock lock(&mu_);
  responses_[{method, path}] = std::move(response);
}

void FakeDockerServer::SetDaemonVersion(const std::string& api,
                                        const std::string& min_api) {
  absl::MutexLock lock(&mu_);
  api_version_ = api;
  min_api_version_ = min_api;
}

std::vector<RecordedRequest> FakeDockerServer::Requests() const {
  absl::MutexLock lock(&mu_);
  return requests_;
}

std::vector<std::string> FakeDockerServer::Paths() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> paths;
  for (const RecordedRequest& r : requests_) paths.push_back(r.path);
  return paths;
}

void FakeDockerServer::ClearRequests() {
  absl::MutexLock lock(&mu_);
  requests_.clear();
}

int FakeDockerServer::connections_accepted() const {
  absl::MutexLock lock(&mu_);
  return accepted_;
}

int FakeDockerServer::streams_abandoned() const {
  absl::MutexLock lock(&mu_);
  return streams_abandoned_;
}

FakeDockerServer::Wake FakeDockerServer::WaitFor(int fd,
                                                 absl::Duration timeout) const {
  const absl::Time until = absl::Now() + timeout;
  for (;;) {
    pollfd fds[2] = {{stop_pipe_[0], POLLIN, 0}, {fd, POLLIN, 0}};
    int ms = -1;
    if (timeout != absl::InfiniteDuration()) {
      ms = static_cast<int>(std::max<int64_t>(
          0, absl::ToInt64Milliseconds(
                 absl::Ceil(until - absl::Now(), absl::Milliseconds(1)))));
    }
    const int n = poll(fds, 2, ms);
    if (n < 0 && errno == EINTR) continue;
    if (fds[0].revents != 0) return Wake::kStopped;
    if (n > 0 && fds[1].revents != 0) return Wake::kReadable;
    if (n == 0) return Wake::kTimeout;
  }
}

void FakeDockerServer::AcceptLoop() {
  while (WaitFor(listen_fd_, absl::InfiniteDuration()) == Wake::kReadable) {
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    absl::MutexLock lock(&mu_);
    ++accepted_;
    connections_.emplace_back([this, fd] { Serve(fd); });
  }
}

void FakeDockerServer::Serve(int fd) {
  std::string buf;
  // Reads until done() holds; false if the peer hangs up or we stop.
  auto fill = [&](auto done) {
    while (!done()) {
      if (WaitFor(fd, absl::InfiniteDuration()) != Wake::kReadable) {
        return false;
      }
      char chunk[4096];
      const ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
      if (n <= 0) return false;
      buf.append(chunk, static_cast<size_t>(n));
    }
    return true;
  };
  for (;;) {
    if (!fill([&] { return buf.find("\r\n\r\n") != std::string::npos; })) {
      break;
    }
    const size_t head_end = buf.find("\r\n\r\n");
    RecordedRequest request;
    std::vector<absl::string_view> lines =
        absl::StrSplit(absl::string_view(buf).substr(0, head_end), "\r\n");
    std::vector<absl::string_view> first = absl::StrSplit(lines[0], ' ');
    if (first.size() >= 2) {
      request.method = std::string(first[0]);
      request.path = std::string(first[1]);
    }
    for (size_t i = 1; i < lines.size(); ++i) {
      const size_t colon = lines[i].find(':');
      if (colon == absl::string_view::npos) continue;
      request.headers[absl::AsciiStrToLower(lines[i].substr(0, colon))] =
          std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
    }
    buf.erase(0, head_end + 4);
    size_t length = 0;
    if (auto it = request.headers.find("content-length");
        it != request.headers.end()) {
      (void)absl::SimpleAtoi(it->second, &length);
    }
    if (!fill([&] { return buf.size() >= length; })) break;
    request.body = buf.substr(0, length);
    buf.erase(0, length);
    {
      absl::MutexLock lock(&mu_);
      requests_.push_back(request);
    }
    const FakeResponse response = Lookup(request);
    if (response.never_answer) {
      fill([] { return false; });  // until the client hangs up or Stop()
      break;
    }
    if (response.delay > absl::ZeroDuration() &&
        WaitFor(-1, response.delay) == Wake::kStopped) {
      break;
    }
    if (response.raw) {
      std::string head = absl::StrCat("HTTP/1.1 ", response.status, " ",
                                      Reason(response.status), "\r\n");
      absl::StrAppend(&head,
                      "Content-Type: application/vnd.docker.raw-stream\r\n");
      if (response.status == 101) {
        absl::StrAppend(&head, "Connection: Upgrade\r\nUpgrade: tcp\r\n");
      }
      {
        absl::MutexLock lock(&mu_);
        if (!api_version_.empty()) {
          absl::StrAppend(&head, "Api-Version: ", api_version_, "\r\n");
        }
      }
      absl::StrAppend(&head, "\r\n", response.body);
      if (!SendAll(fd, head.data(), head.size())) break;
      RawExchange exchange(fd, stop_pipe_[0], std::move(buf));
      response.raw(exchange);
      break;
    }
    if (!response.stream.empty() || response.stall) {
      if (!SendStream(fd, response)) break;
      continue;
    }
    const std::string wire = Serialize(response);
    if (response.close_after_bytes.has_value()) {
      SendAll(fd, wire.data(),
              std::min(wire.size(), *response.close_after_bytes));
      shutdown(fd, SHUT_WR);
      break;
    }
    if (!SendAll(fd, wire.data(), wire.size())) break;
    auto conn = request.headers.find("connection");
    if (conn != request.headers.end() &&
        absl::EqualsIgnoreCase(conn->second, "close")) {
      break;
    }
  }
  close(fd);
}

FakeResponse FakeDockerServer::Lookup(const RecordedRequest& request) const {
  const absl::string_view full = request.path;
  const absl::string_view no_query = full.substr(0, full.find('?'));
  absl::string_view unversioned = no_query;
  absl::string_view version;
  if (absl::StartsWith(no_query, "/v")) {
    const size_t slash = no_query.find('/', 1);
    if (slash != absl::string_view::npos &&
        VersionKey(no_query.substr(2, slash - 2)) >= 0) {
      version = no_query.substr(2, slash - 2);
      unversioned = no_query.substr(slash);
    }
  }
  absl::MutexLock lock(&mu_);
  const bool emulating = !api_version_.empty();
  if (emulating && !version.empty()) {
    // Like dockerd's version middleware: checked before routing.
    if (VersionKey(version) > VersionKey(api_version_)) {
      return Json(400, absl::StrCat("{\"message\":\"client version ", version,
                                    " is too new. Maximum supported API "
                                    "version is ",
                                    api_version_, "\"}\n"));
    }
    if (VersionKey(version) < VersionKey(min_api_version_)) {
      return Json(400, absl::StrCat("{\"message\":\"client version ", version,
                                    " is too old. Minimum supported API "
                                    "version is ",
                                    min_api_version_,
                                    ", please upgrade your client to a newer "
                                    "version\"}\n"));
    }
  }
  for (absl::string_view key : {full, no_query, unversioned}) {
    auto it = responses_.find({request.method, std::string(key)});
    if (it != responses_.end()) return it->second;
  }
  if (emulating && request.method == "GET" && unversioned == "/_ping") {
    FakeResponse ok = Json(200, "OK");
    ok.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
    return ok;
  }
  if (emulating && request.method == "GET" && unversioned == "/version") {
    return Json(200, absl::StrCat("{\"Version\":\"fake-", api_version_,
                                  "\",\"ApiVersion\":\"", api_version_,
                                  "\",\"MinAPIVersion\":\"", min_api_version_,
                                  "\",\"Os\":\"linux\",\"Arch\":\"amd64\"}\n"));
  }
  return Json(404, "{\"message\":\"page not found\"}\n");
}

bool FakeDockerServer::SendStream(int fd, const FakeResponse& response) {
  auto abandoned = [this] {
    absl::MutexLock lock(&mu_);
    ++streams_abandoned_;
    return false;
  };
  const std::string head = Serialize(response, /*open_ended=*/true);
  if (!SendAll(fd, head.data(), head.size())) return abandoned();
  for (const FakeResponse::Piece& piece : response.stream) {
    if (piece.delay > absl::ZeroDuration() &&
        WaitFor(-1, piece.delay) == Wake::kStopped) {
      return false;
    }
    if (piece.before) piece.before();
    if (piece.data.empty()) continue;  // an empty chunk would end the body
    char size[32];
    std::snprintf(size, sizeof(size), "%zx\r\n", piece.data.size());
    const std::string chunk = absl::StrCat(size, piece.data, "\r\n");
    if (!SendAll(fd, chunk.data(), chunk.size())) return abandoned();
  }
  if (response.stall) {
    // Until the client hangs up (it read everything, so any readiness is
    // its close) or the server stops.
    if (WaitFor(fd, absl::InfiniteDuration()) == Wake::kReadable) {
      abandoned();
    }
    return false;
  }
  static constexpr char kEnd[] = "0\r\n\r\n";
  return SendAll(fd, kEnd, sizeof(kEnd) - 1) || abandoned();
}

std::string FakeDockerServer::Serialize(const FakeResponse& response,
                                        bool open_ended) const {
  std::string wire = absl::StrCat("HTTP/1.1 ", response.status, " ",
                                  Reason(response.status), "\r\n");
  bool has_content_type = false;
  for (const auto& [name, value] : response.headers) {
    has_content_type |= absl::EqualsIgnoreCase(name, "content-type");
    absl::StrAppend(&wire, name, ": ", value, "\r\n");
  }
  if (!has_content_type) {
    absl::StrAppend(&wire, "Content-Type: application/json\r\n");
  }
  {
    absl::MutexLock lock(&mu_);
    if (!api_version_.empty()) {
      absl::StrAppend(&wire, "Api-Version: ", api_version_, "\r\n");
    }
  }
  absl::StrAppend(&wire, "Server: Docker/fake (linux)\r\n");
  if (response.chunked || open_ended) {
    absl::StrAppend(&wire, "Transfer-Encoding: chunked\r\n\r\n");
    if (!response.body.empty()) {
      char size[32];
      std::snprintf(size, sizeof(size), "%zx", response.body.size());
      absl::StrAppend(&wire, size, "\r\n", response.body, "\r\n");
    }
    if (!open_ended) absl::StrAppend(&wire, "0\r\n\r\n");
  } else {
    absl::StrAppend(&wire, "Content-Length: ", response.body.size(), "\r\n\r\n",
                    response.body);
  }
  return wire;
}

}  // namespace cri_dockerd::docker
