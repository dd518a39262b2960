#include "cri/grpc_services.h"

#include <chrono>
#include <string>

#include "cri/grpc_handlers.h"

namespace cri_dockerd {
namespace {

using grpc_adapter::Handlers;
using grpc_adapter::Send;

class RuntimeServiceGrpc final : public v1::RuntimeService::CallbackService,
                                 private Handlers {
 public:
  RuntimeServiceGrpc(RuntimeService* runtime, CallLanes* lanes,
                     RpcObserver* observer)
      : Handlers(lanes, observer), runtime_(runtime) {}

  grpc::ServerUnaryReactor* Version(grpc::CallbackServerContext* context,
                                    const v1::VersionRequest* req,
                                    v1::VersionResponse* resp) override {
    return Unary(CallLane::kControl, "Version", true, context, *req, resp,
                 [this, req](const CallContext& c) {
                   return runtime_->Version(c, *req);
                 });
  }
  grpc::ServerUnaryReactor* Status(grpc::CallbackServerContext* context,
                                   const v1::StatusRequest* req,
                                   v1::StatusResponse* resp) override {
    return Unary(CallLane::kStatus, "Status", true, context, *req, resp,
                 [this, req](const CallContext& c) {
                   return runtime_->Status(c, *req);
                 });
  }
  grpc::ServerUnaryReactor* RuntimeConfig(
      grpc::CallbackServerContext* context, const v1::RuntimeConfigRequest* req,
      v1::RuntimeConfigResponse* resp) override {
    return Unary(CallLane::kControl, "RuntimeConfig", true, context, *req, resp,
                 [this, req](const CallContext& c) {
                   return runtime_->RuntimeConfig(c, *req);
                 });
  }
  grpc::ServerUnaryReactor* UpdateRuntimeConfig(
      grpc::CallbackServerContext* context,
      const v1::UpdateRuntimeConfigRequest* req,
      v1::UpdateRuntimeConfigResponse* resp) override {
    return Unary(CallLane::kControl, "UpdateRuntimeConfig", false, context,
                 *req, resp, [this, req](const CallContext& c) {
                   return runtime_->UpdateRuntimeConfig(c, *req);
                 });
  }
  grpc::ServerUnaryReactor* RunPodSandbox(
      grpc::CallbackServerContext* context, const v1::RunPodSandboxRequest* req,
      v1::RunPodSandboxResponse* resp) override {
    return Unary(CallLane::kEngine, "RunPodSandbox", false, context, *req, resp,
                 [this, req](const CallContext& c) {
                   return runtime_->RunPodSandbox(c, *req);
                 });
  }
  grpc::ServerUnaryReactor* StopPodSandbox(
      grpc::CallbackServerContext* context,
      const v1::StopPodSandboxRequest* req,
      v1::StopPodSandboxResponse* resp) override {
    return Unary(CallLane::kStop, "StopPodSandbox", false, context, *req, resp,
                 [this, req](const CallContext& c) {
                   return runtime_->StopPodSandbox(c, *req);
                 });
  }
  grpc::ServerUnaryReactor* RemovePodSandbox(
      grpc::CallbackServerContext* context,
      const v1::RemovePodSandboxRequest* req,
      v1::RemovePodSandboxResponse* resp) override {
    return Unary(CallLane::kEngine, "RemovePodSandbox", false, context, *req,
                 resp, [this, req](const CallContext& c) {
                   return runtime_->RemovePodSandbox(c, *req);
                 });
  }
  grpc::ServerUnaryReactor* PodSandboxStatus(
      grpc::CallbackServerContext* context,
      const v1::PodSandboxStatusRequest* req,
      v1::PodSandboxStatusResponse* resp) override {
    return Unary(CallLane::kRead, "PodSandboxStatus", true, context, *req, resp,
                 [this, req](const CallContext& c) {
                   return runtime_->PodSandboxStatus(c, *req);
                 });
  }
  grpc::ServerUnaryReactor* ListPodSandbox(
      grpc::CallbackServerContext* context,
      const v1::ListPodSandboxRequest* req,
      v1::ListPodSandboxResponse* resp) override {
    return Unary(CallLane::kRead, "ListPodSandbox", true, context, *req, resp,
                 [this, req](const CallContext& c) {
                   return runtime_->ListPodSandboxEncoded(c, *req);
                 });
  }
  grpc::ServerUnaryReactor* UpdatePodSandboxResources(
      grpc::CallbackServerContext* context,
      const v1::UpdatePodSandboxResourcesRequest* req,
      v1::UpdatePodSandboxResourcesResponse* resp) override {
    return Unary(CallLane::kEngine, "UpdatePodSandboxResources", false, context,
                 *req, resp, [this, req](const CallContext& c) {
                   return runtime_->UpdatePodSandboxResources(c, *req);
                 });
  }
  grpc::ServerWriteReactor<v1::StreamPodSandboxesResponse>* StreamPodSandboxes(
      grpc::CallbackServerContext* context,
      const v1::StreamPodSandboxesRequest* req) override {
    return Stream<v1::StreamPodSandboxesResponse>(
        CallLane::kRead, "StreamPodSandboxes", context, *req,
        [this, req](const CallContext& c,
                    const Send<v1::StreamPodSandboxesResponse>& send) {
          return runtime_->StreamPodSandboxes(c, *req, send);
        });
  }
  grpc::ServerUnaryReactor* CreateContainer(
      grpc::CallbackServerContext* context,
      const v1::CreateContainerRequest* req,
      v1::CreateContainerResponse* resp) override {
    return Unary(CallLane::kEngine, "CreateContainer", false, context, *req,
                 resp, [this, req](const CallContext& c) {
                   return runtime_->CreateContainer(c, *req);
                 });
  }
  grpc::ServerUnaryReactor* StartContainer(
      grpc::CallbackServerContext* context,
      const v1::StartContainerRequest* req,
      v1::StartContainerResponse* resp) override {
    return Unary(CallLane::kEngine, "StartContainer", false, context, *req,
                 resp, [this, req](const CallContext& c) {
                   return runtime_->StartContainer(c, *req);
                 });
  }
  grpc::ServerUnaryReactor* StopContainer(
      grpc::CallbackServerContext* context, const v1::StopContainerRequest* req,
      v1::StopContainerResponse* resp) override {
    return Unary(CallLane::kStop, "StopContainer", false, context, *req, resp,
                 [this, req](const CallContext& c) {
                   return runtime_->StopContainer(c, *req);
                 });
  }
  grpc::ServerUnaryReactor* RemoveContainer(
      grpc::CallbackServerContext* context,
      const v1::RemoveContainerRequest* req,
      v1::RemoveContainerResponse* resp) override {
    return Unary(CallLane::kEngine, "RemoveContainer", false, context, *req,
                 resp, [this, req](const CallContext& c) {
                   return runtime_->RemoveContainer(c, *req);
                 });
  }
  grpc::ServerUnaryReactor* ContainerStatus(
      grpc::CallbackServerContext* context,
      const v1::ContainerStatusRequest* req,
      v1::ContainerStatusResponse* resp) override {
    return Unary(CallLane::kRead, "ContainerStatus", true, context, *req, resp,
                 [this, req](const CallContext& c) {
                   return runtime_->ContainerStatus(c, *req);
                 });
  }
  grpc::ServerUnaryReactor* ListContainers(
      grpc::CallbackServerContext* context,
      const v1::ListContainersRequest* req,
      v1::ListContainersResponse* resp) override {
    return Unary(CallLane::kRead, "ListContainers", true, context, *req, resp,
                 [this, req](const CallContext& c) {
                   return runtime_->ListContainersEncoded(c, *req);
                 });
  }
  grpc::ServerUnaryReactor* UpdateContainerResources(
      grpc::CallbackServerContext* context,
      const v1::UpdateContainerResourcesRequest* req,
      v1::UpdateContainerResourcesResponse* resp) override {
    return Unary(CallLane::kEngine, "UpdateContainerResources", false, context,
                 *req, resp, [this, req](const CallContext& c) {
                   return runtime_->UpdateContainerResources(c, *req);
                 });
  }
  grpc::ServerUnaryReactor* ReopenContainerLog(
      grpc::CallbackServerContext* context,
      const v1::ReopenContainerLogRequest* req,
      v1::ReopenContainerLogResponse* resp) override {
    return Unary(CallLane::kEngine, "ReopenContainerLog", false, context, *req,
                 resp, [this, req](const CallContext& c) {
                   return runtime_->ReopenContainerLog(c, *req);
                 });
  }
  grpc::ServerWriteReactor<v1::StreamContainersResponse>* StreamContainers(
      grpc::CallbackServerContext* context,
      const v1::StreamContainersRequest* req) override {
    return Stream<v1::StreamContainersResponse>(
        CallLane::kRead, "StreamContainers", context, *req,
        [this, req](const CallContext& c,
                    const Send<v1::StreamContainersResponse>& send) {
          return runtime_->StreamContainers(c, *req, send);
        });
  }
  grpc::ServerWriteReactor<v1::ContainerEventResponse>* GetContainerEvents(
      grpc::CallbackServerContext* context,
      const v1::GetEventsRequest* req) override {
    return Stream<v1::ContainerEventResponse>(
        CallLane::kEvents, "GetContainerEvents", context, *req,
        [this, req](const CallContext& c,
                    const Send<v1::ContainerEventResponse>& send) {
          return runtime_->GetContainerEvents(c, *req, send);
        });
  }
  grpc::ServerUnaryReactor* ContainerStats(
      grpc::CallbackServerContext* context,
      const v1::ContainerStatsRequest* req,
      v1::ContainerStatsResponse* resp) override {
    return Unary(CallLane::kRead, "ContainerStats", true, context, *req, resp,
                 [this, req](const CallContext& c) {
                   return runtime_->ContainerStats(c, *req);
                 });
  }
  grpc::ServerUnaryReactor* ListContainerStats(
      grpc::CallbackServerContext* context,
      const v1::ListContainerStatsRequest* req,
      v1::ListContainerStatsResponse* resp) override {
    return Unary(CallLane::kRead, "ListContainerStats", true, context, *req,
                 resp, [this, req](const CallContext& c) {
                   return runtime_->ListContainerStats(c, *req);
                 });
  }
  grpc::ServerUnaryReactor* PodSandboxStats(
      grpc::CallbackServerContext* context,
      const v1::PodSandboxStatsRequest* req,
      v1::PodSandboxStatsResponse* resp) override {
    return Unary(CallLane::kRead, "PodSandboxStats", true, context, *req, resp,
                 [this, req](const CallContext& c) {
                   return runtime_->PodSandboxStats(c, *req);
                 });
  }
  grpc::ServerUnaryReactor* ListPodSandboxStats(
      grpc::CallbackServerContext* context,
      const v1::ListPodSandboxStatsRequest* req,
      v1::ListPodSandboxStatsResponse* resp) override {
    return Unary(CallLane::kRead, "ListPodSandboxStats", true, context, *req,
                 resp, [this, req](const CallContext& c) {
                   return runtime_->ListPodSandboxStats(c, *req);
                 });
  }
  grpc::ServerWriteReactor<v1::StreamContainerStatsResponse>*
  StreamContainerStats(grpc::CallbackServerContext* context,
                       const v1::StreamContainerStatsRequest* req) override {
    return Stream<v1::StreamContainerStatsResponse>(
        CallLane::kRead, "StreamContainerStats", context, *req,
        [this, req](const CallContext& c,
                    const Send<v1::StreamContainerStatsResponse>& send) {
          return runtime_->StreamContainerStats(c, *req, send);
        });
  }
  grpc::ServerWriteReactor<v1::StreamPodSandboxStatsResponse>*
  StreamPodSandboxStats(grpc::CallbackServerContext* context,
                        const v1::StreamPodSandboxStatsRequest* req) override {
    return Stream<v1::StreamPodSandboxStatsResponse>(
        CallLane::kRead, "StreamPodSandboxStats", context, *req,
        [this, req](const CallContext& c,
                    const Send<v1::StreamPodSandboxStatsResponse>& send) {
          return runtime_->StreamPodSandboxStats(c, *req, send);
        });
  }
  grpc::ServerUnaryReactor* ListMetricDescriptors(
      grpc::CallbackServerContext* context,
      const v1::ListMetricDescriptorsRequest* req,
      v1::ListMetricDescriptorsResponse* resp) override {
    return Unary(CallLane::kRead, "ListMetricDescriptors", true, context, *req,
                 resp, [this, req](const CallContext& c) {
                   return runtime_->ListMetricDescriptors(c, *req);
                 });
  }
  grpc::ServerUnaryReactor* ListPodSandboxMetrics(
      grpc::CallbackServerContext* context,
      const v1::ListPodSandboxMetricsRequest* req,
      v1::ListPodSandboxMetricsResponse* resp) override {
    return Unary(CallLane::kRead, "ListPodSandboxMetrics", true, context, *req,
                 resp, [this, req](const CallContext& c) {
                   return runtime_->ListPodSandboxMetrics(c, *req);
                 });
  }
  grpc::ServerWriteReactor<v1::StreamPodSandboxMetricsResponse>*
  StreamPodSandboxMetrics(
      grpc::CallbackServerContext* context,
      const v1::StreamPodSandboxMetricsRequest* req) override {
    return Stream<v1::StreamPodSandboxMetricsResponse>(
        CallLane::kRead, "StreamPodSandboxMetrics", context, *req,
        [this, req](const CallContext& c,
                    const Send<v1::StreamPodSandboxMetricsResponse>& send) {
          return runtime_->StreamPodSandboxMetrics(c, *req, send);
        });
  }
  grpc::ServerUnaryReactor* ExecSync(grpc::CallbackServerContext* context,
                                     const v1::ExecSyncRequest* req,
                                     v1::ExecSyncResponse* resp) override {
    return Unary(CallLane::kExec, "ExecSync", true, context, *req, resp,
                 [this, req](const CallContext& c) {
                   return runtime_->ExecSync(c, *req);
                 });
  }
  grpc::ServerUnaryReactor* Exec(grpc::CallbackServerContext* context,
                                 const v1::ExecRequest* req,
                                 v1::ExecResponse* resp) override {
    return Unary(
        CallLane::kEngine, "Exec", false, context, *req, resp,
        [this, req](const CallContext& c) { return runtime_->Exec(c, *req); });
  }
  grpc::ServerUnaryReactor* Attach(grpc::CallbackServerContext* context,
                                   const v1::AttachRequest* req,
                                   v1::AttachResponse* resp) override {
    return Unary(CallLane::kEngine, "Attach", false, context, *req, resp,
                 [this, req](const CallContext& c) {
                   return runtime_->Attach(c, *req);
                 });
  }
  grpc::ServerUnaryReactor* PortForward(
      grpc::CallbackServerContext* context, const v1::PortForwardRequest* req,
      v1::PortForwardResponse* resp) override {
    return Unary(CallLane::kEngine, "PortForward", false, context, *req, resp,
                 [this, req](const CallContext& c) {
                   return runtime_->PortForward(c, *req);
                 });
  }
  grpc::ServerUnaryReactor* CheckpointContainer(
      grpc::CallbackServerContext* context,
      const v1::CheckpointContainerRequest*,
      v1::CheckpointContainerResponse*) override {
    return NeedsCriu(context, "CheckpointContainer");
  }

 private:
  RuntimeService* const runtime_;
};

class ImageServiceGrpc final : public v1::ImageService::CallbackService,
                               private Handlers {
 public:
  ImageServiceGrpc(ImageService* images, CallLanes* lanes,
                   RpcObserver* observer)
      : Handlers(lanes, observer), images_(images) {}

  grpc::ServerUnaryReactor* ListImages(grpc::CallbackServerContext* context,
                                       const v1::ListImagesRequest* req,
                                       v1::ListImagesResponse* resp) override {
    return Unary(CallLane::kRead, "ListImages", true, context, *req, resp,
                 [this, req](const CallContext& c) {
                   return images_->ListImages(c, *req);
                 });
  }
  grpc::ServerWriteReactor<v1::StreamImagesResponse>* StreamImages(
      grpc::CallbackServerContext* context,
      const v1::StreamImagesRequest* req) override {
    return Stream<v1::StreamImagesResponse>(
        CallLane::kRead, "StreamImages", context, *req,
        [this, req](const CallContext& c,
                    const Send<v1::StreamImagesResponse>& send) {
          return images_->StreamImages(c, *req, send);
        });
  }
  grpc::ServerUnaryReactor* ImageStatus(
      grpc::CallbackServerContext* context, const v1::ImageStatusRequest* req,
      v1::ImageStatusResponse* resp) override {
    return Unary(CallLane::kRead, "ImageStatus", true, context, *req, resp,
                 [this, req](const CallContext& c) {
                   return images_->ImageStatus(c, *req);
                 });
  }
  grpc::ServerUnaryReactor* PullImage(grpc::CallbackServerContext* context,
                                      const v1::PullImageRequest* req,
                                      v1::PullImageResponse* resp) override {
    return Unary(CallLane::kPull, "PullImage", false, context, *req, resp,
                 [this, req](const CallContext& c) {
                   return images_->PullImage(c, *req);
                 });
  }
  grpc::ServerUnaryReactor* RemoveImage(
      grpc::CallbackServerContext* context, const v1::RemoveImageRequest* req,
      v1::RemoveImageResponse* resp) override {
    return Unary(CallLane::kEngine, "RemoveImage", false, context, *req, resp,
                 [this, req](const CallContext& c) {
                   return images_->RemoveImage(c, *req);
                 });
  }
  grpc::ServerUnaryReactor* ImageFsInfo(
      grpc::CallbackServerContext* context, const v1::ImageFsInfoRequest* req,
      v1::ImageFsInfoResponse* resp) override {
    return Unary(CallLane::kRead, "ImageFsInfo", true, context, *req, resp,
                 [this, req](const CallContext& c) {
                   return images_->ImageFsInfo(c, *req);
                 });
  }

 private:
  ImageService* const images_;
};

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

CallContext ContextFromGrpc(const grpc::ServerContextBase& context) {
  CallContext ctx;
  const auto deadline = context.deadline();
  if (deadline != std::chrono::system_clock::time_point::max()) {
    ctx.deadline = absl::FromChrono(deadline);
  }
  ctx.cancelled = [&context] { return context.IsCancelled(); };
  return ctx;
}

std::unique_ptr<v1::RuntimeService::Service> NewRuntimeServiceGrpc(
    RuntimeService* runtime, CallLanes* lanes, RpcObserver* observer) {
  return std::make_unique<RuntimeServiceGrpc>(runtime, lanes, observer);
}

std::unique_ptr<v1::ImageService::Service> NewImageServiceGrpc(
    ImageService* images, CallLanes* lanes, RpcObserver* observer) {
  return std::make_unique<ImageServiceGrpc>(images, lanes, observer);
}

}  // namespace cri_dockerd
