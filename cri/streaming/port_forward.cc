#include "cri/streaming/port_forward.h"

#include <unistd.h>

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/thread.h"
#include "cri/streaming/limits.h"
#include "cri/streaming/spdy/spdy_session.h"
#include "cri/streaming/stream_queue.h"

namespace cri_dockerd::streaming {
namespace {

struct Pair {
  std::shared_ptr<spdy::Stream> data;
  std::shared_ptr<spdy::Stream> error;
  int32_t port = 0;
  absl::Time expires;
};

// One thread per forwarded connection, joined when it is done or when the
// session ends.
class Workers {
 public:
  ~Workers() { JoinAll(); }
  // ResourceExhausted if no thread can be created (`fn` is not run).
  absl::Status Run(std::function<void()> fn) {
    auto done = std::make_shared<std::atomic<bool>>(false);
    absl::StatusOr<std::thread> thread =
        StartThread("port-forward", [fn = std::move(fn), done] {
          fn();
          done->store(true);
        });
    if (!thread.ok()) return thread.status();
    threads_.push_back({*std::move(thread), done});
    return absl::OkStatus();
  }
  // Joins finished threads; returns how many are still running.
  int Reap() {
    for (auto it = threads_.begin(); it != threads_.end();) {
      if (it->done->load()) {
        it->thread.join();
        it = threads_.erase(it);
      } else {
        ++it;
      }
    }
    return static_cast<int>(threads_.size());
  }
  void JoinAll() {
    for (auto& w : threads_) w.thread.join();
    threads_.clear();
  }

 private:
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::vector<Worker> threads_;
};

void ServeSpdy(SessionContext& ctx, const PortForwardRequest& request) {
  if (!NegotiateStreamProtocol(ctx.conn, {"portforward.k8s.io"}) ||
      !AcceptSpdyUpgrade(ctx.conn, "portforward.k8s.io")) {
    return;
  }
  auto session = std::make_unique<spdy::Session>(
      dup(ctx.conn.fd), spdy::Role::kServer, std::move(ctx.conn.extra),
      ctx.conn.activity);
  StreamQueue<spdy::Stream> queue;
  if (absl::Status s =
          session->Start([&queue](std::shared_ptr<spdy::Stream> stream) {
            queue.Push(std::move(stream));
          });
      !s.ok()) {
    LOG(WARNING) << "streaming: port-forward to pod " << request.pod_sandbox_id
                 << ": " << s;
    return;  // the session is closed: the client sees the connection end
  }
  std::map<std::string, Pair> pending;
  Workers workers;
  while (!session->Wait(absl::Now())) {
    std::shared_ptr<spdy::Stream> s =
        queue.Pop(absl::Now() + absl::Milliseconds(200));
    const absl::Time now = absl::Now();
    for (auto it = pending.begin(); it != pending.end();) {
      if (it->second.expires > now) {
        ++it;
        continue;
      }
      if (it->second.error != nullptr) {
        (void)it->second.error->Write(absl::StrCat(
            "timed out waiting for streams of request ", it->first));
        (void)it->second.error->CloseWrite();
      }
      if (it->second.data != nullptr) it->second.data->Reset();
      it = pending.erase(it);
    }
    if (s == nullptr) continue;
    uint32_t port = 0;
    std::string type = s->Header("streamtype");
    if (!absl::SimpleAtoi(s->Header("port"), &port) || port < 1 ||
        port > 65535 || (type != "data" && type != "error")) {
      LOG(WARNING) << "streaming: port-forward stream with bad port \""
                   << s->Header("port") << "\" or type \"" << type << "\"";
      s->Reset();
      continue;
    }
    std::string id = s->Header("requestid");
    if (id.empty()) {
      // Clients before request IDs: consecutive stream ids, error first.
      id = absl::StrCat(type == "error" ? s->id() : s->id() - 2);
    }
    Pair& pair = pending[id];
    if (pair.expires == absl::Time()) {
      pair.expires = now + ctx.stream_creation_timeout;
    }
    auto& slot = type == "data" ? pair.data : pair.error;
    if (slot != nullptr) {
      s->Reset();
      continue;
    }
    slot = std::move(s);
    pair.port = static_cast<int32_t>(port);
    if (pair.data == nullptr || pair.error == nullptr) continue;
    Pair ready = std::move(pair);
    pending.erase(id);
    if (workers.Reap() >= kMaxForwardedConnections) {
      (void)ready.error->Write(
          absl::StrCat("too many forwarded connections (at most ",
                       kMaxForwardedConnections, " at once)"));
      (void)ready.error->CloseWrite();
      ready.data->Reset();
      continue;
    }
    // Kept for a refusal: the worker owns `ready` once it runs.
    const std::shared_ptr<spdy::Stream> data = ready.data;
    const std::shared_ptr<spdy::Stream> error = ready.error;
    absl::Status started =
        workers.Run([runtime = ctx.runtime, sandbox = request.pod_sandbox_id,
                     ready = std::move(ready)] {
          ForwardPort(runtime, sandbox, ready.port, ready.data.get(),
                      ready.error.get());
        });
    if (!started.ok()) {
      LOG(WARNING) << "streaming: port-forward to pod "
                   << request.pod_sandbox_id << ": " << started;
      (void)error->Write(
          absl::StrCat("error forwarding port: ", started.message()));
      (void)error->CloseWrite();
      data->Reset();
    }
  }
  // The client hung up: every stream is reset by Close, which ends the
  // forwarders' copies.
  session->Close();
  workers.JoinAll();
}

}  // namespace

void ForwardPort(StreamingRuntime* runtime, const std::string& sandbox_id,
                 int32_t port, io::ByteStream* data, io::ByteStream* error) {
  absl::Status s = runtime->PortForward(sandbox_id, port, data);
  if (!s.ok()) {
    std::string msg = absl::StrCat("error forwarding port ", port, " to pod ",
                                   sandbox_id, ", uid : ", s.message());
    LOG(WARNING) << "streaming: " << msg;
    (void)error->Write(msg);
  }
  (void)data->CloseWrite();
  (void)error->CloseWrite();
}

void ServePortForward(SessionContext& ctx, const PortForwardRequest& request) {
  if (IsWebSocketRequest(ctx.conn.head)) {
    ServePortForwardWebSocket(ctx, request);
  } else {
    ServeSpdy(ctx, request);
  }
}

}  // namespace cri_dockerd::streaming
