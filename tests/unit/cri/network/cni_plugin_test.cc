#include "cri/network/cni_plugin.h"

#include "common/testing/temp_dir.h"
#include "cri/network/network_plugin.h"

namespace cri_dockerd::network {
namespace {

using testing_util::TempDir;

constexpr char kBridgeConflist[] = R"({
  "cniVersion": "1.0.0", "name": "pods",
  "plugins": [{"type": "bridge"}, {"type": "portmap"}]})";

TEST(ParseCniConfigTest, ConflistAndSingleConf) {
  auto list = ParseCniConfig("/d/10.conflist", kBridgeConflist);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->name, "pods");
  EXPECT_EQ(list->cni_version, "1.0.0");
  EXPECT_EQ(list->plugin_types,
            (std::vector<std::string>{"bridge", "portmap"}));
  auto single = ParseCniConfig(
      "/d/10.conf", R"({"cniVersion":"0.3.1","name":"n","type":"bridge"})");
  ASSERT_TRUE(single.ok()) << single.status();
  EXPECT_EQ(single->plugin_types, std::vector<std::string>{"bridge"});
}

TEST(ParseCniConfigTest, RejectsBrokenConfigsNamingTheProblem) {
  struct {
    const char* file;
    const char* text;
    const char* mention;
  } cases[] = {
      {"a.conflist", "{", "not a JSON object"},
      {"a.conflist", "[1,2]", "not a JSON object"},
      {"a.conflist", R"({"plugins":[{"type":"bridge"}]})", "\"name\""},
      {"a.conflist", R"({"name":"n"})", "\"plugins\""},
      {"a.conflist", R"({"name":"n","plugins":[]})", "\"plugins\""},
      {"a.conflist", R"({"name":"n","plugins":"bridge"})", "\"plugins\""},
      {"a.conflist", R"({"name":"n","plugins":[{"x":1}]})", "\"type\""},
      {"a.conflist", R"({"name":"n","plugins":[7]})", "\"type\""},
      {"a.conf", R"({"name":"n"})", "\"type\""},
      {"a.conf", R"({"name":5,"type":"bridge"})", "\"name\""},
      {"a.conf", R"({"name":"n","type":"bridge"})",
       "no \"cniVersion\" (supported: 0.3.0"},
      {"a.conflist",
       R"({"cniVersion":"0.2.0","name":"n","plugins":[{"type":"bridge"}]})",
       "cniVersion \"0.2.0\" is not supported (supported: 0.3.0, 0.3.1, "
       "0.4.0, 1.0.0, 1.1.0)"},
  };
  for (const auto& c : cases) {
    auto got = ParseCniConfig(c.file, c.text);
    ASSERT_FALSE(got.ok()) << c.text;
    EXPECT_NE(got.status().message().find(c.mention), std::string::npos)
        << c.text << " -> " << got.status();
  }
}

TEST(FindCniConfigTest, FirstValidInLexicalOrder) {
  TempDir dir;
  dir.Write("05-broken.conflist", "{not json");
  dir.Write("10-b.conf",
            R"({"cniVersion":"0.4.0","name":"b","type":"bridge"})");
  dir.Write("20-a.conflist", kBridgeConflist);
  dir.Write("00-ignored.txt", R"({"name":"x","type":"bridge"})");
  auto got = FindCniConfig(dir.path());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->name, "b");
}

TEST(FindCniConfigTest, EmptyOrMissingDirIsNotFound) {
  TempDir dir;
  EXPECT_TRUE(absl::IsNotFound(FindCniConfig(dir.path()).status()));
  EXPECT_TRUE(absl::IsNotFound(FindCniConfig(dir.path() + "/nope").status()));
  dir.Write("10-broken.conflist", "{}");
  auto got = FindCniConfig(dir.path());
  ASSERT_TRUE(absl::IsNotFound(got.status()));
  EXPECT_NE(got.status().message().find("10-broken.conflist"),
            std::string::npos)
      << "says why the file was skipped: " << got.status();
}

TEST(CniNetworkPluginTest, SearchesEveryBinDir) {
  TempDir conf, bin1, bin2;
  conf.Write("10.conflist", kBridgeConflist);
  bin1.MakeExecutable("bridge");
  bin2.MakeExecutable("portmap");
  NetworkSettings s;
  s.cni_conf_dir = conf.path();
  s.cni_bin_dirs = bin1.path() + ", " + bin2.path();
  CniNetworkPlugin plugin(s);
  EXPECT_TRUE(plugin.Ready().ok()) << plugin.Ready();
}

TEST(CreateNetworkPluginTest, NamesAndPodCidr) {
  NetworkSettings s;
  s.pod_cidr = "10.9.0.0/16";
  auto cni = CreateNetworkPlugin(s);
  ASSERT_TRUE(cni.ok());
  EXPECT_EQ((*cni)->Name(), "cni");
  EXPECT_EQ((*cni)->PodCidr(), "10.9.0.0/16");
  s.plugin_name = "";
  auto noop = CreateNetworkPlugin(s);
  ASSERT_TRUE(noop.ok());
  EXPECT_EQ((*noop)->Name(), "no-op");
  EXPECT_TRUE((*noop)->Ready().ok());
  s.plugin_name = "kubenet";
  auto kubenet = CreateNetworkPlugin(s);
  ASSERT_FALSE(kubenet.ok());
  EXPECT_NE(kubenet.status().message().find("bridge"), std::string::npos);
  s.plugin_name = "weird";
  EXPECT_EQ(CreateNetworkPlugin(s).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cri_dockerd::network
