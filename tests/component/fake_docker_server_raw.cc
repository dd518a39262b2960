// RawExchange: the fake server's side of a hijacked connection.
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

#include "tests/component/fake_docker_server.h"

namespace cri_dockerd::docker {

bool RawExchange::Read(std::string* out) {
  if (!pending_.empty()) {
    out->append(pending_);
    pending_.clear();
    return true;
  }
  for (;;) {
    pollfd fds[2] = {{stop_fd_, POLLIN, 0}, {fd_, POLLIN, 0}};
    const int n = poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || fds[0].revents != 0) return false;
    char chunk[4096];
    const ssize_t got = recv(fd_, chunk, sizeof(chunk), 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    out->append(chunk, static_cast<size_t>(got));
    return true;
  }
}

std::string RawExchange::ReadToEof() {
  std::string all;
  while (Read(&all)) {
  }
  return all;
}

bool RawExchange::Write(absl::string_view data) {
  while (!data.empty()) {
    const ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void RawExchange::CloseWrite() { shutdown(fd_, SHUT_WR); }

}  // namespace cri_dockerd::docker
