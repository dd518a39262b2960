// In-memory DockerClient for unit tests: canned replies, an image store
// with scripted pulls, a container store, per-method error injection and
// a record of calls, so handler tests need no engine.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "docker_client/docker_client.h"
#include "docker_client/testing/fake_stream_session.h"

namespace cri_dockerd::docker {

class FakeDockerClient : public DockerClient {
 public:
  FakeDockerClient();
  ~FakeDockerClient() override;

  absl::Status Ping(absl::Time deadline) override;
  absl::StatusOr<VersionInfo> Version(absl::Time deadline) override;
  absl::StatusOr<SystemInfo> Info(absl::Time deadline) override;
  // The capabilities of an engine that reports SetVersion's and SetInfo's
  // values, spoken to at the API version ChooseApiVersion picks for it
  // (FailedPrecondition if none). Like the curl client, Capabilities()
  // keeps the value it computed until RefreshCapabilities() or until
  // SetVersion/SetInfo (a changed daemon the client noticed).
  absl::StatusOr<EngineCapabilities> Capabilities(absl::Time deadline) override;
  absl::StatusOr<EngineCapabilities> RefreshCapabilities(
      absl::Time deadline) override;

  // Images (fake_docker_client_images.cc), behaving like dockerd:
  //  - ListImages: summaries of the stored images (sorted by ID); a
  //    non-empty reference keeps images with a tag or digest equal to it,
  //    whose tags or digests have it as repository (when it carries no
  //    tag or digest itself), or whose ID it is.
  //  - InspectImage: by exact ID, ID without "sha256:", unique ID prefix
  //    (>= 4 hex digits; several -> InvalidArgument), exact tag, exact
  //    digest, or "name" meaning "name:latest". Else NotFound.
  //  - PullImage: see SetPullScript.
  //  - RemoveImage: by tag or digest untags just that reference (and
  //    deletes the image once it has none left); by ID deletes the image
  //    with all its references. An image marked in use (SetImageInUse) or
  //    used by a stored container is not deleted without `force`
  //    (FailedPrecondition, docker's 409); untagging one of several
  //    references is fine, as with docker.
  //  - GetDiskUsage: what SetDiskUsage stored.
  absl::StatusOr<std::vector<ImageSummary>> ListImages(
      const std::string& reference, absl::Time deadline) override;
  absl::StatusOr<ImageInspect> InspectImage(const std::string& name,
                                            absl::Time deadline) override;
  absl::Status PullImage(const PullOptions& options,
                         absl::Time deadline) override;
  absl::StatusOr<RemovedImage> RemoveImage(const std::string& name, bool force,
                                           absl::Time deadline) override;
  absl::StatusOr<DiskUsage> GetDiskUsage(absl::Time deadline) override;

