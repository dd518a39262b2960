// Kubernetes' channel protocols over one WebSocket connection, as spoken by
// kubelet's streaming server (k8s.io/apimachinery wsstream):
//   "" / channel.k8s.io, v4.channel.k8s.io, v5.channel.k8s.io:
//       binary messages, first byte = channel number, rest = data;
//   base64.channel.k8s.io, v4.base64.channel.k8s.io:
//       text messages, first char = '0' + channel, rest = base64(data);
//   v5.channel.k8s.io adds the close signal: the message {255, channel}
//       half-closes that channel.
// The v4 names differ from the older ones only in what the exec error
// channel carries (a v4 Status JSON), which is the caller's business.
// ChannelConnection turns the connection into one io::ByteStream per channel.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/io/byte_stream.h"
#include "cri/streaming/websocket/ws_connection.h"

namespace cri_dockerd::streaming::websocket {

enum class ChannelProtocol {
  kChannel,  // "" or channel.k8s.io
  kBase64Channel,
  kV4Channel,
  kV4Base64Channel,
  kV5Channel,
};

inline constexpr absl::string_view kChannelProtocolName = "channel.k8s.io";
inline constexpr absl::string_view kBase64ChannelProtocolName =
    "base64.channel.k8s.io";
inline constexpr absl::string_view kV4ChannelProtocolName = "v4.channel.k8s.io";
inline constexpr absl::string_view kV4Base64ChannelProtocolName =
    "v4.base64.channel.k8s.io";
inline constexpr absl::string_view kV5ChannelProtocolName = "v5.channel.k8s.io";

// The first byte of a v5 close signal message.
inline constexpr unsigned char kStreamCloseSignal = 255;

// Maps a negotiated subprotocol name ("" included) to its framing;
// InvalidArgument for anything else.
absl::StatusOr<ChannelProtocol> ParseChannelProtocol(absl::string_view name);

bool IsBase64Protocol(ChannelProtocol protocol);
bool IsV4OrLater(ChannelProtocol protocol);

// Subprotocols our server accepts, for SelectSubprotocol. Exec/attach:
// what kubelet accepts ("", channel, base64, v4, v4.base64) plus v5.
// Port-forward: what kubelet's port-forward accepts ("", v4, v4.base64).
const std::vector<std::string>& ExecAttachSubprotocols();
const std::vector<std::string>& PortForwardSubprotocols();

struct ChannelOptions {
  // Incoming bytes buffered per channel before the reader stops taking
  // messages off the socket (backpressure on every channel). A channel
  // nobody reads should be Reset() so its input is dropped instead.
  size_t max_buffered_bytes = size_t{1} << 20;
  // Writes are split into messages of at most this many data bytes.
  size_t max_write_chunk = 32 * 1024;
  // How long Close() waits for the peer's close frame before cutting the
  // socket.
  absl::Duration close_timeout = absl::Seconds(2);
};

class ChannelConnection {
 public:
  // Starts the reader thread on `conn` (whose handshake selected
  // `protocol`). `num_channels` must be in [1, 255]. ResourceExhausted if
  // the thread cannot be created (`conn` is then shut down and dropped).
  static absl::StatusOr<std::unique_ptr<ChannelConnection>> Create(
      std::unique_ptr<Connection> conn, ChannelProtocol protocol,
      int num_channels, ChannelOptions options = {});
  // Calls Close().
  ~ChannelConnection();
  ChannelConnection(const ChannelConnection&) = delete;
  ChannelConnection& operator=(const ChannelConnection&) = delete;

  // Channel `i` in [0, num_channels()), owned by this object. Per the
  // io::ByteStream contract: Read returns 0 after the peer's v5 close signal
  // for the channel or after a clean WebSocket close, Unavailable if the
  // connection failed; Write with empty data sends a message holding only
  // the channel prefix (kubelet's "connection ready" notice); CloseWrite
  // sends the close signal on v5 and only stops further writes otherwise
  // (note client-go logs "Unknown stream" for a close signal it receives);
  // Reset drops buffered and future input and fails later calls, without
  // telling the peer.
  io::ByteStream* channel(int i);
  int num_channels() const { return static_cast<int>(channels_.size()); }
  ChannelProtocol protocol() const { return protocol_; }

  // Blocks until the reader has stopped, or `timeout` passed (then returns
  // DeadlineExceeded). Returns OK after a clean close, else why it ended.
  absl::Status Wait(absl::Duration timeout = absl::InfiniteDuration());

  // Sends close 1000, waits up to options.close_timeout for the peer's
  // answer, shuts the socket down and joins the reader. Idempotent.
  void Close();

 private:
  class Channel;
  struct ChannelState {
    std::string buf;
    size_t pos = 0;
    bool eof = false;  // the peer closed this channel (v5)
    bool reset = false;
    bool write_closed = false;
    size_t buffered() const { return buf.size() - pos; }
  };

  ChannelConnection(std::unique_ptr<Connection> conn, ChannelProtocol protocol,
                    int num_channels, ChannelOptions options);
  void ReaderLoop();
  // Handles one incoming message; an error ends the connection.
  absl::Status Dispatch(std::string& message);
  void Deliver(int channel, std::string data);

  absl::StatusOr<size_t> Read(int channel, char* buf, size_t len);
  absl::Status Write(int channel, absl::string_view data);
  absl::Status CloseWrite(int channel);
  void Reset(int channel);

  // Constant after construction.
  const std::unique_ptr<Connection> conn_;
  const ChannelProtocol protocol_;
  const ChannelOptions options_;
  std::vector<std::unique_ptr<Channel>> channels_;
  std::thread reader_;

  absl::Mutex mu_;
  absl::CondVar cv_;  // any change below
  std::vector<ChannelState> state_ ABSL_GUARDED_BY(mu_);
  bool reader_done_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status end_status_ ABSL_GUARDED_BY(mu_);  // set with reader_done_
  bool closing_ ABSL_GUARDED_BY(mu_) = false;

  absl::Mutex close_mu_;  // serializes Close()
  bool closed_ ABSL_GUARDED_BY(close_mu_) = false;
};

}  // namespace cri_dockerd::streaming::websocket
