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

// The WebSocket path (portforward_ws.cc).
void ServePortForwardWebSocket(SessionContext& ctx,
                               const PortForwardRequest& request);

// The text written to a pair's error stream when forwarding fails.
std::string PortForwardError(int32_t port, const std::string& sandbox_id,
                             const absl::Status& error);

}  // namespace cri_dockerd::streaming
