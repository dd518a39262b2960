// ToDockerResources: CPU, cpuset and memory/swap as docker takes them,
// what is reported as not applied, and the refused inputs (each error
// naming the field).
#include "cri/convert/container_resources.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cri_dockerd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;

constexpr int64_t kMiB = 1 << 20;

TEST(ContainerResourcesTest, CopiesCpuAndMemory) {
  v1::LinuxContainerResources r;
  r.set_cpu_period(100000);
  r.set_cpu_quota(50000);
  r.set_cpu_shares(512);
  r.set_cpuset_cpus("0-3,7");
  r.set_cpuset_mems("0");
  r.set_memory_limit_in_bytes(128 * kMiB);
  r.set_oom_score_adj(-997);
  std::vector<std::string> ignored;
  auto res = ToDockerResources(r, true, &ignored);
  ASSERT_TRUE(res.ok()) << res.status();
  EXPECT_EQ(res->cpu_period, 100000);
  EXPECT_EQ(res->cpu_quota, 50000);
  EXPECT_EQ(res->cpu_shares, 512);
  EXPECT_EQ(res->cpuset_cpus, "0-3,7");
  EXPECT_EQ(res->cpuset_mems, "0");
  EXPECT_EQ(res->memory, 128 * kMiB);
  EXPECT_EQ(res->memory_swap, 128 * kMiB);  // no swap
  EXPECT_FALSE(res->pids_limit.has_value());
  EXPECT_THAT(ignored, IsEmpty());
}

TEST(ContainerResourcesTest, EmptyIsUnlimited) {
  auto res = ToDockerResources(v1::LinuxContainerResources());
  ASSERT_TRUE(res.ok()) << res.status();
  EXPECT_EQ(res->memory, 0);
  EXPECT_EQ(res->memory_swap, 0);
  EXPECT_EQ(res->cpu_quota, 0);
  EXPECT_TRUE(res->hugepage_limits.empty());
}

struct SwapCase {
  const char* name;
  int64_t memory;
  int64_t swap_limit;
  const char* unified_swap;  // nullptr: no memory.swap.max
  bool swap_supported;
  int64_t memory_swap;  // expected
  std::vector<std::string> ignored;
};

TEST(ContainerResourcesTest, Swap) {
  const int64_t m = 100 * kMiB;
  const std::vector<SwapCase> cases = {
      {"no memory limit", 0, 0, nullptr, true, 0, {}},
      {"memory only: no swap", m, 0, nullptr, true, m, {}},
      {"explicit memory+swap", m, 2 * m, nullptr, true, 2 * m, {}},
      {"explicit equal to memory", m, m, nullptr, true, m, {}},
      {"unified swap 0", m, 0, "0", true, m, {}},
      {"unified swap bytes", m, 0, "52428800", true, m + 50 * kMiB, {}},
      {"unified swap max", m, 0, "max", true, -1, {}},
      {"explicit wins over unified",
       m,
       2 * m,
       "5",
       true,
       2 * m,
       {"unified[memory.swap.max]"}},
      {"unified swap without memory",
       0,
       0,
       "0",
       true,
       0,
       {"unified[memory.swap.max]"}},
      {"unsupported: memory only", m, 0, nullptr, false, 0, {}},
      {"unsupported: explicit",
       m,
       2 * m,
       nullptr,
       false,
       0,
       {"memory_swap_limit_in_bytes"}},
      {"unsupported: unified",
       m,
       0,
       "max",
       false,
       0,
       {"unified[memory.swap.max]"}},
  };
  for (const SwapCase& tc : cases) {
    SCOPED_TRACE(tc.name);
    v1::LinuxContainerResources r;
    r.set_memory_limit_in_bytes(tc.memory);
    r.set_memory_swap_limit_in_bytes(tc.swap_limit);
    if (tc.unified_swap != nullptr) {
      (*r.mutable_unified())["memory.swap.max"] = tc.unified_swap;
    }
    std::vector<std::string> ignored;
    auto res = ToDockerResources(r, tc.swap_supported, &ignored);
    ASSERT_TRUE(res.ok()) << res.status();
    EXPECT_EQ(res->memory, tc.memory);
    EXPECT_EQ(res->memory_swap, tc.memory_swap);
    EXPECT_EQ(ignored, tc.ignored);
  }
}

