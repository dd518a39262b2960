#include "cri/streaming/session_io.h"

#include <deque>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "tests/poll_until.h"

namespace cri_dockerd::streaming {
namespace {

// An in-memory stream the test feeds; Read blocks until data, EOF or
// failure.
class FedStream : public io::ByteStream {
 public:
  void Feed(std::string s) {
    absl::MutexLock l(&mu_);
    data_ += s;
  }
  void End() {
    absl::MutexLock l(&mu_);
    eof_ = true;
  }
  void Fail() {
    absl::MutexLock l(&mu_);
    failed_ = true;
  }
  absl::StatusOr<size_t> Read(char* buf, size_t len) override {
    absl::MutexLock l(&mu_);
    mu_.Await(absl::Condition(
        +[](FedStream* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu_) {
          return !s->data_.empty() || s->eof_ || s->failed_;
        },
        this));
    if (failed_) return absl::UnavailableError("gone");
    size_t n = std::min(len, data_.size());
    data_.copy(buf, n);
    data_.erase(0, n);
    return n;
  }
  absl::Status Write(absl::string_view) override { return absl::OkStatus(); }
  absl::Status CloseWrite() override { return absl::OkStatus(); }
  void Reset() override { Fail(); }

 private:
  absl::Mutex mu_;
  std::string data_ ABSL_GUARDED_BY(mu_);
  bool eof_ ABSL_GUARDED_BY(mu_) = false;
  bool failed_ ABSL_GUARDED_BY(mu_) = false;
};

std::string ReadAll(io::ByteStream* s) {
  std::string out;
  char buf[7];
  while (true) {
    absl::StatusOr<size_t> n = s->Read(buf, sizeof(buf));
    if (!n.ok() || *n == 0) return out;
    out.append(buf, *n);
  }
}

TEST(InputPumpTest, PassesDataAndEof) {
  FedStream src;
  InputPump pump(&src);
  ASSERT_TRUE(pump.Start().ok());
  src.Feed("hello ");
  src.Feed("world");
  src.End();
  EXPECT_EQ(ReadAll(&pump), "hello world");
  absl::StatusOr<size_t> n = pump.Read(nullptr, 0);
  EXPECT_TRUE(n.ok() && *n == 0);
}

TEST(InputPumpTest, ResetIsLocalAndWakesAReader) {
  FedStream src;
  absl::StatusOr<size_t> got = size_t{99};
  {
    InputPump pump(&src);
    ASSERT_TRUE(pump.Start().ok());
    absl::Notification started;
    std::thread reader([&] {
      started.Notify();
      char c;
      got = pump.Read(&c, 1);
    });
    started.WaitForNotification();
    pump.Reset();
    reader.join();
    EXPECT_TRUE(absl::IsCancelled(got.status())) << got.status();
    // The source is untouched by Reset; the session ends it.
    src.Fail();
  }
}

TEST(InputPumpTest, SourceFailureIsReported) {
  FedStream src;
  InputPump pump(&src);
  ASSERT_TRUE(pump.Start().ok());
  src.Feed("ab");
  src.Fail();
  char buf[8];
  // Buffered data may or may not precede the error; the error comes.
  absl::StatusOr<size_t> n = pump.Read(buf, sizeof(buf));
  while (n.ok() && *n > 0) n = pump.Read(buf, sizeof(buf));
  EXPECT_TRUE(absl::IsUnavailable(n.status())) << n.status();
}

TEST(ResizeReaderTest, ReadsSizesAndCancels) {
  FedStream src;
  InputPump pump(&src);
  ASSERT_TRUE(pump.Start().ok());
  ResizeReader reader(&pump);
  src.Feed(R"({"Width":10,"Height":20}{"Width":30,)");
  std::optional<TerminalSize> a = reader.Next();
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->width, 10);
  // The second object is incomplete: Next() blocks until Cancel().
  std::optional<TerminalSize> b = TerminalSize{1, 1};
  std::thread t([&] { b = reader.Next(); });
  absl::SleepFor(absl::Milliseconds(50));
  reader.Cancel();
  t.join();
  EXPECT_FALSE(b.has_value());
  EXPECT_FALSE(reader.Next().has_value());
  src.Fail();
}

TEST(ClientWatchTest, CallbacksRunOnceWhenGoneAndNotAfterRemove) {
  absl::Notification gone;
  int fired = 0, removed_fired = 0;
  {
    ClientWatch watch([&] { gone.WaitForNotification(); });
    ASSERT_TRUE(watch.Start().ok());
    int removed = watch.OnGone([&] { ++removed_fired; });
    watch.OnGone([&] { ++fired; });
    watch.Remove(removed);
    EXPECT_FALSE(watch.gone());
    gone.Notify();
    EXPECT_TRUE(testing_util::PollUntil([&] { return watch.gone(); }))
        << "the watch never saw the client go";
    // Registered after the fact: runs at once.
    watch.OnGone([&] { ++fired; });
  }
  EXPECT_EQ(fired, 2);
  EXPECT_EQ(removed_fired, 0);
}

}  // namespace
}  // namespace cri_dockerd::streaming
