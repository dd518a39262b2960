// Port-forward sessions (Kubernetes' portforward.k8s.io protocol). Over
// SPDY the client opens a data and an error stream per forwarded
// connection, paired by their requestID header and naming the port in a
// port header; over WebSocket the ports come from the request and each
// gets a fixed data + error channel pair. Each pair is served by
// StreamingRuntime::PortForward on its own thread; failures are written to
// the error stream as text, as kubelet does.
#pragma once

#include "cri/streaming/request_cache.h"
#include "cri/streaming/session.h"

namespace cri_dockerd::streaming {

void ServePortForward(SessionContext& ctx, const PortForwardRequest& request);

// The WebSocket path (port_forward_ws.cc).
void ServePortForwardWebSocket(SessionContext& ctx,
                               const PortForwardRequest& request);

// Forwards one data/error pair through the runtime: on failure the
// error stream gets kubelet's "error forwarding port" text; both streams
// are half-closed at the end.
void ForwardPort(StreamingRuntime* runtime, const std::string& sandbox_id,
                 int32_t port, io::ByteStream* data, io::ByteStream* error);

}  // namespace cri_dockerd::streaming
