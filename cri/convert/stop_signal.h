// Stop signals between CRI's enum Signal and docker's Config.StopSignal
// text. CRI spells the real-time signals SIGRTMINPLUS1 and SIGRTMAXMINUS3;
// docker (moby's ParseSignal) takes "SIGRTMIN+1" and "SIGRTMAX-3", plain
// names with or without "SIG" in any case, and signal numbers.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/cri_api.h"

namespace cri_dockerd {

namespace v1 = ::runtime::v1;

// docker's spelling of `signal`: "" for RUNTIME_DEFAULT (docker then uses
// the image's STOPSIGNAL, else SIGTERM), else "SIG<NAME>" with the
// real-time ones as "SIGRTMIN+n" / "SIGRTMAX-n".
// Errors: InvalidArgument for a value the enum does not define (an open
// proto3 enum can carry one).
absl::StatusOr<std::string> DockerStopSignal(v1::Signal signal);

// SIGTERM: what docker stops a container with when neither it nor its
// image names a signal. (A function: <signal.h> may make a macro of the
// enum value's name.)
v1::Signal DefaultStopSignal();

// The CRI value of a stop signal as docker holds it: a name with or
// without "SIG", in any case ("SIGTERM", "term", "RTMIN+1"), or a Linux
// signal number ("9"; docker's real-time range is 34..64). RUNTIME_DEFAULT
// for "" and for what CRI has no value for.
v1::Signal CriStopSignal(absl::string_view docker);

}  // namespace cri_dockerd
