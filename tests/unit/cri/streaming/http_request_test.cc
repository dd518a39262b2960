#include "cri/streaming/http_request.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace cri_dockerd::streaming {
namespace {

TEST(HttpRequestTest, ParsesAnUpgradeRequest) {
  HttpRequestHead h;
  ASSERT_TRUE(
      ParseRequestHead("POST /exec/abc%2Dd?port=80&port=443,8080&x HTTP/1.1\r\n"
                       "Host: 127.0.0.1:1234\r\n"
                       "Connection: keep-alive, Upgrade\r\n"
                       "Upgrade: SPDY/3.1\r\n"
                       "X-Stream-Protocol-Version: v4.channel.k8s.io\r\n"
                       "X-Stream-Protocol-Version: v3.channel.k8s.io\r\n\r\n",
                       &h)
          .ok());
  EXPECT_EQ(h.method, "POST");
  EXPECT_EQ(h.path, "/exec/abc-d");
  EXPECT_TRUE(h.HeaderHasToken("connection", "upgrade"));
  EXPECT_TRUE(h.HeaderHasToken("upgrade", "spdy/3.1"));
  EXPECT_EQ(
      h.HeaderValues("x-stream-protocol-version"),
      (std::vector<std::string>{"v4.channel.k8s.io", "v3.channel.k8s.io"}));
  EXPECT_EQ(h.QueryValues("port"),
            (std::vector<std::string>{"80", "443,8080"}));
  EXPECT_EQ(h.QueryValues("x"), (std::vector<std::string>{""}));
  EXPECT_EQ(h.Header("host"), "127.0.0.1:1234");
  EXPECT_EQ(h.Header("missing"), "");
}

TEST(HttpRequestTest, RejectsMalformedHeads) {
  for (const char* bad : {
           "GET /x HTTP/1.1\r\n",                     // unterminated
           "GET /x\r\n\r\n",                          // no version
           "GET /x HTTP/2.0\r\n\r\n",                 // version
           "GET x HTTP/1.1\r\n\r\n",                  // not a path
           "G(T /x HTTP/1.1\r\n\r\n",                 // method
           "GET /x HTTP/1.1\r\nNoColon\r\n\r\n",      // header
           "GET /x HTTP/1.1\r\n: v\r\n\r\n",          // empty name
           "GET /x HTTP/1.1\r\nBad Name: v\r\n\r\n",  // space in name
           "GET /%zz HTTP/1.1\r\n\r\n",               // escape
           "GET /%4 HTTP/1.1\r\n\r\n",                // short escape
           "GET /x HTTP/1.1\r\nA: b\0c\r\n\r\n",
       }) {
    HttpRequestHead h;
    EXPECT_FALSE(ParseRequestHead(bad, &h).ok()) << bad;
  }
  HttpRequestHead h;
  std::string huge =
      "GET /x HTTP/1.1\r\nA: " + std::string(kMaxRequestHead, 'a') + "\r\n\r\n";
  EXPECT_FALSE(ParseRequestHead(huge, &h).ok());
}

TEST(HttpRequestTest, FindHeadEnd) {
  EXPECT_EQ(FindHeadEnd("GET / HTTP/1.1\r\n"), 0u);
  EXPECT_EQ(FindHeadEnd("GET / HTTP/1.1\r\n\r\nrest"), 18u);
}

TEST(HttpRequestTest, PlainResponseIsComplete) {
  std::string r = PlainResponse(404, "gone", {{"X-A", "1"}});
  EXPECT_TRUE(absl::StartsWith(r, "HTTP/1.1 404 Not Found\r\n")) << r;
  EXPECT_TRUE(absl::StrContains(r, "Content-Length: 5\r\n")) << r;
  EXPECT_TRUE(absl::StrContains(r, "X-A: 1\r\n")) << r;
  EXPECT_TRUE(absl::EndsWith(r, "\r\n\r\ngone\n")) << r;
}

}  // namespace
}  // namespace cri_dockerd::streaming
