#include "tests/integration/stream_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/notification.h"
#include "cri/streaming/http_request.h"
#include "cri/streaming/spdy/spdy_session.h"
#include "cri/streaming/websocket/ws_channels.h"
#include "cri/streaming/websocket/ws_handshake.h"

namespace cri_dockerd::testing_support {
namespace {

// Runs `expire` on its own thread at `deadline` unless destroyed first;
// the sessions below close their connection with it, which ends every
// blocked read.
class Watchdog {
 public:
  Watchdog(absl::Time deadline, std::function<void()> expire)
      : thread_([this, deadline, expire = std::move(expire)] {
          if (!done_.WaitForNotificationWithDeadline(deadline)) expire();
        }) {}
  ~Watchdog() {
    done_.Notify();
    thread_.join();
  }

 private:
  absl::Notification done_;
  std::thread thread_;
};

// Reads a stream to EOF (or error) into *out.
absl::Status Drain(io::ByteStream* s, std::string* out) {
  char buf[16384];
  while (true) {
    absl::StatusOr<size_t> n = s->Read(buf, sizeof(buf));
    if (!n.ok()) return n.status();
    if (*n == 0) return absl::OkStatus();
    out->append(buf, *n);
  }
}

}  // namespace

std::string UpgradeReply::Header(const std::string& name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return v;
  }
  return "";
}

absl::StatusOr<int> DialUrl(const std::string& url, std::string* path) {
  absl::string_view rest = url;
  if (!absl::ConsumePrefix(&rest, "http://")) {
    return absl::InvalidArgumentError(absl::StrCat("not an http URL: ", url));
  }
  size_t slash = rest.find('/');
  absl::string_view hostport = rest.substr(0, slash);
  *path =
      slash == absl::string_view::npos ? "/" : std::string(rest.substr(slash));
  size_t colon = hostport.rfind(':');
  std::string host(hostport.substr(0, colon));
  int port = 0;
  if (colon == absl::string_view::npos ||
      !absl::SimpleAtoi(hostport.substr(colon + 1), &port)) {
    return absl::InvalidArgumentError(absl::StrCat("no port in ", url));
  }
  host = std::string(absl::StripPrefix(absl::StripSuffix(host, "]"), "["));
  sockaddr_storage ss{};
  socklen_t len;
  int family;
  if (inet_pton(AF_INET, host.c_str(),
                &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr) == 1) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = family = AF_INET;
    a->sin_port = htons(static_cast<uint16_t>(port));
    len = sizeof(*a);
  } else if (inet_pton(AF_INET6, host.c_str(),
                       &reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr) == 1) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = family = AF_INET6;
    a->sin6_port = htons(static_cast<uint16_t>(port));
    len = sizeof(*a);
  } else {
    return absl::InvalidArgumentError(absl::StrCat("bad host in ", url));
  }
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError("socket");
  if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    close(fd);
    return absl::UnavailableError(
        absl::StrCat("connect ", url, ": ", strerror(errno)));
  }
  return fd;
}

absl::StatusOr<UpgradeReply> Upgrade(const std::string& url,
                                     const std::string& method,
                                     const std::vector<std::string>& headers) {
  std::string path;
  absl::StatusOr<int> fd = DialUrl(url, &path);
  if (!fd.ok()) return fd.status();
  std::string req =
      absl::StrCat(method, " ", path, " HTTP/1.1\r\nHost: localhost\r\n");
  for (const std::string& h : headers) absl::StrAppend(&req, h, "\r\n");
  req += "\r\n";
  UpgradeReply reply;
  if (!streaming::SendAllTo(*fd, req)) {
    close(*fd);
    return absl::UnavailableError("send");
  }
  std::string buf;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  size_t end = 0;
  char chunk[4096];
  while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
    pollfd p{*fd, POLLIN, 0};
    if (absl::Now() > deadline || poll(&p, 1, 100) < 0) {
      close(*fd);
      return absl::DeadlineExceededError("no reply head");
    }
    if (!(p.revents & (POLLIN | POLLHUP | POLLERR))) continue;
    ssize_t n = recv(*fd, chunk, sizeof(chunk), 0);
    if (n <= 0) {
      close(*fd);
      return absl::UnavailableError(
          absl::StrCat("connection closed before a reply; got: ", buf));
    }
    buf.append(chunk, static_cast<size_t>(n));
  }
  std::vector<std::string> lines = absl::StrSplit(buf.substr(0, end), "\r\n");
  std::vector<std::string> status_line = absl::StrSplit(lines[0], ' ');
  if (status_line.size() < 2 ||
      !absl::SimpleAtoi(status_line[1], &reply.status)) {
    close(*fd);
    return absl::InternalError(absl::StrCat("bad status line: ", lines[0]));
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    size_t colon = lines[i].find(':');
    if (colon == std::string::npos) continue;
    reply.headers.emplace_back(
        absl::AsciiStrToLower(lines[i].substr(0, colon)),
        std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1))));
  }
  std::string rest = buf.substr(end + 4);
  if (reply.status == 101) {
    reply.extra = std::move(rest);
    reply.fd = *fd;
    return reply;
  }
  reply.body = std::move(rest);
  while (reply.body.size() < 65536) {
    pollfd p{*fd, POLLIN, 0};
    if (absl::Now() > deadline || poll(&p, 1, 100) < 0) break;
    if (!(p.revents & (POLLIN | POLLHUP | POLLERR))) continue;
    ssize_t n = recv(*fd, chunk, sizeof(chunk), 0);
    if (n <= 0) break;
    reply.body.append(chunk, static_cast<size_t>(n));
  }
  close(*fd);
  return reply;
}

