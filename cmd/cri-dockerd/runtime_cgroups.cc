#include "cmd/cri-dockerd/runtime_cgroups.h"

#include <dirent.h>
#include <errno.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/logging.h"
#include "common/thread.h"

namespace cri_dockerd {
namespace {

constexpr int64_t kMinMemoryLimit = 150 * 1024 * 1024;
constexpr int kMemoryLimitPercent = 70;

bool Exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

bool IsCgroupV2(const std::string& root) {
  return Exists(root + "/cgroup.controllers");
}

absl::Status MakeDirs(const std::string& path) {
  for (size_t pos = path.find('/', 1);; pos = path.find('/', pos + 1)) {
    const std::string dir =
        pos == std::string::npos ? path : path.substr(0, pos);
    if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot create cgroup ", dir, ": ", std::strerror(errno)));
    }
    if (pos == std::string::npos) return absl::OkStatus();
  }
}

absl::Status WriteFile(const std::string& path, const std::string& value) {
  std::ofstream out(path);
  out << value << std::flush;
  if (!out) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot write ", value, " to ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The unified root on cgroup v2; otherwise every mounted v1 hierarchy
// (directories with cgroup.procs; symlinks like cpu,cpuacct skipped).
std::vector<std::string> Hierarchies(const std::string& root) {
  if (IsCgroupV2(root)) return {root};
  std::vector<std::string> out;
  if (DIR* d = opendir(root.c_str())) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      const std::string dir = absl::StrCat(root, "/", e->d_name);
      struct stat st;
      if (lstat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) &&
          Exists(dir + "/cgroup.procs")) {
        out.push_back(dir);
      }
    }
    closedir(d);
  }
  return out;
}

int64_t MemTotalBytes(const std::string& proc_root) {
  std::istringstream in(ReadFile(proc_root + "/meminfo"));
  std::string key;
  int64_t kib = 0;
  while (in >> key) {
    if (key == "MemTotal:" && in >> kib) return kib * 1024;
    in.ignore(1 << 10, '\n');
  }
  return 0;
}

// pid of the process serving a unix socket, from the kernel's credentials.
absl::StatusOr<int> PeerPid(const std::string& socket_path) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError("socket failed");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof(addr.sun_path) - 1);
  ucred cred{};
  socklen_t len = sizeof(cred);
  const bool ok =
      connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0;
  close(fd);
  if (!ok || cred.pid <= 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot find the process serving ", socket_path));
  }
  return static_cast<int>(cred.pid);
}

// Process name and parent pid from /proc/PID/stat.
bool ReadStat(const std::string& proc_root, int pid, std::string* comm,
              int* ppid) {
  const std::string stat = ReadFile(absl::StrCat(proc_root, "/", pid, "/stat"));
  const size_t open = stat.find('(');
  const size_t close = stat.rfind(')');
  if (open == std::string::npos || close == std::string::npos) return false;
  *comm = stat.substr(open + 1, close - open - 1);
  std::istringstream rest(stat.substr(close + 2));
  std::string state;
  return static_cast<bool>(rest >> state >> *ppid);
}

}  // namespace

absl::Status CreateRuntimeCgroup(const RuntimeCgroupSettings& settings) {
  const std::vector<std::string> hierarchies =
      Hierarchies(settings.cgroup_root);
  if (hierarchies.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no cgroup hierarchy mounted under ", settings.cgroup_root));
  }
  int64_t limit = MemTotalBytes(settings.proc_root) * kMemoryLimitPercent / 100;
  if (limit < kMinMemoryLimit) limit = kMinMemoryLimit;
  for (const std::string& hierarchy : hierarchies) {
    const std::string dir = hierarchy + settings.cgroup;
    if (absl::Status s = MakeDirs(dir); !s.ok()) return s;
    if (IsCgroupV2(settings.cgroup_root)) {
      // Delegate the memory controller so memory.max exists.
      WriteFile(hierarchy + "/cgroup.subtree_control", "+memory").IgnoreError();
      if (Exists(dir + "/memory.max")) {
        if (absl::Status s =
                WriteFile(dir + "/memory.max", absl::StrCat(limit));
            !s.ok()) {
          return s;
        }
      }
    } else if (Exists(dir + "/memory.limit_in_bytes")) {
      if (absl::Status s =
              WriteFile(dir + "/memory.limit_in_bytes", absl::StrCat(limit));
          !s.ok()) {
        return s;
      }
    }
  }
  LOG(INFO) << "runtime cgroup " << settings.cgroup << " ready on "
            << hierarchies.size() << " hierarchies, memory limit " << limit;
  return absl::OkStatus();
}

