// Decoding docker's image replies and its pull progress stream: goldens
// captured from dockerd 20.10 (and 26 with the containerd image store),
// hostile shapes, every split of a stream,
// and the X-Registry-Auth encoding.
#include "docker_client/json_decode_images.h"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/docker_testdata.h"

namespace cri_dockerd::docker {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;

TEST(DecodeImageListTest, Docker2010Golden) {
  absl::StatusOr<std::vector<ImageSummary>> images =
      DecodeImageList(ReadTestdata("images_json.json"));
  ASSERT_TRUE(images.ok()) << images.status();
  ASSERT_EQ(images->size(), 5u);
  // A committed, untagged image: docker's "<none>" placeholders dropped.
  const ImageSummary& dangling = (*images)[0];
  EXPECT_EQ(dangling.id,
            "sha256:29ce7b5cfd207f0f9e5d82506a902dd664d6114d9a349a4341ea252840"
            "fd50ec");
  EXPECT_THAT(dangling.repo_tags, IsEmpty());
  EXPECT_THAT(dangling.repo_digests, IsEmpty());
  EXPECT_EQ(dangling.size, 3662731);
  EXPECT_EQ(dangling.shared_size, -1);
  EXPECT_EQ(dangling.created, 1795307891);
  const ImageSummary& pause = (*images)[3];
  EXPECT_THAT(pause.repo_tags, ElementsAre("127.0.0.1:5998/slow/pause:3.10"));
  EXPECT_THAT(pause.repo_digests,
              ElementsAre("127.0.0.1:5998/slow/pause@sha256:f63ff79076fd9aa707"
                          "39674317f4e3372930f6324d95d4768a6575796225e6c6"));
  // Pulled by digest only: "RepoTags": null.
  const ImageSummary& by_digest = (*images)[4];
  EXPECT_THAT(by_digest.repo_tags, IsEmpty());
  EXPECT_EQ(by_digest.repo_digests.size(), 1u);
}

TEST(DecodeImageListTest, FilteredGoldenHasNullDigests) {
  absl::StatusOr<std::vector<ImageSummary>> images =
      DecodeImageList(ReadTestdata("images_json_filtered.json"));
  ASSERT_TRUE(images.ok()) << images.status();
  ASSERT_EQ(images->size(), 1u);
  EXPECT_THAT((*images)[0].repo_tags,
              ElementsAre("127.0.0.1:5998/slow/pause:3.10"));
  EXPECT_THAT((*images)[0].repo_digests, IsEmpty());
}

TEST(DecodeImageListTest, HostileShapes) {
  EXPECT_EQ(DecodeImageList("{}").status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(DecodeImageList("[").status().code(), absl::StatusCode::kInternal);
  absl::StatusOr<std::vector<ImageSummary>> images = DecodeImageList(
      R"([1, null, {"Id": 5, "RepoTags": "x", "Size": "big",
          "SharedSize": 10, "RepoDigests": [1, "r@sha256:a"]}, {}])");
  ASSERT_TRUE(images.ok()) << images.status();
  ASSERT_EQ(images->size(), 2u);
  EXPECT_EQ((*images)[0].id, "");
  EXPECT_THAT((*images)[0].repo_tags, IsEmpty());
  EXPECT_THAT((*images)[0].repo_digests, ElementsAre("r@sha256:a"));
  EXPECT_EQ((*images)[0].size, 0);
  EXPECT_EQ((*images)[0].shared_size, 10);
  EXPECT_EQ((*images)[1].shared_size, -1);
}

TEST(DecodeImageInspectTest, Docker2010Golden) {
  const std::string body = ReadTestdata("image_inspect.json");
  absl::StatusOr<ImageInspect> image = DecodeImageInspect(body);
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->id,
            "sha256:8b26e31365b6a98648ffa99ff5f89c51d188b39bd934ff2162285a9d6c"
            "2361df");
  EXPECT_THAT(image->repo_tags, ElementsAre("localhost:5000/busybox:1.36"));
  EXPECT_EQ(image->repo_digests.size(), 1u);
  EXPECT_EQ(image->size, 2975939);
  EXPECT_EQ(image->created, "2026-11-22T00:37:30.342793724Z");
  EXPECT_EQ(image->os, "linux");
  EXPECT_EQ(image->architecture, "amd64");
  EXPECT_EQ(image->user, "");
  EXPECT_THAT(image->cmd, ElementsAre("sh"));
  EXPECT_THAT(image->entrypoint, IsEmpty());  // null
  EXPECT_THAT(image->volumes, IsEmpty());     // null
  EXPECT_THAT(image->labels, ElementsAre(Pair("org.crid-lab.image",
                                              "localhost:5000/busybox:1.36")));
  EXPECT_EQ(image->raw_json, body);
}

