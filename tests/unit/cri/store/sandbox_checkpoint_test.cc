#include "cri/store/sandbox_checkpoint.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace cri_dockerd::store {
namespace {

// Test vectors from the Go cri-dockerd. They were produced by a throwaway Go
// program (not part of this repository) that declares the Go shim's types
// under the same package names (core.CheckpointData,
// core.PodSandboxCheckpoint, config.PortMapping, config.Protocol) and runs
// the shim's own code paths on them: the vendored go-spew v1.1.1 with the
// ConfigState of store/checksum.go and hash/fnv's New32a for the checksum,
// then encoding/json's Marshal for the file. "Decode-only" vectors are files
// written by hand and fed to encoding/json's Unmarshal plus the checksum, to
// record what the Go shim accepts and which checksum it computes.
struct GoVector {
  const char* label;
  std::string json;  // the file's bytes
  uint64_t checksum;
};

const std::vector<GoVector>& GoWrittenFiles() {
  static const auto* const kFiles = new std::vector<GoVector>{
      {"no port mappings",
       R"({"version":"v1","name":"nginx-7c5ddbdf54-x2x9q","namespace":)"
       R"("default","data":{},"checksum":2305795928})",
       2305795928},
      {"host network",
       R"({"version":"v1","name":"coredns-5d78c9869d-abcde","namespace":)"
       R"("kube-system","data":{"host_network":true},"checksum":12315789})",
       12315789},
      {"one tcp mapping",
       R"({"version":"v1","name":"web-0","namespace":"default","data":)"
       R"({"port_mappings":[{"protocol":"tcp","container_port":80,)"
       R"("host_port":8080}]},"checksum":3712672205})",
       3712672205},
      {"tcp udp sctp, host ips",
       R"({"version":"v1","name":"multi","namespace":"team-a","data":)"
       R"({"port_mappings":[{"protocol":"tcp","container_port":80,)"
       R"("host_port":8080,"host_ip":"127.0.0.1"},{"protocol":"udp",)"
       R"("container_port":53,"host_port":5353},{"protocol":"sctp",)"
       R"("container_port":9999,"host_port":0,"host_ip":"::1"}]},)"
       R"("checksum":1640414504})",
       1640414504},
      {"mapping and host network",
       R"({"version":"v1","name":"hostport-on-host","namespace":)"
       R"("kube-system","data":{"port_mappings":[{"protocol":"tcp",)"
       R"("container_port":10250,"host_port":10250,"host_ip":"0.0.0.0"}],)"
       R"("host_network":true},"checksum":2049564452})",
       2049564452},
      {"nil pointers, empty protocol, zero and extreme ports",
       R"({"version":"v1","name":"odd","namespace":"x","data":)"
       R"({"port_mappings":[{},{"protocol":"","container_port":0,)"
       R"("host_port":-1},{"container_port":2147483647,)"
       R"("host_port":-2147483648}]},"checksum":1604362312})",
       1604362312},
      {"escaped names",
       "{\"version\":\"v1\",\"name\":\"esc\\u003c\\u0026\\u003e\\\"\\\\"
       "\xC3\xA9\\u2028\\u2029\\u0001\x7f\",\"namespace\":\"ns/\\t\\n\\r\","
       "\"data\":{\"port_mappings\":[{\"protocol\":\"TCP\","
       "\"host_ip\":\"fe80::1%eth0\"}]},\"checksum\":1049460553}",
       1049460553},
  };
  return *kFiles;
}

SandboxCheckpoint Decoded(const std::string& json) {
  absl::StatusOr<SandboxCheckpoint> cp = DecodeCheckpoint(json);
  EXPECT_TRUE(cp.ok()) << cp.status() << " for " << json;
  return cp.ok() ? *cp : SandboxCheckpoint{};
}

TEST(SandboxCheckpointTest, GoWrittenFilesDecodeAndReencodeByteForByte) {
  for (const GoVector& v : GoWrittenFiles()) {
    SCOPED_TRACE(v.label);
    absl::StatusOr<SandboxCheckpoint> cp = DecodeCheckpoint(v.json);
    ASSERT_TRUE(cp.ok()) << cp.status();
    EXPECT_EQ(CheckpointChecksum(*cp), v.checksum);
    EXPECT_EQ(EncodeCheckpoint(*cp), v.json);
  }
}

TEST(SandboxCheckpointTest, GoWrittenFilesDecodeToTheRightValues) {
  const auto& files = GoWrittenFiles();
  SandboxCheckpoint cp = Decoded(files[0].json);
  EXPECT_EQ(cp.name, "nginx-7c5ddbdf54-x2x9q");
  EXPECT_EQ(cp.ns, "default");
  EXPECT_TRUE(cp.port_mappings.empty());
  EXPECT_TRUE(cp.port_mappings_null);
  EXPECT_FALSE(cp.host_network);

  EXPECT_TRUE(Decoded(files[1].json).host_network);

  cp = Decoded(files[3].json);
  ASSERT_EQ(cp.port_mappings.size(), 3u);
  EXPECT_EQ(cp.port_mappings[0],
            (CheckpointPortMapping{"tcp", 80, 8080, "127.0.0.1"}));
  EXPECT_EQ(cp.port_mappings[1], (CheckpointPortMapping{"udp", 53, 5353, ""}));
  EXPECT_EQ(cp.port_mappings[2],
            (CheckpointPortMapping{"sctp", 9999, 0, "::1"}));

  cp = Decoded(files[5].json);
  ASSERT_EQ(cp.port_mappings.size(), 3u);
  EXPECT_EQ(cp.port_mappings[0], CheckpointPortMapping{});
  EXPECT_EQ(cp.port_mappings[1], (CheckpointPortMapping{"", 0, -1, ""}));
  EXPECT_EQ(cp.port_mappings[2],
            (CheckpointPortMapping{std::nullopt, INT32_MAX, INT32_MIN, ""}));

  cp = Decoded(files[6].json);
  EXPECT_EQ(cp.name, "esc<&>\"\\\xC3\xA9\xE2\x80\xA8\xE2\x80\xA9\x01\x7f");
  EXPECT_EQ(cp.ns, "ns/\t\n\r");
}

TEST(SandboxCheckpointTest, EncodingValuesGivesGoBytes) {
  SandboxCheckpoint cp;
  cp.name = "web-0";
  cp.ns = "default";
  cp.port_mappings.push_back({"tcp", 80, 8080, ""});
  EXPECT_EQ(EncodeCheckpoint(cp), GoWrittenFiles()[2].json);
}

// The spew text Go hashes, as printed by go-spew itself.
TEST(SandboxCheckpointTest, SpewRenderingMatchesGo) {
  SandboxCheckpoint cp;
  EXPECT_EQ(SpewCheckpointData(cp),
            "(core.CheckpointData){PortMappings:([]*config.PortMapping)<nil> "
            "HostNetwork:(bool)false}");
  cp.port_mappings_null = false;
  EXPECT_EQ(SpewCheckpointData(cp),
            "(core.CheckpointData){PortMappings:([]*config.PortMapping)[] "
            "HostNetwork:(bool)false}");
  EXPECT_EQ(CheckpointChecksum(cp), 3930330829u);

  cp.port_mappings = {{"tcp", 80, 8080, "127.0.0.1"}, {}};
  cp.host_network = true;
  EXPECT_EQ(SpewCheckpointData(cp),
            "(core.CheckpointData){PortMappings:([]*config.PortMapping)["
            "<*>{Protocol:(*config.Protocol)tcp ContainerPort:(*int32)80 "
            "HostPort:(*int32)8080 HostIP:(string)127.0.0.1} "
            "<*>{Protocol:(*config.Protocol)<nil> ContainerPort:(*int32)<nil> "
            "HostPort:(*int32)<nil> HostIP:(string)}] HostNetwork:(bool)true}");
  EXPECT_EQ(CheckpointChecksum(cp), 664088289u);
}

// Files Go's encoding/json accepts although Go never writes them this way.
TEST(SandboxCheckpointTest, DecodeOnlyVectorsMatchGo) {
  struct {
    const char* label;
    const char* json;
    uint64_t checksum;
  } cases[] = {
      {"empty list, not nil",
       R"({"version":"v1","name":"a","namespace":"b","data":)"
       R"({"port_mappings":[]},"checksum":3930330829})",
       3930330829},
      {"explicit nulls",
       R"({"version":"v1","name":"a","namespace":"b","data":)"
       R"({"port_mappings":null,"host_network":null},"checksum":2305795928})",
       2305795928},
      {"null mapping fields",
       R"({"version":"v1","name":"a","namespace":"b","data":{"port_mappings":)"
       R"([{"protocol":null,"container_port":null,"host_port":null,)"
       R"("host_ip":null}]},"checksum":3292248103})",
       3292248103},
      {"whitespace, key order, unknown fields",
       R"({ "checksum" : 3712672205, "data" : { "port_mappings" : [ )"
       R"({ "host_port" : 8080, "container_port" : 80, "protocol" : "tcp" )"
       R"(} ] }, "namespace" : "default", "name" : "web-0", )"
       R"("version" : "v1", "extra": {"x": [1,2,3]} })",
       3712672205},
      {"keys in another case",
       R"({"Version":"v1","NAME":"a","namespace":"b","Data":)"
       R"({"Host_Network":true},"checksum":12315789})",
       12315789},
      {"NUL in a string",
       R"({"version":"v1","name":"a","namespace":"b","data":{"port_mappings":)"
       R"([{"protocol":"tcp","container_port":80,"host_port":8080,)"
       R"("host_ip":"a\u0000b"}]},"checksum":3210233706})",
       3210233706},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.label);
    absl::StatusOr<SandboxCheckpoint> cp = DecodeCheckpoint(c.json);
    ASSERT_TRUE(cp.ok()) << cp.status();
    EXPECT_EQ(CheckpointChecksum(*cp), c.checksum);
    // Whatever we write back, we (and Go) read back as the same value.
    absl::StatusOr<SandboxCheckpoint> again =
        DecodeCheckpoint(EncodeCheckpoint(*cp));
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_TRUE(*again == *cp);
    EXPECT_EQ(CheckpointChecksum(*again), c.checksum);
  }
  EXPECT_FALSE(Decoded(cases[0].json).port_mappings_null);
  EXPECT_EQ(EncodeCheckpoint(Decoded(cases[0].json)), cases[0].json);
  EXPECT_EQ(Decoded(cases[5].json).port_mappings[0].host_ip,
            std::string("a\0b", 3));
  SandboxCheckpoint cased = Decoded(cases[4].json);
  EXPECT_EQ(cased.name, "a");
  EXPECT_TRUE(cased.host_network);
}

