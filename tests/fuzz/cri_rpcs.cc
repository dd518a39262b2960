#include "tests/fuzz/cri_rpcs.h"

#include <cstdio>
#include <cstdlib>

namespace cri_dockerd::fuzz {
namespace {

using google::protobuf::Message;
using google::protobuf::MethodDescriptor;
using google::protobuf::ServiceDescriptor;

template <typename S>
using ServiceOf = S& (CriWorld::*)();

// A unary domain method.
template <typename S, typename Req, typename Resp>
RpcCall Unary(ServiceOf<S> service,
              absl::StatusOr<Resp> (S::*method)(const CallContext&,
                                                const Req&)) {
  return [service, method](CriWorld& w, const CallContext& ctx,
                           const Message& req, FuzzInput&) {
    absl::StatusOr<Resp> r =
        ((w.*service)().*method)(ctx, static_cast<const Req&>(req));
    RpcOutcome out;
    out.status = r.status();
    if (r.ok()) out.response = std::make_unique<Resp>(*std::move(r));
    return out;
  };
}

// A List verb as the gRPC handler calls it: each entry arrives encoded,
// as an unknown field. What goes on the wire must parse as the reply.
template <typename Req, typename Resp>
RpcCall Encoded(absl::StatusOr<Resp> (RuntimeService::*method)(
    const CallContext&, const Req&)) {
  return [method](CriWorld& w, const CallContext& ctx, const Message& req,
                  FuzzInput&) {
    absl::StatusOr<Resp> r =
        (w.runtime().*method)(ctx, static_cast<const Req&>(req));
    RpcOutcome out;
    out.status = r.status();
    if (!r.ok()) return out;
    auto parsed = std::make_unique<Resp>();
    if (!parsed->ParseFromString(r->SerializeAsString())) {
      std::fprintf(stderr, "%s: the encoded reply does not parse\n",
                   Resp::descriptor()->full_name().c_str());
      std::abort();
    }
    out.response = std::move(parsed);
    return out;
  };
}

// A server-streaming domain method; its client goes away after a number
// of messages the input chooses.
template <typename S, typename Req, typename Item>
RpcCall Stream(
    ServiceOf<S> service,
    absl::Status (S::*method)(const CallContext&, const Req&,
                              const std::function<bool(const Item&)>&)) {
  return [service, method](CriWorld& w, const CallContext& ctx,
                           const Message& req, FuzzInput& in) {
    const int wanted = 1 + in.Byte() % 4;
    int sent = 0;
    auto last = std::make_unique<Item>();
    RpcOutcome out;
    out.status = ((w.*service)().*method)(ctx, static_cast<const Req&>(req),
                                          [&](const Item& item) {
                                            *last = item;
                                            return ++sent < wanted;
                                          });
    if (sent > 0) out.response = std::move(last);
    return out;
  };
}

RpcOutcome ContainerEvents(CriWorld& w, const CallContext& ctx,
                           const Message& req, FuzzInput& in) {
  RpcOutcome out;
  if (in.Bool()) {
    // Runs alongside the calls that follow, until the world ends.
    w.StartEventStream(1 + in.Byte() % 8);
    return out;
  }
  // A client that is gone at once.
  CallContext gone = ctx;
  gone.cancelled = [] { return true; };
  out.status = w.runtime().GetContainerEvents(
      gone, static_cast<const v1::GetEventsRequest&>(req),
      [](const v1::ContainerEventResponse&) { return true; });
  return out;
}

RpcOutcome CheckpointContainer(CriWorld&, const CallContext&, const Message&,
                               FuzzInput&) {
  // No domain method: the gRPC adapter answers UNIMPLEMENTED itself
  // (docker's checkpointing needs CRIU, which the shim does not drive).
  return {absl::UnimplementedError("CheckpointContainer"), nullptr};
}

std::map<std::string, RpcCall> Table() {
  const ServiceOf<RuntimeService> rt = &CriWorld::runtime;
  const ServiceOf<ImageService> im = &CriWorld::images;
  using R = RuntimeService;
  using I = ImageService;
  const std::string r = "runtime.v1.RuntimeService.";
  const std::string i = "runtime.v1.ImageService.";
  return {
      {r + "Version", Unary(rt, &R::Version)},
      {r + "RunPodSandbox", Unary(rt, &R::RunPodSandbox)},
      {r + "StopPodSandbox", Unary(rt, &R::StopPodSandbox)},
      {r + "RemovePodSandbox", Unary(rt, &R::RemovePodSandbox)},
      {r + "PodSandboxStatus", Unary(rt, &R::PodSandboxStatus)},
      {r + "ListPodSandbox", Encoded(&R::ListPodSandboxEncoded)},
      {r + "StreamPodSandboxes", Stream(rt, &R::StreamPodSandboxes)},
      {r + "CreateContainer", Unary(rt, &R::CreateContainer)},
      {r + "StartContainer", Unary(rt, &R::StartContainer)},
      {r + "StopContainer", Unary(rt, &R::StopContainer)},
      {r + "RemoveContainer", Unary(rt, &R::RemoveContainer)},
      {r + "ListContainers", Encoded(&R::ListContainersEncoded)},
      {r + "StreamContainers", Stream(rt, &R::StreamContainers)},
      {r + "ContainerStatus", Unary(rt, &R::ContainerStatus)},
      {r + "UpdateContainerResources", Unary(rt, &R::UpdateContainerResources)},
      {r + "ReopenContainerLog", Unary(rt, &R::ReopenContainerLog)},
      {r + "ExecSync", Unary(rt, &R::ExecSync)},
      {r + "Exec", Unary(rt, &R::Exec)},
      {r + "Attach", Unary(rt, &R::Attach)},
      {r + "PortForward", Unary(rt, &R::PortForward)},
      {r + "ContainerStats", Unary(rt, &R::ContainerStats)},
      {r + "ListContainerStats", Unary(rt, &R::ListContainerStats)},
      {r + "StreamContainerStats", Stream(rt, &R::StreamContainerStats)},
      {r + "PodSandboxStats", Unary(rt, &R::PodSandboxStats)},
      {r + "ListPodSandboxStats", Unary(rt, &R::ListPodSandboxStats)},
      {r + "StreamPodSandboxStats", Stream(rt, &R::StreamPodSandboxStats)},
      {r + "UpdateRuntimeConfig", Unary(rt, &R::UpdateRuntimeConfig)},
      {r + "Status", Unary(rt, &R::Status)},
      {r + "CheckpointContainer", CheckpointContainer},
      {r + "GetContainerEvents", ContainerEvents},
      {r + "ListMetricDescriptors", Unary(rt, &R::ListMetricDescriptors)},
      {r + "ListPodSandboxMetrics", Unary(rt, &R::ListPodSandboxMetrics)},
      {r + "StreamPodSandboxMetrics", Stream(rt, &R::StreamPodSandboxMetrics)},
      {r + "RuntimeConfig", Unary(rt, &R::RuntimeConfig)},
      {r + "UpdatePodSandboxResources",
       Unary(rt, &R::UpdatePodSandboxResources)},
      {i + "ListImages", Unary(im, &I::ListImages)},
      {i + "StreamImages", Stream(im, &I::StreamImages)},
      {i + "ImageStatus", Unary(im, &I::ImageStatus)},
      {i + "PullImage", Unary(im, &I::PullImage)},
      {i + "RemoveImage", Unary(im, &I::RemoveImage)},
      {i + "ImageFsInfo", Unary(im, &I::ImageFsInfo)},
  };
}

}  // namespace

std::vector<CriMethod> CriMethods() {
  std::map<std::string, RpcCall> table = Table();
  std::vector<CriMethod> out;
  for (const char* name :
       {"runtime.v1.RuntimeService", "runtime.v1.ImageService"}) {
    // Linked in with the message types; its descriptors are the proto's.
    const ServiceDescriptor* service =
        v1::VersionRequest::descriptor()->file()->pool()->FindServiceByName(
            name);
    if (service == nullptr) {
      std::fprintf(stderr, "no service %s in the CRI proto\n", name);
      std::abort();
    }
    for (int m = 0; m < service->method_count(); ++m) {
      const MethodDescriptor* method = service->method(m);
      auto it = table.find(method->full_name());
      if (it == table.end()) {
        std::fprintf(stderr, "%s has no call in cri_rpcs.cc\n",
                     method->full_name().c_str());
        std::abort();
      }
      out.push_back({method, std::move(it->second)});
      table.erase(it);
    }
  }
  if (!table.empty()) {
    std::fprintf(stderr, "cri_rpcs.cc calls %s, which the proto lacks\n",
                 table.begin()->first.c_str());
    std::abort();
  }
  return out;
}

}  // namespace cri_dockerd::fuzz