TEST(DecodeImageInspectTest, ContainerdStoreGolden) {
  absl::StatusOr<ImageInspect> image =
      DecodeImageInspect(ReadTestdata("image_inspect_containerd.json"));
  ASSERT_TRUE(image.ok()) << image.status();
  // There the ID is the manifest's digest, the one RepoDigests names.
  ASSERT_EQ(image->repo_digests.size(), 1u);
  EXPECT_EQ(image->repo_digests[0],
            absl::StrCat("localhost:5000/busybox@", image->id));
  EXPECT_THAT(image->repo_tags, ElementsAre("localhost:5000/busybox:1.36"));
  EXPECT_THAT(image->annotations, IsEmpty()) << "API 1.45 has no Descriptor";
}

TEST(DecodeImageInspectTest, DescriptorAnnotations) {
  absl::StatusOr<ImageInspect> image =
      DecodeImageInspect(ReadTestdata("image_inspect_descriptor.json"));
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_THAT(image->annotations,
              ElementsAre(Pair("org.opencontainers.image.base.name", "scratch"),
                          Pair("org.opencontainers.image.version", "1.36")));
  // Hostile shapes: not an object, non-string values.
  for (const char* body :
       {R"({"Id":"sha256:1","Descriptor":"x"})",
        R"({"Id":"sha256:1","Descriptor":{"annotations":[1]}})",
        R"({"Id":"sha256:1","Descriptor":{"annotations":{"a":1,"b":"c"}}})"}) {
    absl::StatusOr<ImageInspect> hostile = DecodeImageInspect(body);
    ASSERT_TRUE(hostile.ok()) << body;
    EXPECT_LE(hostile->annotations.size(), 1u) << body;
  }
  absl::StatusOr<std::vector<ImageSummary>> list = DecodeImageList(
      R"([{"Id":"sha256:1","Descriptor":{"annotations":{"k":"v"}}}])");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_THAT((*list)[0].annotations, ElementsAre(Pair("k", "v")));
}

TEST(DecodeImageInspectTest, EveryConfigField) {
  absl::StatusOr<ImageInspect> image =
      DecodeImageInspect(ReadTestdata("image_inspect_rich.json"));
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->user, "1002:1002");
  EXPECT_THAT(image->env,
              ElementsAre("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/"
                          "bin:/sbin:/bin",
                          "APP_MODE=production", "GREETING=hello world"));
  EXPECT_THAT(image->entrypoint, ElementsAre("/pause"));
  EXPECT_THAT(image->cmd, ElementsAre("--verbose", "arg with space"));
  EXPECT_EQ(image->working_dir, "/srv/app");
  EXPECT_EQ(image->stop_signal, "SIGQUIT");
  EXPECT_THAT(image->volumes, ElementsAre("/data", "/var/log/app"));
  EXPECT_THAT(image->exposed_ports, ElementsAre("53/udp", "8080/tcp"));
  EXPECT_EQ(image->labels.size(), 3u);
  EXPECT_EQ(image->labels["io.example.tier"], "backend");
}

TEST(DecodeImageInspectTest, NullOrMissingConfig) {
  for (const char* body :
       {R"({"Id":"sha256:ab","Config":null,"RepoTags":null})",
        R"({"Id":"sha256:ab"})", R"({"Id":"sha256:ab","Config":"x"})"}) {
    SCOPED_TRACE(body);
    absl::StatusOr<ImageInspect> image = DecodeImageInspect(body);
    ASSERT_TRUE(image.ok()) << image.status();
    EXPECT_EQ(image->id, "sha256:ab");
    EXPECT_THAT(image->repo_tags, IsEmpty());
    EXPECT_EQ(image->user, "");
    EXPECT_THAT(image->cmd, IsEmpty());
    EXPECT_THAT(image->labels, IsEmpty());
  }
  EXPECT_EQ(DecodeImageInspect("[]").status().code(),
            absl::StatusCode::kInternal);
  absl::StatusOr<ImageInspect> odd = DecodeImageInspect(
      R"({"Config":{"Labels":{"a":"1","b":2},"Volumes":[],"Env":[3,"A=1"]}})");
  ASSERT_TRUE(odd.ok()) << odd.status();
  EXPECT_THAT(odd->labels, ElementsAre(Pair("a", "1")));
  EXPECT_THAT(odd->volumes, IsEmpty());
  EXPECT_THAT(odd->env, ElementsAre("A=1"));
}

