// What the running kernel offers that the daemon reports to kubelet. Each
// answer is one cheap syscall probe, asked where the daemon is assembled.
#pragma once

namespace cri_dockerd {

// mount_setattr(2) exists (Linux 5.12+): what runc needs to make a bind
// mount read-only recursively, submounts included.
bool KernelHasMountSetattr();

}  // namespace cri_dockerd
