// The gRPC boundary: adapts the generated RuntimeService / ImageService
// (gRPC's callback API) to the domain services. Each handler queues its
// call on a work lane (grpc_lanes.h); there it logs, derives the call's
// deadline, calls one domain method and converts its absl::Status;
// nothing else happens here. No gRPC thread waits on docker. RPCs no issue has
// implemented yet answer UNIMPLEMENTED with a message naming the RPC.
#pragma once

#include "cri/base/rpc_observer.h"
#include "cri/grpc_lanes.h"
#include "cri/image/image_service.h"
#include "cri/runtime_service.h"
#include "proto/cri_api_grpc.h"

namespace cri_dockerd {

// absl::Status -> grpc::Status (same code numbers; message kept).
grpc::Status ToGrpcStatus(const absl::Status& status);

// Builds the domain CallContext from a server context: its deadline (the
// domain services apply their own bounds) and its cancellation. The
// context must outlive the CallContext.
CallContext ContextFromGrpc(const grpc::ServerContextBase& context);

// Both services register with one grpc::ServerBuilder. `lanes` must
// outlive the server's shutdown (its destructor waits for running calls).
// `observer` may be null (no metrics); otherwise it must outlive the
// services.
std::unique_ptr<v1::RuntimeService::Service> NewRuntimeServiceGrpc(
    RuntimeService* runtime, CallLanes* lanes, RpcObserver* observer = nullptr);
std::unique_ptr<v1::ImageService::Service> NewImageServiceGrpc(
    ImageService* images, CallLanes* lanes, RpcObserver* observer = nullptr);

}  // namespace cri_dockerd
