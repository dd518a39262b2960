// CriWorld::Hints: the values a CRI request's string fields are biased
// towards, chosen by field name (the generator stays generic).
#include <string_view>

#include "tests/fuzz/cri_world.h"

namespace cri_dockerd::fuzz {
namespace {

using google::protobuf::FieldDescriptor;

// Keys of labels and annotations the shim reads back from docker.
const std::vector<std::string>& LabelKeys() {
  static const auto* keys = new std::vector<std::string>{
      "io.kubernetes.docker.type",
      "io.kubernetes.container.name",
      "io.kubernetes.sandbox.id",
      "io.kubernetes.container.logpath",
      "io.kubernetes.pod.name",
      "io.kubernetes.pod.namespace",
      "io.kubernetes.pod.uid",
      "annotation.io.kubernetes.container.restartCount",
      "io.kubernetes.container.restartCount",
      "annotation.",
      "app",
      "net.ipv4.ip_forward",
      "kernel.shm_rmid_forced",
      "memory.max",
      "cpu.max",
  };
  return *keys;
}

bool Named(const FieldDescriptor& f, std::string_view suffix) {
  return f.name().ends_with(suffix);
}

}  // namespace

std::vector<std::string> CriWorld::Hints(const FieldDescriptor& f) const {
  const bool map_entry = f.containing_type() != nullptr &&
                         f.containing_type()->map_key() != nullptr;
  if (map_entry && f.name() == "key") return LabelKeys();
  if (map_entry) {
    return {"podsandbox", "container", "web", "default",      "uid-web",
            "0",          "1",         "max", "100000 100000"};
  }
  if (f.name() == "id" || Named(f, "_id")) {
    std::vector<std::string> out = ids_;
    for (const std::string& id : ids_) out.push_back(id.substr(0, 12));
    out.push_back("k8s_POD_web_default_uid-web_0");
    return out;
  }
  if (Named(f, "image") || Named(f, "image_ref") ||
      f.name() == "user_specified_image") {
    return images_known_;
  }
  if (f.name() == "runtime_handler") return {"runc", "kata", "", "nope"};
  if (f.name() == "log_path") {
    return {"app/0.log", "app/1.log", "x.log",     "../x.log",
            "/abs.log",  "a//b.log",  "a/./b.log", "dir/"};
  }
  if (f.name() == "log_directory" || f.name() == "host_path") {
    return {"logs/web", "logs/web/", "..", "a/../b", "mnt", "mnt/sub"};
  }
  if (f.name() == "container_path") {
    return {"/data", "/", "relative", "/proc/sys", "/etc/resolv.conf"};
  }
  if (f.name() == "cgroup_parent") {
    return {"/kubepods/podweb", "kubepods.slice", "kubepods-pod1.slice", "/..",
            "/"};
  }
  if (f.name() == "name" || f.name() == "namespace" || f.name() == "uid") {
    return {"web", "old", "app", "side", "default", "uid-web", "POD", "a_b"};
  }
  if (f.name() == "cmd" || f.name() == "command" || f.name() == "args") {
    return {"ls", "false", "/bin/sh", "-c", "sleep"};
  }
  if (f.name() == "pod_cidr") return {"10.244.0.0/16", "fd00::/64", "x/99"};
  if (Named(f, "username") || Named(f, "password") || Named(f, "auth")) {
    return {"user", "dXNlcjpwdw==", "=="};
  }
  if (f.name() == "localhost_ref") return {"/dev/null", "/nonexistent"};
  if (f.name() == "cpuset_cpus" || f.name() == "cpuset_mems") {
    return {"0", "0-1", "0,1", "1-0", "-"};
  }
  return {};
}

}  // namespace cri_dockerd::fuzz
