#include "cri/streaming/websocket/ws_channels.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/thread.h"

namespace cri_dockerd::streaming::websocket {

class ChannelConnection::Channel : public io::ByteStream {
 public:
  Channel(ChannelConnection* owner, int index) : owner_(owner), index_(index) {}
  absl::StatusOr<size_t> Read(char* buf, size_t len) override {
    return owner_->Read(index_, buf, len);
  }
  absl::Status Write(absl::string_view data) override {
    return owner_->Write(index_, data);
  }
  absl::Status CloseWrite() override { return owner_->CloseWrite(index_); }
  void Reset() override { owner_->Reset(index_); }

 private:
  ChannelConnection* const owner_;
  const int index_;
};

absl::StatusOr<ChannelProtocol> ParseChannelProtocol(absl::string_view name) {
  if (name.empty() || name == kChannelProtocolName) {
    return ChannelProtocol::kChannel;
  }
  if (name == kBase64ChannelProtocolName) {
    return ChannelProtocol::kBase64Channel;
  }
  if (name == kV4ChannelProtocolName) return ChannelProtocol::kV4Channel;
  if (name == kV4Base64ChannelProtocolName) {
    return ChannelProtocol::kV4Base64Channel;
  }
  if (name == kV5ChannelProtocolName) return ChannelProtocol::kV5Channel;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown channel protocol \"", name, "\""));
}

bool IsBase64Protocol(ChannelProtocol protocol) {
  return protocol == ChannelProtocol::kBase64Channel ||
         protocol == ChannelProtocol::kV4Base64Channel;
}

bool IsV4OrLater(ChannelProtocol protocol) {
  return protocol == ChannelProtocol::kV4Channel ||
         protocol == ChannelProtocol::kV4Base64Channel ||
         protocol == ChannelProtocol::kV5Channel;
}

const std::vector<std::string>& ExecAttachSubprotocols() {
  static const auto* const kList =
      new std::vector<std::string>{std::string(kV5ChannelProtocolName),
                                   std::string(kV4ChannelProtocolName),
                                   std::string(kV4Base64ChannelProtocolName),
                                   std::string(kChannelProtocolName),
                                   std::string(kBase64ChannelProtocolName),
                                   std::string()};
  return *kList;
}

const std::vector<std::string>& PortForwardSubprotocols() {
  static const auto* const kList = new std::vector<std::string>{
      std::string(kV4ChannelProtocolName),
      std::string(kV4Base64ChannelProtocolName), std::string()};
  return *kList;
}

absl::StatusOr<std::unique_ptr<ChannelConnection>> ChannelConnection::Create(
    std::unique_ptr<Connection> conn, ChannelProtocol protocol,
    int num_channels, ChannelOptions options) {
  if (num_channels < 1 || num_channels > 255) {
    return absl::InvalidArgumentError(
        absl::StrCat("channel count ", num_channels, " not in [1, 255]"));
  }
  if (conn == nullptr || options.max_write_chunk == 0 ||
      options.max_buffered_bytes == 0) {
    return absl::InvalidArgumentError("bad channel connection arguments");
  }
  std::unique_ptr<ChannelConnection> channels(
      new ChannelConnection(std::move(conn), protocol, num_channels, options));
  absl::StatusOr<std::thread> reader =
      StartThread("ws-reader", [c = channels.get()] { c->ReaderLoop(); });
  if (!reader.ok()) {
    channels->conn_->Shutdown();
    absl::MutexLock lock(&channels->mu_);
    channels->reader_done_ = true;
    channels->end_status_ = reader.status();
    return reader.status();
  }
  channels->reader_ = *std::move(reader);
  return channels;
}

ChannelConnection::ChannelConnection(std::unique_ptr<Connection> conn,
                                     ChannelProtocol protocol, int num_channels,
                                     ChannelOptions options)
    : conn_(std::move(conn)),
      protocol_(protocol),
      options_(options),
      state_(static_cast<size_t>(num_channels)) {
  for (int i = 0; i < num_channels; ++i) {
    channels_.push_back(std::make_unique<Channel>(this, i));
  }
}

