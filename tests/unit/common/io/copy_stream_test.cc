// CopyStream between in-memory streams: end-of-stream becomes the
// destination's CloseWrite, a failed read resets the destination, a
// failed write resets the source, a reset from another thread stops the
// copy (also through a two-way proxy), and a large transfer arrives whole
// through the bounded buffer.
#include "common/io/copy_stream.h"

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"

namespace cri_dockerd::io {
namespace {

// Read side fed by the test (data, end, failure), write side collected.
// Reset() fails later reads and writes with Cancelled, like a real
// stream's local reset.
class MemoryStream : public ByteStream {
 public:
  // What Write() and CloseWrite() return; set before the copy starts.
  absl::Status write_error;
  absl::Status close_error;

  void Feed(absl::string_view data) {
    absl::MutexLock l(&mu_);
    in_.append(data.data(), data.size());
  }
  void End() {
    absl::MutexLock l(&mu_);
    eof_ = true;
  }
  void FailReads(absl::Status s) {
    absl::MutexLock l(&mu_);
    read_error_ = std::move(s);
  }

  absl::StatusOr<size_t> Read(char* buf, size_t len) override {
    absl::MutexLock l(&mu_);
    max_read_ = std::max(max_read_, len);
    mu_.Await(absl::Condition(
        +[](MemoryStream* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu_) {
          return !s->in_.empty() || s->eof_ || !s->read_error_.ok() ||
                 s->resets_ > 0;
        },
        this));
    if (resets_ > 0) return absl::CancelledError("reset");
    if (!in_.empty()) {
      const size_t n = std::min(len, in_.size() - pos_);
      in_.copy(buf, n, pos_);
      pos_ += n;
      if (pos_ == in_.size()) {
        in_.clear();
        pos_ = 0;
      }
      return n;
    }
    if (!read_error_.ok()) return read_error_;
    return 0;
  }
  absl::Status Write(absl::string_view data) override {
    absl::MutexLock l(&mu_);
    if (resets_ > 0) return absl::CancelledError("reset");
    if (!write_error.ok()) return write_error;
    out_.append(data.data(), data.size());
    return absl::OkStatus();
  }
  absl::Status CloseWrite() override {
    absl::MutexLock l(&mu_);
    ++closes_;
    return close_error;
  }
  void Reset() override {
    absl::MutexLock l(&mu_);
    ++resets_;
  }

  std::string out() {
    absl::MutexLock l(&mu_);
    return out_;
  }
  int closes() {
    absl::MutexLock l(&mu_);
    return closes_;
  }
  int resets() {
    absl::MutexLock l(&mu_);
    return resets_;
  }
  size_t max_read() {
    absl::MutexLock l(&mu_);
    return max_read_;
  }

