// A fake dockerd in a process of its own serving slow container log
// streams, so that a test can count its own threads and CPU time without
// the server's (FakeDockerServer spends a thread per connection).
//
//   log_stream_server <streams> <lines> <interval_ms>
//
// Serves GET /v1.41/containers/c<i>/logs for i < streams: even i as a
// non-TTY container, odd i as a TTY one (log_stream_script.h), the first
// line at once and one more every interval_ms, then the end of the
// stream. Prints its endpoint and a newline once listening; stops at EOF
// on stdin (the test went away).
#include <unistd.h>

#include <cstdio>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/component/docker_client/log_stream_script.h"
#include "tests/component/fake_docker_server.h"

int main(int argc, char** argv) {
  using cri_dockerd::docker::FakeDockerServer;
  using cri_dockerd::docker::FakeResponse;
  int streams = 0;
  int lines = 0;
  int interval_ms = 0;
  if (argc != 4 || !absl::SimpleAtoi(argv[1], &streams) ||
      !absl::SimpleAtoi(argv[2], &lines) ||
      !absl::SimpleAtoi(argv[3], &interval_ms)) {
    std::fprintf(stderr, "usage: %s <streams> <lines> <interval_ms>\n",
                 argv[0]);
    return 2;
  }
  auto server = FakeDockerServer::StartUnix();
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
    return 1;
  }
  (*server)->SetDaemonVersion("1.41", "1.12");
  for (int i = 0; i < streams; ++i) {
    const bool tty = i % 2 == 1;
    FakeResponse reply;
    for (int line = 0; line < lines; ++line) {
      reply.stream.push_back(
          {cri_dockerd::docker::LogMessage(tty, i, line),
           line == 0 ? absl::ZeroDuration() : absl::Milliseconds(interval_ms)});
    }
    (*server)->SetResponse("GET", absl::StrCat("/containers/c", i, "/logs"),
                           reply);
  }
  std::printf("%s\n", (*server)->endpoint().c_str());
  std::fflush(stdout);
  char buf[64];
  while (read(STDIN_FILENO, buf, sizeof(buf)) > 0) {
  }
  (*server)->Stop();
  return 0;
}