  // Containers (fake_docker_client_containers.cc), behaving like dockerd
  // 20.10. Containers are found by exact ID, name, or unique ID prefix of
  // >= 4 characters (several -> InvalidArgument); else NotFound "No such
  // container: <id>". A reference that is empty or holds '/' (such as
  // docker's "/<name>") is InvalidArgument, as CurlDockerClient makes it.
  //  - CreateContainer: NotFound "No such image: <image>" unless the image
  //    resolves as in InspectImage; InvalidArgument for a name docker
  //    rejects or an ipc/pid mode "container:<x>" naming no container;
  //    AlreadyExists with docker's "Conflict. The container name \"/<name>\"
  //    is already in use by container \"<id>\". ..." if the name is taken.
  //    Makes a 64-hex ID (and a name if none given) and state "created";
  //    the first start writes <state dir>/<id>/resolv.conf holding
  //    "nameserver 8.8.8.8\n" (a network mode "container:<x>" shares x's
  //    file, as in docker).
  //    Like docker, the image's labels and env fill in what the config
  //    leaves unset.
  //  - StartContainer: "running" with a fake positive pid and started_at
  //    now (running already: OK). The network sandbox appears now, as in
  //    docker: sandbox_key "/var/run/docker/netns/<id12>" (host network:
  //    ".../netns/default"; "container:<x>": none) and, on the default
  //    bridge, an IP address; so do the container's files (resolv.conf,
  //    hostname, hosts, log), which inspect reports empty before.
  //  - StopContainer: a running container becomes "exited" with exit code
  //    SetStopExitCode's (0 unless set) and finished_at now; otherwise OK
  //    without change.
  //  - RemoveContainer: FailedPrecondition (docker's "You cannot remove a
  //    running container ...") if running and !force; deletes its files.
  //  - InspectContainer: reports what docker would: the create config's
  //    labels, env, hostname (default: ID prefix; host network: the node
  //    name), tty, modes (network "" -> "default", ipc "" -> "private",
  //    "container:<name>" -> "container:<id>"), runtime ("" -> Info()'s
  //    default runtime), cgroup_parent, privileged, port_bindings, mounts,
  //    oom_score_adj, stop_signal (the config's, else the image's);
  //    resources as created (a memory limit without a swap limit gets
  //    swap = 2 x memory, as docker gives it), then changed by each
  //    UpdateContainerResources the way docker's update does (its non-zero
  //    and non-empty fields replace the ones in force); image = the image
  //    ID; resolv_conf/hostname/hosts/log paths under the state dir.
  //  - ListContainers: newest first; without `all` only running ones.
  //    Filters as docker takes them: "label" ("k" or "k=v"; all must
  //    match), "id" (prefix), "name" (substring; docker: regexp),
  //    "status" (implies all); values of one key are alternatives. Other
  //    keys or unknown statuses: InvalidArgument ("Invalid filter ...").
  absl::StatusOr<std::string> CreateContainer(
      const ContainerCreateConfig& config, absl::Time deadline) override;
  // Records the resources (UpdatedResources() returns the last ones) and
  // applies them as docker does (see InspectContainer).
  absl::Status UpdateContainerResources(const std::string& id,
                                        const Resources& resources,
                                        absl::Time deadline) override;
  std::optional<Resources> UpdatedResources(const std::string& id) const;
  absl::Status StartContainer(const std::string& id,
                              absl::Time deadline) override;
  absl::Status StopContainer(const std::string& id, absl::Duration grace,
                             absl::Time deadline) override;
  absl::Status RemoveContainer(const std::string& id, bool force,
                               bool remove_volumes,
                               absl::Time deadline) override;
  absl::StatusOr<ContainerInspect> InspectContainer(
      const std::string& id, absl::Time deadline) override;
  absl::StatusOr<std::vector<ContainerSummary>> ListContainers(
      const ListContainersOptions& options, absl::Time deadline) override;

  // Logs (fake_docker_client_logs.cc). FollowContainerLogs of an unknown
  // container is NotFound; else it hands over the container's stored
  // entries (AppendLogs) stamped at or after options.since (inclusive,
  // like docker), including ones appended while it runs, and returns OK
  // once all are delivered and the container is not running. While it
  // runs it polls options.check every 5 ms (returning its status if not
  // OK) and fails with DeadlineExceeded past the deadline.
  absl::Status FollowContainerLogs(const LogStreamOptions& options,
                                   absl::Time deadline) override;
  absl::StatusOr<std::string> CreateExec(const ExecCreateConfig& config,
                                         absl::Time deadline) override;

  // Events (fake_docker_client_events.cc). The container calls log what
  // dockerd logs: CreateContainer "create", StartContainer "start" (when
  // it starts one), StopContainer "kill" (with "signal" 15), "die" (with
  // "exitCode") then "stop" (when it stops one), RemoveContainer "destroy"
  // (after "kill" with signal 9 and "die" when it forces a running one
  // away), UpdateContainerResources "update"; Type "container", the
  // ID as actor, the container's labels plus "name" and "image" as
  // attributes, time_nano strictly increasing. The image calls log Type
  // "image" events: RemoveImage "untag" per reference removed and "delete"
  // when the image goes (the image ID as actor), a successful PullImage
  // "pull" (the "image:tag" pulled as actor). SetContainerState and
  // AddImage log nothing (EmitEvent can). StreamEvents hands over
  // the logged events stamped at or after options.since (inclusive, like
  // docker; InfinitePast: none of the past), then new ones as they are
  // logged, keeping those that match the "type", "event" and "label"
  // filters (other keys: InvalidArgument). It polls options.check every
  // 5 ms (returning its status if not OK) and fails with
  // DeadlineExceeded past the deadline; it never ends by itself.
  absl::Status StreamEvents(const EventStreamOptions& options,
                            absl::Time deadline) override;
  // Logs `event` as if docker had (time_nano 0: stamped now).
  void EmitEvent(Event event);
  // Logs container event `action` for the stored container `id` (ID, name
  // or prefix) with the attributes its calls' events have (labels, "name",
  // "image", plus `extra`), as docker does for a change someone else made
  // (pair it with SetContainerState); ignored for an unknown container.
  void EmitContainerEvent(const std::string& id, const std::string& action,
                          const std::map<std::string, std::string>& extra = {});
  // Makes every StreamEvents running now fail with `status` after
  // delivering what it has, as when dockerd goes away mid-stream.
  void BreakEventStreams(absl::Status status);
  // Forgets the logged events, as a restarted dockerd has none.
  void ClearEventHistory();
  // While held, StreamEvents delivers nothing (events are still logged and
  // follow once released), as when dockerd is slow to send them.
  void HoldEvents(bool hold);
  // StreamEvents calls in call order, without the callbacks.
  std::vector<EventStreamOptions> EventStreamCalls() const;
  // StreamEvents calls running right now.
  int ActiveEventStreams() const;

