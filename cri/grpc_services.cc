#include "cri/grpc_services.h"

#include <chrono>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "cri/grpc_subject.h"

namespace cri_dockerd {
namespace {

// The helpers every handler goes through: each times its call and tells
// the RpcObserver, when there is one. A base of both service classes, so
// that handlers name them unqualified.
class Handlers {
 protected:
  explicit Handlers(RpcObserver* observer) : observer_(observer) {}

  grpc::Status NeedsCriu(const char* method) const {
    Report(method, absl::StatusCode::kUnimplemented, absl::ZeroDuration());
    return grpc::Status(
        grpc::StatusCode::UNIMPLEMENTED,
        absl::StrCat("RuntimeService/", method,
                     " is not supported: Docker Engine can only checkpoint "
                     "containers with its experimental CRIU integration, "
                     "which this shim does not drive"));
  }

  // Runs one domain call. `poll` marks the calls kubelet makes every few
  // seconds (logged at debug level only).
  // The log lines name what `req` is about (RequestSubject).
  template <typename Resp, typename Fn>
  grpc::Status Unary(const char* method, bool poll,
                     const grpc::ServerContext& context,
                     const google::protobuf::Message& req, Resp* resp,
                     Fn fn) const {
    const absl::Time start = absl::Now();
    absl::StatusOr<Resp> result = fn(ContextFromGrpc(context));
    const absl::Duration took = absl::Now() - start;
    Report(method, result.status().code(), took);
    if (!result.ok()) {
      LOG(WARNING) << Named(method, req) << " failed after " << took << ": "
                   << result.status();
      return ToGrpcStatus(result.status());
    }
    if (poll) {
      LOG(DEBUG) << Named(method, req) << " ok in " << took;
    } else {
      LOG(INFO) << Named(method, req) << " ok in " << took;
    }
    *resp = std::move(result).value();
    return grpc::Status::OK;
  }

  // Runs one server-streaming domain call.
  template <typename Fn>
  grpc::Status Stream(const char* method, const grpc::ServerContext& context,
                      const google::protobuf::Message& req, Fn fn) const {
    const absl::Time start = absl::Now();
    const absl::Status s = fn(ContextFromGrpc(context));
    Report(method, s.code(), absl::Now() - start);
    if (!s.ok()) LOG(WARNING) << Named(method, req) << " failed: " << s;
    return ToGrpcStatus(s);
  }

 private:
  // "StopContainer (container 3f2a...)", or the bare method name.
  static std::string Named(const char* method,
                           const google::protobuf::Message& req) {
    std::string subject = RequestSubject(req);
    if (subject.empty()) return method;
    return absl::StrCat(method, " (", subject, ")");
  }

  void Report(const char* method, absl::StatusCode code,
              absl::Duration took) const {
    if (observer_ != nullptr) observer_->OnRpcDone(method, code, took);
  }

