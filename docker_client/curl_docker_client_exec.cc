// CurlDockerClient's exec calls: create an exec, run it to its end with
// its output streamed back, inspect it.
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "docker_client/api_version.h"
#include "docker_client/curl_docker_client.h"
#include "docker_client/errors.h"
#include "docker_client/json_util.h"
#include "docker_client/mux_stream_decoder.h"
#include "docker_client/url_escape.h"

namespace cri_dockerd::docker {
namespace {

using json_util::json;

// Docker reads ConsoleSize on exec create from API 1.42 on.
constexpr char kExecConsoleSizeApiVersion[] = "1.42";

std::string EncodeExecCreate(const ExecCreateConfig& config,
                             std::string_view api_version) {
  json cmd = json::array();
  for (const std::string& arg : config.cmd) cmd.push_back(arg);
  json doc = json::object();
  doc["Cmd"] = std::move(cmd);
  // Docker opens the exec's stdin exactly when it is attached.
  doc["AttachStdin"] = config.attach_stdin;
  doc["AttachStdout"] = config.attach_stdout;
  doc["AttachStderr"] = config.attach_stderr;
  doc["Tty"] = config.tty;
  if (config.tty && config.console_size.has_value() &&
      config.console_size->height > 0 && config.console_size->width > 0 &&
      CompareApiVersions(api_version, kExecConsoleSizeApiVersion) >= 0) {
    doc["ConsoleSize"] =
        json::array({config.console_size->height, config.console_size->width});
  }
  // Arguments are bytes; invalid UTF-8 is replaced rather than thrown on.
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

absl::StatusOr<ExecInspect> DecodeExecInspect(absl::string_view body) {
  ASSIGN_OR_RETURN(json doc,
                   json_util::ParseObject(body, "GET /exec/{id}/json"));
  ExecInspect out;
  out.id = json_util::GetString(doc, "ID");
  out.container_id = json_util::GetString(doc, "ContainerID");
  const json* running = json_util::Field(doc, "Running");
  out.running =
      running != nullptr && running->is_boolean() && running->get<bool>();
  // null while running (and before the start).
  if (const json* code = json_util::Field(doc, "ExitCode");
      code != nullptr && code->is_number_integer()) {
    out.exit_code = static_cast<int>(json_util::GetInt(doc, "ExitCode"));
  }
  out.pid = static_cast<int>(json_util::GetInt(doc, "Pid"));
  return out;
}

}  // namespace

// POST /containers/{id}/exec: 201 {"Id": ...}. Docker answers 409
// "Container <id> is not running" (or "... is paused ...") for a container
// it cannot exec in: FailedPrecondition through MapDockerError.
absl::StatusOr<std::string> CurlDockerClient::CreateExec(
    const ExecCreateConfig& config, absl::Time deadline) {
  ASSIGN_OR_RETURN(
      const std::string escaped,
      EscapePathSegment(config.container_id, "container ID or name"));
  if (config.cmd.empty()) {
    return absl::InvalidArgumentError("exec: no command given");
  }
  // The body depends on the API version (ConsoleSize). Should the call be
  // retried on a different engine (see SendVersioned), an older one
  // ignores the field and the size comes with the first resize instead.
  ASSIGN_OR_RETURN(const std::string version, ApiVersion(deadline));
  HttpRequest request;
  request.method = "POST";
  request.path = absl::StrCat("/containers/", escaped, "/exec");
  request.body = EncodeExecCreate(config, version);
  request.content_type = "application/json";
  request.deadline = deadline;
  ASSIGN_OR_RETURN(HttpResponse response,
                   Call(std::move(request),
                        absl::StrCat("POST /containers/", escaped, "/exec")));
  ASSIGN_OR_RETURN(json doc, json_util::ParseObject(
                                 response.body, "POST /containers/{id}/exec"));
  std::string id = json_util::GetString(doc, "Id");
  if (id.empty()) {
    return absl::InternalError(
        "malformed reply from docker for POST /containers/{id}/exec: no Id");
  }
  return id;
}

// POST /exec/{id}/start {"Detach":false,"Tty":..}. Docker hijacks the
// connection: "200 OK" with no length, then the output until the process
// (and whatever else holds its stdout/stderr) is done, then it closes the
// connection. Non-TTY output is multiplexed; a TTY exec's is one raw
// stream. Errors docker meets after the 200 come in-band as text (in a
// stdout frame): they reach on_stdout like the process's output.
absl::Status CurlDockerClient::StartExec(const std::string& exec_id,
                                         const ExecOutput& out,
                                         absl::Time deadline) {
  ASSIGN_OR_RETURN(const std::string escaped,
                   EscapePathSegment(exec_id, "exec ID"));
  const std::string what = absl::StrCat("POST /exec/", escaped, "/start");
  HttpRequest request;
  request.method = "POST";
  request.path = absl::StrCat("/exec/", escaped, "/start");
  request.body = out.tty ? R"({"Detach":false,"Tty":true})"
                         : R"({"Detach":false,"Tty":false})";
  request.content_type = "application/json";
  request.deadline = deadline;
  MuxStreamDecoder decoder;
  const MuxStreamDecoder::Sink sink = [&out](MuxStream stream,
                                             absl::string_view data) {
    switch (stream) {
      case MuxStream::kStdin:  // never attached; docker shows it as stdout
      case MuxStream::kStdout:
        if (out.on_stdout) out.on_stdout(data);
        break;
      case MuxStream::kStderr:
      case MuxStream::kSystemErr:
        if (out.on_stderr) out.on_stderr(data);
        break;
    }
  };
  request.check = out.check;
  return CallStreamed(
      std::move(request), what,
      [&](absl::string_view chunk) {
        if (!out.tty) return decoder.Feed(chunk, sink);
        if (out.on_stdout) out.on_stdout(chunk);
        return absl::OkStatus();
      },
      [&] { return decoder.Finish(); }, MapDockerError);
}

// GET /exec/{id}/json. Docker forgets an exec some time after its
// container stops (NotFound then).
absl::StatusOr<ExecInspect> CurlDockerClient::InspectExec(
    const std::string& exec_id, absl::Time deadline) {
  ASSIGN_OR_RETURN(const std::string escaped,
                   EscapePathSegment(exec_id, "exec ID"));
  HttpRequest request;
  request.path = absl::StrCat("/exec/", escaped, "/json");
  request.deadline = deadline;
  ASSIGN_OR_RETURN(
      HttpResponse response,
      Call(std::move(request), absl::StrCat("GET /exec/", escaped, "/json")));
  return DecodeExecInspect(response.body);
}

}  // namespace cri_dockerd::docker
