#include "common/io/copy_stream.h"

#include <memory>

#include "absl/strings/string_view.h"

namespace cri_dockerd::io {

CopyResult CopyStream(ByteStream& from, ByteStream& to,
                      const CopyOptions& options) {
  CopyResult result;
  const size_t size = options.buffer_size > 0 ? options.buffer_size : 1;
  std::unique_ptr<char[]> buf(new char[size]);
  while (true) {
    absl::StatusOr<size_t> n = from.Read(buf.get(), size);
    if (!n.ok()) {
      result.read = n.status();
      to.Reset();
      return result;
    }
    if (*n == 0) {
      result.write = to.CloseWrite();
      return result;
    }
    if (absl::Status w = to.Write(absl::string_view(buf.get(), *n)); !w.ok()) {
      result.write = w;
      from.Reset();
      return result;
    }
    result.bytes += *n;
  }
}

}  // namespace cri_dockerd::io
