#!/bin/bash
# cgroup_mounts.sh: on a cgroup v1 (or hybrid) host, mounts every enabled
# v1 controller hierarchy that has no mount in this mount namespace at
# /sys/fs/cgroup/<controllers>, as a systemd host has them. Idempotent.
#
# Why: a v1 hierarchy that exists without a mount here breaks containerd's
# cgroup loading ("cannot find cgroup mount destination"), and with it
# docker's OOMKilled reporting. Such a hierarchy appears when systemd in a
# privileged container with the host's cgroup namespace (the node tier)
# mounts the controllers the host left unmounted, and it outlives that
# container: a v1 hierarchy holding tasks is never destroyed. Mounting all
# of them first means nobody creates one the host cannot see.
set -euo pipefail
root=/sys/fs/cgroup
[[ -r /proc/cgroups ]] || exit 0
# Only for v1 and hybrid layouts: a tmpfs at /sys/fs/cgroup.
[[ $(stat -f -c %T "$root" 2>/dev/null) == tmpfs ]] || exit 0

# Controllers by hierarchy: "<id> <controller>" for enabled controllers.
mapfile -t rows < <(awk '!/^#/ && $4 == 1 { print $2, $1 }' /proc/cgroups)
# Controllers mounted here (any mountpoint): the super options of cgroup
# mounts name them.
mounted=" $(awk '$0 ~ / - cgroup cgroup / { print $NF }' /proc/self/mountinfo |
  tr ',' ' ' | tr '\n' ' ') "

declare -A groups=()
for row in "${rows[@]}"; do
  id=${row%% *} c=${row#* }
  [[ $mounted == *" $c "* ]] && continue
  # Hierarchy 0: not in any hierarchy yet; mounted alone.
  key=$id
  ((id == 0)) && key=0-$c
  groups[$key]+="${groups[$key]:+,}$c"
done
((${#groups[@]})) || exit 0

# The tmpfs may be read-only: open it for the mountpoints, then restore.
remounted=0
if ! touch "$root/.crid-probe" 2>/dev/null; then
  mount -o remount,rw "$root" || { echo "cgroup_mounts.sh: $root is read-only" >&2; exit 1; }
  remounted=1
else
  rm -f "$root/.crid-probe"
fi
for key in "${!groups[@]}"; do
  opts=${groups[$key]}
  mkdir -p "$root/$opts"
  if ! mountpoint -q "$root/$opts"; then
    mount -t cgroup -o "$opts" cgroup "$root/$opts"
    echo "cgroup_mounts.sh: mounted the $opts hierarchy at $root/$opts" >&2
  fi
done
if ((remounted)); then
  mount -o remount,ro "$root"
  mount -o remount,bind,rw "$root"
fi