  absl::Status StartExec(const std::string& exec_id, const ExecOutput& out,
                         absl::Time deadline) override;
  absl::StatusOr<ExecInspect> InspectExec(const std::string& exec_id,
                                          absl::Time deadline) override;

  // Interactive streams (fake_docker_client_attach.cc). Each returns a
  // real HijackedConn over a socket pair whose far end a FakeStreamHandler
  // drives on a thread of the fake's, framing output by the exec's or
  // container's tty as docker does:
  //  - StartExecInteractive: NotFound like StartExec; an exec started
  //    before gets docker's in-band "Error: Exec command <id> has already
  //    run\r\n" and EOF. Else the handler set for its command
  //    (SetExecStreamHandler) runs; without one, a SetExecScript script
  //    plays its output and exit code; else the default: echo stdin to
  //    stdout until the client closes its side, exit 0 (with no stdin
  //    attached: exit 0 at once). The exec runs (InspectExec) until the
  //    handler returns; its exit code is set before the client reads EOF.
  //  - AttachContainer: NotFound "No such container: <id>". Stdin is
  //    attached if asked for and the container has open_stdin. The handler
  //    set for it (SetAttachHandler) runs, else: echo stdin to stdout, or
  //    without stdin wait until the client hangs up. A container that does
  //    not run is attached all the same, as docker does (the stream stays
  //    silent until it starts): the connection stays silent until the
  //    client hangs up.
  //    Destroying the fake wakes handlers still running (their reads see
  //    EOF, their writes fail) and waits for them to return.
  //  - ResizeExec: NotFound for an unknown exec; ResizeContainer: NotFound,
  //    or FailedPrecondition "Container <id> is not running". Both record
  //    the size (ResizeCalls, FakeStreamSession::Resizes).
  absl::StatusOr<std::unique_ptr<HijackedConn>> StartExecInteractive(
      const std::string& exec_id, bool tty, absl::Time setup_deadline) override;
  absl::StatusOr<std::unique_ptr<HijackedConn>> AttachContainer(
      const std::string& id, const AttachOptions& options,
      absl::Time setup_deadline) override;
  absl::Status ResizeExec(const std::string& exec_id, int height, int width,
                          absl::Time deadline) override;
  absl::Status ResizeContainer(const std::string& id, int height, int width,
                               absl::Time deadline) override;
  // Scripts interactive execs whose command, joined with ' ', is `cmd`.
  void SetExecStreamHandler(const std::string& cmd, FakeStreamHandler handler);
  // Scripts attaches to the container with this ID or name.
  void SetAttachHandler(const std::string& container,
                        FakeStreamHandler handler);
  struct AttachCall {
    std::string id;  // as given
    AttachOptions options;
  };
  std::vector<AttachCall> AttachCalls() const;
  std::vector<FakeResize> ResizeCalls() const;
  // Stream handlers running now.
  int ActiveStreams() const;

  // Where per-container files (resolv.conf) go; set it before creating
  // containers. Unset, a temp dir is made on first use and removed with
  // the fake.
  void SetStateDir(const std::string& dir);
  // The config a container (ID, name or prefix) was created with; nullptr
  // if unknown. Valid until the container is removed; don't hold it
  // across calls made by other threads.
  const ContainerCreateConfig* CreatedConfig(const std::string& id) const;
  // IDs of the stored containers, oldest first.
  std::vector<std::string> ContainerIds() const;
  // Overwrites a container's state (e.g. to simulate a crash or an OOM
  // kill); ignored for an unknown container.
  void SetContainerState(const std::string& id, ContainerState state);
  // The exit code StopContainer gives (137 for a SIGKILLed container).
  void SetStopExitCode(int exit_code);
  // Called (unlocked) after each StartContainer that started a container,
  // before it returns, with the container's ID and fake pid: where a test
  // puts the process into a cgroup, as runc does before docker answers.
  void SetOnStart(std::function<void(const std::string& id, int pid)> hook);

