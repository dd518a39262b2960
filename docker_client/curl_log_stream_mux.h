// LogStreamMux over libcurl's multi interface. One thread drives every
// stream: it sleeps in curl_multi_poll until a connection has data, the
// nearest deadline falls due, or a caller wakes it (curl_multi_wakeup) to
// start, resume or cancel a stream. N followed containers cost N
// connections to dockerd and nothing more: no thread, timer or poll each.
// Bodies are decoded with LogStreamDecoder, as FollowContainerLogs does.
//
// Memory per stream is bounded whatever the receiver does: curl's receive
// buffer (16 KiB), the decoder's incomplete message (one docker log
// message, at most 16 KiB plus its timestamp, for a sane engine), and,
// after on_entry says kPause, the rest of the chunk being decoded then
// (held until Resume) plus the one chunk curl keeps for a transfer paused
// with CURL_WRITEFUNC_PAUSE. Nothing more is read from a paused stream's
// connection, so dockerd blocks on its write instead.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "docker_client/endpoint.h"
#include "docker_client/http_transport.h"
#include "docker_client/log_stream_mux.h"

namespace cri_dockerd::docker {

class CurlLogStreamMux : public LogStreamMux {
 public:
  // How streams reach dockerd. Only `endpoint` is required; the hooks let
  // a CurlDockerClient share its API version negotiation
  // (CurlDockerClient::NewLogStreamMux) and must be thread-safe.
  struct Engine {
    Endpoint endpoint;
    // The API version for paths ("1.41"), negotiating under `deadline`
    // if none is known; called by Follow on the caller's thread. Empty:
    // unversioned paths (the engine's newest API).
    std::function<absl::StatusOr<std::string>(absl::Time deadline)> api_version;
    // Told each reply's headers (lowercased names), on the mux thread;
    // true if they show that dockerd changed (another API version) since
    // the version was negotiated. A 400 from such a daemon ends the
    // stream with Unavailable, so that following again renegotiates.
    std::function<bool(const std::map<std::string, std::string>& headers)>
        note_headers;
    // Told on the mux thread when a stream ends Unavailable (dockerd not
    // reachable, or its connection broke).
    std::function<void()> on_unavailable;
    // Told of each stream's exchange when it ends, on the mux thread.
    HttpObserver observer;
  };

  // Starts the thread. Internal if curl's multi handle cannot be made.
  static absl::StatusOr<std::unique_ptr<CurlLogStreamMux>> Create(
      Engine engine);
  ~CurlLogStreamMux() override;
  CurlLogStreamMux(const CurlLogStreamMux&) = delete;
  CurlLogStreamMux& operator=(const CurlLogStreamMux&) = delete;

  absl::StatusOr<Handle> Follow(const LogFollowOptions& options,
                                EntrySink on_entry, EndSink on_end) override;
  void Resume(Handle handle) override;
  void Cancel(Handle handle) override;

  // How often the thread has returned from curl_multi_poll: with every
  // stream silent and no caller, it stays put until the nearest deadline.
  uint64_t wakeups() const { return wakeups_.load(); }

 private:
  struct Stream;  // curl_log_stream_mux_stream.h

  CurlLogStreamMux(Engine engine, void* multi);
  bool OnMuxThread() const;
  // Makes the thread's curl_multi_poll return (now, or at once when it
  // next polls), to take the requests queued.
  void Wake();
  // The thread's loop.
  void Run();
  // Takes what callers queued: adds new streams to the multi handle,
  // cancels, resumes. False once the mux is stopping (every stream then
  // ended Cancelled).
  bool TakeRequests();
  // Ends the streams whose transfer curl finished.
  void ReapTransfers();
  void ExpireDeadlines(absl::Time now);
  // A unix socket's connect fails at once (EAGAIN) while the engine's
  // listen backlog is full, as in a burst of Follows: the stream's
  // transfer is set aside to be tried again shortly, until its
  // connect_timeout. True if so.
  bool RetryLater(Stream& s);
  // Puts the transfers set aside by RetryLater whose time came back into
  // the multi handle.
  void RetryConnects(absl::Time now);
  // How long curl_multi_poll may sleep: until curl's next timer, the
  // nearest deadline or connect retry.
  int PollTimeoutMs(absl::Time now) const;
  void ResumeStream(Handle handle);
  // The transfer of `s` completed with `result`: decides the outcome and
  // ends the stream, or parks the outcome behind entries held by a pause.
  void TransferDone(Stream& s, int result);
  // on_end(status) for the stream unless it has ended; forgets it.
  void Finish(Handle handle, absl::Status status);
  // Takes the stream's easy handle out of the multi handle (telling the
  // observer about the exchange) and frees it.
  void ReleaseTransfer(Stream& s);

  // Makes the stream's easy handle, to connect by `connect_by`.
  absl::Status SetUpTransfer(Stream& s, absl::Time connect_by);
  // curl's callback for the body; userp is the Stream.
  static size_t OnData(char* data, size_t size, size_t nmemb, void* userp);

  // Constant after construction.
  const Engine engine_;
  const std::string url_prefix_;
  void* const multi_;  // CURLM*; curl_multi_wakeup is its only thread-safe call
  std::thread thread_;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  Handle next_handle_ ABSL_GUARDED_BY(mu_) = 1;
  // Streams whose on_end has not returned yet.
  std::set<Handle> live_ ABSL_GUARDED_BY(mu_);
  // Requests for the thread.
  std::vector<std::unique_ptr<Stream>> adds_ ABSL_GUARDED_BY(mu_);
  std::vector<Handle> cancels_ ABSL_GUARDED_BY(mu_);
  std::vector<Handle> resumes_ ABSL_GUARDED_BY(mu_);

  // The thread's own.
  std::map<Handle, std::unique_ptr<Stream>> streams_;
  std::atomic<uint64_t> wakeups_{0};
};

}  // namespace cri_dockerd::docker