ChannelConnection::~ChannelConnection() { Close(); }

io::ByteStream* ChannelConnection::channel(int i) {
  if (i < 0 || i >= num_channels()) return nullptr;
  return channels_[static_cast<size_t>(i)].get();
}

void ChannelConnection::ReaderLoop() {
  absl::Status end;
  for (;;) {
    absl::StatusOr<Message> message = conn_->ReadMessage();
    if (!message.ok()) {
      // A clean closing handshake ends every channel with EOF.
      end = absl::IsOutOfRange(message.status()) ? absl::OkStatus()
                                                 : message.status();
      break;
    }
    absl::Status s = Dispatch(message->data);
    if (!s.ok()) {
      LOG(WARNING) << s.message();
      conn_->Close(kCloseProtocolError, s.message()).IgnoreError();
      conn_->Shutdown();
      end = s;
      break;
    }
  }
  absl::MutexLock lock(&mu_);
  reader_done_ = true;
  end_status_ = end;
  cv_.SignalAll();
}

absl::Status ChannelConnection::Dispatch(std::string& message) {
  if (message.empty()) return absl::OkStatus();
  const auto first = static_cast<unsigned char>(message[0]);
  if (protocol_ == ChannelProtocol::kV5Channel && first == kStreamCloseSignal) {
    if (message.size() != 2) {
      return absl::InvalidArgumentError(
          "close signal must carry exactly one channel byte");
    }
    const auto target = static_cast<unsigned char>(message[1]);
    if (target >= channels_.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("close signal for unknown channel ", target));
    }
    absl::MutexLock lock(&mu_);
    state_[target].eof = true;
    cv_.SignalAll();
    return absl::OkStatus();
  }
  // wsstream computes the channel as a byte, so '0' - 1 wraps to 255.
  unsigned char channel = first;
  if (IsBase64Protocol(protocol_)) {
    channel = static_cast<unsigned char>(first - '0');
  }
  if (channel >= channels_.size()) {
    LOG(DEBUG) << "websocket message for unknown channel "
               << static_cast<int>(channel) << " ignored";
    return absl::OkStatus();
  }
  std::string data;
  if (IsBase64Protocol(protocol_)) {
    if (!absl::Base64Unescape(absl::string_view(message).substr(1), &data)) {
      LOG(WARNING) << "websocket channel " << static_cast<int>(channel)
                   << ": invalid base64 message ignored";
      return absl::OkStatus();
    }
  } else {
    message.erase(0, 1);
    data = std::move(message);
  }
  if (!data.empty()) Deliver(channel, std::move(data));
  return absl::OkStatus();
}

void ChannelConnection::Deliver(int channel, std::string data) {
  absl::MutexLock lock(&mu_);
  ChannelState& st = state_[static_cast<size_t>(channel)];
  while (!st.reset && !st.eof && !closing_ &&
         st.buffered() >= options_.max_buffered_bytes) {
    cv_.Wait(&mu_);
  }
  if (st.reset || st.eof || closing_) return;  // nobody will read it
  if (st.pos > 0 && st.pos >= st.buf.size() / 2) {
    st.buf.erase(0, st.pos);
    st.pos = 0;
  }
  st.buf += data;
  cv_.SignalAll();
}

