#include "tests/integration/cri_fixture.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/integration/private_dockerd.h"
#include "tests/poll_until.h"

namespace cri_dockerd::testing_support {

void CriTest::StartCri(std::vector<std::string> extra) {
  ASSERT_TRUE(PingDocker(LabDockerSocket())) << "needs the lab's dockerd";
  absl::StatusOr<CriDaemon> daemon =
      StartCriDaemon(dir_.path(), std::move(extra));
  ASSERT_TRUE(daemon.ok()) << daemon.status();
  cri_ = *std::move(daemon);
  runtime_ = cri_.runtime.get();
  grpc::Status s = PullImage(cri_.images.get(), kBusybox);
  ASSERT_TRUE(s.ok()) << s.error_message();
}

void CriTest::TearDown() {
  for (const auto& [id, config] : pods_) {
    grpc::Status s = StopAndRemovePod(runtime_, id);
    EXPECT_TRUE(s.ok()) << "removing pod " << config.metadata().name() << ": "
                        << s.error_message();
  }
  pods_.clear();
}

v1::PodSandboxConfig CriTest::PodConfig(const std::string& name,
                                        bool host_network) const {
  v1::PodSandboxConfig config;
  config.mutable_metadata()->set_name(name);
  config.mutable_metadata()->set_namespace_("crid-it");
  config.mutable_metadata()->set_uid(absl::StrCat(name, "-", getpid()));
  config.set_log_directory(log_dir_);
  if (host_network) {
    config.mutable_linux()
        ->mutable_security_context()
        ->mutable_namespace_options()
        ->set_network(v1::NODE);
  }
  return config;
}

std::string CriTest::RunPod(const v1::PodSandboxConfig& config) {
  v1::RunPodSandboxRequest run;
  *run.mutable_config() = config;
  v1::RunPodSandboxResponse resp;
  grpc::Status s =
      runtime_->RunPodSandbox(Ctx(absl::Minutes(2)).get(), run, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message() << "\n" << cri_.process->Output();
  if (!s.ok()) return "";
  pods_[resp.pod_sandbox_id()] = config;
  return resp.pod_sandbox_id();
}

grpc::Status CriTest::RemovePod(const std::string& pod) {
  pods_.erase(pod);
  return StopAndRemovePod(runtime_, pod);
}

v1::ContainerConfig BusyboxContainer(const std::string& name,
                                     const std::string& script) {
  v1::ContainerConfig c;
  c.mutable_metadata()->set_name(name);
  c.mutable_image()->set_image(kBusybox);
  c.add_command("sh");
  c.add_args("-c");
  c.add_args(script);
  c.set_log_path(name + ".log");
  return c;
}

v1::ContainerConfig CriTest::Busybox(const std::string& name,
                                     const std::string& script) {
  return BusyboxContainer(name, script);
}

std::string CriTest::CreateContainer(const std::string& pod,
                                     const v1::ContainerConfig& config) {
  auto it = pods_.find(pod);
  if (it == pods_.end()) {
    ADD_FAILURE() << "no pod " << pod << " run by this test";
    return "";
  }
  v1::CreateContainerRequest create;
  create.set_pod_sandbox_id(pod);
  *create.mutable_config() = config;
  *create.mutable_sandbox_config() = it->second;
  v1::CreateContainerResponse created;
  grpc::Status s =
      runtime_->CreateContainer(Ctx(absl::Minutes(1)).get(), create, &created);
  EXPECT_TRUE(s.ok()) << config.metadata().name() << ": " << s.error_message();
  return created.container_id();
}

std::string CriTest::StartContainer(const std::string& pod,
                                    const v1::ContainerConfig& config,
                                    bool expect_start_ok) {
  const std::string id = CreateContainer(pod, config);
  if (id.empty()) return "";
  v1::StartContainerRequest start;
  start.set_container_id(id);
  v1::StartContainerResponse started;
  grpc::Status s =
      runtime_->StartContainer(Ctx(absl::Minutes(1)).get(), start, &started);
  EXPECT_EQ(s.ok(), expect_start_ok)
      << config.metadata().name() << ": " << s.error_message();
  return id;
}

v1::ContainerStatus CriTest::StatusOf(const std::string& id) {
  v1::ContainerStatusRequest req;
  req.set_container_id(id);
  v1::ContainerStatusResponse resp;
  grpc::Status s = runtime_->ContainerStatus(Ctx().get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp.status();
}

std::string CriTest::WaitForText(const std::string& path,
                                 const std::string& marker) {
  std::string text;
  if (!testing_util::PollUntil(
          [&] {
            text = ReadFile(path);
            return absl::StrContains(text, marker);
          },
          kPatience)) {
    ADD_FAILURE() << path << " never showed \"" << marker << "\": " << text;
  }
  return text;
}

bool CriTest::LogShows(const std::string& name, const std::string& marker) {
  return testing_util::PollUntil(
      [&] { return absl::StrContains(ReadFile(LogPath(name)), marker); },
      kPatience);
}

void CriTest::MountGate(v1::ContainerConfig* config) {
  mkdir(gate().c_str(), 0755);
  auto* m = config->add_mounts();
  m->set_host_path(gate());
  m->set_container_path("/gate");
  m->set_readonly(true);
}

void CriTest::OpenGate(const std::string& file) {
  std::ofstream(gate() + "/" + file).put('\n');
}

}  // namespace cri_dockerd::testing_support