TEST(SandboxCheckpointTest, RoundTrips) {
  std::vector<SandboxCheckpoint> cases(5);
  cases[1].name = "p";
  cases[1].port_mappings_null = false;
  cases[2].name = "web";
  cases[2].ns = "prod";
  cases[2].host_network = true;
  cases[2].port_mappings = {{"udp", 53, 53, "10.0.0.1"}, {}, {"", 0, 0, ""}};
  cases[3].port_mappings_null = false;  // ignored: the list is not empty
  cases[3].port_mappings = {{"sctp", std::nullopt, 1, "::"}};
  cases[4].name = std::string("n\0\b\f<>&\xF0\x9F\x98\x80", 11);
  cases[4].ns = "\xE2\x80\xA8";
  cases[4].port_mappings = {{"t\"c\\p\n", -5, 65536, "\xC3\xA9\x7f"}};
  for (const SandboxCheckpoint& cp : cases) {
    const std::string json = EncodeCheckpoint(cp);
    absl::StatusOr<SandboxCheckpoint> back = DecodeCheckpoint(json);
    ASSERT_TRUE(back.ok()) << back.status() << " for " << json;
    EXPECT_TRUE(*back == cp) << json;
    EXPECT_EQ(EncodeCheckpoint(*back), json);
  }
}