absl::StatusOr<ExecResult> RunSpdyExec(const std::string& url,
                                       const ExecOptions& options) {
  absl::StatusOr<UpgradeReply> up =
      Upgrade(url, "POST",
              {"Connection: Upgrade", "Upgrade: SPDY/3.1",
               absl::StrCat("X-Stream-Protocol-Version: ", options.protocol)});
  if (!up.ok()) return up.status();
  if (up->status != 101) {
    return absl::FailedPreconditionError(
        absl::StrCat("upgrade refused: ", up->status, " ", up->body));
  }
  streaming::spdy::Session session(up->fd, streaming::spdy::Role::kClient,
                                   up->extra);
  if (absl::Status s = session.Start(
          [](std::shared_ptr<streaming::spdy::Stream> st) { st->Reset(); });
      !s.ok()) {
    return s;
  }
  const absl::Time deadline = absl::Now() + options.timeout;
  // Past the timeout the session is closed, which ends every read below.
  Watchdog watchdog(deadline, [&] { session.Close(); });
  auto open = [&](const char* type, bool fin)
      -> absl::StatusOr<std::shared_ptr<streaming::spdy::Stream>> {
    return session.OpenStream({{"streamtype", type}}, fin, deadline);
  };
  // client-go's order: error first, then stdin, stdout, stderr, resize.
  auto error = open("error", true);
  if (!error.ok()) return error.status();
  std::shared_ptr<streaming::spdy::Stream> in, out, err, resize;
  if (options.stdin) {
    auto s = open("stdin", false);
    if (!s.ok()) return s.status();
    in = *s;
  }
  if (options.stdout) {
    auto s = open("stdout", true);
    if (!s.ok()) return s.status();
    out = *s;
  }
  if (options.stderr && !options.tty) {
    auto s = open("stderr", true);
    if (!s.ok()) return s.status();
    err = *s;
  }
  if (options.tty && options.protocol != "v2.channel.k8s.io" &&
      options.protocol != "channel.k8s.io") {
    auto s = open("resize", false);
    if (!s.ok()) return s.status();
    resize = *s;
  }
  for (const auto& [w, h] : options.sizes) {
    if (resize == nullptr) break;
    absl::Status s =
        resize->Write(absl::StrCat(R"({"Width":)", w, R"(,"Height":)", h, "}"));
    if (!s.ok()) return s;
  }
  if (in != nullptr) {
    if (!options.input.empty()) {
      absl::Status s = in->Write(options.input);
      if (!s.ok()) return s;
    }
    if (!options.keep_stdin_open) (void)in->CloseWrite();
  }
  ExecResult result;
  std::thread err_reader;
  absl::Status err_status;
  if (err != nullptr) {
    err_reader =
        std::thread([&] { err_status = Drain(err.get(), &result.stderr); });
  }
  absl::Status out_status;
  if (out != nullptr) out_status = Drain(out.get(), &result.stdout);
  if (err_reader.joinable()) err_reader.join();
  absl::Status error_status = Drain(error->get(), &result.error);
  session.Close();
  if (!out_status.ok()) return out_status;
  if (!err_status.ok()) return err_status;
  if (!error_status.ok()) return error_status;
  return result;
}

absl::StatusOr<std::string> SpdyPortForward(const std::string& url, int port,
                                            const std::string& request,
                                            std::string* error) {
  absl::StatusOr<UpgradeReply> up =
      Upgrade(url, "POST",
              {"Connection: Upgrade", "Upgrade: SPDY/3.1",
               "X-Stream-Protocol-Version: portforward.k8s.io"});
  if (!up.ok()) return up.status();
  if (up->status != 101) {
    return absl::FailedPreconditionError(
        absl::StrCat("upgrade refused: ", up->status, " ", up->body));
  }
  streaming::spdy::Session session(up->fd, streaming::spdy::Role::kClient,
                                   up->extra);
  if (absl::Status s = session.Start(
          [](std::shared_ptr<streaming::spdy::Stream> st) { st->Reset(); });
      !s.ok()) {
    return s;
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  std::string port_text = absl::StrCat(port);
  auto err = session.OpenStream(
      {{"streamtype", "error"}, {"port", port_text}, {"requestid", "0"}}, true,
      deadline);
  if (!err.ok()) return err.status();
  auto data = session.OpenStream(
      {{"streamtype", "data"}, {"port", port_text}, {"requestid", "0"}}, false,
      deadline);
  if (!data.ok()) return data.status();
  // A write fails when the server has already given up on the port
  // (nothing listens there yet): its reason is on the error stream.
  if (!request.empty()) (void)(*data)->Write(request);
  std::string reply;
  absl::Status read = Drain(data->get(), &reply);
  (void)Drain(err->get(), error);
  session.Close();
  // The server resets the data stream of a port it could not reach; the
  // error stream says why.
  if (!read.ok() && error->empty()) return read;
  return reply;
}

}  // namespace cri_dockerd::testing_support

