// The narrow Docker Engine interface cri/ programs against. Implemented by
// CurlDockerClient (libcurl over the engine socket) and, for unit tests, by
// FakeDockerClient. It grows as CRI verbs need more of the engine.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "docker_client/container_types.h"
#include "docker_client/engine_capabilities.h"
#include "docker_client/event_types.h"
#include "docker_client/exec_types.h"
#include "docker_client/hijacked_conn.h"
#include "docker_client/log_stream_mux.h"
#include "docker_client/log_types.h"
#include "docker_client/types.h"

namespace cri_dockerd::docker {

// Every call takes an absolute deadline; past it the call fails with
// DeadlineExceeded and leaves no connection behind. Errors are classified
// by MapDockerError semantics: NotFound, AlreadyExists/FailedPrecondition,
// InvalidArgument, Internal, Unavailable (engine unreachable),
// DeadlineExceeded; docker's own message is kept in the status.
class DockerClient {
 public:
  virtual ~DockerClient() = default;

  // GET /_ping: OK when the engine answers.
  virtual absl::Status Ping(absl::Time deadline) = 0;

  // GET /version
  virtual absl::StatusOr<VersionInfo> Version(absl::Time deadline) = 0;

  // GET /info
  virtual absl::StatusOr<SystemInfo> Info(absl::Time deadline) = 0;

  // What the engine can do (see EngineCapabilities), for the API version
  // spoken with it now. Implementations may cache the value; a cached one
  // is dropped whenever the API version is forgotten or renegotiated (the
  // engine went away, or came back as another version), so it never
  // outlives the negotiation it was computed for. What changes under a
  // standing negotiation goes unseen: a dockerd config reload (SIGHUP)
  // that adds runtimes, or a restart no call noticed. So a caller that
  // finds a runtime missing asks RefreshCapabilities once before
  // refusing. Fails like Version() and Info(); a failure is not cached.
  virtual absl::StatusOr<EngineCapabilities> Capabilities(
      absl::Time deadline) = 0;

  // Capabilities computed afresh (GET /info, negotiating first if needed),
  // replacing any cached value.
  virtual absl::StatusOr<EngineCapabilities> RefreshCapabilities(
      absl::Time deadline) = 0;

  // GET /images/json; `reference` (may be empty) filters like
  // `docker images REFERENCE`.
  virtual absl::StatusOr<std::vector<ImageSummary>> ListImages(
      const std::string& reference, absl::Time deadline) = 0;

  // GET /images/{name}/json, by ID, tag or digest. NotFound if absent.
  virtual absl::StatusOr<ImageInspect> InspectImage(const std::string& name,
                                                    absl::Time deadline) = 0;

  // POST /images/create, following the progress stream to its end. An
  // error in the stream (or before it) fails the call with docker's
  // message, classified: Unauthenticated (registry refused credentials),
  // NotFound (no such repository/tag/manifest), Unavailable (registry
  // unreachable), InvalidArgument (bad reference), else Unknown.
  virtual absl::Status PullImage(const PullOptions& options,
                                 absl::Time deadline) = 0;

  // DELETE /images/{name}?force=..&noprune=false. NotFound if absent;
  // FailedPrecondition (docker's 409) if a container uses it.
  virtual absl::StatusOr<RemovedImage> RemoveImage(const std::string& name,
                                                   bool force,
                                                   absl::Time deadline) = 0;

  // GET /system/df (expensive on busy nodes: callers cache).
  virtual absl::StatusOr<DiskUsage> GetDiskUsage(absl::Time deadline) = 0;

  // POST /containers/create?name=..; returns the new container's ID.
  // AlreadyExists (naming the holder when docker says) if the name is
  // taken; NotFound if the image is absent (nothing is pulled).
  virtual absl::StatusOr<std::string> CreateContainer(
      const ContainerCreateConfig& config, absl::Time deadline) = 0;

  // POST /containers/{id}/start. Already running is success.
  virtual absl::Status StartContainer(const std::string& id,
                                      absl::Time deadline) = 0;

  // POST /containers/{id}/stop?t=<seconds>: the stop signal, then SIGKILL
  // after `grace`. Already stopped is success; NotFound if absent. The
  // call's deadline must leave room for the grace period.
  virtual absl::Status StopContainer(const std::string& id,
                                     absl::Duration grace,
                                     absl::Time deadline) = 0;

  // DELETE /containers/{id}?force=..&v=... NotFound if absent.
  virtual absl::Status RemoveContainer(const std::string& id, bool force,
                                       bool remove_volumes,
                                       absl::Time deadline) = 0;

  // GET /containers/{id}/json, by ID, unique ID prefix or name. NotFound
  // if absent.
  virtual absl::StatusOr<ContainerInspect> InspectContainer(
      const std::string& id, absl::Time deadline) = 0;