// Go >= 1.22 (the Go shim builds with 1.24) writes \b and \f short; older
// Go wrote \u0008 and \u000c. Both decode the same.
TEST(SandboxCheckpointTest, EscapesStringsLikeGoJson) {
  SandboxCheckpoint cp;
  cp.name = std::string("a\b\f\x1f<>&\xE2\x80\xA9\x7f\0", 12);
  const std::string json = EncodeCheckpoint(cp);
  EXPECT_NE(json.find(R"("name":"a\b\f\u001f\u003c\u003e\u0026\u2029)"
                      "\x7f\\u0000\""),
            std::string::npos)
      << json;
}

TEST(SandboxCheckpointTest, InvalidUtf8IsRepairedAndStillVerifies) {
  SandboxCheckpoint cp;
  cp.name = "bad\xFF";
  // A truncated 3-byte sequence is two bad bytes; a surrogate is three.
  cp.port_mappings = {{"tcp\xE2\x82", 1, 2, "\xED\xA0\x80"},
                      {"\xF4\x90\x80\x80", 3, 4, "\xC0\x80"}};
  const std::string json = EncodeCheckpoint(cp);
  EXPECT_NE(json.find(R"("name":"bad\ufffd")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("protocol":"tcp\ufffd\ufffd")"), std::string::npos);
  EXPECT_NE(json.find(R"("host_ip":"\ufffd\ufffd\ufffd")"), std::string::npos);
  // Above U+10FFFF, and an overlong NUL.
  EXPECT_NE(json.find(R"("protocol":"\ufffd\ufffd\ufffd\ufffd")"),
            std::string::npos);
  EXPECT_NE(json.find(R"("host_ip":"\ufffd\ufffd")"), std::string::npos);
  absl::StatusOr<SandboxCheckpoint> back = DecodeCheckpoint(json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->name, "bad\xEF\xBF\xBD");
  EXPECT_EQ(back->port_mappings[0].protocol, "tcp\xEF\xBF\xBD\xEF\xBF\xBD");
}