namespace cri_dockerd::testing_support {
namespace {

struct WsSession {
  std::unique_ptr<streaming::websocket::ChannelConnection> channels;
  std::string protocol;
};

absl::StatusOr<WsSession> OpenWebSocket(const std::string& url,
                                        const std::string& protocol,
                                        int num_channels) {
  const std::string key = streaming::websocket::GenerateClientKey();
  std::vector<std::string> headers = {
      "Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 13",
      absl::StrCat("Sec-WebSocket-Key: ", key)};
  if (!protocol.empty()) {
    headers.push_back(absl::StrCat("Sec-WebSocket-Protocol: ", protocol));
  }
  absl::StatusOr<UpgradeReply> up = Upgrade(url, "GET", headers);
  if (!up.ok()) return up.status();
  if (up->status != 101) {
    return absl::FailedPreconditionError(
        absl::StrCat("upgrade refused: ", up->status, " ", up->body));
  }
  if (up->Header("sec-websocket-accept") !=
      streaming::websocket::ComputeAcceptKey(key)) {
    close(up->fd);
    return absl::InternalError("bad Sec-WebSocket-Accept");
  }
  WsSession session;
  session.protocol = up->Header("sec-websocket-protocol");
  absl::StatusOr<streaming::websocket::ChannelProtocol> framing =
      streaming::websocket::ParseChannelProtocol(session.protocol);
  if (!framing.ok()) {
    close(up->fd);
    return framing.status();
  }
  auto conn = std::make_unique<streaming::websocket::Connection>(
      up->fd, streaming::websocket::Role::kClient, up->extra);
  auto channels = streaming::websocket::ChannelConnection::Create(
      std::move(conn), *framing, num_channels);
  if (!channels.ok()) return channels.status();
  session.channels = std::move(*channels);
  return session;
}

}  // namespace

absl::StatusOr<ExecResult> RunWebSocketExec(const std::string& url,
                                            const ExecOptions& options) {
  absl::StatusOr<WsSession> ws = OpenWebSocket(url, options.protocol, 5);
  if (!ws.ok()) return ws.status();
  streaming::websocket::ChannelConnection* cc = ws->channels.get();
  Watchdog watchdog(absl::Now() + options.timeout, [cc] { cc->Close(); });
  for (const auto& [w, h] : options.sizes) {
    absl::Status s = cc->channel(4)->Write(
        absl::StrCat(R"({"Width":)", w, R"(,"Height":)", h, "}"));
    if (!s.ok()) return s;
  }
  if (options.stdin) {
    if (!options.input.empty()) {
      absl::Status s = cc->channel(0)->Write(options.input);
      if (!s.ok()) return s;
    }
    if (!options.keep_stdin_open) (void)cc->channel(0)->CloseWrite();
  }
  ExecResult result;
  absl::Status out_status, err_status, error_status;
  std::thread err([&] { err_status = Drain(cc->channel(2), &result.stderr); });
  std::thread error(
      [&] { error_status = Drain(cc->channel(3), &result.error); });
  out_status = Drain(cc->channel(1), &result.stdout);
  err.join();
  error.join();
  cc->Close();
  // A clean close ends every channel with EOF; only data matters here.
  (void)out_status;
  (void)err_status;
  (void)error_status;
  if (result.error.empty() && result.stdout.empty() && !out_status.ok()) {
    return out_status;
  }
  return result;
}

absl::StatusOr<std::string> WebSocketPortForward(const std::string& url,
                                                 const std::string& request,
                                                 std::string* error) {
  absl::StatusOr<WsSession> ws = OpenWebSocket(url, "v4.channel.k8s.io", 2);
  if (!ws.ok()) return ws.status();
  streaming::websocket::ChannelConnection* cc = ws->channels.get();
  Watchdog watchdog(absl::Now() + absl::Seconds(30), [cc] { cc->Close(); });
  // A write fails when the server has already given up on the port
  // (nothing listens there yet): its reason is on the error channel.
  if (!request.empty()) (void)cc->channel(0)->Write(request);
  std::string data;
  std::thread err([&] { (void)Drain(cc->channel(1), error); });
  (void)Drain(cc->channel(0), &data);
  err.join();
  cc->Close();
  return data;
}

}  // namespace cri_dockerd::testing_support
