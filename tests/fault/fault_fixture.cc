#include "tests/fault/fault_fixture.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "tests/integration/private_dockerd.h"
#include "tests/poll_until.h"

namespace cri_dockerd::testing_support {
namespace {

constexpr char kDockerSocket[] = "/var/run/docker.sock";
constexpr char kPluginDir[] = "/usr/lib/cni";

// Entries of `dir` (dot-files aside); with `ips_only`, just host-local's
// per-address files ("10.250.88.5"), not its "lock" or "last_reserved_ip".
std::vector<std::string> Entries(const std::string& dir,
                                 bool ips_only = false) {
  std::vector<std::string> names;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      const std::string name = e->d_name;
      if (name[0] == '.') continue;
      if (ips_only &&
          name.find_first_not_of("0123456789.:abcdef") != std::string::npos) {
        continue;
      }
      names.push_back(name);
    }
    closedir(d);
  }
  return names;
}

std::string UrlEncode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.') {
      out += static_cast<char>(c);
    } else {
      char hex[4];
      snprintf(hex, sizeof(hex), "%%%02X", c);
      out += hex;
    }
  }
  return out;
}

// IDs and names of the docker containers (running or not) labelled
// io.kubernetes.pod.uid=`uid`, as "<id12> <name>".
std::vector<std::string> ContainersOfPod(const std::string& uid) {
  const std::string reply = DockerGet(
      kDockerSocket,
      "/containers/json?all=1&filters=" +
          UrlEncode(absl::StrCat(R"({"label":["io.kubernetes.pod.uid=)", uid,
                                 R"("]})")));
  std::vector<std::string> found;
  size_t at = 0;
  while ((at = reply.find("\"Id\":\"", at)) != std::string::npos) {
    at += 6;
    std::string entry = reply.substr(at, 12);
    const size_t names = reply.find("\"Names\":[\"", at);
    if (names != std::string::npos) {
      const size_t start = names + 10;
      absl::StrAppend(&entry, " ",
                      reply.substr(start, reply.find('"', start) - start));
    }
    found.push_back(entry);
  }
  if (reply.find(" 200 ") == std::string::npos) {
    found.push_back(
        "(docker did not answer the listing: " + reply.substr(0, 200) + ")");
  }
  return found;
}

}  // namespace

void FaultTest::SetUp() {
  ASSERT_EQ(geteuid(), 0) << "needs root";
  ASSERT_TRUE(PingDocker(kDockerSocket)) << "needs the lab's dockerd";
  ASSERT_EQ(access(absl::StrCat(kPluginDir, "/portmap").c_str(), X_OK), 0)
      << "install containernetworking-plugins (tests/harness/install_deps.sh)";
  const int n = getpid() % 100000;
  bridge_ = absl::StrCat("crid-f", n);
  network_ = absl::StrCat("crid-fault-", n);
  host_port_ = 30000 + getpid() % 20000;
  conf_dir_ = dir_.path() + "/net.d";
  socket_ = dir_.path() + "/cri.sock";
  mkdir(conf_dir_.c_str(), 0755);
  mkdir(log_dir().c_str(), 0755);
  // A test may put a wrapper named "bridge" in StartDaemon's first bin
  // dir; it is found before the real plugin.
  std::ofstream(conf_dir_ + "/10-fault.conflist")
      << absl::StrCat(R"({"cniVersion": "0.4.0", "name": ")", network_, R"(",
      "plugins": [
        {"type": "bridge", "bridge": ")",
                      bridge_, R"(", "isGateway": true,
         "ipMasq": false, "hairpinMode": true,
         "ipam": {"type": "host-local", "dataDir": ")",
                      ipam_dir(), R"(",
                  "ranges": [[{"subnet": "10.250.88.0/24"}]],
                  "routes": [{"dst": "0.0.0.0/0"}]}},
        {"type": "portmap", "capabilities": {"portMappings": true}}]})");
}

void FaultTest::TearDown() {
  KillDaemon();
  for (const std::string& name : pods_) {
    for (const std::string& c : ContainersOfPod(uid(name))) {
      DockerRequest(kDockerSocket, "DELETE",
                    absl::StrCat("/containers/", c.substr(0, 12), "?force=1"));
    }
  }
  RunToExit({"/usr/sbin/ip", "link", "del", bridge_}, absl::Seconds(30));
}

