#include "cri/streaming/server.h"

#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/logging.h"
#include "cri/streaming/port_forward.h"
#include "cri/streaming/remotecommand.h"

namespace cri_dockerd::streaming {

absl::StatusOr<std::unique_ptr<StreamingServer>> StreamingServer::Start(
    const StreamingServerOptions& options, StreamingRuntime* runtime) {
  std::unique_ptr<StreamingServer> server(
      new StreamingServer(options, runtime));
  HttpServerOptions http = options.http;
  http.bind_address = options.bind_address;
  http.idle_timeout = options.idle_timeout;
  auto started =
      HttpServer::Start(http, [s = server.get()](const HttpRequestHead& head) {
        return s->Route(head);
      });
  if (!started.ok()) return started.status();
  server->http_ = std::move(*started);
  server->base_url_ = absl::StrCat("http://", server->http_->dial_address());
  return server;
}

StreamingServer::StreamingServer(StreamingServerOptions options,
                                 StreamingRuntime* runtime)
    : options_(std::move(options)), runtime_(runtime) {}

StreamingServer::~StreamingServer() { Stop(); }

void StreamingServer::Stop() {
  if (http_) http_->Stop();
}

absl::StatusOr<std::string> StreamingServer::Park(absl::string_view kind,
                                                  PendingRequest request) {
  absl::StatusOr<std::string> token = cache_.Insert(std::move(request));
  if (!token.ok()) return token.status();
  return absl::StrCat(base_url_, "/", kind, "/", *token);
}

absl::StatusOr<std::string> StreamingServer::ExecUrl(ExecRequest request) {
  return Park("exec", std::move(request));
}

absl::StatusOr<std::string> StreamingServer::AttachUrl(AttachRequest request) {
  return Park("attach", std::move(request));
}

absl::StatusOr<std::string> StreamingServer::PortForwardUrl(
    PortForwardRequest request) {
  return Park("portforward", std::move(request));
}

HttpRoute StreamingServer::Route(const HttpRequestHead& head) {
  HttpRoute route;
  if (head.method != "GET" && head.method != "POST") {
    route.reply =
        PlainResponse(405, "method not allowed", {{"Allow", "GET, POST"}});
    return route;
  }
  std::vector<std::string> parts;
  for (absl::string_view p : absl::StrSplit(head.path, '/')) {
    if (!p.empty()) parts.emplace_back(p);
  }
  if (parts.size() != 2 || (parts[0] != "exec" && parts[0] != "attach" &&
                            parts[0] != "portforward")) {
    route.reply = PlainResponse(404, "404 page not found");
    return route;
  }
  absl::StatusOr<PendingRequest> request = cache_.Consume(parts[1]);
  const bool kind_matches =
      request.ok() &&
      ((parts[0] == "exec" && std::holds_alternative<ExecRequest>(*request)) ||
       (parts[0] == "attach" &&
        std::holds_alternative<AttachRequest>(*request)) ||
       (parts[0] == "portforward" &&
        std::holds_alternative<PortForwardRequest>(*request)));
  if (!kind_matches) {
    route.reply = PlainResponse(404, "unknown, used or expired token");
    return route;
  }
  if (const auto* exec = std::get_if<ExecRequest>(&*request)) {
    route.description = absl::StrCat("exec in container ", exec->container_id);
  } else if (const auto* attach = std::get_if<AttachRequest>(&*request)) {
    route.description =
        absl::StrCat("attach to container ", attach->container_id);
  } else {
    route.description =
        absl::StrCat("port-forward to pod ",
                     std::get<PortForwardRequest>(*request).pod_sandbox_id);
  }
  route.session = [this, request = *std::move(request)](HttpConnection& conn) {
    Serve(conn, request);
  };
  return route;
}

void StreamingServer::Serve(HttpConnection& conn, PendingRequest request) {
  SessionContext ctx{conn, runtime_, options_.stream_creation_timeout};
  if (auto* pf = std::get_if<PortForwardRequest>(&request)) {
    ServePortForward(ctx, *pf);
    return;
  }
  RemoteCommand command;
  if (auto* exec = std::get_if<ExecRequest>(&request)) {
    command.exec = *exec;
    command.tty = exec->tty;
    command.stdin = exec->stdin;
    command.stdout = exec->stdout;
    command.stderr = exec->stderr;
  } else {
    const auto& attach = std::get<AttachRequest>(request);
    command.attach = attach;
    command.tty = attach.tty;
    command.stdin = attach.stdin;
    command.stdout = attach.stdout;
    command.stderr = attach.stderr;
  }
  ServeRemoteCommand(ctx, command);
}

}  // namespace cri_dockerd::streaming
