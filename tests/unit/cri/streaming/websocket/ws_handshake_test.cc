#include "cri/streaming/websocket/ws_handshake.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cri_dockerd::streaming::websocket {
namespace {

using ::testing::HasSubstr;

HeaderList GoodHeaders() {
  return {{"Host", "server.example.com"},
          {"Upgrade", "websocket"},
          {"Connection", "Upgrade"},
          {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
          {"Sec-WebSocket-Version", "13"}};
}

// RFC 6455 section 1.3.
TEST(ComputeAcceptKeyTest, Rfc6455Example) {
  EXPECT_EQ(ComputeAcceptKey("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(ValidateUpgradeRequestTest, AcceptsRfcExample) {
  HeaderList headers = GoodHeaders();
  headers.emplace_back("Sec-WebSocket-Protocol", "v4.channel.k8s.io");
  headers.emplace_back("sec-websocket-protocol", "channel.k8s.io");
  auto request = ValidateUpgradeRequest("GET", headers);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->key, "dGhlIHNhbXBsZSBub25jZQ==");
  EXPECT_THAT(request->protocol_offers,
              ::testing::ElementsAre("v4.channel.k8s.io", "channel.k8s.io"));
}

TEST(ValidateUpgradeRequestTest, CaseInsensitiveTokens) {
  HeaderList headers = {{"upgrade", "WebSocket"},
                        {"CONNECTION", "keep-alive, UPGRADE"},
                        {"sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="},
                        {"sec-websocket-version", "13"}};
  EXPECT_TRUE(ValidateUpgradeRequest("GET", headers).ok());
  EXPECT_TRUE(IsWebSocketUpgrade(headers));
}

TEST(ValidateUpgradeRequestTest, NamesWhatIsWrong) {
  struct Case {
    const char* method;
    const char* drop;  // header removed
    std::pair<const char*, const char*> replace;
    const char* want;
  };
  const Case cases[] = {
      {"POST", "", {"", ""}, "method GET"},
      {"GET", "Connection", {"", ""}, "Connection"},
      {"GET", "", {"Connection", "keep-alive"}, "Connection"},
      {"GET", "Upgrade", {"", ""}, "Upgrade"},
      {"GET", "", {"Upgrade", "h2c"}, "Upgrade"},
      {"GET", "Sec-WebSocket-Version", {"", ""}, "Version"},
      {"GET", "", {"Sec-WebSocket-Version", "8"}, "Version"},
      {"GET", "Sec-WebSocket-Key", {"", ""}, "Sec-WebSocket-Key"},
      {"GET", "", {"Sec-WebSocket-Key", "c2hvcnQ="}, "16 base64"},
      {"GET", "", {"Sec-WebSocket-Key", "!!!!!!!!!!!!!!!!!!!!!!=="}, "16"},
  };
  for (const Case& c : cases) {
    HeaderList headers;
    for (auto& [name, value] : GoodHeaders()) {
      if (name == c.drop) continue;
      if (name == c.replace.first) value = c.replace.second;
      headers.emplace_back(name, value);
    }
    auto request = ValidateUpgradeRequest(c.method, headers);
    EXPECT_TRUE(absl::IsInvalidArgument(request.status()))
        << c.want << ": " << request.status();
    EXPECT_THAT(request.status().message(), HasSubstr(c.want));
  }
}

TEST(SelectSubprotocolTest, FollowsClientOrder) {
  const std::vector<std::string> server = {"v5.channel.k8s.io",
                                           "v4.channel.k8s.io", ""};
  EXPECT_EQ(
      *SelectSubprotocol({"v4.channel.k8s.io, v5.channel.k8s.io"}, server),
      "v4.channel.k8s.io");
  EXPECT_EQ(*SelectSubprotocol({"foo", " v5.channel.k8s.io "}, server),
            "v5.channel.k8s.io");
}

TEST(SelectSubprotocolTest, NoOfferMeansEmptyProtocol) {
  EXPECT_EQ(*SelectSubprotocol({}, {"v4.channel.k8s.io", ""}), "");
  EXPECT_EQ(*SelectSubprotocol({" , "}, {""}), "");
  EXPECT_TRUE(
      absl::IsNotFound(SelectSubprotocol({}, {"v4.channel.k8s.io"}).status()));
}

TEST(SelectSubprotocolTest, NothingInCommon) {
  auto chosen = SelectSubprotocol({"SPDY/3.1+portforward.k8s.io"}, {""});
  EXPECT_TRUE(absl::IsNotFound(chosen.status()));
  EXPECT_THAT(chosen.status().message(), HasSubstr("not supported"));
}

TEST(UpgradeResponseTest, RoundTripsThroughClientCheck) {
  const std::string key = GenerateClientKey();
  EXPECT_EQ(key.size(), 24u);
  std::string request =
      BuildClientRequest("h", "/exec/x", key, {"v5.channel.k8s.io"});
  EXPECT_THAT(request, HasSubstr("Sec-WebSocket-Protocol: v5.channel.k8s.io"));
  std::string response = BuildUpgradeResponse(key, "v5.channel.k8s.io");
  EXPECT_THAT(response, HasSubstr("HTTP/1.1 101 Switching Protocols\r\n"));
  EXPECT_THAT(
      response,
      HasSubstr("Sec-WebSocket-Accept: " + ComputeAcceptKey(key) + "\r\n"));
  EXPECT_EQ(response.substr(response.size() - 4), "\r\n\r\n");
  EXPECT_EQ(*CheckServerResponse(response, key), "v5.channel.k8s.io");

  std::string plain = BuildUpgradeResponse(key, "");
  EXPECT_THAT(plain, ::testing::Not(HasSubstr("Sec-WebSocket-Protocol")));
  EXPECT_EQ(*CheckServerResponse(plain, key), "");
}

TEST(UpgradeResponseTest, ClientRejectsBadAnswers) {
  const std::string key = GenerateClientKey();
  EXPECT_TRUE(absl::IsFailedPrecondition(
      CheckServerResponse("HTTP/1.1 403 Forbidden\r\n\r\n", key).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      CheckServerResponse(BuildUpgradeResponse("other", ""), key).status()));
  EXPECT_TRUE(
      absl::IsInvalidArgument(CheckServerResponse("garbage", key).status()));
}

}  // namespace
}  // namespace cri_dockerd::streaming::websocket