TEST(ContainerResourcesTest, HugepagesAreKeptForTheCgroupWriter) {
  v1::LinuxContainerResources r;
  v1::HugepageLimit* small = r.add_hugepage_limits();
  small->set_page_size("2MB");
  small->set_limit(0);
  v1::HugepageLimit* big = r.add_hugepage_limits();
  big->set_page_size("1GB");
  big->set_limit(1ULL << 30);
  std::vector<std::string> ignored;
  auto res = ToDockerResources(r, true, &ignored);
  ASSERT_TRUE(res.ok()) << res.status();
  EXPECT_THAT(res->hugepage_limits,
              ElementsAre(Pair("1GB", int64_t{1} << 30), Pair("2MB", 0)));
  // Not reported: the shim writes them into the cgroup itself.
  EXPECT_THAT(ignored, IsEmpty());
}

TEST(ContainerResourcesTest, UnifiedKeysDockerSetsAreIgnoredAndReportedSorted) {
  v1::LinuxContainerResources r;
  r.set_memory_limit_in_bytes(64 * kMiB);
  (*r.mutable_unified())["memory.oom.group"] = "1";
  (*r.mutable_unified())["memory.high"] = "50000000";
  (*r.mutable_unified())["memory.swap.max"] = "0";
  (*r.mutable_unified())["memory.max"] = "1";
  (*r.mutable_unified())["cpu.weight"] = "5";
  std::vector<std::string> ignored;
  auto res = ToDockerResources(r, true, &ignored);
  ASSERT_TRUE(res.ok()) << res.status();
  EXPECT_EQ(res->memory, 64 * kMiB);
  EXPECT_EQ(res->memory_swap, 64 * kMiB);
  // memory.oom.group and memory.high go to the cgroup writer.
  EXPECT_THAT(ignored,
              ElementsAre("unified[cpu.weight]", "unified[memory.max]"));
  // The report is optional.
  EXPECT_TRUE(ToDockerResources(r, true, nullptr).ok());
}

TEST(ContainerResourcesTest, ValidCpusetsAndOomScores) {
  for (const char* cpus : {"", "0", "0-0", "0-3,7", "1,3,5-9", "127"}) {
    SCOPED_TRACE(cpus);
    v1::LinuxContainerResources r;
    r.set_cpuset_cpus(cpus);
    r.set_cpuset_mems(cpus);
    EXPECT_TRUE(ToDockerResources(r).ok());
  }
  for (int64_t oom : {-1000, -998, 0, 1000}) {
    SCOPED_TRACE(oom);
    v1::LinuxContainerResources r;
    r.set_oom_score_adj(oom);
    EXPECT_TRUE(ToDockerResources(r).ok());
  }
}

struct BadCase {
  const char* name;
  std::function<void(v1::LinuxContainerResources*)> setup;
  std::string field;  // the error must contain it
};