TEST(DecodeRemovedImageTest, Goldens) {
  absl::StatusOr<RemovedImage> untag =
      DecodeRemovedImage(ReadTestdata("image_remove_untag.json"));
  ASSERT_TRUE(untag.ok()) << untag.status();
  EXPECT_THAT(untag->untagged, ElementsAre("crid-golden/rich:1.0"));
  EXPECT_THAT(untag->deleted, IsEmpty());
  absl::StatusOr<RemovedImage> gone =
      DecodeRemovedImage(ReadTestdata("image_remove_delete.json"));
  ASSERT_TRUE(gone.ok()) << gone.status();
  EXPECT_THAT(gone->untagged, ElementsAre("crid-golden/rich:extra"));
  ASSERT_EQ(gone->deleted.size(), 10u);
  EXPECT_EQ(gone->deleted[0],
            "sha256:cfc6dc9e8151ccb78da353d9dbd18efd7048cfe418e588e2db797219e0"
            "a7edf4");
  EXPECT_EQ(DecodeRemovedImage("{}").status().code(),
            absl::StatusCode::kInternal);
}

TEST(DecodeDiskUsageTest, Docker2010Golden) {
  absl::StatusOr<DiskUsage> usage =
      DecodeDiskUsage(ReadTestdata("system_df.json"));
  ASSERT_TRUE(usage.ok()) << usage.status();
  EXPECT_EQ(usage->layers_size, 6638670);
  ASSERT_EQ(usage->containers.size(), 2u);
  // A created container has no SizeRw.
  EXPECT_EQ(usage->containers[0].id,
            "7efca126421ec0dcdc917d7abdca3e8f8eea34eb0dc0d867726d0519ac4fa577");
  EXPECT_EQ(usage->containers[0].size_rw, 0);
  EXPECT_EQ(usage->containers[1].size_rw, 5000);
  absl::StatusOr<DiskUsage> empty =
      DecodeDiskUsage(R"({"LayersSize":0,"Containers":null})");
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_THAT(empty->containers, IsEmpty());
}

// Feeds `stream` in pieces cut at `cuts`; returns the messages or error.
absl::StatusOr<std::vector<JsonMessage>> Split(const std::string& stream,
                                               std::vector<size_t> cuts,
                                               size_t limit = 1 << 20) {
  JsonMessageStream decoder(limit);
  std::vector<JsonMessage> out;
  auto handler = [&](const JsonMessage& m) {
    out.push_back(m);
    return absl::OkStatus();
  };
  size_t from = 0;
  cuts.push_back(stream.size());
  for (size_t cut : cuts) {
    absl::Status s = decoder.Feed(
        absl::string_view(stream).substr(from, cut - from), handler);
    if (!s.ok()) return s;
    from = cut;
  }
  if (absl::Status s = decoder.Finish(); !s.ok()) return s;
  return out;
}

TEST(JsonMessageStreamTest, PullGoldenInOnePiece) {
  absl::StatusOr<std::vector<JsonMessage>> messages =
      Split(ReadTestdata("pull_ok.jsonl"), {});
  ASSERT_TRUE(messages.ok()) << messages.status();
  ASSERT_EQ(messages->size(), 10u);
  EXPECT_EQ((*messages)[0].progress.status, "Pulling from busybox");
  EXPECT_EQ((*messages)[0].progress.id, "1.36");
  EXPECT_EQ((*messages)[2].progress.status, "Downloading");
  EXPECT_EQ((*messages)[2].progress.id, "b715ed008d80");
  EXPECT_EQ((*messages)[2].progress.current, 36445);
  EXPECT_EQ((*messages)[2].progress.total, 1512237);
  EXPECT_EQ((*messages)[9].progress.status,
            "Status: Downloaded newer image for localhost:5000/busybox:1.36");
  for (const JsonMessage& m : *messages) EXPECT_EQ(m.error, "");
}

TEST(JsonMessageStreamTest, EverySplitPointGivesTheSameMessages) {
  const std::string golden = ReadTestdata("pull_error_unknown_blob.jsonl");
  absl::StatusOr<std::vector<JsonMessage>> whole = Split(golden, {});
  ASSERT_TRUE(whole.ok()) << whole.status();
  ASSERT_EQ(whole->size(), 5u);
  EXPECT_EQ(whole->back().error, "unknown blob");
  // The WARNING message holds multi-byte UTF-8 and escaped newlines.
  EXPECT_THAT((*whole)[0].progress.status, HasSubstr("\n\tappear"));
  for (size_t cut = 0; cut <= golden.size(); ++cut) {
    absl::StatusOr<std::vector<JsonMessage>> split = Split(golden, {cut});
    ASSERT_TRUE(split.ok()) << cut << ": " << split.status();
    ASSERT_EQ(split->size(), whole->size()) << cut;
    EXPECT_EQ(split->back().error, "unknown blob") << cut;
  }
  // And one byte at a time.
  std::vector<size_t> every;
  for (size_t i = 1; i < golden.size(); ++i) every.push_back(i);
  absl::StatusOr<std::vector<JsonMessage>> bytewise = Split(golden, every);
  ASSERT_TRUE(bytewise.ok()) << bytewise.status();
  EXPECT_EQ(bytewise->size(), whole->size());
}

