// An in-memory LogStreamMux over FakeDockerClient's stored container logs,
// for unit tests of its users: FakeDockerClient::NewLogStreamMux() makes
// one. Like CurlLogStreamMux it runs every callback on one thread of its
// own and keeps the same contract (see LogStreamMux): entries in order,
// one on_end per stream, pause and resume, Cancel from anywhere.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "docker_client/log_stream_mux.h"
#include "docker_client/testing/fake_docker_client.h"

namespace cri_dockerd::docker {

// Behaves like docker following a container's log:
//  - Follow: InvalidArgument (and no stream) for a malformed ID or a
//    missing deadline, as CurlLogStreamMux. An error injected for method
//    "LogStreamMux::Follow" (FakeDockerClient::InjectError) ends the
//    stream with it; an unknown container ends it with NotFound "No such
//    container: <id>".
//  - Each stream hands over the container's stored entries
//    (FakeDockerClient::AppendLogs) stamped at or after options.since,
//    including ones appended while it runs, and ends OK once all are
//    delivered and the container is not running. BreakLogStreams ends the
//    streams running then with its status, after what they had delivered.
//  - DeadlineExceeded at options.deadline, Cancelled on Cancel or
//    destruction.
// The thread looks at the store every 5 ms while streams run, and sleeps
// without any.
class FakeLogStreamMux : public LogStreamMux {
 public:
  // `docker` must outlive the mux.
  explicit FakeLogStreamMux(FakeDockerClient* docker);
  ~FakeLogStreamMux() override;
  FakeLogStreamMux(const FakeLogStreamMux&) = delete;
  FakeLogStreamMux& operator=(const FakeLogStreamMux&) = delete;

  absl::StatusOr<Handle> Follow(const LogFollowOptions& options,
                                EntrySink on_entry, EndSink on_end) override;
  void Resume(Handle handle) override;
  void Cancel(Handle handle) override;

  // Follow calls that made a stream, in call order.
  std::vector<LogFollowOptions> FollowCalls() const;
  // Streams whose on_end has not returned yet.
  int ActiveStreams() const;

 private:
  struct Stream {
    Handle handle = 0;
    LogFollowOptions options;
    EntrySink on_entry;
    EndSink on_end;
    absl::Status setup_error;  // ends the stream at once
    std::string container;     // the resolved ID
    int64_t break_generation = 0;
    size_t next = 0;  // the next stored entry to look at
    bool paused = false;
    bool cancelled = false;
  };

  void Run();
  // Takes the queued requests; false once stopping.
  bool TakeRequests();
  // Delivers what the store has for `s`; ends it when docker would.
  void Advance(Stream& s);
  void Finish(Handle handle, absl::Status status);
  bool OnMuxThread() const;

  FakeDockerClient* const docker_;
  std::thread thread_;

  mutable absl::Mutex mu_;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  Handle next_handle_ ABSL_GUARDED_BY(mu_) = 1;
  std::set<Handle> live_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<Stream>> adds_ ABSL_GUARDED_BY(mu_);
  std::vector<Handle> cancels_ ABSL_GUARDED_BY(mu_);
  std::vector<Handle> resumes_ ABSL_GUARDED_BY(mu_);
  std::vector<LogFollowOptions> calls_ ABSL_GUARDED_BY(mu_);

  // The thread's own.
  std::map<Handle, std::unique_ptr<Stream>> streams_;
};

}  // namespace cri_dockerd::docker
