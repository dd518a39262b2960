// What the streaming server needs from the container runtime: run a
// command, attach to a container, connect to a port inside a pod. The
// server owns the wire protocols (SPDY, WebSocket) and hands the runtime
// plain byte streams; cri/ implements this against docker.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/io/byte_stream.h"
#include "cri/streaming/request_cache.h"

namespace cri_dockerd::streaming {

struct TerminalSize {
  uint16_t width = 0;
  uint16_t height = 0;
};

// Terminal sizes as the client sends them.
class ResizeSource {
 public:
  virtual ~ResizeSource() = default;
  // Blocks for the next size; nullopt once the client sends no more or
  // after Cancel().
  virtual std::optional<TerminalSize> Next() = 0;
  // Makes Next() return nullopt from now on (local only). Idempotent.
  virtual void Cancel() = 0;
};

// Fires once when the client's connection is gone, so a runtime blocked on
// docker can give up.
class ClientGone {
 public:
  virtual ~ClientGone() = default;
  // Runs `fn` when the client goes (at once if it has). Returns an id for
  // Remove().
  virtual int OnGone(std::function<void()> fn) = 0;
  // Unregisters; once it returns `fn` is not running and never will.
  virtual void Remove(int id) = 0;
};

// The client's side of an exec or attach. Null streams were not asked for.
struct StreamIo {
  // Reset() on stdin only stops local reading (the runtime calls it when
  // the command is done and it no longer wants input); nothing is sent.
  io::ByteStream* stdin = nullptr;
  io::ByteStream* stdout = nullptr;
  io::ByteStream* stderr = nullptr;  // always null with tty
  bool tty = false;
  ResizeSource* resize = nullptr;     // may be null
  ClientGone* client_gone = nullptr;  // never null from the server
};

// Threads: Exec and Attach may start at most kMaxRuntimeExecThreads of
// their own, PortForward at most kMaxRuntimePortForwardThreads at a time
// (limits.h), with common/thread.h's StartThread: one that cannot be
// created fails that call, never the process.
class StreamingRuntime {
 public:
  virtual ~StreamingRuntime() = default;

  // Runs request.cmd in the container with `io` attached and returns its
  // exit code once it has exited and all its output was written. Returns
  // early (an error) if the client's streams fail. Must not leave threads
  // or docker connections behind when it returns.
  virtual absl::StatusOr<int> Exec(const ExecRequest& request,
                                   const StreamIo& io) = 0;

  // Attaches `io` to the container's main process until that exits or
  // the client goes away.
  virtual absl::Status Attach(const AttachRequest& request,
                              const StreamIo& io) = 0;

  // Connects to `port` on localhost inside the pod's network namespace and
  // copies between it and `data` both ways until both directions are done
  // or either side fails.
  virtual absl::Status PortForward(const std::string& pod_sandbox_id,
                                   int32_t port, io::ByteStream* data) = 0;
};

}  // namespace cri_dockerd::streaming
