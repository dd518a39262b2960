#include "cri/network/netns_addrs.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "cri/network/cni_exec.h"

namespace cri_dockerd::network {
namespace {

absl::Status Errno(const std::string& what, int err) {
  const std::string msg = absl::StrCat(what, ": ", strerror(err));
  if (err == ENOENT) return absl::NotFoundError(msg);
  if (err == EPERM || err == EACCES) return absl::PermissionDeniedError(msg);
  return absl::InternalError(msg);
}

bool IsLinkLocalV6(const in6_addr& a) {
  return a.s6_addr[0] == 0xfe && (a.s6_addr[1] & 0xc0) == 0x80;
}

struct NetnsTask {
  const std::string& path;
  int fd;
  absl::FunctionRef<absl::Status()> fn;
  absl::Status status;
};

void* RunNetnsTask(void* arg) {
  auto* task = static_cast<NetnsTask*>(arg);
  if (setns(task->fd, CLONE_NEWNET) != 0) {
    task->status = Errno(absl::StrCat("setns ", task->path), errno);
  } else {
    task->status = task->fn();
  }
  return nullptr;
}

}  // namespace

absl::Status RunInNetns(const std::string& netns_path,
                        absl::FunctionRef<absl::Status()> fn) {
  if (netns_path.empty()) {
    return absl::InvalidArgumentError("no network namespace path");
  }
  NetnsTask task{netns_path, -1, fn, absl::OkStatus()};
  task.fd = open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (task.fd < 0) return Errno(absl::StrCat("open ", netns_path), errno);
  // A fresh thread: setns changes only the calling thread, and this one
  // ends right after, so the namespace never leaks into other work (the
  // original namespace need not be restored). pthread rather than
  // std::thread: its failure is a return code, not an exception.
  pthread_t thread;
  const int rc = pthread_create(&thread, nullptr, &RunNetnsTask, &task);
  if (rc == 0) pthread_join(thread, nullptr);
  close(task.fd);
  if (rc != 0) return Errno("pthread_create", rc);
  return task.status;
}

absl::Status BringUpLoopback(const std::string& netns_path) {
  return RunInNetns(netns_path, []() -> absl::Status {
    const int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return Errno("socket", errno);
    ifreq req = {};
    strncpy(req.ifr_name, "lo", IFNAMSIZ - 1);
    absl::Status status;
    if (ioctl(s, SIOCGIFFLAGS, &req) != 0) {
      status = Errno("SIOCGIFFLAGS lo", errno);
    } else if ((req.ifr_flags & IFF_UP) == 0) {
      req.ifr_flags = static_cast<short>(req.ifr_flags | IFF_UP);
      if (ioctl(s, SIOCSIFFLAGS, &req) != 0) {
        status = Errno("SIOCSIFFLAGS lo", errno);
      }
    }
    close(s);
    return status;
  });
}

absl::StatusOr<std::vector<std::string>> InterfaceAddresses(
    const std::string& netns_path, const std::string& ifname) {
  std::vector<std::string> ips;
  absl::Status status = RunInNetns(netns_path, [&]() -> absl::Status {
    // getifaddrs asks over a netlink socket, which belongs to the
    // namespace of the thread that opens it: this one.
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) return Errno("getifaddrs", errno);
    for (ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
      if (a->ifa_addr == nullptr || ifname != a->ifa_name) continue;
      char text[INET6_ADDRSTRLEN] = {};
      if (a->ifa_addr->sa_family == AF_INET) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
        inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
      } else if (a->ifa_addr->sa_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
        if (IsLinkLocalV6(in6->sin6_addr)) continue;
        inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
      } else {
        continue;
      }
      ips.push_back(text);
    }
    freeifaddrs(list);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  SortIpv4First(&ips);
  return ips;
}

}  // namespace cri_dockerd::network