TEST(JsonMessageStreamTest, ObjectsWithoutSeparatorsAndTrickyStrings) {
  absl::StatusOr<std::vector<JsonMessage>> messages =
      Split(R"({"status":"a}{\"b"}{"status":"[x]","id":"1"} )"
            "\r\n"
            R"({"errorDetail":{"message":"denied: requested access"}})",
            {3});
  ASSERT_TRUE(messages.ok()) << messages.status();
  ASSERT_EQ(messages->size(), 3u);
  EXPECT_EQ((*messages)[0].progress.status, "a}{\"b");
  EXPECT_EQ((*messages)[1].progress.id, "1");
  EXPECT_EQ((*messages)[2].error, "denied: requested access");
  // An errorDetail without text still fails.
  messages = Split(R"({"errorDetail":{}})", {});
  ASSERT_TRUE(messages.ok());
  EXPECT_FALSE((*messages)[0].error.empty());
}

TEST(JsonMessageStreamTest, MalformedStreams) {
  EXPECT_EQ(Split("[1]", {}).status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(Split("{\"a\":}", {}).status().code(), absl::StatusCode::kInternal);
  absl::Status cut = Split("{\"status\":\"x\"}\n{\"sta", {}).status();
  EXPECT_EQ(cut.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(cut.message(), HasSubstr("ended inside a message"));
  // A single message over the limit, fed in small pieces.
  const std::string huge = "{\"status\":\"" + std::string(5000, 'x') + "\"}\n";
  std::vector<size_t> cuts;
  for (size_t i = 100; i < huge.size(); i += 100) cuts.push_back(i);
  EXPECT_EQ(Split(huge, cuts, 1000).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(Split(huge, cuts, 6000).ok());
}

TEST(JsonMessageStreamTest, HandlerErrorStopsTheStream) {
  JsonMessageStream decoder;
  int seen = 0;
  absl::Status s = decoder.Feed("{}{}{}", [&](const JsonMessage&) {
    ++seen;
    return absl::CancelledError("enough");
  });
  EXPECT_EQ(s, absl::CancelledError("enough"));
  EXPECT_EQ(seen, 1);
}

std::string DecodeHeader(const std::string& value) {
  std::string standard = absl::StrReplaceAll(value, {{"-", "+"}, {"_", "/"}});
  std::string json;
  EXPECT_TRUE(absl::Base64Unescape(standard, &json)) << value;
  return json;
}

TEST(EncodeRegistryAuthTest, Base64UrlWithPaddingOfTheAuthConfig) {
  RegistryAuth auth;
  auth.username = "user";
  auth.password = "p?ss>>w/rd~~";  // makes '+'/'/' in plain base64
  auth.server_address = "localhost:5000";
  auth.identity_token = "idt";
  auth.registry_token = "rt";
  const std::string header = EncodeRegistryAuth(auth);
  EXPECT_EQ(header.find_first_of("+/"), std::string::npos) << header;
  EXPECT_EQ(header.size() % 4, 0u);
  EXPECT_EQ(DecodeHeader(header),
            R"({"auth":"","identitytoken":"idt","password":"p?ss>>w/rd~~",)"
            R"("registrytoken":"rt","serveraddress":"localhost:5000",)"
            R"("username":"user"})");
}

TEST(EncodeRegistryAuthTest, AuthFieldFillsUsernameAndPassword) {
  RegistryAuth auth;
  auth.auth = absl::Base64Escape("alice:s3:cret");
  EXPECT_THAT(DecodeHeader(EncodeRegistryAuth(auth)),
              HasSubstr(R"("password":"s3:cret")"));
  EXPECT_THAT(DecodeHeader(EncodeRegistryAuth(auth)),
              HasSubstr(R"("username":"alice")"));
  auth.auth = "!!not base64!!";
  EXPECT_THAT(DecodeHeader(EncodeRegistryAuth(auth)),
              HasSubstr(R"("username":"")"));
}

}  // namespace
}  // namespace cri_dockerd::docker