  // Adds output to a container's log (ID, name or prefix; an unknown one
  // is stored under `id` as given), as its logging driver would.
  void AppendLogs(const std::string& id, std::vector<LogEntry> entries);
  // Makes every FollowContainerLogs and LogStreamMux stream running now
  // fail with `status` after delivering what it has, as when dockerd goes
  // away mid-stream.
  void BreakLogStreams(absl::Status status);
  // The log follows docker accepted, FollowContainerLogs calls and
  // LogStreamMux streams alike, in call order, without the callbacks.
  std::vector<LogStreamOptions> LogFollowCalls() const;
  // Those running right now.
  int ActiveLogFollows() const;
  // A FakeLogStreamMux over this fake's logs (see fake_log_stream_mux.h).
  absl::StatusOr<std::unique_ptr<LogStreamMux>> NewLogStreamMux() override;

  // Exec (fake_docker_client_exec.cc), behaving like dockerd 20.10:
  //  - CreateExec: NotFound "No such container: <id>"; FailedPrecondition
  //    "Container <id> is not running" unless it runs; InvalidArgument "No
  //    exec command specified" for an empty command. Returns a 64-hex ID.
  //  - StartExec: NotFound "No such exec instance: <id>" if unknown (or
  //    its container stopped since); an exec started before gets docker's
  //    in-band "Error: Exec command <id> has already run\r\n" on stdout.
  //    Else it plays the script of the command (SetExecScript): stdout,
  //    then stderr (TTY: both to on_stdout), in pieces of at most 64 KiB;
  //    then, for a script with a process, waits for that process, polling
  //    out.check every 5 ms (returning its status if not OK) and failing
  //    with DeadlineExceeded past the deadline -- leaving the exec running,
  //    as docker does.
  //  - InspectExec: NotFound if unknown; running, exit code (unset until
  //    the exit) and pid, reaping the script's process first if it ended.
  struct FakeExec {
    std::string stdout_data = {};
    std::string stderr_data = {};
    int exit_code = 0;
    // After its output the exec runs this long, or until killed. Such an
    // exec is a real child process of this process (`sleep`, in a session
    // of its own as runc makes exec processes), so that kill(2) of the pid
    // InspectExec reports works; the fake reaps it, as the shim does, and
    // a killed exec exits with 128 + the signal. Without either, the exec
    // has no process and reports pid 0.
    absl::Duration runs_for = absl::ZeroDuration();
    bool until_killed = false;
    // Reported by InspectExec instead of the real pid when set (to test a
    // caller's guard against a reused pid).
    int reported_pid = 0;
    // Docker is this slow to start the exec's process (a loaded runc):
    // until then InspectExec says running with pid 0 and StartExec
    // streams nothing. Needs runs_for or until_killed.
    absl::Duration starts_after = absl::ZeroDuration();
  };
  // Scripts execs whose command, joined with ' ', is `cmd`. Unscripted
  // commands behave like docker's exec of a missing binary: "OCI runtime
  // exec failed: ..." on stdout, exit code 126.
  void SetExecScript(const std::string& cmd, FakeExec exec);
  // Every CreateExec call's config, in call order.
  std::vector<ExecCreateConfig> ExecCreateCalls() const;
  // The IDs of the execs that exist now (sorted).
  std::vector<std::string> ExecIds() const;
  // Processes of scripted execs that are alive (not yet reaped) now.
  int LiveExecProcesses() const;

  // Replies returned by Version() / Info().
  void SetVersion(VersionInfo v);
  void SetInfo(SystemInfo info);
  // Changes what Info() reports as a dockerd config reload (SIGHUP) does:
  // unnoticed, so Capabilities() keeps what it had computed.
  void ReloadInfo(SystemInfo info);

  // Stores `image` by its ID (replacing one with the same ID). Its tags
  // move away from any other stored image, as a docker tag does.
  void AddImage(ImageInspect image);
  // Marks the image with this exact ID as used by a container.
  void SetImageInUse(const std::string& id, bool in_use);