absl::Status MoveIntoCgroup(const RuntimeCgroupSettings& settings,
                            const std::vector<int>& pids) {
  for (const std::string& hierarchy : Hierarchies(settings.cgroup_root)) {
    const std::string procs = hierarchy + settings.cgroup + "/cgroup.procs";
    for (int pid : pids) {
      if (absl::Status s = WriteFile(procs, absl::StrCat(pid)); !s.ok()) {
        return s;
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<int>> FindRuntimePids(
    const RuntimeCgroupSettings& settings) {
  struct Proc {
    int pid;
    int ppid;
    std::string comm;
  };
  std::vector<Proc> procs;
  DIR* d = opendir(settings.proc_root.c_str());
  if (d == nullptr) return absl::InternalError("cannot list /proc");
  while (dirent* e = readdir(d)) {
    Proc p;
    if (absl::SimpleAtoi(e->d_name, &p.pid) &&
        ReadStat(settings.proc_root, p.pid, &p.comm, &p.ppid)) {
      procs.push_back(std::move(p));
    }
  }
  closedir(d);

  auto is_dockerd = [&procs](int pid) {
    return std::any_of(procs.begin(), procs.end(), [pid](const Proc& p) {
      return p.pid == pid && p.comm == "dockerd";
    });
  };
  std::vector<int> dockerds;
  std::string tried;
  if (!settings.docker_socket.empty()) {
    absl::StatusOr<int> peer = PeerPid(settings.docker_socket);
    if (peer.ok() && is_dockerd(*peer)) {
      dockerds.push_back(*peer);
    } else {
      tried = peer.ok()
                  ? absl::StrCat("the process serving ", settings.docker_socket,
                                 " (pid ", *peer, ") is not dockerd")
                  : std::string(peer.status().message());
    }
  }
  int pid = 0;
  if (dockerds.empty()) {
    if (absl::SimpleAtoi(
            absl::StripAsciiWhitespace(ReadFile(settings.docker_pid_file)),
            &pid) &&
        is_dockerd(pid)) {
      dockerds.push_back(pid);
    } else {
      absl::StrAppend(&tried, tried.empty() ? "" : "; ", "pid file ",
                      settings.docker_pid_file, " names no live dockerd");
    }
  }
  if (dockerds.empty()) {
    for (const Proc& p : procs) {
      if (p.comm == "dockerd") dockerds.push_back(p.pid);
    }
  }
  if (dockerds.empty()) {
    return absl::NotFoundError(
        absl::StrCat("no dockerd process found (", tried, ")"));
  }
  std::vector<int> pids = dockerds;
  for (const Proc& p : procs) {
    // The containerd a dockerd supervises (a system containerd has its own
    // service and cgroup, and is left alone).
    if (p.comm == "containerd" &&
        std::find(dockerds.begin(), dockerds.end(), p.ppid) != dockerds.end()) {
      pids.push_back(p.pid);
    }
  }
  return pids;
}

RuntimeCgroupManager::RuntimeCgroupManager(RuntimeCgroupSettings settings)
    : settings_(std::move(settings)) {}

RuntimeCgroupManager::~RuntimeCgroupManager() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

absl::Status RuntimeCgroupManager::Start() {
  if (absl::Status s = CreateRuntimeCgroup(settings_); !s.ok()) return s;
  absl::StatusOr<std::thread> thread =
      StartThread("runtime-cgroups", [this] { Loop(); });
  if (!thread.ok()) return thread.status();
  thread_ = *std::move(thread);
  return absl::OkStatus();
}

void RuntimeCgroupManager::ApplyOnce() {
  absl::StatusOr<std::vector<int>> pids = FindRuntimePids(settings_);
  absl::Status s = pids.ok() ? MoveIntoCgroup(settings_, *pids) : pids.status();
  if (!s.ok()) {
    LOG(WARNING) << "cannot keep the runtime in cgroup " << settings_.cgroup
                 << ": " << s;
  }
}

void RuntimeCgroupManager::Loop() {
  for (;;) {
    ApplyOnce();
    absl::MutexLock lock(&mu_);
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), settings_.period)) {
      return;
    }
  }
}

}  // namespace cri_dockerd
