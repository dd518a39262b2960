// The node one input of cri_request_fuzzer runs against: both CRI
// services over the fake docker client (images, running and stopped pods,
// containers, exec scripts, scripted pulls), a fake network plugin, a
// real checkpoint store and CRI log manager in a scratch directory, and a
// streaming server on loopback whose runtime refuses every session
// (nothing dials it). Everything is made afresh per input, so an input
// replays the same way on its own.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "cri/base/call_context.h"
#include "cri/image/image_service.h"
#include "cri/logs/container_log_manager.h"
#include "cri/network/testing/fake_network_plugin.h"
#include "cri/runtime_service.h"
#include "cri/store/checkpoint_store.h"
#include "cri/streaming/server.h"
#include "docker_client/testing/fake_docker_client.h"
#include "google/protobuf/message.h"

namespace cri_dockerd::fuzz {

class RefusingStreamingRuntime;

class CriWorld {
 public:
  // A world in a new scratch directory under `base_dir`, with the docker
  // event watch started if `watch_docker` (the List and Status verbs then
  // answer from the container view).
  static absl::StatusOr<std::unique_ptr<CriWorld>> Create(
      const std::string& base_dir, bool watch_docker);
  // Ends event streams, stops everything, removes the scratch directory.
  ~CriWorld();

  RuntimeService& runtime() { return *runtime_; }
  ImageService& images() { return *images_; }

  // Values worth trying for a string field of a request: the IDs, names
  // and images that exist (and those later calls made), label keys the
  // shim gives meaning to, commands with exec scripts, paths.
  std::vector<std::string> Hints(
      const google::protobuf::FieldDescriptor& field) const;
  // Keeps the daemon's writes in the scratch directory: each host path
  // and log directory in `req` is moved below it (a ".." that would climb
  // out is defused). Every other field stays as generated.
  void Confine(google::protobuf::Message* req) const;
  // Makes `req` a valid request where the verb needs much to be valid
  // (RunPodSandbox, CreateContainer: a new pod or container, in the pod
  // `pick` chooses); false, leaving it alone, for other verbs. The
  // generator then changes a few of its fields.
  bool Template(google::protobuf::Message* req, uint8_t pick);
  // Remembers the IDs and image references a response names, for the
  // requests that follow.
  void Learn(const google::protobuf::Message& resp);

  // Runs GetContainerEvents on a thread until the world ends (or `send`
  // has been called `max_events` times: then the stream's client "goes
  // away"). At most a few streams run; more are ignored.
  void StartEventStream(int max_events);

 private:
  CriWorld() = default;
  absl::Status Populate();
  void AddKnown(const std::string& value, std::vector<std::string>* list);
  void ConfineField(google::protobuf::Message* msg,
                    const google::protobuf::FieldDescriptor* field) const;

  std::string dir_;
  docker::FakeDockerClient docker_;
  network::FakeNetworkPlugin net_;
  std::unique_ptr<ImageService> images_;
  std::unique_ptr<store::CheckpointStore> checkpoints_;
  std::unique_ptr<logs::ContainerLogManager> logs_;
  std::unique_ptr<RuntimeService> runtime_;
  std::unique_ptr<RefusingStreamingRuntime> streaming_runtime_;
  std::unique_ptr<streaming::StreamingServer> streaming_;

  std::vector<std::string> ids_;        // sandbox and container IDs
  std::vector<std::string> sandboxes_;  // pods Populate ran
  std::vector<v1::PodSandboxConfig> sandbox_configs_;  // and their configs
  int made_ = 0;                           // pods and containers Template named
  std::vector<std::string> images_known_;  // references and image IDs

  struct EventStream {
    std::thread thread;
  };
  std::vector<EventStream> streams_;
};

}  // namespace cri_dockerd::fuzz
