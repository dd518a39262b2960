#include "tests/integration/private_dockerd.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace cri_dockerd::testing_support {

std::string DockerGet(const std::string& socket_path, const std::string& path) {
  return DockerRequest(socket_path, "GET", path);
}

std::string DockerRequest(const std::string& socket_path,
                          const std::string& method, const std::string& path,
                          const std::string& body) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "";
  // Generous: a docker busy with other tests' containers may take seconds
  // to answer, and a cut-off reply would fail the test that asked.
  timeval tv{30, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof(addr.sun_path) - 1);
  std::string reply;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    const std::string req = absl::StrCat(
        method, " ", path, " HTTP/1.0\r\nHost: docker\r\n",
        body.empty() ? ""
                     : absl::StrCat("Content-Type: application/json\r\n"
                                    "Content-Length: ",
                                    body.size(), "\r\n"),
        "\r\n", body);
    if (write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size())) {
      char buf[4096];
      ssize_t n;
      while ((n = read(fd, buf, sizeof(buf))) > 0) reply.append(buf, n);
    }
  }
  close(fd);
  return reply;
}

bool PingDocker(const std::string& socket_path) {
  const std::string reply = DockerGet(socket_path, "/_ping");
  return absl::StartsWith(reply, "HTTP/1.") &&
         absl::StrContains(reply.substr(0, reply.find('\n')), " 200 ");
}

PrivateDockerd::PrivateDockerd()
    : socket_(dir_.path() + "/docker.sock"),
      // --bridge=none would make dockerd delete the host's docker0; give it
      // a bridge of its own instead (name <= 15 bytes).
      bridge_(absl::StrCat("crid-it", getpid() % 100000000)) {}

PrivateDockerd::~PrivateDockerd() {
  if (process_ != nullptr) Stop().IgnoreError();
  // Its overlay mounts must be gone before the scratch dir is removed.
  const std::string cmd = absl::StrCat("grep -o ' ", dir_.path(),
                                       "[^ ]*' /proc/mounts | sort -r | "
                                       "xargs -r -n1 umount -l 2>/dev/null");
  if (system(cmd.c_str()) != 0) {
    // Nothing mounted.
  }
  const std::string del = absl::StrCat("ip link del ", bridge_, " 2>/dev/null");
  if (system(del.c_str()) != 0) {
    // Already gone.
  }
}

absl::Status PrivateDockerd::Start(absl::Duration timeout) {
  const std::string& d = dir_.path();
  const std::string add =
      absl::StrCat("ip link show ", bridge_, " >/dev/null 2>&1 || ip link add ",
                   bridge_, " type bridge");
  if (system(add.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot create bridge ", bridge_));
  }
  process_ = std::make_unique<DaemonProcess>(std::vector<std::string>{
      "dockerd", "-H", endpoint(), "--data-root", d + "/root", "--exec-root",
      d + "/exec", "--pidfile", d + "/docker.pid", "--bridge=" + bridge_,
      "--iptables=false", "--ip6tables=false", "--ip-masq=false"});
  const absl::Time end = absl::Now() + timeout;
  while (absl::Now() < end) {
    if (PingDocker(socket_)) return absl::OkStatus();
    if (!process_->Running()) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return absl::UnavailableError(
      absl::StrCat("private dockerd did not come up:\n", Log()));
}

absl::Status PrivateDockerd::Stop(absl::Duration timeout) {
  if (process_ == nullptr) return absl::OkStatus();
  absl::StatusOr<int> code = process_->Stop(SIGTERM, timeout);
  log_ = process_->Output();
  process_.reset();
  return code.status();
}

std::string PrivateDockerd::Log() const {
  return process_ != nullptr ? process_->Output() : log_;
}

}  // namespace cri_dockerd::testing_support
