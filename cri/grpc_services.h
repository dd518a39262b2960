// The gRPC boundary: adapts the generated RuntimeService / ImageService
// to the domain services. Each handler logs, derives the call's deadline,
// calls one domain method and converts its absl::Status; nothing else
// happens here. RPCs no issue has implemented yet answer UNIMPLEMENTED
// with a message naming the RPC.
#pragma once

#include "cri/base/rpc_observer.h"
#include "cri/image/image_service.h"
#include "cri/runtime_service.h"
#include "proto/cri_api_grpc.h"

namespace cri_dockerd {

// absl::Status -> grpc::Status (same code numbers; message kept).
grpc::Status ToGrpcStatus(const absl::Status& status);

// Builds the domain CallContext from a server context: its deadline (the
// domain services apply their own bounds) and its cancellation. The
// context must outlive the CallContext.
CallContext ContextFromGrpc(const grpc::ServerContext& context);

// Both services register with one grpc::ServerBuilder. `observer` may be
// null (no metrics); otherwise it must outlive the services.
std::unique_ptr<v1::RuntimeService::Service> NewRuntimeServiceGrpc(
    RuntimeService* runtime, RpcObserver* observer = nullptr);
std::unique_ptr<v1::ImageService::Service> NewImageServiceGrpc(
    ImageService* images, RpcObserver* observer = nullptr);

}  // namespace cri_dockerd