  // What PullImage does for one image:tag. While pulls are held
  // (HoldPulls) it waits; then, like a private registry, it fails with
  // Unauthenticated if `username` is set and options.auth names another
  // user. For each message it waits `interval`; all this time it calls
  // options.check at least every 10 ms (failing with its status if
  // non-OK) and fails with DeadlineExceeded past the deadline. Each
  // message goes to options.on_progress; finally it returns `result`,
  // first storing `image` (AddImage) if the result is OK.
  struct FakePull {
    std::vector<PullProgress> messages;
    absl::Duration interval = absl::ZeroDuration();
    absl::Status result;
    std::optional<ImageInspect> image;
    std::string username;
  };
  // Scripts pulls of options.image + ":" + options.tag (also for digests:
  // "repo:sha256:..."). Unscripted pulls fail with NotFound (docker's
  // "manifest unknown").
  void SetPullScript(const std::string& image_and_tag, FakePull pull);
  // While held, scripted pulls wait before their first message, as for
  // a registry that has not answered yet.
  void HoldPulls(bool hold);
  // Pulls running right now.
  int ActivePulls() const;
  // Every PullImage call's options in call order, without the callbacks.
  std::vector<PullOptions> PullCalls() const;

  void SetDiskUsage(DiskUsage usage);

  // Makes every later call of `method` ("Ping", "Version", "Info", ...)
  // fail with `status` until ClearError(method) (which also drops queued
  // InjectErrorOnce statuses).
  void InjectError(const std::string& method, absl::Status status);
  void ClearError(const std::string& method);
  // Makes only the next call of `method` fail with `status`; queued calls
  // fail the next calls in turn, before any InjectError status applies.
  void InjectErrorOnce(const std::string& method, absl::Status status);

  // Method names in call order; ResetCalls() empties the record.
  std::vector<std::string> Calls() const;
  // How many of Calls() are calls of `method`.
  int CallCount(const std::string& method) const;
  void ResetCalls();
  // The deadline passed to the most recent call.
  absl::Time LastDeadline() const;

 private:
  friend class FakeLogStreamMux;  // reads the logs and containers

  // Records the call; returns the injected error for it, if any.
  absl::Status Enter(const std::string& method, absl::Time deadline);
  // Computes the capabilities from version_ and info_ and keeps them.
  absl::StatusOr<EngineCapabilities> ComputeCapabilitiesLocked()
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The ID of the image `name` designates (see InspectImage). *ref gets
  // the tag or digest it matched, or "" when it named the ID.
  absl::StatusOr<std::string> ResolveImageLocked(const std::string& name,
                                                 std::string* ref) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AddImageLocked(ImageInspect image) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  struct FakeContainer {
    std::string id;
    std::string name;  // without '/'
    int64_t serial = 0;
    ContainerCreateConfig config;
    std::string image_id;
    absl::Time created;
    ContainerState state;
    // As docker reports them, with the image's defaults merged in and
    // "container:<name>" modes resolved to IDs.
    std::map<std::string, std::string> labels;
    std::vector<std::string> env;
    std::string hostname;
    std::string network_mode;
    std::string ipc_mode;
    std::string pid_mode;
    std::optional<Resources> updated;  // the last UpdateContainerResources
    Resources resources;               // in force: created, then updated
    std::string stop_signal;           // the config's, else the image's
    std::string dir;                   // per-container files
    bool ever_started = false;  // docker names its files at the first start
    std::string resolv_conf_path;
    std::string sandbox_key;  // once started
    std::string ip_address;   // while running on the bridge
  };
  // The ID of the container `ref` designates (see InspectContainer).
  absl::StatusOr<std::string> ResolveContainerLocked(
      const std::string& ref) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The state dir, made on first use if unset.
  absl::StatusOr<std::string> StateDirLocked()
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool ImageUsedByContainerLocked(const std::string& image_id) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // StartContainer's work on a stopped or created container.
  absl::Status StartContainerLocked(FakeContainer& c)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  ContainerInspect InspectLocked(const FakeContainer& c) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Logs a container event for `c` (see StreamEvents).
  void LogContainerEventLocked(
      const FakeContainer& c, const std::string& action,
      const std::map<std::string, std::string>& extra = {})
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Logs an image event: `actor` is the image ID, or the reference for
  // "pull", as in docker.
  void LogImageEventLocked(const std::string& action, const std::string& actor)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void LogEventLocked(Event event) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::function<void(const std::string&, int)> on_start_ ABSL_GUARDED_BY(mu_);
  VersionInfo version_ ABSL_GUARDED_BY(mu_);
  SystemInfo info_ ABSL_GUARDED_BY(mu_);
  std::optional<EngineCapabilities> capabilities_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, absl::Status> errors_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::deque<absl::Status>> errors_once_
      ABSL_GUARDED_BY(mu_);
  std::vector<std::string> calls_ ABSL_GUARDED_BY(mu_);
  absl::Time last_deadline_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::map<std::string, ImageInspect> images_ ABSL_GUARDED_BY(mu_);  // by ID
  std::set<std::string> images_in_use_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, FakePull> pull_scripts_ ABSL_GUARDED_BY(mu_);
  std::vector<PullOptions> pull_calls_ ABSL_GUARDED_BY(mu_);
  int active_pulls_ ABSL_GUARDED_BY(mu_) = 0;
  bool pulls_held_ ABSL_GUARDED_BY(mu_) = false;
  DiskUsage disk_usage_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, FakeContainer> containers_ ABSL_GUARDED_BY(mu_);
  int64_t container_serial_ ABSL_GUARDED_BY(mu_) = 0;
  std::string state_dir_ ABSL_GUARDED_BY(mu_);
  bool own_state_dir_ ABSL_GUARDED_BY(mu_) = false;  // remove it at the end
  int stop_exit_code_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, std::vector<LogEntry>> logs_ ABSL_GUARDED_BY(mu_);
  std::vector<LogStreamOptions> log_follow_calls_ ABSL_GUARDED_BY(mu_);
  int active_log_follows_ ABSL_GUARDED_BY(mu_) = 0;
  // BreakLogStreams bumps the generation; followers of an older one fail.
  int64_t log_break_generation_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status log_break_status_ ABSL_GUARDED_BY(mu_);
  struct LoggedEvent {
    int64_t seq = 0;
    Event event;
  };
  std::vector<LoggedEvent> events_ ABSL_GUARDED_BY(mu_);
  int64_t event_seq_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t last_event_nano_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<EventStreamOptions> event_stream_calls_ ABSL_GUARDED_BY(mu_);
  int active_event_streams_ ABSL_GUARDED_BY(mu_) = 0;
  bool events_held_ ABSL_GUARDED_BY(mu_) = false;
  int64_t event_break_generation_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status event_break_status_ ABSL_GUARDED_BY(mu_);

