// How cri_request_fuzzer calls each CRI runtime.v1 method: through the
// domain methods of RuntimeService and ImageService, as the gRPC adapter
// does, with the request built by reflection.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cri/base/call_context.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "tests/fuzz/cri_world.h"
#include "tests/fuzz/proto_mutator.h"

namespace cri_dockerd::fuzz {

struct RpcOutcome {
  absl::Status status;
  // The unary response, or the last message a stream sent (null if none).
  std::unique_ptr<google::protobuf::Message> response;
};

// Calls one method with `req` (of the method's input type). Streams read
// from `in` after how many messages their client goes away.
using RpcCall = std::function<RpcOutcome(
    CriWorld& world, const CallContext& ctx,
    const google::protobuf::Message& req, FuzzInput& in)>;

// Every method of runtime.v1's RuntimeService and ImageService, in the
// order of the proto; with the call for each. Aborts, naming it, if a
// method of the services has no call here (a new RPC in the proto must
// be fuzzed too).
struct CriMethod {
  const google::protobuf::MethodDescriptor* descriptor;
  RpcCall call;
};
std::vector<CriMethod> CriMethods();

}  // namespace cri_dockerd::fuzz