absl::StatusOr<size_t> ChannelConnection::Read(int channel, char* buf,
                                               size_t len) {
  absl::MutexLock lock(&mu_);
  ChannelState& st = state_[static_cast<size_t>(channel)];
  while (!st.reset && st.buffered() == 0 && !st.eof && !reader_done_) {
    cv_.Wait(&mu_);
  }
  if (st.reset) return absl::CancelledError("websocket channel was reset");
  if (st.buffered() > 0) {
    size_t n = std::min(len, st.buffered());
    std::memcpy(buf, st.buf.data() + st.pos, n);
    st.pos += n;
    if (st.pos == st.buf.size()) {
      st.buf.clear();
      st.pos = 0;
    }
    cv_.SignalAll();  // room for the reader thread
    return n;
  }
  if (st.eof || end_status_.ok()) return 0;
  return absl::UnavailableError(
      absl::StrCat("websocket connection lost: ", end_status_.message()));
}

absl::Status ChannelConnection::Write(int channel, absl::string_view data) {
  {
    absl::MutexLock lock(&mu_);
    const ChannelState& st = state_[static_cast<size_t>(channel)];
    if (st.reset) return absl::CancelledError("websocket channel was reset");
    if (st.write_closed) {
      return absl::FailedPreconditionError("websocket channel write-closed");
    }
    if (reader_done_ || closing_) {
      return absl::UnavailableError("websocket connection closed");
    }
  }
  const bool base64 = IsBase64Protocol(protocol_);
  const MessageType type = base64 ? MessageType::kText : MessageType::kBinary;
  const char prefix =
      static_cast<char>(base64 ? '0' + channel : channel);  // wraps like Go
  do {
    absl::string_view chunk = data.substr(0, options_.max_write_chunk);
    data.remove_prefix(chunk.size());
    std::string message(1, prefix);
    if (base64) {
      message += absl::Base64Escape(chunk);
    } else {
      message.append(chunk.data(), chunk.size());
    }
    absl::Status s = conn_->WriteMessage(type, message);
    if (!s.ok()) {
      return absl::UnavailableError(
          absl::StrCat("websocket write failed: ", s.message()));
    }
  } while (!data.empty());
  return absl::OkStatus();
}

absl::Status ChannelConnection::CloseWrite(int channel) {
  {
    absl::MutexLock lock(&mu_);
    ChannelState& st = state_[static_cast<size_t>(channel)];
    if (st.write_closed) return absl::OkStatus();
    st.write_closed = true;
    if (st.reset) return absl::CancelledError("websocket channel was reset");
  }
  if (protocol_ != ChannelProtocol::kV5Channel) return absl::OkStatus();
  const char signal[2] = {static_cast<char>(kStreamCloseSignal),
                          static_cast<char>(channel)};
  absl::Status s =
      conn_->WriteMessage(MessageType::kBinary, absl::string_view(signal, 2));
  if (!s.ok()) {
    return absl::UnavailableError(
        absl::StrCat("websocket close signal failed: ", s.message()));
  }
  return absl::OkStatus();
}

void ChannelConnection::Reset(int channel) {
  absl::MutexLock lock(&mu_);
  ChannelState& st = state_[static_cast<size_t>(channel)];
  st.reset = true;
  st.buf.clear();
  st.pos = 0;
  cv_.SignalAll();
}

absl::Status ChannelConnection::Wait(absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  absl::MutexLock lock(&mu_);
  while (!reader_done_) {
    if (cv_.WaitWithDeadline(&mu_, deadline) && !reader_done_) {
      return absl::DeadlineExceededError("websocket connection still open");
    }
  }
  return end_status_;
}

void ChannelConnection::Close() {
  absl::MutexLock close_lock(&close_mu_);
  if (closed_) return;
  closed_ = true;
  {
    absl::MutexLock lock(&mu_);
    closing_ = true;
    cv_.SignalAll();
  }
  conn_->Close(kCloseNormal, "").IgnoreError();
  {
    absl::Time deadline = absl::Now() + options_.close_timeout;
    absl::MutexLock lock(&mu_);
    while (!reader_done_ && !cv_.WaitWithDeadline(&mu_, deadline)) {
    }
  }
  conn_->Shutdown();
  if (reader_.joinable()) reader_.join();
}

}  // namespace cri_dockerd::streaming::websocket