void ExpectDataLoss(const std::string& json, const std::string& mention) {
  absl::StatusOr<SandboxCheckpoint> cp = DecodeCheckpoint(json);
  ASSERT_FALSE(cp.ok()) << json;
  EXPECT_TRUE(absl::IsDataLoss(cp.status())) << cp.status();
  EXPECT_NE(cp.status().message().find(mention), std::string::npos)
      << cp.status() << " should mention " << mention;
}

TEST(SandboxCheckpointTest, RejectsCorruptFilesSayingWhy) {
  const std::string head = R"({"version":"v1","name":"a","namespace":"b",)";
  struct {
    std::string json;
    const char* mention;
  } cases[] = {
      {"", "not a JSON object"},
      {"[]", "not a JSON object"},
      {"null", "not a JSON object"},
      {"{\"version\":\"v1\"} x", "not a JSON object"},
      {head + R"("checksum":2305795928})", "no \"data\""},
      {head + R"("data":null,"checksum":2305795928})", "no \"data\""},
      {head + R"("data":[],"checksum":2305795928})", "\"data\""},
      {head + R"("data":{},"checksum":2305795927})", "checksum mismatch"},
      {head + R"("data":{},"checksum":4294967296})", "checksum mismatch"},
      {head + R"("data":{}})", "checksum mismatch"},
      {head + R"("data":{},"checksum":"2305795928"})", "\"checksum\""},
      {head + R"("data":{},"checksum":-1})", "\"checksum\""},
      {head + R"("data":{},"checksum":1.5})", "\"checksum\""},
      {head + R"("data":{"host_network":"true"},"checksum":12315789})",
       "\"host_network\""},
      {head + R"("data":{"port_mappings":{}},"checksum":1})",
       "\"port_mappings\""},
      {head + R"("data":{"port_mappings":[null]},"checksum":1062990627})",
       "port_mappings[0]"},
      {head + R"("data":{"port_mappings":[{},7]},"checksum":1})",
       "port_mappings[1]"},
      {head + R"("data":{"port_mappings":[{"protocol":6}]},"checksum":1})",
       "protocol"},
      {head + R"("data":{"port_mappings":[{"host_ip":1}]},"checksum":1})",
       "host_ip"},
      {head + R"("data":{"port_mappings":[{"host_port":"80"}]},"checksum":1})",
       "host_port"},
      {head + R"("data":{"port_mappings":[{"container_port":2147483648}]},)"
              R"("checksum":1})",
       "container_port"},
      {head + R"("data":{"port_mappings":[{"container_port":1.5}]},)"
              R"("checksum":1})",
       "container_port"},
      {R"({"version":"v2","name":"a","namespace":"b","data":{},)"
       R"("checksum":2305795928})",
       "version \"v2\""},
      {R"({"name":"a","namespace":"b","data":{},"checksum":2305795928})",
       "version \"\""},
      {R"({"version":1,"name":"a","namespace":"b","data":{},"checksum":0})",
       "\"version\""},
      {R"({"version":"v1","name":["a"],"namespace":"b","data":{}})",
       "\"name\""},
      {R"({"version":"v1","name":"a","namespace":{},"data":{}})",
       "\"namespace\""},
  };
  for (const auto& c : cases) ExpectDataLoss(c.json, c.mention);
}