  struct FakeExecState {
    std::string id;
    std::string container_id;
    ExecCreateConfig config;
    FakeExec script;
    bool started = false;
    bool running = false;
    std::optional<int> exit_code;
    int pid = 0;  // the real process, while not reaped; else as reported
    // When the process is due (FakeExec::starts_after), until it is.
    std::optional<absl::Time> start_at;
  };
  // Spawns a late exec's process once it is due.
  absl::Status StartLateExecLocked(FakeExecState& e)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Updates a running exec: reaps its process if it ended.
  void ReapExecLocked(FakeExecState& e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Kills and reaps whatever exec processes are left (at destruction).
  struct ExecChildren {
    std::set<int> pids;
    ~ExecChildren();
  };
  std::map<std::string, FakeExec> exec_scripts_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, FakeExecState> execs_ ABSL_GUARDED_BY(mu_);
  std::vector<ExecCreateConfig> exec_create_calls_ ABSL_GUARDED_BY(mu_);
  int64_t exec_serial_ ABSL_GUARDED_BY(mu_) = 0;
  ExecChildren exec_children_ ABSL_GUARDED_BY(mu_);

  // One interactive stream: the handler's thread and its end of the pair
  // (-1 once the handler returned and it was closed).
  struct Stream {
    std::thread thread;
    int fd = -1;
  };
  struct StreamSpec {
    std::string id;  // exec ID or full container ID
    bool exec = false;
    bool tty = false;
    bool stdin_attached = false;
    bool track_exit = false;  // the handler's result is the exec's exit
  };
  // Starts `handler` on a new stream; returns the client's end.
  absl::StatusOr<std::unique_ptr<HijackedConn>> StartStream(
      StreamSpec spec, FakeStreamHandler handler);
  // Wakes every handler (their client ends look hung up) and joins them.
  void StopStreams();
  std::map<std::string, FakeStreamHandler> exec_stream_handlers_
      ABSL_GUARDED_BY(mu_);
  std::map<std::string, FakeStreamHandler> attach_handlers_
      ABSL_GUARDED_BY(mu_);
  std::vector<AttachCall> attach_calls_ ABSL_GUARDED_BY(mu_);
  std::vector<FakeResize> resize_calls_ ABSL_GUARDED_BY(mu_);
  std::map<int64_t, Stream> streams_ ABSL_GUARDED_BY(mu_);
  int64_t stream_serial_ ABSL_GUARDED_BY(mu_) = 0;
  int active_streams_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace cri_dockerd::docker
