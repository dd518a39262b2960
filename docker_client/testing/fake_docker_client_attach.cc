// FakeDockerClient's interactive streams: exec start and attach over a
// socket pair driven by a handler thread, and recorded resizes.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "docker_client/testing/fake_docker_client.h"

namespace cri_dockerd::docker {
namespace {

// Echo stdin to stdout until the client closes its side.
int Echo(FakeStreamSession& session) {
  if (!session.stdin_attached()) return 0;
  char buf[4096];
  for (;;) {
    absl::StatusOr<size_t> n = session.ReadStdin(buf, sizeof(buf));
    if (!n.ok() || *n == 0) return 0;
    if (!session.WriteStdout(absl::string_view(buf, *n)).ok()) return 0;
  }
}

// The default attach: echo, or without stdin wait for the client to go.
int EchoOrWait(FakeStreamSession& session) {
  if (session.stdin_attached()) return Echo(session);
  session.AwaitHangUp();
  return 0;
}

// An attach to a container that does not run: docker keeps the connection
// silent until the container starts (`docker run` attaches before it
// starts); the fake's containers never run their process, so until the
// client goes.
int Silent(FakeStreamSession& session) {
  session.AwaitHangUp();
  return 0;
}

}  // namespace

void FakeDockerClient::SetExecStreamHandler(const std::string& cmd,
                                            FakeStreamHandler handler) {
  absl::MutexLock lock(&mu_);
  exec_stream_handlers_[cmd] = std::move(handler);
}

void FakeDockerClient::SetAttachHandler(const std::string& container,
                                        FakeStreamHandler handler) {
  absl::MutexLock lock(&mu_);
  attach_handlers_[container] = std::move(handler);
}

std::vector<FakeDockerClient::AttachCall> FakeDockerClient::AttachCalls()
    const {
  absl::MutexLock lock(&mu_);
  return attach_calls_;
}

std::vector<FakeResize> FakeDockerClient::ResizeCalls() const {
  absl::MutexLock lock(&mu_);
  return resize_calls_;
}

int FakeDockerClient::ActiveStreams() const {
  absl::MutexLock lock(&mu_);
  return active_streams_;
}

absl::StatusOr<std::unique_ptr<HijackedConn>> FakeDockerClient::StartStream(
    StreamSpec spec, FakeStreamHandler handler) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    return absl::InternalError(
        absl::StrCat("fake docker: socketpair: ", std::strerror(errno)));
  }
  absl::MutexLock lock(&mu_);
  const int64_t key = ++stream_serial_;
  ++active_streams_;
  Stream& stream = streams_[key];
  stream.fd = fds[1];
  stream.thread = std::thread([this, key, far = fds[1], spec = std::move(spec),
                               handler = std::move(handler)] {
    FakeStreamSession session(this, spec.id, spec.exec, spec.tty,
                              spec.stdin_attached, far);
    const int code = handler(session);
    absl::MutexLock lock(&mu_);
    if (spec.track_exit) {
      if (auto it = execs_.find(spec.id); it != execs_.end()) {
        it->second.running = false;
        it->second.exit_code = code;
      }
    }
    --active_streams_;
    // The client reads EOF only now, after the exit code is set.
    close(far);
    streams_[key].fd = -1;
  });
  return MakeSocketHijackedConn(fds[0], "");
}

void FakeDockerClient::StopStreams() {
  std::vector<std::thread> threads;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [key, stream] : streams_) {
      if (stream.fd >= 0) shutdown(stream.fd, SHUT_RDWR);
      if (stream.thread.joinable()) threads.push_back(std::move(stream.thread));
    }
  }
  for (std::thread& t : threads) t.join();
}

