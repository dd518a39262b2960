// The streaming server's limits in one place: how many connections may
// wait for their request, how many sessions may run, and how many threads
// each kind of session may use, so that neither a flood of connections
// nor a few busy clients can grow the daemon without bound.
#pragma once

#include "absl/time/time.h"

namespace cri_dockerd::streaming {

// Connections that have not yet sent a request head naming a valid
// token ("pre-token"). They cost no thread -- the server's one loop thread
// reads them all -- but one fd and at most kMaxRequestHead bytes each.
// When this many wait, the oldest is closed to make room: a flood of idle
// connections cannot keep out a client that sends its request at once.
inline constexpr int kMaxPendingConnections = 64;
// How long a connection may take to send its whole request head.
inline constexpr absl::Duration kHeadTimeout = absl::Seconds(5);
// Sessions (connections whose token was valid) running at once; more get
// 503 and their token stays good.
inline constexpr int kMaxSessions = 256;
// kubelet's default streamingConnectionIdleTimeout: a session with no
// traffic either way for this long is closed.
inline constexpr absl::Duration kDefaultIdleTimeout = absl::Hours(4);

// Threads of one session on the server's side (this folder): the
// session's own thread and the SPDY or WebSocket reader, plus
//  - exec/attach: one watching for the client's end and one per input
//    stream (stdin, resize);
//  - port-forward: one per forwarded connection, of which a session
//    carries at most kMaxForwardedConnections at once (more are refused on
//    their error stream; over WebSocket, a request naming more ports gets
//    400).
inline constexpr int kMaxExecSessionThreads = 2 + 3;
inline constexpr int kMaxForwardedConnections = 64;
inline constexpr int kMaxPortForwardSessionThreads =
    2 + kMaxForwardedConnections;
// Threads a StreamingRuntime may add (runtime.h): per Exec or Attach, and
// per forwarded connection while StreamingRuntime::PortForward runs.
inline constexpr int kMaxRuntimeExecThreads = 2;
inline constexpr int kMaxRuntimePortForwardThreads = 1;

}  // namespace cri_dockerd::streaming
