// Fakes for tests of the CNI driver: CNI plugins that are shell scripts
// in a scratch bin dir (each records its call's environment and stdin
// and prints a canned result), scratch conf and cache dirs, and a scratch
// network namespace held by a child process (`unshare -n`, needs root)
// with a veth named eth0.
#pragma once

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/testing/temp_dir.h"
#include "cri/network/cni_plugin.h"

namespace cri_dockerd::network {

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A network namespace held open by a sleeping child, with lo down and an
// eth0 (veth) holding 10.1.2.3/24 and fd00::5/64.
class ScratchNetns {
 public:
  ScratchNetns() {
    int fds[2];
    if (pipe(fds) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], 1);
      close(fds[0]);
      execl("/usr/bin/unshare", "unshare", "-n", "/bin/sh", "-c",
            "ip link add eth0 type veth peer name p0 && "
            "ip addr add 10.1.2.3/24 dev eth0 && "
            "ip -6 addr add fd00::5/64 dev eth0 && ip link set eth0 up && "
            "echo ready && exec sleep 600",
            static_cast<char*>(nullptr));
      _exit(127);
    }
    close(fds[1]);
    char buf[16] = {};
    ready_ = read(fds[0], buf, sizeof(buf)) > 0;
    close(fds[0]);
  }
  ~ScratchNetns() { Kill(); }
  bool ready() const { return ready_; }
  std::string path() const { return absl::StrCat("/proc/", pid_, "/ns/net"); }
  // Ends the holder: the namespace is gone.
  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  bool ready_ = false;
};

// Fake CNI plugins and the directories a CniNetworkPlugin over them uses.
class FakeCni {
 public:
  // Settings for a CniNetworkPlugin that finds its config in conf_ and
  // its plugins in bin_ (after an empty bin dir).
  NetworkSettings Settings() const {
    NetworkSettings s;
    s.cni_conf_dir = conf_.path();
    s.cni_bin_dirs = empty_bin_.path() + "," + bin_.path();
    s.cni_cache_dir = cache_.path() + "/cache";
    return s;
  }

  // A fake plugin `type`: records "<CMD> <type>" in calls, its env and stdin
  // in <type>.<CMD>.env/.stdin, then runs `add` (shell) for ADD, `del` for
  // DEL.
  void Plugin(const std::string& type, const std::string& add,
              const std::string& del = "") const {
    const std::string r = rec_.path();
    const std::string script = absl::StrCat(
        "#!/bin/sh\n", "echo \"$CNI_COMMAND ", type, "\" >> ", r, "/calls\n",
        "env > ", r, "/", type, ".$CNI_COMMAND.env\n", "cat > ", r, "/", type,
        ".$CNI_COMMAND.stdin\n", "if [ \"$CNI_COMMAND\" = ADD ]; then\n", add,
        "\nelse\n", del.empty() ? ":" : del, "\nfi\n");
    const std::string p = bin_.Write(type, script);
    chmod(p.c_str(), 0755);
  }
  // A plugin whose ADD prints `result`.
  void ResultPlugin(const std::string& type, const std::string& result) const {
    Plugin(type, absl::StrCat("cat <<'EOF'\n", result, "\nEOF"));
  }

  std::vector<std::string> Calls() const {
    return absl::StrSplit(ReadFile(rec_.path() + "/calls"), '\n',
                          absl::SkipEmpty());
  }
  void ClearCalls() const { unlink((rec_.path() + "/calls").c_str()); }
  std::string Stdin(const std::string& type, const std::string& cmd) const {
    return ReadFile(absl::StrCat(rec_.path(), "/", type, ".", cmd, ".stdin"));
  }
  // The CNI_* and PATH variables a call saw.
  std::map<std::string, std::string> Env(const std::string& type,
                                         const std::string& cmd) const {
    std::map<std::string, std::string> env;
    for (absl::string_view line : absl::StrSplit(
             ReadFile(absl::StrCat(rec_.path(), "/", type, ".", cmd, ".env")),
             '\n', absl::SkipEmpty())) {
      std::vector<std::string> kv =
          absl::StrSplit(line, absl::MaxSplits('=', 1));
      if (kv.size() == 2 && kv[0] != "PWD" && kv[0] != "SHLVL") {
        env[kv[0]] = kv[1];
      }
    }
    return env;
  }
  // Where libcni's layout caches the result of `network` for a sandbox.
  std::string CacheFile(const std::string& network,
                        const std::string& sandbox_id) const {
    return absl::StrCat(cache_.path(), "/cache/results/", network, "-",
                        sandbox_id, "-eth0");
  }

 protected:
  testing_util::TempDir conf_, bin_, empty_bin_, cache_, rec_;
};

}  // namespace cri_dockerd::network
