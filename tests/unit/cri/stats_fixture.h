// A RuntimeService on the fake docker client whose stats verbs read a
// fake procfs/cgroupfs (FakeCgroupTree): pods and containers are run
// through the CRI and their fake pids placed into cgroups the way docker
// places real ones.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "cri/stats/testing/fake_cgroup_tree.h"
#include "tests/unit/cri/pod_fixture.h"

namespace cri_dockerd::testing_util {

inline constexpr char kStatsImageId[] =
    "sha256:5555555555555555555555555555555555555555555555555555555555555555";

class StatsTest : public PodTest {
 protected:
  explicit StatsTest(FakeCgroupTree::Mode mode = FakeCgroupTree::Mode::kV1)
      : tree_(mode) {
    docker::ImageInspect app;
    app.id = kStatsImageId;
    app.repo_tags = {"localhost:5000/app:1"};
    docker_.AddImage(app);
    stats::CollectorOptions o;
    o.proc_root = tree_.proc_root();
    o.cpu_rate_min_window = absl::ZeroDuration();
    o.layers.refresh_interval = absl::Milliseconds(20);
    service_ = std::make_unique<RuntimeService>(&docker_, &net_, images_.get(),
                                                checkpoints_.get(), options_,
                                                nullptr, o);
  }

  // docker's cgroupfs placement: <parent>/<id>, or /docker/<id>.
  static std::string CgroupOf(const std::string& parent,
                              const std::string& id) {
    return (parent.empty() ? std::string("/docker") : parent) + "/" + id;
  }
  int PidOf(const std::string& id) {
    absl::StatusOr<docker::ContainerInspect> c =
        docker_.InspectContainer(id, absl::InfiniteFuture());
    return c.ok() ? c->state.pid : 0;
  }

  // Runs pod `name` under cgroup parent `parent` ("" = none); its infra
  // process goes into its cgroup.
  std::string RunPod(const std::string& name, const std::string& parent) {
    v1::RunPodSandboxRequest run = Request(name);
    run.mutable_config()->mutable_linux()->set_cgroup_parent(parent);
    absl::StatusOr<std::string> id = Run(run);
    EXPECT_TRUE(id.ok()) << id.status();
    if (!id.ok()) return "";
    configs_[*id] = run.config();
    parents_[*id] = parent;
    tree_.AddProcess(PidOf(*id), CgroupOf(parent, *id));
    return *id;
  }

  // Creates container `name` in `pod` (started unless `start` is false)
  // with label tier=<tier>; its process goes into its cgroup.
  std::string RunContainer(const std::string& pod, const std::string& name,
                           const std::string& tier = "front",
                           bool start = true) {
    v1::CreateContainerRequest req;
    req.set_pod_sandbox_id(pod);
    *req.mutable_sandbox_config() = configs_[pod];
    v1::ContainerConfig* c = req.mutable_config();
    c->mutable_metadata()->set_name(name);
    c->mutable_metadata()->set_attempt(2);
    c->mutable_image()->set_image("localhost:5000/app:1");
    (*c->mutable_labels())["tier"] = tier;
    (*c->mutable_annotations())["owner"] = "me";
    auto created = service_->CreateContainer(Ctx(), req);
    EXPECT_TRUE(created.ok()) << created.status();
    if (!created.ok()) return "";
    const std::string id = created->container_id();
    if (start) {
      v1::StartContainerRequest s;
      s.set_container_id(id);
      EXPECT_TRUE(service_->StartContainer(Ctx(), s).ok());
      tree_.AddProcess(PidOf(id), CgroupOf(parents_[pod], id));
    }
    return id;
  }

  void Stop(const std::string& id) {
    v1::StopContainerRequest stop;
    stop.set_container_id(id);
    EXPECT_TRUE(service_->StopContainer(Ctx(), stop).ok());
  }

  // CPU in microseconds (cgroup v2's unit): `cpu_usec` * 1000 ns.
  static FakeCgroupTree::Usage Usage(uint64_t cpu_usec, uint64_t memory,
                                     uint64_t pids = 1) {
    FakeCgroupTree::Usage u;
    u.cpu_nanos = cpu_usec * 1000;
    u.memory = memory;
    u.inactive_file = memory / 10;
    u.rss = memory / 2;
    u.pgfault = 100;
    u.pgmajfault = 1;
    u.pids = pids;
    return u;
  }

  FakeCgroupTree tree_;
  std::map<std::string, v1::PodSandboxConfig> configs_;
  std::map<std::string, std::string> parents_;
};

}  // namespace cri_dockerd::testing_util