TEST(ContainerResourcesTest, BadInputsNameTheField) {
  const int64_t m = 100 * kMiB;
  auto unified = [](std::string key) {
    return [key](v1::LinuxContainerResources* r) {
      (*r->mutable_unified())[key] = "1";
    };
  };
  auto hugepage = [](std::string size, uint64_t limit) {
    return [size, limit](v1::LinuxContainerResources* r) {
      v1::HugepageLimit* h = r->add_hugepage_limits();
      h->set_page_size(size);
      h->set_limit(limit);
    };
  };
  auto swap_max = [m](std::string value) {
    return [m, value](v1::LinuxContainerResources* r) {
      r->set_memory_limit_in_bytes(m);
      (*r->mutable_unified())["memory.swap.max"] = value;
    };
  };
  const std::vector<BadCase> cases = {
      {"cpu_period", [](auto* r) { r->set_cpu_period(-1); },
       "resources.cpu_period"},
      {"cpu_quota", [](auto* r) { r->set_cpu_quota(-1); },
       "resources.cpu_quota"},
      {"cpu_shares", [](auto* r) { r->set_cpu_shares(-2); },
       "resources.cpu_shares"},
      {"memory", [](auto* r) { r->set_memory_limit_in_bytes(-1); },
       "resources.memory_limit_in_bytes"},
      {"swap", [](auto* r) { r->set_memory_swap_limit_in_bytes(-1); },
       "resources.memory_swap_limit_in_bytes"},
      {"oom high", [](auto* r) { r->set_oom_score_adj(1001); },
       "resources.oom_score_adj"},
      {"oom low", [](auto* r) { r->set_oom_score_adj(-1001); },
       "resources.oom_score_adj"},
      {"cpus letters", [](auto* r) { r->set_cpuset_cpus("a"); },
       "resources.cpuset_cpus"},
      {"cpus open range", [](auto* r) { r->set_cpuset_cpus("1-"); },
       "resources.cpuset_cpus"},
      {"cpus reversed", [](auto* r) { r->set_cpuset_cpus("3-1"); },
       "resources.cpuset_cpus"},
      {"cpus empty item", [](auto* r) { r->set_cpuset_cpus("1,,2"); },
       "resources.cpuset_cpus"},
      {"cpus negative", [](auto* r) { r->set_cpuset_cpus("-1"); },
       "resources.cpuset_cpus"},
      {"cpus space", [](auto* r) { r->set_cpuset_cpus(" 1"); },
       "resources.cpuset_cpus"},
      {"cpus trailing comma", [](auto* r) { r->set_cpuset_cpus("0,"); },
       "resources.cpuset_cpus"},
      {"cpus double range", [](auto* r) { r->set_cpuset_cpus("0-1-2"); },
       "resources.cpuset_cpus"},
      {"mems", [](auto* r) { r->set_cpuset_mems("x"); },
       "resources.cpuset_mems"},
      {"swap without memory",
       [](auto* r) { r->set_memory_swap_limit_in_bytes(m); },
       "resources.memory_swap_limit_in_bytes"},
      {"swap below memory",
       [m](auto* r) {
         r->set_memory_limit_in_bytes(m);
         r->set_memory_swap_limit_in_bytes(m - 1);
       },
       "resources.memory_swap_limit_in_bytes"},
      {"swap.max word", swap_max("lots"), "resources.unified[memory.swap.max]"},
      {"swap.max negative", swap_max("-1"),
       "resources.unified[memory.swap.max]"},
      {"swap.max fraction", swap_max("1.5"),
       "resources.unified[memory.swap.max]"},
      {"swap.max empty", swap_max(""), "resources.unified[memory.swap.max]"},
      {"swap.max overflow", swap_max("9223372036854775807"),
       "resources.unified[memory.swap.max]"},
      {"unified key with slash", unified("../memory.high"),
       "resources.unified[../memory.high]"},
      {"unified key in a subdirectory", unified("sub/memory.high"),
       "resources.unified[sub/memory.high]"},
      {"unified key dot dot", unified("memory..high"),
       "resources.unified[memory..high]"},
      {"unified key without controller", unified(".high"),
       "resources.unified[.high]"},
      {"unified key without name", unified("memory"),
       "resources.unified[memory]"},
      {"unified key with NUL", unified(std::string("memory.high\0x", 13)),
       "resources.unified[memory.high\\x00x]"},
      {"unified core file", unified("cgroup.procs"),
       "resources.unified[cgroup.procs]"},
      {"unified value with NUL",
       [](auto* r) {
         (*r->mutable_unified())["memory.high"] = std::string("1\0", 2);
       },
       "resources.unified[memory.high]"},
      {"hugepage size empty", hugepage("", 0),
       "resources.hugepage_limits[0].page_size"},
      {"hugepage size space", hugepage("2 MB", 0),
       "resources.hugepage_limits[0].page_size"},
      {"hugepage limit too big", hugepage("2MB", UINT64_MAX),
       "resources.hugepage_limits[0].limit"},
      {"hugepage repeated",
       [](auto* r) {
         r->add_hugepage_limits()->set_page_size("2MB");
         r->add_hugepage_limits()->set_page_size("2MB");
       },
       "resources.hugepage_limits[1].page_size"},
  };
  for (const BadCase& tc : cases) {
    SCOPED_TRACE(tc.name);
    v1::LinuxContainerResources r;
    tc.setup(&r);
    auto res = ToDockerResources(r, true);
    EXPECT_TRUE(absl::IsInvalidArgument(res.status())) << res.status();
    EXPECT_THAT(res.status().message(), HasSubstr(tc.field));
  }
}

}  // namespace
}  // namespace cri_dockerd