void FaultTest::StartDaemon(const std::string& crash_at,
                            const std::string& first_bin_dir) {
  KillDaemon();
  std::vector<std::string> argv = {"/usr/bin/env"};
  if (!crash_at.empty()) argv.push_back("CRI_DOCKERD_CRASH_AT=" + crash_at);
  const std::vector<std::string> flags = {
      CRID_BINARY,
      "--container-runtime-endpoint",
      "unix://" + socket_,
      "--cni-conf-dir",
      conf_dir_,
      "--cni-bin-dir",
      first_bin_dir.empty() ? kPluginDir
                            : absl::StrCat(first_bin_dir, ",", kPluginDir),
      "--cni-cache-dir",
      dir_.path() + "/cni-cache",
      "--cri-dockerd-root-directory",
      dir_.path() + "/root"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  daemon_ = std::make_unique<DaemonProcess>(argv);
  const absl::Status serving =
      WaitUntilServing("unix://" + socket_, absl::Seconds(30));
  ASSERT_TRUE(serving.ok()) << serving << "\n" << daemon_->Output();
  runtime_ = v1::RuntimeService::NewStub(Dial("unix://" + socket_));
  images_ = v1::ImageService::NewStub(Dial("unix://" + socket_));
}

void FaultTest::ExpectKilledByItsHook() {
  ASSERT_NE(daemon_, nullptr);
  absl::StatusOr<int> code = daemon_->Wait(absl::Seconds(60));
  ASSERT_TRUE(code.ok()) << code.status() << "\n" << daemon_->Output();
  EXPECT_EQ(*code, 128 + SIGKILL) << daemon_->Output();
  EXPECT_TRUE(absl::StrContains(daemon_->Output(), "killing the daemon"))
      << daemon_->Output();
}

void FaultTest::KillDaemon() {
  if (daemon_ == nullptr) return;
  daemon_->Stop(SIGKILL, absl::Seconds(30)).IgnoreError();
  runtime_.reset();
  images_.reset();
}

v1::PodSandboxConfig FaultTest::PodConfig(const std::string& name) {
  v1::PodSandboxConfig c;
  c.mutable_metadata()->set_name(name);
  c.mutable_metadata()->set_namespace_(kNamespace);
  c.mutable_metadata()->set_uid(uid(name));
  c.set_hostname(name);
  c.set_log_directory(log_dir());
  // As kubelet labels its sandboxes.
  auto& labels = *c.mutable_labels();
  labels["io.kubernetes.pod.name"] = name;
  labels["io.kubernetes.pod.namespace"] = kNamespace;
  labels["io.kubernetes.pod.uid"] = uid(name);
  auto* p = c.add_port_mappings();
  p->set_container_port(8080);
  p->set_host_port(host_port_);
  p->set_host_ip("127.0.0.1");
  c.mutable_linux();
  pods_.push_back(name);
  return c;
}

grpc::Status FaultTest::RunPod(const v1::PodSandboxConfig& config,
                               std::string* id, absl::Duration timeout) {
  v1::RunPodSandboxRequest req;
  *req.mutable_config() = config;
  v1::RunPodSandboxResponse resp;
  grpc::Status s = runtime_->RunPodSandbox(Ctx(timeout).get(), req, &resp);
  *id = resp.pod_sandbox_id();
  return s;
}

v1::ContainerConfig FaultTest::Busybox(const std::string& name,
                                       const std::string& script) {
  return BusyboxContainer(name, script);
}

grpc::Status FaultTest::CreateContainer(const std::string& pod,
                                        const v1::PodSandboxConfig& pod_config,
                                        const v1::ContainerConfig& config,
                                        std::string* id) {
  v1::CreateContainerRequest req;
  req.set_pod_sandbox_id(pod);
  *req.mutable_config() = config;
  // As kubelet labels its containers.
  auto& labels = *req.mutable_config()->mutable_labels();
  for (const char* key :
       {"io.kubernetes.pod.name", "io.kubernetes.pod.namespace",
        "io.kubernetes.pod.uid"}) {
    labels[key] = pod_config.labels().at(key);
  }
  *req.mutable_sandbox_config() = pod_config;
  v1::CreateContainerResponse resp;
  grpc::Status s =
      runtime_->CreateContainer(Ctx(absl::Minutes(1)).get(), req, &resp);
  *id = resp.container_id();
  return s;
}

grpc::Status FaultTest::StartContainer(const std::string& id) {
  v1::StartContainerRequest req;
  req.set_container_id(id);
  v1::StartContainerResponse resp;
  return runtime_->StartContainer(Ctx(absl::Minutes(1)).get(), req, &resp);
}

grpc::Status FaultTest::PullBusybox() {
  v1::PullImageRequest req;
  req.mutable_image()->set_image(kBusybox);
  v1::PullImageResponse resp;
  return images_->PullImage(Ctx(absl::Minutes(2)).get(), req, &resp);
}

std::vector<std::string> FaultTest::StopAndRemoveLikeKubelet(
    const std::string& name) {
  v1::ListPodSandboxResponse listed;
  grpc::Status s = runtime_->ListPodSandbox(
      Ctx().get(), v1::ListPodSandboxRequest(), &listed);
  EXPECT_TRUE(s.ok()) << s.error_message();
  // kubelet also lists the containers; what it then does for a pod it
  // gives up on is stopping and removing its sandboxes.
  v1::ListContainersResponse containers;
  s = runtime_->ListContainers(Ctx().get(), v1::ListContainersRequest(),
                               &containers);
  EXPECT_TRUE(s.ok()) << s.error_message();
  std::vector<std::string> ids;
  for (const v1::PodSandbox& pod : listed.items()) {
    if (pod.metadata().name() != name ||
        pod.metadata().namespace_() != kNamespace) {
      continue;
    }
    ids.push_back(pod.id());
    v1::StopPodSandboxRequest stop;
    stop.set_pod_sandbox_id(pod.id());
    v1::StopPodSandboxResponse stopped;
    s = runtime_->StopPodSandbox(Ctx(absl::Minutes(2)).get(), stop, &stopped);
    EXPECT_TRUE(s.ok() || s.error_code() == grpc::StatusCode::NOT_FOUND)
        << "StopPodSandbox " << pod.id() << ": " << s.error_message();
    v1::RemovePodSandboxRequest rm;
    rm.set_pod_sandbox_id(pod.id());
    v1::RemovePodSandboxResponse removed;
    s = runtime_->RemovePodSandbox(Ctx(absl::Minutes(2)).get(), rm, &removed);
    EXPECT_TRUE(s.ok()) << "RemovePodSandbox " << pod.id() << ": "
                        << s.error_message();
  }
  return ids;
}

std::vector<std::string> FaultTest::Leftovers(const std::string& name) const {
  std::vector<std::string> left;
  for (const std::string& c : ContainersOfPod(uid(name))) {
    left.push_back("docker container " + c);
  }
  for (const std::string& cp : Entries(dir_.path() + "/root/sandbox")) {
    left.push_back("checkpoint " + cp);
  }
  for (const std::string& ip :
       Entries(absl::StrCat(ipam_dir(), "/", network_), true)) {
    left.push_back("host-local allocation " + ip);
  }
  for (const std::string& e : Entries(dir_.path() + "/cni-cache/results")) {
    left.push_back("CNI cache entry " + e);
  }
  for (const std::string& veth :
       Entries(absl::StrCat("/sys/class/net/", bridge_, "/brif"))) {
    left.push_back("veth on the bridge " + veth);
  }
  const ProcessResult nat = RunToExit(
      {"/usr/sbin/iptables", "-w", "-t", "nat", "-S"}, absl::Seconds(30));
  if (nat.exit_code != 0) left.push_back("iptables failed: " + nat.output);
  // portmap's comments name the network: dnat name: \"<network>\" id: ...
  const std::string named = absl::StrCat(network_, "\\\"");
  const std::string port = absl::StrCat("--dport ", host_port_, " ");
  for (absl::string_view line : absl::StrSplit(nat.output, '\n')) {
    if (absl::StrContains(line, named)) {
      left.push_back(absl::StrCat("iptables rule naming the network: ", line));
    } else if (absl::StrContains(line, port)) {
      left.push_back(absl::StrCat("iptables rule for the host port: ", line));
    }
  }
  return left;
}

std::vector<std::string> FaultTest::LeftoversOnceSettled(
    const std::string& name) const {
  std::vector<std::string> left;
  testing_util::PollUntil(
      [&] {
        left = Leftovers(name);
        return left.empty();
      },
      absl::Seconds(60));
  return left;
}

}  // namespace cri_dockerd::testing_support
