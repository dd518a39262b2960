#include "bench/shim_daemon.h"

#include <filesystem>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"

namespace cri_dockerd::bench {
namespace {

// The last `bytes` of a file (the daemon's log, for error messages).
std::string Tail(const std::string& path, size_t bytes = 2000) {
  const std::string s = ReadWholeFile(path);
  return s.size() > bytes ? s.substr(s.size() - bytes) : s;
}

}  // namespace

std::unique_ptr<grpc::ClientContext> Deadline(absl::Duration timeout) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  return ctx;
}

absl::Status FromGrpc(const char* what, const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      absl::StrCat(what, ": ", s.error_message()));
}

absl::Status ShimDaemon::Start() {
  const std::string& d = options_.dir;
  std::error_code ec;
  std::filesystem::create_directories(d + "/cni", ec);  // empty: no CNI
  if (ec) return absl::InternalError("cannot create " + d + "/cni");
  const std::string endpoint = "unix://" + d + "/cri.sock";
  std::vector<std::string> argv = {options_.binary,
                                   "--container-runtime-endpoint",
                                   endpoint,
                                   "--docker-endpoint",
                                   "unix://" + options_.docker_socket,
                                   "--cni-conf-dir",
                                   d + "/cni",
                                   "--cni-cache-dir",
                                   d + "/cni-cache",
                                   "--cri-dockerd-root-directory",
                                   d + "/root"};
  argv.insert(argv.end(), options_.extra_flags.begin(),
              options_.extra_flags.end());
  log_path_ = absl::StrCat(d, "/shim-", ++starts_, ".log");
  ASSIGN_OR_RETURN(process_, ChildProcess::Start(argv, log_path_));
  auto channel =
      grpc::CreateChannel(endpoint, grpc::InsecureChannelCredentials());
  runtime_ = runtime::v1::RuntimeService::NewStub(channel);
  images_ = runtime::v1::ImageService::NewStub(channel);
  const absl::Time end = absl::Now() + absl::Seconds(30);
  while (absl::Now() < end) {
    RETURN_IF_ERROR(CheckRunning("start-up"));
    runtime::v1::StatusResponse resp;
    if (runtime_->Status(Deadline(absl::Seconds(2)).get(), {}, &resp).ok()) {
      return absl::OkStatus();
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  return absl::DeadlineExceededError("cri-dockerd did not serve in 30 s");
}

absl::Status ShimDaemon::CheckRunning(const char* during) {
  absl::MutexLock lock(&check_mu_);
  if (process_ != nullptr && process_->Running()) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("cri-dockerd exited during ", during,
                                          "; its log ends:\n",
                                          Tail(log_path_)));
}

void ShimDaemon::Kill() {
  if (process_ != nullptr) process_->Kill();
  process_.reset();
}

void ShimDaemon::Stop() {
  if (process_ == nullptr) return;
  const int code = process_->Stop(absl::Seconds(10));
  if (code != 0) std::cerr << "cri-dockerd exited with " << code << "\n";
  process_.reset();
}

}  // namespace cri_dockerd::bench