// A checkpoint file may be up to 1 MiB; none of these may take long.
TEST(SandboxCheckpointTest, HostileButSmallDocumentsAreHandledQuickly) {
  const std::string deep = std::string(500000, '[') + std::string(500000, ']');
  ExpectDataLoss(deep, "nested too deeply");
  ExpectDataLoss("{\"x\":" + deep + "}", "nested too deeply");
  // Brackets inside strings do not count; 32 levels are fine.
  const std::string head =
      R"({"version":"v1","name":"[[[[\"[[","namespace":"b","data":{},)";
  const std::string x = std::string(31, '[') + std::string(31, ']');
  absl::StatusOr<SandboxCheckpoint> cp =
      DecodeCheckpoint(head + R"("x":)" + x + R"(,"checksum":2305795928})");
  ASSERT_TRUE(cp.ok()) << cp.status();
  EXPECT_EQ(cp->name, "[[[[\"[[");
  ExpectDataLoss(head + R"("x":[)" + x + R"(],"checksum":2305795928})",
                 "nested too deeply");

  std::string wide = "[1";
  while (wide.size() < (1 << 20)) wide += ",1";
  ExpectDataLoss("{\"x\":" + wide + "]}", "no \"data\"");
  ExpectDataLoss("{\"x\":\"" + std::string(1 << 20, 'a') + "\"}",
                 "no \"data\"");
  std::string keys = "{";
  for (int i = 0; keys.size() < (1 << 20); ++i) {
    keys += "\"k" + std::to_string(i) + "\":{},";
  }
  ExpectDataLoss(keys + "\"z\":1}", "no \"data\"");
}

TEST(SandboxCheckpointTest, EveryTruncationOfEveryGoFileIsRejected) {
  for (const GoVector& v : GoWrittenFiles()) {
    for (size_t len = 0; len < v.json.size(); ++len) {
      absl::StatusOr<SandboxCheckpoint> cp =
          DecodeCheckpoint(v.json.substr(0, len));
      EXPECT_TRUE(absl::IsDataLoss(cp.status())) << v.json.substr(0, len);
    }
  }
}

TEST(SandboxCheckpointTest, ByteFlipsNeverCrashOrPassUnnoticedInData) {
  const std::string& json = GoWrittenFiles()[3].json;
  const size_t data_start = json.find("\"data\"");
  for (size_t i = 0; i < json.size(); ++i) {
    for (char c : {'\0', '"', '{', '9', 'x', '\xFF'}) {
      if (json[i] == c) continue;
      std::string mutated = json;
      mutated[i] = c;
      absl::StatusOr<SandboxCheckpoint> cp = DecodeCheckpoint(mutated);
      // Name and namespace are not covered by the checksum, the data is.
      if (i >= data_start && cp.ok()) {
        ADD_FAILURE() << "accepted " << mutated;
      }
    }
  }
}

}  // namespace
}  // namespace cri_dockerd::store
