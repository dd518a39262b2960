#include "tests/fuzz/cri_world.h"

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"

namespace cri_dockerd::fuzz {

namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

constexpr char kPauseImage[] = "registry.k8s.io/pause:3.10";
constexpr char kPauseId[] =
    "sha256:3333333333333333333333333333333333333333333333333333333333333333";
constexpr char kAppImage[] = "localhost:5000/app:1";
constexpr char kAppImageId[] =
    "sha256:4444444444444444444444444444444444444444444444444444444444444444";
// Pulls of these succeed (the first) or need credentials (the second).
constexpr char kPullable[] = "localhost:5000/app:2";
constexpr char kPrivate[] = "localhost:5000/private:1";
// Commands with an exec script; others exit 126 like a missing binary.
constexpr char kExecOk[] = "ls";
constexpr char kExecFails[] = "false";
constexpr size_t kMaxKnown = 48;
constexpr size_t kMaxEventStreams = 2;

CallContext SetupContext() {
  return CallContext::WithTimeout(absl::Seconds(10));
}

}  // namespace

// Every session is refused: the fuzzer only asks for URLs.
class RefusingStreamingRuntime : public streaming::StreamingRuntime {
 public:
  absl::StatusOr<int> Exec(const streaming::ExecRequest&,
                           const streaming::StreamIo&) override {
    return absl::UnimplementedError("no sessions in the fuzzer");
  }
  absl::Status Attach(const streaming::AttachRequest&,
                      const streaming::StreamIo&) override {
    return absl::UnimplementedError("no sessions in the fuzzer");
  }
  absl::Status PortForward(const std::string&, int32_t,
                           io::ByteStream*) override {
    return absl::UnimplementedError("no sessions in the fuzzer");
  }
};

absl::StatusOr<std::unique_ptr<CriWorld>> CriWorld::Create(
    const std::string& base_dir, bool watch_docker) {
  std::string tmpl = base_dir + "/world-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) {
    return absl::InternalError("cannot make a scratch directory in " +
                               base_dir);
  }
  std::unique_ptr<CriWorld> w(new CriWorld());
  w->dir_ = tmpl;
  std::filesystem::create_directories(w->dir_ + "/docker");
  std::filesystem::create_directories(w->dir_ + "/root");
  std::filesystem::create_directories(w->dir_ + "/proc");

  w->docker_.SetStateDir(w->dir_ + "/docker");
  docker::SystemInfo info;
  info.cgroup_driver = "cgroupfs";
  info.cgroup_version = "2";
  info.runtimes = {"runc", "kata"};
  info.default_runtime = "runc";
  info.docker_root_dir = w->dir_ + "/docker";
  info.logging_driver = "json-file";
  w->docker_.SetInfo(info);

  RuntimeOptions options;
  options.root_directory = w->dir_ + "/root";
  options.pod_infra_image = kPauseImage;
  options.request_timeout = absl::Seconds(2);
  options.image_pull_progress_deadline = absl::Seconds(1);
  options.status_ping_timeout = absl::Milliseconds(200);
  w->images_ = std::make_unique<ImageService>(&w->docker_, options,
                                              image::RegistryCredentials());
  w->checkpoints_ = std::make_unique<store::CheckpointStore>(w->dir_ + "/root");
  w->logs_ = std::make_unique<logs::ContainerLogManager>(&w->docker_);
  stats::CollectorOptions stats_options;
  stats_options.proc_root = w->dir_ + "/proc";  // empty: no cgroups found
  stats_options.cpu_rate_min_window = absl::ZeroDuration();
  w->runtime_ = std::make_unique<RuntimeService>(
      &w->docker_, &w->net_, w->images_.get(), w->checkpoints_.get(), options,
      w->logs_.get(), stats_options);
  w->streaming_runtime_ = std::make_unique<RefusingStreamingRuntime>();
  ASSIGN_OR_RETURN(w->streaming_, streaming::StreamingServer::Start(
                                      streaming::StreamingServerOptions{},
                                      w->streaming_runtime_.get()));
  w->runtime_->SetStreamingServer(w->streaming_.get());
  if (watch_docker) {
    RETURN_IF_ERROR(w->runtime_->StartDockerWatch());
  }
  RETURN_IF_ERROR(w->Populate());
  return w;
}

