// PodSandboxStatus against the fake docker client and a fake network
// plugin.
#include "tests/unit/cri/pod_fixture.h"

namespace cri_dockerd {
namespace {

using SandboxTest = testing_util::PodTest;

TEST_F(SandboxTest, StatusReportsStateIpsAndLabels) {
  absl::StatusOr<std::string> id = Run(Request());
  ASSERT_TRUE(id.ok());
  net_.SetIps({"10.244.0.9", "fd00::9"});
  v1::PodSandboxStatusRequest req;
  req.set_pod_sandbox_id(*id);
  req.set_verbose(true);
  auto resp = service_->PodSandboxStatus(Ctx(), req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  const v1::PodSandboxStatus& st = resp->status();
  EXPECT_EQ(st.id(), *id);
  EXPECT_EQ(st.state(), v1::SANDBOX_READY);
  EXPECT_EQ(st.metadata().name(), "web");
  EXPECT_EQ(st.metadata().uid(), "uid-web");
  EXPECT_EQ(st.metadata().attempt(), 1u);
  EXPECT_EQ(st.network().ip(), "10.244.0.9");
  ASSERT_EQ(st.network().additional_ips_size(), 1);
  EXPECT_EQ(st.network().additional_ips(0).ip(), "fd00::9");
  EXPECT_EQ(st.labels().at("app"), "web");
  EXPECT_EQ(st.labels().count("io.kubernetes.docker.type"), 0u);
  EXPECT_EQ(st.labels().count("io.kubernetes.container.name"), 0u);
  EXPECT_EQ(st.annotations().at("note"), "hello");
  EXPECT_GT(st.created_at(), 0);
  EXPECT_EQ(resp->info().count("info"), 1u);

  v1::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(*id);
  ASSERT_TRUE(service_->StopPodSandbox(Ctx(), stop).ok());
  EXPECT_EQ(service_->PodSandboxStatus(Ctx(), req)->status().state(),
            v1::SANDBOX_NOTREADY);
}

}  // namespace
}  // namespace cri_dockerd
