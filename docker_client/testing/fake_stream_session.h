// The engine's end of FakeDockerClient's interactive streams
// (StartExecInteractive, AttachContainer): a socket pair whose far end a
// test's handler drives like the exec'd or attached process would --
// reading stdin, writing output in docker's framing -- and the terminal
// resizes the client asked for.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace cri_dockerd::docker {

class FakeDockerClient;

// One ResizeExec / ResizeContainer call.
struct FakeResize {
  std::string id;  // exec ID, or the container's full ID
  bool exec = false;
  int height = 0;
  int width = 0;
};

// Used by one handler thread. Valid while its handler runs.
class FakeStreamSession {
 public:
  FakeStreamSession(const FakeDockerClient* fake, std::string id, bool exec,
                    bool tty, bool stdin_attached, int fd)
      : fake_(fake),
        id_(std::move(id)),
        exec_(exec),
        tty_(tty),
        stdin_attached_(stdin_attached),
        fd_(fd) {}

  // The exec's ID, or the attached container's full ID.
  const std::string& id() const { return id_; }
  bool exec() const { return exec_; }
  // Output is raw when true, else in docker's multiplexed framing.
  bool tty() const { return tty_; }
  // Whether what the client writes reaches the process (exec created with
  // attach_stdin; attach with stdin to a container with open_stdin).
  bool stdin_attached() const { return stdin_attached_; }

  // Reads what the client wrote; 0 once it closed its side or went away
  // (at once when stdin is not attached).
  absl::StatusOr<size_t> ReadStdin(char* buf, size_t len);
  // Stdin up to and including the next '\n', or up to EOF; nullopt at EOF
  // with nothing read.
  std::optional<std::string> ReadStdinLine();
  // Blocks until the client closes its side or goes away, dropping what
  // it writes meanwhile.
  void AwaitHangUp();

  // Sends output to the client: a stdout / stderr frame, or the raw bytes
  // with a TTY. Unavailable once the client went away.
  absl::Status WriteStdout(absl::string_view data);
  absl::Status WriteStderr(absl::string_view data);

  // Resizes of this exec or container so far, oldest first.
  std::vector<FakeResize> Resizes() const;
  // Waits until there are at least `n` of them; false at the deadline.
  bool AwaitResizes(size_t n, absl::Time deadline) const;

 private:
  absl::Status WriteRaw(absl::string_view data);

  const FakeDockerClient* const fake_;
  const std::string id_;
  const bool exec_;
  const bool tty_;
  const bool stdin_attached_;
  const int fd_;
  std::string line_buf_;  // read past the last line ReadStdinLine returned
};

// What a stream's process does; the return value is an exec's exit code
// (ignored for an attach). The stream ends when the handler returns.
using FakeStreamHandler = std::function<int(FakeStreamSession& session)>;

}  // namespace cri_dockerd::docker
