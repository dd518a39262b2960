// Killing what a timed-out exec left running, from the host's side: docker
// has no "kill exec" call and leaves an exec's process running when its
// client goes away, so ExecSync signals the process itself, by the host
// pid docker's exec inspect reports. Pids get reused (pid_max may be as
// low as 32768), so a pid is only signalled after /proc shows it is still
// one of the exec's processes. No CRI protos here.
#pragma once

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace cri_dockerd {

// The clock /proc/<pid>/stat's starttime counts from (CLOCK_BOOTTIME), now.
absl::Duration BootTimeNow();

// How to recognise an exec's processes.
struct ExecProcessIdentity {
  // The exec's process as docker reports it. runc makes it the leader of a
  // new session (setsid), so its children share its session and process
  // group id unless they leave them (daemons do).
  int pid = 0;
  // The container's init process: exec processes join its cgroups.
  int container_pid = 0;
  // BootTimeNow() taken before the exec was created: every process of the
  // exec started later.
  absl::Duration created_after;
};

// Sends SIGKILL to every process that is `id.pid` or has it as session or
// process group id, and that /proc shows as started after
// id.created_after in the same cgroups as id.container_pid. Each process
// is held by a pidfd while it is checked and signalled, so a pid reused
// meanwhile is never hit (kernels without pidfds: kill(2), with the small
// race that implies). Returns the number of processes signalled (0 when
// all are gone already). FailedPrecondition, signalling nothing, if the
// container's cgroups cannot be read (e.g. the shim runs in another pid
// namespace than docker, so the pids docker reports mean nothing here).
absl::StatusOr<int> KillExecProcesses(const ExecProcessIdentity& id);

}  // namespace cri_dockerd
