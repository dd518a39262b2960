// The cgroup settings docker cannot express, written by StartContainer
// and UpdateContainerResources into a fake cgroup tree (this lab's hosts
// are cgroup v1; the v2 behaviour is tested here only).
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/status_macros.h"
#include "gmock/gmock.h"
#include "tests/unit/cri/stats_fixture.h"

namespace cri_dockerd {
namespace {

using testing_util::FakeCgroupTree;
using testing_util::StatsTest;

constexpr char kParent[] = "/kubepods/pod1";

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class CgroupFilesTest : public StatsTest {
 protected:
  explicit CgroupFilesTest(
      FakeCgroupTree::Mode mode = FakeCgroupTree::Mode::kV2)
      : StatsTest(mode) {
    // As runc does before docker answers the start: the process is in
    // its cgroup, whose controller files exist.
    docker_.SetOnStart([this](const std::string& id, int pid) {
      tree_.AddProcess(pid, CgroupOf(kParent, id));
      for (const char* file :
           {"memory.oom.group", "memory.high", "hugetlb.2MB.max", "pids.max"}) {
        if (refuse_ == file) {
          std::filesystem::create_directories(Dir(id) + "/" + file);
        } else {
          FakeCgroupTree::Put(Dir(id) + "/" + file, "initial");
        }
      }
      FakeCgroupTree::Put(tree_.Hierarchy("hugetlb") + CgroupOf(kParent, id) +
                              "/hugetlb.2MB.limit_in_bytes",
                          "initial");
    });
    pod_ = RunPod("web", kParent);
  }

  std::string Dir(const std::string& id) const {
    return tree_.Unified() + CgroupOf(kParent, id);
  }

  absl::StatusOr<std::string> Create(const v1::LinuxContainerResources& r) {
    v1::CreateContainerRequest req;
    req.set_pod_sandbox_id(pod_);
    *req.mutable_sandbox_config() = configs_[pod_];
    v1::ContainerConfig* c = req.mutable_config();
    c->mutable_metadata()->set_name("app");
    c->mutable_image()->set_image("localhost:5000/app:1");
    *c->mutable_linux()->mutable_resources() = r;
    ASSIGN_OR_RETURN(v1::CreateContainerResponse resp,
                     service_->CreateContainer(Ctx(), req));
    return resp.container_id();
  }

  absl::Status Start(const std::string& id) {
    v1::StartContainerRequest req;
    req.set_container_id(id);
    return service_->StartContainer(Ctx(), req).status();
  }

  bool Running(const std::string& id) {
    absl::StatusOr<docker::ContainerInspect> c =
        docker_.InspectContainer(id, absl::InfiniteFuture());
    return c.ok() && c->state.running;
  }

  static v1::LinuxContainerResources KubeletV2Resources() {
    v1::LinuxContainerResources r;
    r.set_memory_limit_in_bytes(64 << 20);
    (*r.mutable_unified())["memory.oom.group"] = "1";
    (*r.mutable_unified())["memory.high"] = "50331648";
    v1::HugepageLimit* h = r.add_hugepage_limits();
    h->set_page_size("2MB");
    h->set_limit(0);
    return r;
  }

  std::string pod_;
  std::string refuse_;  // a file the "kernel" refuses (a directory)
};

TEST_F(CgroupFilesTest, MemoryOomGroupIsWrittenBeforeStartReturns) {
  absl::StatusOr<std::string> id = Create(KubeletV2Resources());
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_TRUE(Start(*id).ok());
  EXPECT_EQ(Read(Dir(*id) + "/memory.oom.group"), "1");
  EXPECT_EQ(Read(Dir(*id) + "/memory.high"), "50331648");
  EXPECT_EQ(Read(Dir(*id) + "/hugetlb.2MB.max"), "0");
  EXPECT_EQ(Read(Dir(*id) + "/pids.max"), "initial");
  // Kubelet does not see the labels that carried them.
  v1::ListContainersRequest list;
  absl::StatusOr<v1::ListContainersResponse> listed =
      service_->ListContainers(Ctx(), list);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->containers_size(), 1);
  for (const auto& [key, value] : listed->containers(0).labels()) {
    EXPECT_EQ(key.find("io.kubernetes.docker."), std::string::npos) << key;
  }
}

TEST_F(CgroupFilesTest, UpdateWritesIntoARunningContainer) {
  absl::StatusOr<std::string> id = Create(v1::LinuxContainerResources());
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_TRUE(Start(*id).ok());
  EXPECT_EQ(Read(Dir(*id) + "/memory.high"), "initial");
  v1::UpdateContainerResourcesRequest req;
  req.set_container_id(*id);
  req.mutable_linux()->set_memory_limit_in_bytes(128 << 20);
  (*req.mutable_linux()->mutable_unified())["memory.high"] = "100663296";
  (*req.mutable_linux()->mutable_unified())["pids.max"] = "64";
  ASSERT_TRUE(service_->UpdateContainerResources(Ctx(), req).ok());
  EXPECT_EQ(Read(Dir(*id) + "/memory.high"), "100663296");
  EXPECT_EQ(Read(Dir(*id) + "/pids.max"), "64");
  EXPECT_EQ(docker_.UpdatedResources(*id)->memory, 128 << 20);
  // A bad key fails the update before anything is applied.
  (*req.mutable_linux()->mutable_unified())["../pids.max"] = "1";
  req.mutable_linux()->set_memory_limit_in_bytes(256 << 20);
  absl::StatusOr<v1::UpdateContainerResourcesResponse> bad =
      service_->UpdateContainerResources(Ctx(), req);
  EXPECT_TRUE(absl::IsInvalidArgument(bad.status())) << bad.status();
  EXPECT_EQ(docker_.UpdatedResources(*id)->memory, 128 << 20);
}

TEST_F(CgroupFilesTest, BadKeyNameCreatesNothing) {
  const size_t before = docker_.ContainerIds().size();
  for (const char* key : {"../memory.high", "memory.high/x", "cgroup.procs"}) {
    v1::LinuxContainerResources r;
    (*r.mutable_unified())[key] = "1";
    absl::StatusOr<std::string> id = Create(r);
    EXPECT_TRUE(absl::IsInvalidArgument(id.status())) << key;
    EXPECT_THAT(std::string(id.status().message()), ::testing::HasSubstr(key));
  }
  EXPECT_EQ(docker_.ContainerIds().size(), before);
}

TEST_F(CgroupFilesTest, RefusedSettingFailsStartAndStopsTheContainer) {
  refuse_ = "memory.high";
  absl::StatusOr<std::string> id = Create(KubeletV2Resources());
  ASSERT_TRUE(id.ok()) << id.status();
  absl::Status s = Start(*id);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("memory.high"));
  EXPECT_FALSE(Running(*id));
}

class CgroupFilesV1Test : public CgroupFilesTest {
 protected:
  CgroupFilesV1Test() : CgroupFilesTest(FakeCgroupTree::Mode::kV1) {}
};

TEST_F(CgroupFilesV1Test, OnlyHugetlbLimitsAreWritten) {
  absl::StatusOr<std::string> id = Create(KubeletV2Resources());
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_TRUE(Start(*id).ok());
  EXPECT_TRUE(Running(*id));
  EXPECT_EQ(Read(tree_.Hierarchy("hugetlb") + CgroupOf(kParent, *id) +
                 "/hugetlb.2MB.limit_in_bytes"),
            "0");
  // The hybrid unified hierarchy is not where v1 settings go.
  EXPECT_EQ(Read(Dir(*id) + "/memory.oom.group"), "initial");
}

}  // namespace
}  // namespace cri_dockerd