absl::StatusOr<std::unique_ptr<HijackedConn>>
FakeDockerClient::StartExecInteractive(const std::string& exec_id, bool tty,
                                       absl::Time setup_deadline) {
  (void)tty;  // docker frames by the exec's own tty, as created
  if (absl::Status s = Enter("StartExecInteractive", setup_deadline); !s.ok()) {
    return s;
  }
  FakeStreamHandler handler;
  bool exec_tty = false;
  bool stdin_attached = false;
  bool track = true;
  {
    absl::MutexLock lock(&mu_);
    auto it = execs_.find(exec_id);
    if (it != execs_.end()) {
      auto c = containers_.find(it->second.container_id);
      if (c == containers_.end() || !c->second.state.running) {
        execs_.erase(it);  // docker drops the execs of a stopped container
        it = execs_.end();
      }
    }
    if (it == execs_.end()) {
      return absl::NotFoundError(
          absl::StrCat("No such exec instance: ", exec_id));
    }
    FakeExecState& e = it->second;
    exec_tty = e.config.tty;
    stdin_attached = e.config.attach_stdin;
    const std::string cmd = absl::StrJoin(e.config.cmd, " ");
    if (e.started) {
      const std::string error =
          absl::StrCat("Error: Exec command ", exec_id, " has already run\r\n");
      handler = [error](FakeStreamSession& s) {
        (void)s.WriteStdout(error);
        return 0;
      };
      track = false;
    } else if (auto h = exec_stream_handlers_.find(cmd);
               h != exec_stream_handlers_.end()) {
      handler = h->second;
    } else if (auto sc = exec_scripts_.find(cmd); sc != exec_scripts_.end()) {
      handler = [script = sc->second](FakeStreamSession& s) {
        (void)s.WriteStdout(script.stdout_data);
        (void)s.WriteStderr(script.stderr_data);
        return script.exit_code;
      };
    } else {
      handler = Echo;
    }
    if (track) {
      e.started = true;
      e.running = true;
    }
  }
  return StartStream({exec_id, /*exec=*/true, exec_tty, stdin_attached, track},
                     std::move(handler));
}

absl::StatusOr<std::unique_ptr<HijackedConn>> FakeDockerClient::AttachContainer(
    const std::string& id, const AttachOptions& options,
    absl::Time setup_deadline) {
  if (absl::Status s = Enter("AttachContainer", setup_deadline); !s.ok()) {
    return s;
  }
  FakeStreamHandler handler = EchoOrWait;
  std::string cid;
  bool tty = false;
  bool stdin_attached = false;
  {
    absl::MutexLock lock(&mu_);
    attach_calls_.push_back({id, options});
    absl::StatusOr<std::string> resolved = ResolveContainerLocked(id);
    if (!resolved.ok()) return resolved.status();
    cid = *resolved;
    const FakeContainer& c = containers_[cid];
    tty = c.config.tty;
    stdin_attached = options.stdin && c.config.open_stdin;
    for (const std::string& key : {id, c.id, c.name}) {
      if (auto h = attach_handlers_.find(key); h != attach_handlers_.end()) {
        handler = h->second;
        break;
      }
    }
    if (!c.state.running) handler = Silent;
  }
  return StartStream({cid, /*exec=*/false, tty, stdin_attached,
                      /*track_exit=*/false},
                     std::move(handler));
}

absl::Status FakeDockerClient::ResizeExec(const std::string& exec_id,
                                          int height, int width,
                                          absl::Time deadline) {
  if (absl::Status s = Enter("ResizeExec", deadline); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  if (execs_.count(exec_id) == 0) {
    return absl::NotFoundError(
        absl::StrCat("No such exec instance: ", exec_id));
  }
  resize_calls_.push_back({exec_id, /*exec=*/true, height, width});
  return absl::OkStatus();
}

absl::Status FakeDockerClient::ResizeContainer(const std::string& id,
                                               int height, int width,
                                               absl::Time deadline) {
  if (absl::Status s = Enter("ResizeContainer", deadline); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  absl::StatusOr<std::string> cid = ResolveContainerLocked(id);
  if (!cid.ok()) return cid.status();
  if (!containers_[*cid].state.running) {
    return absl::FailedPreconditionError(
        absl::StrCat("Container ", *cid, " is not running"));
  }
  resize_calls_.push_back({*cid, /*exec=*/false, height, width});
  return absl::OkStatus();
}

}  // namespace cri_dockerd::docker
