#include "tests/integration/cri_daemon.h"

#include "absl/strings/str_cat.h"

namespace cri_dockerd::testing_support {

namespace v1 = ::runtime::v1;

absl::StatusOr<CriDaemon> StartCriDaemon(const std::string& dir,
                                         std::vector<std::string> extra) {
  CriDaemon d;
  d.socket = dir + "/cri.sock";
  std::vector<std::string> flags = {
      "--cni-conf-dir", dir, "--cri-dockerd-root-directory", dir + "/root"};
  flags.insert(flags.end(), extra.begin(), extra.end());
  d.process = DaemonProcess::StartCriDockerd(d.socket, flags);
  const std::string endpoint = "unix://" + d.socket;
  if (absl::Status s = WaitUntilServing(endpoint, absl::Seconds(20)); !s.ok()) {
    return absl::UnavailableError(absl::StrCat(s.message(),
                                               d.process->Running()
                                                   ? " (the daemon still runs)"
                                                   : " (the daemon has exited)",
                                               "\n", d.process->Output()));
  }
  d.runtime = v1::RuntimeService::NewStub(Dial(endpoint));
  d.images = v1::ImageService::NewStub(Dial(endpoint));
  return d;
}

grpc::Status PullImage(v1::ImageService::Stub* images,
                       const std::string& image) {
  v1::PullImageRequest req;
  req.mutable_image()->set_image(image);
  v1::PullImageResponse resp;
  return images->PullImage(Ctx(absl::Minutes(2)).get(), req, &resp);
}

grpc::Status StopAndRemovePod(v1::RuntimeService::Stub* runtime,
                              const std::string& sandbox_id) {
  v1::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(sandbox_id);
  v1::StopPodSandboxResponse stopped;
  grpc::Status first =
      runtime->StopPodSandbox(Ctx(absl::Seconds(60)).get(), stop, &stopped);
  v1::RemovePodSandboxRequest rm;
  rm.set_pod_sandbox_id(sandbox_id);
  v1::RemovePodSandboxResponse removed;
  grpc::Status second =
      runtime->RemovePodSandbox(Ctx(absl::Seconds(60)).get(), rm, &removed);
  return first.ok() ? second : first;
}

}  // namespace cri_dockerd::testing_support
