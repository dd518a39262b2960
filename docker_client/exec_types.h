// Plain structs for running a command in a container through docker's exec
// API (POST /containers/{id}/exec, POST /exec/{id}/start, GET
// /exec/{id}/json) and for attaching to a container's main process, as
// cri/ needs them for ExecSync, Exec and Attach. No JSON or HTTP here.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace cri_dockerd::docker {

// A terminal's size in character cells.
struct TerminalBox {
  int height = 0;
  int width = 0;
};

// POST /containers/{id}/exec.
struct ExecCreateConfig {
  std::string container_id = {};  // ID or name
  std::vector<std::string> cmd = {};
  // Gives the exec a stdin fed from the connection of
  // StartExecInteractive (docker's AttachStdin, which also keeps the stdin
  // open until the client closes its side). Unset, the exec's stdin is
  // closed from the start (ExecSync).
  bool attach_stdin = false;
  bool attach_stdout = true;
  bool attach_stderr = true;
  // A TTY exec has one raw output stream (stderr merged into it, "\r\n"
  // line ends); StartExec must then be told so (ExecOutput::tty).
  bool tty = false;
  // A TTY exec's terminal size from its first moment, so the command's
  // first look at it (stty, a shell's line editor) already sees it.
  // Docker takes it on engines with API 1.42+; an older engine is not sent
  // it, and the size then only arrives by ResizeExec after the start.
  std::optional<TerminalBox> console_size = std::nullopt;
};

// How StartExec hands over the exec's output as it arrives. Callbacks run
// on the calling thread, in order; chunk boundaries are arbitrary.
struct ExecOutput {
  // As created (ExecCreateConfig::tty): raw stream instead of docker's
  // multiplexed one; all of it goes to on_stdout.
  bool tty = false;
  std::function<void(absl::string_view chunk)> on_stdout = nullptr;
  std::function<void(absl::string_view chunk)> on_stderr = nullptr;
  // Polled at least every 100 ms whether or not output arrives; a non-OK
  // status ends the call with that status (the exec's process keeps
  // running: docker does not kill it when the client goes). May be empty.
  std::function<absl::Status()> check = nullptr;
};

// POST /containers/{id}/attach: which of the container's streams to
// connect. Stdin reaches the process only if the container was created
// with open_stdin; with stdin_once, closing our side closes its stdin for
// good.
struct AttachOptions {
  bool stdin = false;
  bool stdout = true;
  bool stderr = true;
};

// GET /exec/{id}/json
struct ExecInspect {
  std::string id;
  std::string container_id;
  bool running = false;
  // Unset until the process has exited (docker's null), and for an exec
  // never started.
  std::optional<int> exit_code;
  // The process's pid in the host's pid namespace; 0 before it started.
  // Docker keeps reporting it after the exit (the pid may be reused).
  int pid = 0;
};

}  // namespace cri_dockerd::docker
