// The streaming server's request-head parser and the helpers that read it
// (header tokens, query values) on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "cri/streaming/http_request.h"
#include "cri/streaming/remote_status.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  cri_dockerd::streaming::HttpRequestHead head;
  const size_t end = cri_dockerd::streaming::FindHeadEnd(input);
  if (cri_dockerd::streaming::ParseRequestHead(
          end == 0 ? input + "\r\n\r\n" : input.substr(0, end), &head)
          .ok()) {
    (void)head.HeaderValues("x-stream-protocol-version");
    (void)head.HeaderHasToken("connection", "upgrade");
    (void)head.QueryValues("port");
  }
  // The resize stream's JSON scanner, fed the same bytes in two pieces.
  cri_dockerd::streaming::ResizeParser resize;
  resize.Feed(input.substr(0, size / 2));
  while (resize.Next()) {
  }
  resize.Feed(input.substr(size / 2));
  while (resize.Next()) {
  }
  return 0;
}
