// A container's CRI ImageSpec kept in docker labels. kubelet (1.30+)
// creates containers from the image ID and names what the pod asked for in
// user_specified_image; ContainerStatus and ListContainers give the spec
// back with that name, its annotations and runtime handler. Docker keeps
// none of these, so CreateContainer stores them as the shim's own labels:
//   io.kubernetes.docker.image.user-specified     = user_specified_image
//   io.kubernetes.docker.image.runtime-handler    = runtime_handler
//   io.kubernetes.docker.image.annotation.<key>   = annotations[key]
#pragma once

#include <map>
#include <string>

#include "proto/cri_api.h"

namespace cri_dockerd {

namespace v1 = ::runtime::v1;

// Adds the labels for `spec` (none for empty fields).
void SetImageSpecLabels(const v1::ImageSpec& spec,
                        std::map<std::string, std::string>* labels);

// Fills user_specified_image, runtime_handler and annotations of `spec`
// from docker labels made by SetImageSpecLabels; spec.image is the
// caller's.
void FillImageSpecFromLabels(const std::map<std::string, std::string>& labels,
                             v1::ImageSpec* spec);

}  // namespace cri_dockerd