 private:
  absl::Mutex mu_;
  std::string in_ ABSL_GUARDED_BY(mu_);  // unread from pos_ on
  size_t pos_ ABSL_GUARDED_BY(mu_) = 0;
  bool eof_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status read_error_ ABSL_GUARDED_BY(mu_);
  std::string out_ ABSL_GUARDED_BY(mu_);
  int closes_ ABSL_GUARDED_BY(mu_) = 0;
  int resets_ ABSL_GUARDED_BY(mu_) = 0;
  size_t max_read_ ABSL_GUARDED_BY(mu_) = 0;
};

// One copy on the calling thread, from a source whose data is already
// there.
struct Case {
  const char* name;
  bool source_ends;          // else its reads fail with Unavailable
  absl::Status write_error;  // what the destination's Write returns
  absl::Status close_error;  // what its CloseWrite returns
  // Expected:
  absl::StatusCode read;
  absl::StatusCode write;
  std::string out;
  int to_closes, to_resets, from_resets;
};

TEST(CopyStreamTest, EndsAndFailures) {
  const absl::Status ok;
  const absl::Status gone = absl::UnavailableError("peer gone");
  const Case cases[] = {
      {"end of stream half-closes the destination", true, ok, ok,
       absl::StatusCode::kOk, absl::StatusCode::kOk, "data", 1, 0, 0},
      // A broken stream must not pass for a complete one.
      {"read failure resets the destination", false, ok, ok,
       absl::StatusCode::kUnavailable, absl::StatusCode::kOk, "data", 0, 1, 0},
      {"write failure resets the source", true, gone, ok, absl::StatusCode::kOk,
       absl::StatusCode::kUnavailable, "", 0, 0, 1},
      {"close failure is reported, nothing reset", true, ok, gone,
       absl::StatusCode::kOk, absl::StatusCode::kUnavailable, "data", 1, 0, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    MemoryStream from, to;
    to.write_error = c.write_error;
    to.close_error = c.close_error;
    from.Feed("da");
    from.Feed("ta");
    if (c.source_ends) {
      from.End();
    } else {
      from.FailReads(absl::UnavailableError("connection broke"));
    }
    const CopyResult r = CopyStream(from, to);
    EXPECT_EQ(r.read.code(), c.read) << r.read;
    EXPECT_EQ(r.write.code(), c.write) << r.write;
    EXPECT_EQ(r.bytes, c.out.size());
    EXPECT_EQ(to.out(), c.out);
    EXPECT_EQ(to.closes(), c.to_closes);
    EXPECT_EQ(to.resets(), c.to_resets);
    EXPECT_EQ(from.resets(), c.from_resets);
  }
}

// A Reset of the source from another thread wakes the blocked Read; the
// destination is reset in turn.
TEST(CopyStreamTest, SourceResetReachesTheDestination) {
  MemoryStream from, to;
  CopyResult r;
  std::thread copy([&] { r = CopyStream(from, to); });
  from.Feed("partial");
  from.Reset();
  copy.join();
  EXPECT_TRUE(absl::IsCancelled(r.read)) << r.read;
  EXPECT_EQ(to.resets(), 1);
  EXPECT_EQ(to.closes(), 0);
}

// A destination reset before the next write makes that write fail; the
// source is reset in turn.
TEST(CopyStreamTest, DestinationResetReachesTheSource) {
  MemoryStream from, to;
  to.Reset();
  from.Feed("more");
  const CopyResult r = CopyStream(from, to);
  EXPECT_TRUE(absl::IsCancelled(r.write)) << r.write;
  EXPECT_EQ(from.resets(), 1);
}

// Two copies make a two-way proxy between `client` and `server`: a
// failure on either side resets the other, and both copies end.
TEST(CopyStreamTest, ProxyPassesResetsBothWays) {
  for (bool client_fails : {true, false}) {
    MemoryStream client, server;
    CopyResult up, down;
    std::thread upstream([&] { up = CopyStream(client, server); });
    std::thread downstream([&] { down = CopyStream(server, client); });
    (client_fails ? client : server)
        .FailReads(absl::UnavailableError("connection broke"));
    upstream.join();
    downstream.join();
    MemoryStream& failed = client_fails ? client : server;
    MemoryStream& other = client_fails ? server : client;
    EXPECT_GE(other.resets(), 1) << "client_fails=" << client_fails;
    EXPECT_EQ(failed.closes() + other.closes(), 0);
    const CopyResult& broke = client_fails ? up : down;
    EXPECT_TRUE(absl::IsUnavailable(broke.read)) << broke.read;
  }
}

TEST(CopyStreamTest, LargeTransferArrivesWholeThroughTheBoundedBuffer) {
  std::mt19937 rng(42);
  std::string data(8 << 20, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  MemoryStream from, to;
  std::thread feeder([&] {
    std::uniform_int_distribution<size_t> piece(1, 100000);
    for (size_t pos = 0; pos < data.size();) {
      const size_t n = std::min(piece(rng), data.size() - pos);
      from.Feed(absl::string_view(data).substr(pos, n));
      pos += n;
    }
    from.End();
  });
  CopyOptions options;
  options.buffer_size = 4096;
  const CopyResult r = CopyStream(from, to, options);
  feeder.join();
  EXPECT_TRUE(r.ok()) << r.read << " / " << r.write;
  EXPECT_EQ(r.bytes, data.size());
  EXPECT_TRUE(to.out() == data) << "the copy differs from the source";
  EXPECT_LE(from.max_read(), options.buffer_size);
  EXPECT_EQ(to.closes(), 1);
}

}  // namespace
}  // namespace cri_dockerd::io
