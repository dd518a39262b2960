// The socket ByteStream over socket pairs: bytes read before come first,
// CloseWrite is the peer's end-of-stream, Reset wakes a blocked Read with
// Cancelled, and CopyStream carries a large transfer and its half-close
// across a socket proxy.
#include "common/io/socket_stream.h"

#include <sys/socket.h>

#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/io/copy_stream.h"
#include "gtest/gtest.h"

namespace cri_dockerd::io {
namespace {

struct Pair {
  std::unique_ptr<ByteStream> a, b;
};

Pair MakePair(std::string a_already_read = "") {
  int fds[2];
  EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  return {MakeSocketStream(fds[0], std::move(a_already_read), "peer b"),
          MakeSocketStream(fds[1], "", "peer a")};
}

absl::StatusOr<std::string> ReadAll(ByteStream& s) {
  std::string out;
  char buf[1000];
  for (;;) {
    absl::StatusOr<size_t> n = s.Read(buf, sizeof(buf));
    if (!n.ok()) return n.status();
    if (*n == 0) return out;
    out.append(buf, *n);
  }
}

TEST(SocketStreamTest, AlreadyReadComesFirstAndCloseWriteEndsThePeer) {
  Pair p = MakePair("head:");
  ASSERT_TRUE(p.b->Write("body").ok());
  ASSERT_TRUE(p.b->CloseWrite().ok());
  ASSERT_TRUE(p.b->CloseWrite().ok());  // idempotent
  EXPECT_TRUE(absl::IsFailedPrecondition(p.b->Write("late")));
  EXPECT_EQ(ReadAll(*p.a).value_or("?"), "head:body");
  // Reading goes on after our own CloseWrite.
  ASSERT_TRUE(p.a->Write("back").ok());
  ASSERT_TRUE(p.a->CloseWrite().ok());
  EXPECT_EQ(ReadAll(*p.b).value_or("?"), "back");
}

TEST(SocketStreamTest, ResetWakesABlockedReadWithCancelled) {
  Pair p = MakePair();
  absl::StatusOr<size_t> got = size_t{99};
  absl::Notification reading;
  std::thread reader([&] {
    reading.Notify();
    char c;
    got = p.a->Read(&c, 1);
  });
  reading.WaitForNotification();
  absl::SleepFor(absl::Milliseconds(20));  // let it block in recv
  p.a->Reset();
  reader.join();
  EXPECT_TRUE(absl::IsCancelled(got.status())) << got.status();
  EXPECT_TRUE(absl::IsCancelled(p.a->Write("x")));
  p.a->Reset();  // idempotent
  // The peer sees both directions end.
  EXPECT_EQ(ReadAll(*p.b).value_or("?"), "");
}

// client <-> [proxy: CopyStream both ways] <-> server, over socket pairs:
// 4 MiB goes up, the client's half-close reaches the server after it, and
// the server's answer and close come back down.
TEST(SocketStreamTest, CopyStreamProxiesATransferAndItsHalfClose) {
  Pair front = MakePair();  // a: the client, b: the proxy's front
  Pair back = MakePair();   // a: the proxy's back, b: the server
  std::thread up([&] { (void)CopyStream(*front.b, *back.a); });
  std::thread down([&] { (void)CopyStream(*back.a, *front.b); });
  std::string data(4 << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  std::thread client([&] {
    ASSERT_TRUE(front.a->Write(data).ok());
    ASSERT_TRUE(front.a->CloseWrite().ok());
  });
  absl::StatusOr<std::string> got = ReadAll(*back.b);
  client.join();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(*got == data) << "received " << got->size() << " bytes";
  ASSERT_TRUE(back.b->Write("done").ok());
  ASSERT_TRUE(back.b->CloseWrite().ok());
  EXPECT_EQ(ReadAll(*front.a).value_or("?"), "done");
  up.join();
  down.join();
}

}  // namespace
}  // namespace cri_dockerd::io