CriWorld::~CriWorld() {
  if (runtime_ != nullptr) runtime_->StopContainerEvents();
  for (EventStream& s : streams_) s.thread.join();
  if (streaming_ != nullptr) streaming_->Stop();
  // The services go before the scratch directory they write into.
  streaming_.reset();
  runtime_.reset();
  logs_.reset();
  checkpoints_.reset();
  images_.reset();
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

absl::Status CriWorld::Populate() {
  docker::ImageInspect pause;
  pause.id = kPauseId;
  pause.repo_tags = {kPauseImage};
  pause.size = 700000;
  docker_.AddImage(pause);
  docker::ImageInspect app;
  app.id = kAppImageId;
  app.repo_tags = {kAppImage, "localhost:5000/app:latest"};
  app.repo_digests = {"localhost:5000/app@sha256:abcd"};
  app.size = 1000;
  app.user = "1002";
  app.env = {"PATH=/usr/bin:/bin", "MODE=image"};
  app.cmd = {"/bin/server"};
  app.labels = {{"io.kubernetes.container.name", "from-image"}};
  app.volumes = {"/data"};
  app.exposed_ports = {"80/tcp"};
  docker_.AddImage(app);
  docker::FakeDockerClient::FakePull pull;
  pull.messages = {{"", "Pulling fs layer", 0, 0},
                   {"abc", "Downloading", 10, 100}};
  docker::ImageInspect pulled;
  pulled.id =
      "sha256:5555555555555555555555555555555555555555555555555555555555555555";
  pulled.repo_tags = {kPullable};
  pull.image = pulled;
  docker_.SetPullScript(kPullable, pull);
  docker::FakeDockerClient::FakePull private_pull = pull;
  private_pull.username = "user";
  private_pull.image->id =
      "sha256:6666666666666666666666666666666666666666666666666666666666666666";
  private_pull.image->repo_tags = {kPrivate};
  docker_.SetPullScript(kPrivate, private_pull);
  docker::FakeDockerClient::FakeExec ls;
  ls.stdout_data = "bin\netc\n";
  docker_.SetExecScript(kExecOk, ls);
  docker::FakeDockerClient::FakeExec fails;
  fails.exit_code = 1;
  fails.stderr_data = "no";
  docker_.SetExecScript(kExecFails, fails);
  docker::DiskUsage usage;
  usage.layers_size = 123456;
  docker_.SetDiskUsage(usage);
  for (const char* image : {kPauseImage, kPauseId, kAppImage, kAppImageId,
                            kPullable, kPrivate, "busybox"}) {
    AddKnown(image, &images_known_);
  }

  // Two pods: "web" runs with a running and a created container; "old"
  // was stopped, with its exited container.
  for (const std::string name : {"web", "old"}) {
    v1::RunPodSandboxRequest run;
    v1::PodSandboxConfig* c = run.mutable_config();
    c->mutable_metadata()->set_name(name);
    c->mutable_metadata()->set_namespace_("default");
    c->mutable_metadata()->set_uid("uid-" + name);
    c->set_hostname(name);
    c->set_log_directory(absl::StrCat(dir_, "/logs/", name));
    (*c->mutable_labels())["app"] = name;
    auto* port = c->add_port_mappings();
    port->set_container_port(80);
    port->set_host_port(name == "web" ? 8080 : 0);
    c->mutable_dns_config()->add_servers("10.96.0.10");
    c->mutable_linux()->set_cgroup_parent("/kubepods/pod" + name);
    ASSIGN_OR_RETURN(v1::RunPodSandboxResponse pod,
                     runtime_->RunPodSandbox(SetupContext(), run));
    AddKnown(pod.pod_sandbox_id(), &ids_);
    sandboxes_.push_back(pod.pod_sandbox_id());
    sandbox_configs_.push_back(*c);
    for (const std::string cname : {"app", "side"}) {
      v1::CreateContainerRequest create;
      create.set_pod_sandbox_id(pod.pod_sandbox_id());
      *create.mutable_sandbox_config() = *c;
      v1::ContainerConfig* cc = create.mutable_config();
      cc->mutable_metadata()->set_name(cname);
      cc->mutable_image()->set_image(kAppImage);
      cc->set_log_path(cname + "/0.log");
      cc->add_command("/bin/server");
      ASSIGN_OR_RETURN(v1::CreateContainerResponse created,
                       runtime_->CreateContainer(SetupContext(), create));
      AddKnown(created.container_id(), &ids_);
      docker_.AppendLogs(created.container_id(),
                         {{"stdout", absl::Now(), "hello", false},
                          {"stderr", absl::Now(), "part", true}});
      if (cname == "side") continue;
      v1::StartContainerRequest start;
      start.set_container_id(created.container_id());
      RETURN_IF_ERROR(runtime_->StartContainer(SetupContext(), start).status());
    }
    if (name == "old") {
      v1::StopPodSandboxRequest stop;
      stop.set_pod_sandbox_id(pod.pod_sandbox_id());
      RETURN_IF_ERROR(runtime_->StopPodSandbox(SetupContext(), stop).status());
    }
  }
  return absl::OkStatus();
}

bool CriWorld::Template(Message* req, uint8_t pick) {
  const std::string n = absl::StrCat(++made_);
  if (auto* run = dynamic_cast<v1::RunPodSandboxRequest*>(req)) {
    *run->mutable_config() = sandbox_configs_[pick % sandbox_configs_.size()];
    v1::PodSandboxMetadata* meta = run->mutable_config()->mutable_metadata();
    meta->set_name("pod" + n);
    meta->set_uid("uid-pod" + n);
    run->mutable_config()->set_log_directory(
        absl::StrCat(dir_, "/logs/pod", n));
    return true;
  }
  if (auto* create = dynamic_cast<v1::CreateContainerRequest*>(req)) {
    const size_t i = pick % sandboxes_.size();
    create->set_pod_sandbox_id(sandboxes_[i]);
    *create->mutable_sandbox_config() = sandbox_configs_[i];
    v1::ContainerConfig* cc = create->mutable_config();
    cc->mutable_metadata()->set_name("c" + n);
    cc->mutable_image()->set_image(kAppImage);
    cc->set_log_path("c" + n + "/0.log");
    cc->add_command("/bin/server");
    return true;
  }
  return false;
}

void CriWorld::AddKnown(const std::string& value,
                        std::vector<std::string>* list) {
  if (value.empty() || list->size() >= kMaxKnown) return;
  if (std::find(list->begin(), list->end(), value) != list->end()) return;
  list->push_back(value);
}

void CriWorld::Learn(const Message& resp) {
  const Reflection* r = resp.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(resp, &fields);
  for (const FieldDescriptor* f : fields) {
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        const int n = std::min(r->FieldSize(resp, f), 8);
        for (int i = 0; i < n; ++i) Learn(r->GetRepeatedMessage(resp, f, i));
      } else {
        Learn(r->GetMessage(resp, f));
      }
      continue;
    }
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_STRING || f->is_repeated()) {
      continue;
    }
    const std::string& name = f->name();
    if (name == "id" || name == "pod_sandbox_id" || name == "container_id") {
      AddKnown(r->GetString(resp, f), &ids_);
    } else if (name == "image_ref" || name == "image") {
      AddKnown(r->GetString(resp, f), &images_known_);
    }
  }
}

