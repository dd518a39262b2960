// A scriptable stand-in for dockerd's HTTP API for component tests: a tiny
// HTTP/1.1 server (keep-alive, one thread per connection) on a temp unix
// socket or a loopback tcp port. Replies are scripted per method and path
// and may be delayed, truncated or withheld; requests are recorded.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace cri_dockerd::docker {

// The server's side of a connection docker took over (FakeResponse::raw).
class RawExchange {
 public:
  RawExchange(int fd, int stop_fd, std::string already_read)
      : fd_(fd), stop_fd_(stop_fd), pending_(std::move(already_read)) {}
  // Appends what the client sends next to *out; false at its EOF, on an
  // error, or when the server stops.
  bool Read(std::string* out);
  // Everything the client sends until it half-closes (or goes away).
  std::string ReadToEof();
  bool Write(absl::string_view data);
  // shutdown(SHUT_WR): the client reads EOF.
  void CloseWrite();

 private:
  const int fd_;
  const int stop_fd_;
  std::string pending_;  // sent along with the request
};

struct FakeResponse {
  int status = 200;
  std::string body = {};
  // Extra headers; Content-Type defaults to application/json.
  std::vector<std::pair<std::string, std::string>> headers = {};
  // Wait this long before replying.
  absl::Duration delay = absl::ZeroDuration();
  // Send the body with chunked transfer encoding instead of Content-Length.
  bool chunked = false;
  // Write only this many bytes of the serialized reply, then close.
  std::optional<size_t> close_after_bytes = std::nullopt;
  // Read the request, then never answer (until the client goes away or
  // the server stops).
  bool never_answer = false;
  // Streaming replies (like POST /images/create): with `stream` non-empty
  // or `stall`, the reply goes out chunked -- headers and `body` (if any)
  // at once, then each piece as its own HTTP chunk after its delay.
  struct Piece {
    std::string data;
    absl::Duration delay = absl::ZeroDuration();
    // Called on the connection's thread after `delay`, just before the
    // piece goes out: a test may block in it to order the piece after
    // something the client does (with a timeout of its own).
    std::function<void()> before = nullptr;
  };
  std::vector<Piece> stream = {};
  // After the pieces, send nothing more and keep the connection open
  // until the client hangs up (or the server stops), instead of ending
  // the body.
  bool stall = false;
  // Hijacks the connection as docker's exec start and attach do: sends a
  // head without length -- "101 UPGRADED" with "Connection: Upgrade" and
  // "Upgrade: tcp" when `status` is 101, else a bare raw-stream head --
  // and `body` in the same write, then runs `raw` on the connection and
  // closes it when it returns.
  std::function<void(RawExchange& conn)> raw = nullptr;
};

struct RecordedRequest {
  std::string method;
  std::string path;                            // as sent, with query
  std::map<std::string, std::string> headers;  // lowercased names
  std::string body;
};

class FakeDockerServer {
 public:
  // Listens on a unix socket at `socket_path`, or in a fresh temp dir
  // when empty. A stale file at the path is replaced.
  static absl::StatusOr<std::unique_ptr<FakeDockerServer>> StartUnix(
      std::string socket_path = "");
  // Listens on 127.0.0.1 on an ephemeral port.
  static absl::StatusOr<std::unique_ptr<FakeDockerServer>> StartTcp();

  ~FakeDockerServer();
  FakeDockerServer(const FakeDockerServer&) = delete;
  FakeDockerServer& operator=(const FakeDockerServer&) = delete;

  // Closes the listener and every connection and joins the threads.
  // Removes the socket file (but not the temp dir). Idempotent.
  void Stop();
  // Like Stop() but leaves the socket file behind, as a killed dockerd
  // does: connecting then fails with "connection refused".
  void Crash();
  // Simulates a daemon restart: Stop() (unless stopped), then listen again
  // on the same socket path or port. Scripts and the daemon version are
  // kept, recorded requests too (see ClearRequests).
  absl::Status Restart();

  // "unix:///tmp/.../docker.sock" or "tcp://127.0.0.1:port".
  std::string endpoint() const;
  const std::string& socket_path() const { return socket_path_; }

  // Scripts the reply to `method` `path`. A request matches its exact
  // path (with query), else its path without query, else that path with
  // any /v1.xx prefix removed. Unscripted requests get docker's 404.
  void SetResponse(const std::string& method, const std::string& path,
                   FakeResponse response);

  // Behaves like a daemon speaking API versions [min_api, api]: answers
  // GET /_ping and GET /version (unless scripted), sends an Api-Version
  // header with every reply, and rejects /v<x>/ paths outside the range
  // with docker's 400 "client version ... is too new/old".
  void SetDaemonVersion(const std::string& api, const std::string& min_api);

  std::vector<RecordedRequest> Requests() const;
  // Paths of the recorded requests, in order.
  std::vector<std::string> Paths() const;
  void ClearRequests();
  int connections_accepted() const;
  // Streaming replies the client abandoned (hung up before their end).
  int streams_abandoned() const;

 private:
  FakeDockerServer() = default;
  // Listens on `socket_path` (unix, a temp one if empty) or on loopback
  // tcp port `port_` (ephemeral if 0) and starts accepting.
  absl::Status Listen(bool unix_socket, std::string socket_path);
  void StopImpl(bool remove_socket_file);
  void AcceptLoop();
  void Serve(int fd);
  enum class Wake { kReadable, kTimeout, kStopped };
  // Blocks until `fd` is readable, the server stops, or `timeout` passes.
  // With fd < 0 it just sleeps unless the server stops.
  Wake WaitFor(int fd, absl::Duration timeout) const;
  // The canned reply for `request` (scripted, emulated or 404).
  FakeResponse Lookup(const RecordedRequest& request) const;
  // The reply on the wire, with the Api-Version header if emulating.
  // `open_ended`: chunked, without the final chunk (more pieces follow).
  std::string Serialize(const FakeResponse& response,
                        bool open_ended = false) const;
  // Sends a streaming reply (FakeResponse::stream / stall); false if the
  // connection should close.
  bool SendStream(int fd, const FakeResponse& response);

  // Constant while running.
  int listen_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};  // readable once stopping
  std::string socket_path_;
  std::string temp_dir_;
  int port_ = 0;
  std::thread acceptor_;

  mutable absl::Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::pair<std::string, std::string>, FakeResponse> responses_
      ABSL_GUARDED_BY(mu_);
  std::string api_version_ ABSL_GUARDED_BY(mu_);
  std::string min_api_version_ ABSL_GUARDED_BY(mu_);
  std::vector<RecordedRequest> requests_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> connections_ ABSL_GUARDED_BY(mu_);
  int accepted_ ABSL_GUARDED_BY(mu_) = 0;
  int streams_abandoned_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace cri_dockerd::docker
