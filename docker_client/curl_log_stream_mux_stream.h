// Internal to curl_log_stream_mux*.cc: one followed stream's state -- its
// curl transfer, decoder and delivery (pause, held entries, cancel). The
// mux thread owns it once the stream is queued.
#pragma once

#include <curl/curl.h>

#include <deque>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "docker_client/curl_log_stream_mux.h"
#include "docker_client/http_transport.h"
#include "docker_client/http_transport_curl.h"
#include "docker_client/log_stream_decoder.h"

namespace cri_dockerd::docker {

struct CurlLogStreamMux::Stream {
  explicit Stream(bool tty) : decoder(tty) {}
  ~Stream() {
    if (curl != nullptr) curl_easy_cleanup(curl);
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // Hands `entry` to on_entry, or holds it while paused; drops it once
  // cancelled.
  void Deliver(const LogEntry& entry);

  Handle handle = 0;
  std::string id;    // as the caller named the container
  std::string path;  // as requested, with the /v1.xx prefix
  std::string what;  // "GET /containers/<id>/logs", for messages
  absl::Time deadline;
  absl::Time started;
  absl::Time connect_by;  // options.connect_timeout after `started`
  EntrySink on_entry;
  EndSink on_end;
  // Set when the stream failed before its transfer could start (the
  // version negotiation); the thread then ends it with this at once.
  absl::Status setup_error;

  // The transfer; curl's callbacks write into these.
  CURL* curl = nullptr;
  bool in_multi = false;
  char errbuf[CURL_ERROR_SIZE] = {0};
  HttpResponse response;  // headers, and an error reply's body
  internal::Transfer transfer;
  enum class Body { kUndecided, kEntries, kError };
  Body body = Body::kUndecided;  // chosen by the status, at the first byte
  bool daemon_changed = false;   // note_headers said so
  LogStreamDecoder decoder;
  LogStreamDecoder::Sink sink;  // Deliver
  absl::Status failure;         // the decoder's; ends the transfer
  // A connect the engine's full listen backlog refused is tried again
  // then (out of the multi handle meanwhile); InfiniteFuture: none due.
  absl::Time retry_at = absl::InfiniteFuture();
  int connect_attempts = 1;

  // Delivery, on the mux thread.
  bool paused = false;       // on_entry said kPause; no Resume yet
  bool curl_paused = false;  // OnData returned CURL_WRITEFUNC_PAUSE
  bool cancelled = false;
  std::deque<LogEntry> held;  // decoded while paused
  // The transfer ended while entries were held: the outcome, given to
  // on_end once they are delivered.
  std::optional<absl::Status> parked_end;
};

}  // namespace cri_dockerd::docker
