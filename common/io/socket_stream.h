// A ByteStream over a connected stream socket: the docker connection an
// interactive exec or attach hijacked, or a port-forward's connection
// into a pod. CloseWrite() is shutdown(SHUT_WR); Reset() is
// shutdown(SHUT_RDWR), which the peer sees as the end of both directions.
#pragma once

#include <memory>
#include <string>

#include "common/io/byte_stream.h"

namespace cri_dockerd::io {

// Takes over `fd` (closed with the stream), which must be a connected
// stream socket in blocking mode. `already_read` holds stream bytes read
// before (e.g. along with an HTTP reply head); Read() hands them out
// first. `peer` names the other end in error messages ("the Docker
// daemon"). Beyond the ByteStream contract: Write() fails with
// FailedPrecondition after CloseWrite(), and the socket closes only when
// the object is destroyed (no method may still be running then).
std::unique_ptr<ByteStream> MakeSocketStream(int fd, std::string already_read,
                                             std::string peer);

}  // namespace cri_dockerd::io