  // POST /containers/{id}/update: CPU shares/period/quota, cpusets and
  // memory (+swap) of a container, live. NotFound if absent.
  virtual absl::Status UpdateContainerResources(const std::string& id,
                                                const Resources& resources,
                                                absl::Time deadline) = 0;

  // GET /containers/json?all=..&filters=...
  virtual absl::StatusOr<std::vector<ContainerSummary>> ListContainers(
      const ListContainersOptions& options, absl::Time deadline) = 0;

  // GET /containers/{id}/logs?follow=1&stdout=1&stderr=1&timestamps=1
  // [&since=..], handing each entry to options.on_entry. Returns OK when
  // docker ends the stream (the container is not running, or has exited);
  // options.check's status when it fails; DeadlineExceeded at the
  // deadline; NotFound if the container is absent; FailedPrecondition if
  // its logging driver cannot be read back (e.g. "none").
  virtual absl::Status FollowContainerLogs(const LogStreamOptions& options,
                                           absl::Time deadline) = 0;

  // A follower of many containers' log streams on one thread of its own
  // (see LogStreamMux), reaching the engine as this client does. It must
  // not outlive the client. Fails only if the thread or its event loop
  // cannot be made.
  virtual absl::StatusOr<std::unique_ptr<LogStreamMux>> NewLogStreamMux() = 0;

  // GET /events?since=..&filters=..: follows docker's event stream,
  // handing each event to options.on_event (see EventStreamOptions).
  // Returns OK when docker ends the stream (it is shutting down);
  // Unavailable when the engine is unreachable or the connection breaks;
  // options.check's status when it fails; DeadlineExceeded at the
  // deadline (InfiniteFuture: none); InvalidArgument for a filter docker
  // rejects.
  virtual absl::Status StreamEvents(const EventStreamOptions& options,
                                    absl::Time deadline) = 0;

  // POST /containers/{id}/exec: an exec of config.cmd, with stdin only if
  // config.attach_stdin; returns its ID. NotFound if the container is absent;
  // FailedPrecondition if it is not running (or paused); InvalidArgument
  // for an empty command.
  virtual absl::StatusOr<std::string> CreateExec(const ExecCreateConfig& config,
                                                 absl::Time deadline) = 0;

  // POST /exec/{id}/start, attached: runs the exec and hands its output to
  // out.on_stdout / out.on_stderr as it arrives. Returns OK when docker
  // ends the stream (the process and everything holding its output are
  // done; InspectExec then gives the exit code); out.check's status when
  // it fails; DeadlineExceeded at the deadline. Neither of those stops the
  // process: docker leaves it running. NotFound for an unknown exec.
  virtual absl::Status StartExec(const std::string& exec_id,
                                 const ExecOutput& out,
                                 absl::Time deadline) = 0;

  // GET /exec/{id}/json: running, exit code, host pid. NotFound for an
  // unknown exec (docker drops them when their container stops).
  virtual absl::StatusOr<ExecInspect> InspectExec(const std::string& exec_id,
                                                  absl::Time deadline) = 0;

  // POST /exec/{id}/start {"Detach":false,"Tty":tty}, hijacked: the
  // returned connection carries the exec's stdin (if created with
  // attach_stdin) one way and its output the other -- docker's
  // multiplexed stream (MuxStreamDecoder) unless `tty` (as created), then
  // raw. The exec ends when the connection reads EOF; InspectExec then
  // gives the exit code. `setup_deadline` bounds only getting the
  // connection, not the stream. NotFound for an unknown exec; an exec
  // already started gets docker's error in-band, as text on the stream.
  virtual absl::StatusOr<std::unique_ptr<HijackedConn>> StartExecInteractive(
      const std::string& exec_id, bool tty, absl::Time setup_deadline) = 0;

  // POST /containers/{id}/attach?stream=1&stdin=..&stdout=..&stderr=..,
  // hijacked: the container's main process's streams from now on, framed
  // like StartExecInteractive's by the container's tty. The stream ends
  // when the container stops. NotFound if absent. A container that does
  // not run is attached all the same (docker attaches before `docker run`
  // starts one): the stream stays silent until it starts, so callers
  // check the state first.
  virtual absl::StatusOr<std::unique_ptr<HijackedConn>> AttachContainer(
      const std::string& id, const AttachOptions& options,
      absl::Time setup_deadline) = 0;

  // POST /exec/{id}/resize?h=..&w=..: the TTY size of a started exec.
  // NotFound for an unknown exec.
  virtual absl::Status ResizeExec(const std::string& exec_id, int height,
                                  int width, absl::Time deadline) = 0;

  // POST /containers/{id}/resize?h=..&w=..: the TTY size of a container.
  // NotFound if absent; FailedPrecondition if it is not running.
  virtual absl::Status ResizeContainer(const std::string& id, int height,
                                       int width, absl::Time deadline) = 0;
};

}  // namespace cri_dockerd::docker
