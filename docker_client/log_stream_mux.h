// Following many containers' log streams at once on one thread: the
// interface cri/logs/ programs against, with no HTTP or libcurl in sight.
// CurlLogStreamMux (curl_log_stream_mux.h) drives every stream's
// GET /containers/{id}/logs?follow=1 connection from one thread; the fake
// (testing/fake_log_stream_mux.h) serves FakeDockerClient's stored logs.
// Get one from DockerClient::NewLogStreamMux().
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "docker_client/log_types.h"

namespace cri_dockerd::docker {

// One stream to follow: GET /containers/{id}/logs?follow=1&stdout=1&
// stderr=1&timestamps=1[&since=..].
struct LogFollowOptions {
  std::string id = {};  // container ID or name
  // Only entries stamped at or after this time (docker's `since` is
  // inclusive); InfinitePast: from the start of the log.
  absl::Time since = absl::InfinitePast();
  // The container's Config.Tty: TTY containers' logs come as one raw
  // stream, others' in docker's multiplexed framing.
  bool tty = false;
  // Required and finite: the stream ends with DeadlineExceeded then,
  // however it fares (paused, silent, or still connecting). Long-running
  // containers are followed in windows: follow again from the last
  // entry's timestamp.
  absl::Time deadline = absl::InfiniteFuture();
  // Bounds reaching dockerd: negotiating the API version (when the client
  // has none) and connecting. Never past `deadline`.
  absl::Duration connect_timeout = absl::Seconds(10);
};

// Thread-safe. Every stream's callbacks run on the mux's one thread, one
// at a time, so they must not block: no docker calls, no waiting on
// locks held across blocking work. A receiver that cannot take an entry
// now returns Flow::kPause and calls Resume() later (from any thread).
//
// Per stream, in order: zero or more on_entry calls with the entries in
// the order docker stored them (with their timestamps and stream), then
// exactly one on_end call, after which nothing more is called for the
// handle. on_end's status:
//   OK                 docker ended the stream: the container is not
//                      running and everything it wrote was delivered
//   NotFound           no such container (docker's 404)
//   FailedPrecondition its logging driver cannot be read back (501)
//   Unavailable        dockerd could not be reached, or went away
//                      mid-stream (its connection broke)
//   DeadlineExceeded   options.deadline passed (entries held by a pause
//                      are dropped)
//   Cancelled          Cancel() or the mux's destruction (ditto)
//   InvalidArgument, Internal, ...   as MapDockerError maps docker's reply,
//                      or a stream whose framing broke
class LogStreamMux {
 public:
  // Names one stream; never 0, never reused by a mux.
  using Handle = uint64_t;
  enum class Flow {
    kContinue,
    // Deliver no more entries until Resume(handle). The transfer is
    // paused: the mux keeps at most what it had already read from the
    // connection (tens of KiB), and the kernel's socket buffers push back
    // on dockerd. on_end still comes while paused when no entry is held
    // (the stream ended right after the pausing entry, or the deadline
    // passed, or Cancel).
    kPause,
  };
  using EntrySink = std::function<Flow(const LogEntry& entry)>;
  using EndSink = std::function<void(absl::Status status)>;

  // Cancels every stream (on_end(Cancelled) for each, on the mux thread),
  // then joins the thread. Must not be called from a callback.
  virtual ~LogStreamMux() = default;

  // Starts following options.id. Fails, with no stream and no callback,
  // only for an empty or malformed ID or a missing deadline
  // (InvalidArgument), or while the mux is being destroyed (Cancelled);
  // everything docker says comes through on_end. May block up to
  // options.connect_timeout to negotiate the API version with dockerd
  // when the client has none (at first use, and after dockerd went away),
  // so call it from a thread that may block rather than from a callback.
  // on_entry may be empty (the entries are dropped); on_end may be empty.
  virtual absl::StatusOr<Handle> Follow(const LogFollowOptions& options,
                                        EntrySink on_entry, EndSink on_end) = 0;

  // Delivers again to a stream that returned Flow::kPause: first the
  // entries held since, then new ones. No-op for a stream not paused or
  // already ended. Any thread, callbacks included; returns at once.
  virtual void Resume(Handle handle) = 0;

  // Ends the stream with on_end(Cancelled) unless it has ended already
  // (then, and for an unknown handle, a no-op). Idempotent. From another
  // thread, returns once on_end has returned: the caller may then free
  // what the callbacks use (so it must not hold a lock the callbacks
  // take). From a callback (on the mux thread), returns at once; no entry
  // of that stream is delivered after, and its on_end(Cancelled) runs
  // after the current callback returns.
  virtual void Cancel(Handle handle) = 0;
};

}  // namespace cri_dockerd::docker