  RpcObserver* const observer_;  // may be null
};

class RuntimeServiceGrpc final : public v1::RuntimeService::Service,
                                 private Handlers {
 public:
  RuntimeServiceGrpc(RuntimeService* runtime, RpcObserver* observer)
      : Handlers(observer), runtime_(runtime) {}

  grpc::Status Version(grpc::ServerContext* context,
                       const v1::VersionRequest* req,
                       v1::VersionResponse* resp) override {
    return Unary(
        "Version", true, *context, *req, resp,
        [&](const CallContext& c) { return runtime_->Version(c, *req); });
  }
  grpc::Status Status(grpc::ServerContext* context,
                      const v1::StatusRequest* req,
                      v1::StatusResponse* resp) override {
    return Unary(
        "Status", true, *context, *req, resp,
        [&](const CallContext& c) { return runtime_->Status(c, *req); });
  }
  grpc::Status RuntimeConfig(grpc::ServerContext* context,
                             const v1::RuntimeConfigRequest* req,
                             v1::RuntimeConfigResponse* resp) override {
    return Unary(
        "RuntimeConfig", true, *context, *req, resp,
        [&](const CallContext& c) { return runtime_->RuntimeConfig(c, *req); });
  }
  grpc::Status UpdateRuntimeConfig(
      grpc::ServerContext* context, const v1::UpdateRuntimeConfigRequest* req,
      v1::UpdateRuntimeConfigResponse* resp) override {
    return Unary("UpdateRuntimeConfig", false, *context, *req, resp,
                 [&](const CallContext& c) {
                   return runtime_->UpdateRuntimeConfig(c, *req);
                 });
  }

  grpc::Status RunPodSandbox(grpc::ServerContext* context,
                             const v1::RunPodSandboxRequest* req,
                             v1::RunPodSandboxResponse* resp) override {
    return Unary(
        "RunPodSandbox", false, *context, *req, resp,
        [&](const CallContext& c) { return runtime_->RunPodSandbox(c, *req); });
  }
  grpc::Status StopPodSandbox(grpc::ServerContext* context,
                              const v1::StopPodSandboxRequest* req,
                              v1::StopPodSandboxResponse* resp) override {
    return Unary("StopPodSandbox", false, *context, *req, resp,
                 [&](const CallContext& c) {
                   return runtime_->StopPodSandbox(c, *req);
                 });
  }
  grpc::Status RemovePodSandbox(grpc::ServerContext* context,
                                const v1::RemovePodSandboxRequest* req,
                                v1::RemovePodSandboxResponse* resp) override {
    return Unary("RemovePodSandbox", false, *context, *req, resp,
                 [&](const CallContext& c) {
                   return runtime_->RemovePodSandbox(c, *req);
                 });
  }
  grpc::Status PodSandboxStatus(grpc::ServerContext* context,
                                const v1::PodSandboxStatusRequest* req,
                                v1::PodSandboxStatusResponse* resp) override {
    return Unary("PodSandboxStatus", true, *context, *req, resp,
                 [&](const CallContext& c) {
                   return runtime_->PodSandboxStatus(c, *req);
                 });
  }
  grpc::Status ListPodSandbox(grpc::ServerContext* context,
                              const v1::ListPodSandboxRequest* req,
                              v1::ListPodSandboxResponse* resp) override {
    return Unary("ListPodSandbox", true, *context, *req, resp,
                 [&](const CallContext& c) {
                   return runtime_->ListPodSandboxEncoded(c, *req);
                 });
  }
  grpc::Status UpdatePodSandboxResources(
      grpc::ServerContext* context,
      const v1::UpdatePodSandboxResourcesRequest* req,
      v1::UpdatePodSandboxResourcesResponse* resp) override {
    return Unary("UpdatePodSandboxResources", false, *context, *req, resp,
                 [&](const CallContext& c) {
                   return runtime_->UpdatePodSandboxResources(c, *req);
                 });
  }
  grpc::Status StreamPodSandboxes(
      grpc::ServerContext* context, const v1::StreamPodSandboxesRequest* req,
      grpc::ServerWriter<v1::StreamPodSandboxesResponse>* writer) override {
    return Stream(
        "StreamPodSandboxes", *context, *req, [&](const CallContext& c) {
          return runtime_->StreamPodSandboxes(
              c, *req, [writer](const v1::StreamPodSandboxesResponse& batch) {
                return writer->Write(batch);
              });
        });
  }
  grpc::Status CreateContainer(grpc::ServerContext* context,
                               const v1::CreateContainerRequest* req,
                               v1::CreateContainerResponse* resp) override {
    return Unary("CreateContainer", false, *context, *req, resp,
                 [&](const CallContext& c) {
                   return runtime_->CreateContainer(c, *req);
                 });
  }
  grpc::Status StartContainer(grpc::ServerContext* context,
                              const v1::StartContainerRequest* req,
                              v1::StartContainerResponse* resp) override {
    return Unary("StartContainer", false, *context, *req, resp,
                 [&](const CallContext& c) {
                   return runtime_->StartContainer(c, *req);
                 });
  }
  grpc::Status StopContainer(grpc::ServerContext* context,
                             const v1::StopContainerRequest* req,
                             v1::StopContainerResponse* resp) override {
    return Unary(
        "StopContainer", false, *context, *req, resp,
        [&](const CallContext& c) { return runtime_->StopContainer(c, *req); });
  }
  grpc::Status RemoveContainer(grpc::ServerContext* context,
                               const v1::RemoveContainerRequest* req,
                               v1::RemoveContainerResponse* resp) override {
    return Unary("RemoveContainer", false, *context, *req, resp,
                 [&](const CallContext& c) {
                   return runtime_->RemoveContainer(c, *req);
                 });
  }
  grpc::Status ContainerStatus(grpc::ServerContext* context,
                               const v1::ContainerStatusRequest* req,
                               v1::ContainerStatusResponse* resp) override {
    return Unary("ContainerStatus", true, *context, *req, resp,
                 [&](const CallContext& c) {
                   return runtime_->ContainerStatus(c, *req);
                 });
  }
  grpc::Status ListContainers(grpc::ServerContext* context,
                              const v1::ListContainersRequest* req,
                              v1::ListContainersResponse* resp) override {
    return Unary("ListContainers", true, *context, *req, resp,
                 [&](const CallContext& c) {
                   return runtime_->ListContainersEncoded(c, *req);
                 });
  }
  grpc::Status UpdateContainerResources(
      grpc::ServerContext* context,
      const v1::UpdateContainerResourcesRequest* req,
      v1::UpdateContainerResourcesResponse* resp) override {
    return Unary("UpdateContainerResources", false, *context, *req, resp,
                 [&](const CallContext& c) {
                   return runtime_->UpdateContainerResources(c, *req);
                 });
  }
  grpc::Status ReopenContainerLog(
      grpc::ServerContext* context, const v1::ReopenContainerLogRequest* req,
      v1::ReopenContainerLogResponse* resp) override {
    return Unary("ReopenContainerLog", false, *context, *req, resp,
                 [&](const CallContext& c) {
                   return runtime_->ReopenContainerLog(c, *req);
                 });
  }
  grpc::Status StreamContainers(
      grpc::ServerContext* context, const v1::StreamContainersRequest* req,
      grpc::ServerWriter<v1::StreamContainersResponse>* writer) override {
    return Stream(
        "StreamContainers", *context, *req, [&](const CallContext& c) {
          return runtime_->StreamContainers(
              c, *req, [writer](const v1::StreamContainersResponse& batch) {
                return writer->Write(batch);
              });
        });
  }
  grpc::Status CheckpointContainer(grpc::ServerContext*,
                                   const v1::CheckpointContainerRequest*,
                                   v1::CheckpointContainerResponse*) override {
    return NeedsCriu("CheckpointContainer");
  }
  grpc::Status GetContainerEvents(
      grpc::ServerContext* context, const v1::GetEventsRequest* req,
      grpc::ServerWriter<v1::ContainerEventResponse>* writer) override {
    return Stream(
        "GetContainerEvents", *context, *req, [&](const CallContext& c) {
          return runtime_->GetContainerEvents(
              c, *req, [writer](const v1::ContainerEventResponse& event) {
                return writer->Write(event);
              });
        });
  }

  // Stats: kubelet polls them every few seconds.
  grpc::Status ContainerStats(grpc::ServerContext* context,
                              const v1::ContainerStatsRequest* req,
                              v1::ContainerStatsResponse* resp) override {
    return Unary("ContainerStats", true, *context, *req, resp,
                 [&](const CallContext& c) {
                   return runtime_->ContainerStats(c, *req);
                 });
  }
  grpc::Status ListContainerStats(
      grpc::ServerContext* context, const v1::ListContainerStatsRequest* req,
      v1::ListContainerStatsResponse* resp) override {
    return Unary("ListContainerStats", true, *context, *req, resp,
                 [&](const CallContext& c) {
                   return runtime_->ListContainerStats(c, *req);
                 });
  }
  grpc::Status PodSandboxStats(grpc::ServerContext* context,
                               const v1::PodSandboxStatsRequest* req,
                               v1::PodSandboxStatsResponse* resp) override {
    return Unary("PodSandboxStats", true, *context, *req, resp,
                 [&](const CallContext& c) {
                   return runtime_->PodSandboxStats(c, *req);
                 });
  }
  grpc::Status ListPodSandboxStats(
      grpc::ServerContext* context, const v1::ListPodSandboxStatsRequest* req,
      v1::ListPodSandboxStatsResponse* resp) override {
    return Unary("ListPodSandboxStats", true, *context, *req, resp,
                 [&](const CallContext& c) {
                   return runtime_->ListPodSandboxStats(c, *req);
                 });
  }

  grpc::Status StreamContainerStats(
      grpc::ServerContext* context, const v1::StreamContainerStatsRequest* req,
      grpc::ServerWriter<v1::StreamContainerStatsResponse>* writer) override {
    return Stream(
        "StreamContainerStats", *context, *req, [&](const CallContext& c) {
          return runtime_->StreamContainerStats(
              c, *req, [writer](const v1::StreamContainerStatsResponse& batch) {
                return writer->Write(batch);
              });
        });
  }
  grpc::Status StreamPodSandboxStats(
      grpc::ServerContext* context, const v1::StreamPodSandboxStatsRequest* req,
      grpc::ServerWriter<v1::StreamPodSandboxStatsResponse>* writer) override {
    return Stream(
        "StreamPodSandboxStats", *context, *req, [&](const CallContext& c) {
          return runtime_->StreamPodSandboxStats(
              c, *req,
              [writer](const v1::StreamPodSandboxStatsResponse& batch) {
                return writer->Write(batch);
              });
        });
  }
  // Metrics: kubelet's /metrics/cadvisor scrapes.
  grpc::Status ListMetricDescriptors(
      grpc::ServerContext* context, const v1::ListMetricDescriptorsRequest* req,
      v1::ListMetricDescriptorsResponse* resp) override {
    return Unary("ListMetricDescriptors", true, *context, *req, resp,
                 [&](const CallContext& c) {
                   return runtime_->ListMetricDescriptors(c, *req);
                 });
  }
  grpc::Status ListPodSandboxMetrics(
      grpc::ServerContext* context, const v1::ListPodSandboxMetricsRequest* req,
      v1::ListPodSandboxMetricsResponse* resp) override {
    return Unary("ListPodSandboxMetrics", true, *context, *req, resp,
                 [&](const CallContext& c) {
                   return runtime_->ListPodSandboxMetrics(c, *req);
                 });
  }
  grpc::Status StreamPodSandboxMetrics(
      grpc::ServerContext* context,
      const v1::StreamPodSandboxMetricsRequest* req,
      grpc::ServerWriter<v1::StreamPodSandboxMetricsResponse>* writer)
      override {
    return Stream(
        "StreamPodSandboxMetrics", *context, *req, [&](const CallContext& c) {
          return runtime_->StreamPodSandboxMetrics(
              c, *req,
              [writer](const v1::StreamPodSandboxMetricsResponse& batch) {
                return writer->Write(batch);
              });
        });
  }

  // poll: exec probes run every few seconds per container.
  grpc::Status ExecSync(grpc::ServerContext* context,
                        const v1::ExecSyncRequest* req,
                        v1::ExecSyncResponse* resp) override {
    return Unary(
        "ExecSync", true, *context, *req, resp,
        [&](const CallContext& c) { return runtime_->ExecSync(c, *req); });
  }

  grpc::Status Exec(grpc::ServerContext* context, const v1::ExecRequest* req,
                    v1::ExecResponse* resp) override {
    return Unary("Exec", false, *context, *req, resp,
                 [&](const CallContext& c) { return runtime_->Exec(c, *req); });
  }

  grpc::Status Attach(grpc::ServerContext* context,
                      const v1::AttachRequest* req,
                      v1::AttachResponse* resp) override {
    return Unary(
        "Attach", false, *context, *req, resp,
        [&](const CallContext& c) { return runtime_->Attach(c, *req); });
  }

  grpc::Status PortForward(grpc::ServerContext* context,
                           const v1::PortForwardRequest* req,
                           v1::PortForwardResponse* resp) override {
    return Unary(
        "PortForward", false, *context, *req, resp,
        [&](const CallContext& c) { return runtime_->PortForward(c, *req); });
  }

 private:
  RuntimeService* const runtime_;
};

class ImageServiceGrpc final : public v1::ImageService::Service,
                               private Handlers {
 public:
  ImageServiceGrpc(ImageService* images, RpcObserver* observer)
      : Handlers(observer), images_(images) {}

  grpc::Status ListImages(grpc::ServerContext* context,
                          const v1::ListImagesRequest* req,
                          v1::ListImagesResponse* resp) override {
    return Unary(
        "ListImages", true, *context, *req, resp,
        [&](const CallContext& c) { return images_->ListImages(c, *req); });
  }
  grpc::Status StreamImages(
      grpc::ServerContext* context, const v1::StreamImagesRequest* req,
      grpc::ServerWriter<v1::StreamImagesResponse>* writer) override {
    return Stream("StreamImages", *context, *req, [&](const CallContext& c) {
      return images_->StreamImages(
          c, *req, [writer](const v1::StreamImagesResponse& batch) {
            return writer->Write(batch);
          });
    });
  }
  grpc::Status ImageStatus(grpc::ServerContext* context,
                           const v1::ImageStatusRequest* req,
                           v1::ImageStatusResponse* resp) override {
    return Unary(
        "ImageStatus", true, *context, *req, resp,
        [&](const CallContext& c) { return images_->ImageStatus(c, *req); });
  }
  grpc::Status PullImage(grpc::ServerContext* context,
                         const v1::PullImageRequest* req,
                         v1::PullImageResponse* resp) override {
    return Unary(
        "PullImage", false, *context, *req, resp,
        [&](const CallContext& c) { return images_->PullImage(c, *req); });
  }
  grpc::Status RemoveImage(grpc::ServerContext* context,
                           const v1::RemoveImageRequest* req,
                           v1::RemoveImageResponse* resp) override {
    return Unary(
        "RemoveImage", false, *context, *req, resp,
        [&](const CallContext& c) { return images_->RemoveImage(c, *req); });
  }
  grpc::Status ImageFsInfo(grpc::ServerContext* context,
                           const v1::ImageFsInfoRequest* req,
                           v1::ImageFsInfoResponse* resp) override {
    return Unary(
        "ImageFsInfo", true, *context, *req, resp,
        [&](const CallContext& c) { return images_->ImageFsInfo(c, *req); });
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

CallContext ContextFromGrpc(const grpc::ServerContext& context) {
  CallContext ctx;
  const auto deadline = context.deadline();
  if (deadline != std::chrono::system_clock::time_point::max()) {
    ctx.deadline = absl::FromChrono(deadline);
  }
  ctx.cancelled = [&context] { return context.IsCancelled(); };
  return ctx;
}

std::unique_ptr<v1::RuntimeService::Service> NewRuntimeServiceGrpc(
    RuntimeService* runtime, RpcObserver* observer) {
  return std::make_unique<RuntimeServiceGrpc>(runtime, observer);
}

std::unique_ptr<v1::ImageService::Service> NewImageServiceGrpc(
    ImageService* images, RpcObserver* observer) {
  return std::make_unique<ImageServiceGrpc>(images, observer);
}

}  // namespace cri_dockerd