void CriWorld::StartEventStream(int max_events) {
  if (streams_.size() >= kMaxEventStreams) return;
  RuntimeService* runtime = runtime_.get();
  streams_.push_back({std::thread([runtime, max_events] {
    auto sent = std::make_shared<std::atomic<int>>(0);
    CallContext ctx;  // no deadline: the stream runs until stopped
    runtime
        ->GetContainerEvents(
            ctx, v1::GetEventsRequest(),
            [sent, max_events](const v1::ContainerEventResponse& e) {
              if (e.container_id().empty()) abort();
              return ++*sent < max_events;
            })
        .IgnoreError();
  })});
}

void CriWorld::Confine(Message* req) const {
  const Reflection* r = req->GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(*req, &fields);
  for (const FieldDescriptor* f : fields) {
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int i = 0; i < r->FieldSize(*req, f); ++i) {
          Confine(r->MutableRepeatedMessage(req, f, i));
        }
      } else {
        Confine(r->MutableMessage(req, f));
      }
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING &&
               !f->is_repeated() &&
               (f->name() == "host_path" || f->name() == "log_directory")) {
      ConfineField(req, f);
    }
  }
}

void CriWorld::ConfineField(Message* msg, const FieldDescriptor* field) const {
  const Reflection* r = msg->GetReflection();
  const std::string value = r->GetString(*msg, field);
  if (value.empty()) return;
  const std::string root = dir_ + "/confined";
  std::string path = absl::StrCat(root, "/", value);
  // The daemon refuses ".." in some of these and resolves it in others;
  // either way nothing may land outside the scratch directory.
  const std::string normal =
      std::filesystem::path(path).lexically_normal().string();
  if (normal.compare(0, root.size() + 1, root + "/") != 0) {
    path = absl::StrCat(root, "/", absl::StrReplaceAll(value, {{"..", "__"}}));
  }
  r->SetString(msg, field, path);
}

}  // namespace cri_dockerd::fuzz
