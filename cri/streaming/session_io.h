// Plumbing between a client's streaming session and the runtime: a stdin
// that can be abandoned locally (InputPump), the resize stream as terminal
// sizes (ResizeReader), and the "client gone" signal (ClientWatch). Each
// owns at most one thread, joined by its destructor.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/io/byte_stream.h"
#include "cri/streaming/remote_status.h"
#include "cri/streaming/runtime.h"

namespace cri_dockerd::streaming {

// Reads `source` on its own thread (CopyStream, from Start()) into a
// bounded queue.
// Read() takes from the queue, then reports the source's end or failure;
// Reset() abandons the input locally (Read fails with Cancelled; what
// still comes is read and dropped) without touching `source`. The thread
// ends when `source` reaches EOF or fails -- the session tears `source`
// down at its end -- and the destructor joins it, so the destructor must
// run after that.
class InputPump : public io::ByteStream {
 public:
  explicit InputPump(io::ByteStream* source);
  ~InputPump() override;

  // Starts the thread. ResourceExhausted if it cannot be created.
  absl::Status Start();

  absl::StatusOr<size_t> Read(char* buf, size_t len) override;
  absl::Status Write(absl::string_view data) override;
  absl::Status CloseWrite() override;
  void Reset() override;

 private:
  class QueueWriter;
  void Run();

  io::ByteStream* const source_;
  absl::Mutex mu_;
  std::deque<std::string> chunks_ ABSL_GUARDED_BY(mu_);
  size_t queued_ ABSL_GUARDED_BY(mu_) = 0;
  bool eof_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

// Terminal sizes from a resize stream (read on the caller's thread).
// `stream` must be one whose Reset() is local (an InputPump): Cancel()
// resets it to wake a blocked Next().
class ResizeReader : public ResizeSource {
 public:
  explicit ResizeReader(io::ByteStream* stream) : stream_(stream) {}
  std::optional<TerminalSize> Next() override;
  void Cancel() override;

 private:
  io::ByteStream* const stream_;
  ResizeParser parser_;
  absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

// ClientGone driven by `wait_gone`, a blocking call that returns when the
// client's connection has ended (run on a thread of its own, from
// Start()). The destructor expects `wait_gone` to have returned or to
// return soon (the session is closed first).
class ClientWatch : public ClientGone {
 public:
  explicit ClientWatch(std::function<void()> wait_gone);
  ~ClientWatch() override;

  // Starts the thread. ResourceExhausted if it cannot be created.
  absl::Status Start();

  int OnGone(std::function<void()> fn) override;
  void Remove(int id) override;
  bool gone();

 private:
  void Run();

  std::function<void()> wait_gone_;  // moved to the thread by Start()
  absl::Mutex mu_;
  bool gone_ ABSL_GUARDED_BY(mu_) = false;
  int next_id_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<int, std::function<void()>> callbacks_ ABSL_GUARDED_BY(mu_);
  // Serialises callbacks with Remove().
  absl::Mutex run_mu_;
  std::thread thread_;
};

}  // namespace cri_dockerd::streaming
