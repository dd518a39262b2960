// Copies the output of every container whose docker json-file log lies on
// this machine into its CRI log file, with ONE thread, ONE inotify
// instance and one eventfd for all of them. Per container: one inotify
// watch on docker's log directory (modify/close/create/move/delete of
// "<id>-json.log*"), the docker file being read, and the CRI file. A
// silent container costs no CPU: the thread sleeps in poll(2) until the
// kernel reports a write.
//
// Reading follows docker's rotation: the file in hand is read to its end
// (docker closes it before renaming it), then the next file in write
// order ("<id>-json.log.k" -> ".k-1" -> the current file), so two
// rotations between reads lose nothing; if docker deleted files that
// were never read, the loss is counted and logged once. Each container
// gets at most `round_budget` bytes per turn, so a chatty one cannot
// starve the others. On Start the copy resumes where the CRI file ends
// (log_resume.h, docker_log_files.h): no line lost, none repeated.
//
// A copy ends when the container stopped and its files are read to the
// end. The tailer notices docker closing the file without starting a new
// one (IN_CLOSE_WRITE, no create within `close_grace`) and reports it
// through `on_writer_closed`; whoever asks docker then calls
// ContainerStopped. Its docker directory being deleted (the container
// removed) also ends the copy.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cri/logs/docker_log_files.h"
#include "cri/logs/log_copy_backend.h"

namespace cri_dockerd::logs {

struct TailerOptions {
  size_t read_chunk = 64 << 10;
  // Bytes one container may have copied per turn.
  size_t round_budget = 256 << 10;
  // Retrying a container whose docker log cannot be opened yet.
  absl::Duration initial_retry = absl::Milliseconds(250);
  absl::Duration max_retry = absl::Seconds(30);
  // After docker closed the file: how long a new file may take to appear
  // (a rotation) before the close is reported as a possible stop.
  absl::Duration close_grace = absl::Milliseconds(100);
  // Turns of reads start at least this far apart: what containers write
  // meanwhile waits in the kernel (inotify events, file data) for the next
  // turn, so a node of chatty containers wakes the thread at most ten
  // times a second rather than once per line. Commands (start, stop) are
  // taken at once.
  absl::Duration min_turn_interval = absl::Milliseconds(100);
  // Tests only: called on the tailer's thread before each turn of reads.
  std::function<void()> before_turn = nullptr;
};

struct TailerCounters {
  int64_t entries = 0;     // written to CRI files
  int64_t malformed = 0;   // docker lines that did not decode
  int64_t lost_files = 0;  // rotated away before they were read
  int64_t dropped = 0;     // entries lost to CRI write errors
};

class JsonLogTailer : public LogCopyBackend {
 public:
  // Called on the tailer's thread with a container ID: docker closed the
  // container's log and started no new one (it may have stopped), or its
  // log cannot be opened. Must not block.
  using WriterClosed = std::function<void(const std::string& id)>;

  // Makes the inotify instance and the eventfd and starts the thread.
  static absl::StatusOr<std::unique_ptr<JsonLogTailer>> Create(
      TailerOptions options, WriterClosed on_writer_closed);
  // Ends every copy and the thread.
  ~JsonLogTailer() override;
  JsonLogTailer(const JsonLogTailer&) = delete;
  JsonLogTailer& operator=(const JsonLogTailer&) = delete;

  // req.docker_log_path must be set. The copy starts on the thread;
  // docker's log missing is retried with backoff until it appears, or
  // the container is reported stopped.
  absl::Status Start(CopyRequest req) override;
  absl::Status Reopen(const std::string& id) override;
  void Stop(const std::string& id) override;
  std::optional<std::string> CopyPath(const std::string& id) const override;
  bool AwaitCopyEnd(const std::string& id, absl::Time deadline) override;
  void ContainerStopped(const std::string& id) override;

  TailerCounters Counters() const;

 private:
  struct Tail;
  JsonLogTailer(TailerOptions options, WriterClosed on_writer_closed,
                int inotify_fd, int wake_fd);

  void Wake();
  void Run();
  // Takes the commands queued by other threads.
  void TakeCommands();
  void ReadEvents();
  void OnEvent(int wd, uint32_t mask, const std::string& name);
  // Copies up to the round budget; true if more is waiting.
  bool Pump(Tail& t);
  // Opens docker's file where the CRI file ends; false: retry later.
  bool Position(Tail& t);
  // At the end of the file in hand: moves to the next file if docker
  // rotated; true if it did (more to read).
  bool Advance(Tail& t);
  void Decode(Tail& t, absl::string_view data);
  void Finish(Tail& t, const std::string& reason);
  bool Watch(Tail& t);
  void Unwatch(Tail& t);
  absl::Duration NextTimeout() const;

  // Constant after construction.
  const TailerOptions options_;
  const WriterClosed on_writer_closed_;
  const int inotify_fd_;
  const int wake_fd_;

  // The thread's own.
  std::map<std::string, std::shared_ptr<Tail>> active_;
  std::map<int, std::vector<Tail*>> watches_;  // by watch descriptor
  std::vector<char> buf_;
  absl::Time last_turn_ = absl::InfinitePast();
  std::thread thread_;

  mutable absl::Mutex mu_;
  // Copies that have not ended, by container ID.
  std::map<std::string, std::shared_ptr<Tail>> tails_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<Tail>> added_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<Tail>> removed_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> stopped_ ABSL_GUARDED_BY(mu_);
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
  TailerCounters counters_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cri_dockerd::logs
