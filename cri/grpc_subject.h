// Part of the gRPC adapter: what a CRI request is about, for its log
// line ("pod default/web", "container 3f2a...", "image busybox:1.36").
#pragma once

#include <string>

#include "google/protobuf/message.h"

namespace cri_dockerd {

// The pod, container and/or image a request names, from the fields CRI
// requests use for them (pod_sandbox_id, container_id, config.metadata,
// image.image, filter.id ...), space-separated; "" when it names none.
// Reads only those fields: never credentials, commands or environment.
std::string RequestSubject(const google::protobuf::Message& req);

}  // namespace cri_dockerd
