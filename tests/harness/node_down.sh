#!/bin/bash
# node_down.sh: removes the node node_up.sh booted and everything it left on
# the host: the container (shut down through systemd first, 60 s at most),
# the node dockerd's data directory, the bridges and veths of the node's
# dockerd and pods, the iptables rule for the pods' bridge, and the cgroups
# of the node's containers. Safe to run
# when there is no node. Prints what it removed; exits 1 if something
# could not be removed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export DOCKER_HOST=unix:///var/run/docker.sock
t0=$(date +%s.%N)
lab_script=node_down
# shellcheck source=tests/harness/lab_lib.sh
. "$here/lab_lib.sh"
# shellcheck source=tests/harness/node_env.sh
. "$here/node_env.sh"

((EUID == 0)) || die "must run as root"
removed=()
if docker container inspect "$NODE_CONTAINER" >/dev/null 2>&1; then
  # systemd stops the node's services (the container's stop signal is
  # SIGRTMIN+3); its processes, nested containers included, end with it.
  docker stop -t 60 "$NODE_CONTAINER" >/dev/null 2>&1 || true
  docker rm -f "$NODE_CONTAINER" >/dev/null
  removed+=("container $NODE_CONTAINER")
fi
if [[ -e $NODE_DOCKER_DATA ]]; then
  rm -rf "$NODE_DOCKER_DATA"
  removed+=("$NODE_DOCKER_DATA")
fi
for br in "$NODE_CNI_BRIDGE" "$NODE_DOCKER_BRIDGE"; do
  ip link show "$br" >/dev/null 2>&1 || continue
  for veth in $(ip -o link show master "$br" | awk -F': ' '{ print $2 }' | cut -d@ -f1); do
    ip link del "$veth" 2>/dev/null || true
    removed+=("veth $veth")
  done
  ip link del "$br"
  removed+=("bridge $br")
done
for chain in DOCKER-USER FORWARD; do
  while iptables -D "$chain" "${NODE_FORWARD_RULE[@]}" 2>/dev/null; do
    removed+=("iptables rule in $chain")
  done
done
for cg in /sys/fs/cgroup/*/"$NODE_CGROUP_PARENT"; do
  [[ -d $cg ]] || continue
  find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true
  removed+=("$cg")
done

left=()
if docker container inspect "$NODE_CONTAINER" >/dev/null 2>&1; then left+=("container"); fi
[[ ! -e $NODE_DOCKER_DATA ]] || left+=("$NODE_DOCKER_DATA")
for br in "$NODE_CNI_BRIDGE" "$NODE_DOCKER_BRIDGE"; do
  if ip link show "$br" >/dev/null 2>&1; then left+=("bridge $br"); fi
done
for chain in DOCKER-USER FORWARD; do
  if iptables -C "$chain" "${NODE_FORWARD_RULE[@]}" 2>/dev/null; then left+=("iptables rule in $chain"); fi
done
for cg in /sys/fs/cgroup/*/"$NODE_CGROUP_PARENT"; do
  [[ ! -d $cg ]] || left+=("$cg")
done
((${#left[@]} == 0)) || die "could not remove: ${left[*]}"
if ((${#removed[@]})); then
  echo "node_down in $(elapsed)s: removed ${removed[*]}"
else
  echo "node_down: no node"
fi
