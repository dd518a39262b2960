#!/bin/bash
# node_up.sh: boots the node tier's node, a Debian 12 container (image from
# node_rootfs.sh) with systemd as PID 1, on the lab's dockerd, and waits
# (60 s at most) until `systemctl is-system-running` says running. Run as
# root after lab_up.sh; node_down.sh removes it again. Prints one line.
#   docker run --privileged --cgroupns=host -v /sys/fs/cgroup:/sys/fs/cgroup
#     --tmpfs /run --tmpfs /run/lock --network host  IMAGE /sbin/init
# The node is then ready for `apt-get install ./cri-dockerd_*.deb`, which
# brings Docker Engine (docker.io) into it: its own dockerd, nested in the
# node, configured here beforehand (/etc/docker/daemon.json) so that it
# stays off what the host's engines and tests use in the shared network
# namespace and cgroup tree:
#   - /var/lib/docker is $NODE_DOCKER_DATA on the host (overlay2 does not
#     work on the node's own overlay root);
#   - its bridge is $NODE_DOCKER_BRIDGE, made here with its own subnet (the
#     default, docker0, is the host engine's); no iptables rules, no
#     masquerading, ip_forward left alone;
#   - containers go under the cgroup $NODE_CGROUP_PARENT, not the host
#     engine's /docker;
#   - live-restore, so that `systemctl restart docker` keeps pods running;
#   - pods on the node's CNI bridge may talk to each other: one iptables
#     rule (node_env.sh says why), for that bridge only;
#   - the lab's CA for its TLS registry (registry.k8s.io, gcr.io), so the
#     default pause image is pulled as on a real node;
#   - the lab's runc wrapper as /usr/local/sbin/runc when the node lacks
#     CAP_SYS_RESOURCE (as lab_up.sh does on the host).
# LAB_VERBOSE=1 shows progress.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export DOCKER_HOST=unix:///var/run/docker.sock
t0=$(date +%s.%N)
lab_script=node_up
# shellcheck source=tests/harness/lab_lib.sh
. "$here/lab_lib.sh"
# shellcheck source=tests/harness/node_env.sh
. "$here/node_env.sh"

((EUID == 0)) || die "must run as root"
docker info >/dev/null 2>&1 || die "the lab's dockerd does not answer: run tests/harness/lab_up.sh"
image=$("$here/node_rootfs.sh")

# What a failed earlier run left behind.
"$here/node_down.sh" >/dev/null

ip link add "$NODE_DOCKER_BRIDGE" type bridge
ip addr add "$NODE_DOCKER_BRIDGE_ADDR" dev "$NODE_DOCKER_BRIDGE"
mkdir -p "$NODE_DOCKER_DATA"
fwd_chain=FORWARD
if iptables -S DOCKER-USER >/dev/null 2>&1; then fwd_chain=DOCKER-USER; fi
iptables -I "$fwd_chain" 1 "${NODE_FORWARD_RULE[@]}"
# The node's systemd mounts every cgroup v1 controller it finds unmounted,
# which leaves the host with hierarchies it cannot see: mount them here
# first (cgroup_mounts.sh).
"$here/cgroup_mounts.sh"
say "starting $NODE_CONTAINER from $image"
# SIGRTMIN+3 asks systemd to shut down (it ignores SIGTERM).
docker run -d --name "$NODE_CONTAINER" --label org.crid-lab.node=1 \
  --privileged --cgroupns=host -v /sys/fs/cgroup:/sys/fs/cgroup:rw \
  --tmpfs /run --tmpfs /run/lock --network host --stop-signal SIGRTMIN+3 \
  -v "$NODE_DOCKER_DATA:/var/lib/docker" "$image" /sbin/init >/dev/null

in_node() { docker exec -i "$NODE_CONTAINER" "$@"; }
running() { [[ $(in_node systemctl is-system-running 2>/dev/null) == running ]]; }
if ! wait_for 60 running; then
  state=$(in_node systemctl is-system-running 2>&1 || true)
  in_node systemctl --failed --no-pager >&2 || true
  docker logs --tail 30 "$NODE_CONTAINER" >&2 || true
  die "systemd in $NODE_CONTAINER is '$state', not running, after 60 s"
fi
pid=$(docker inspect -f '{{.State.Pid}}' "$NODE_CONTAINER")

wrapper="no runc wrapper"
capeff=$(sed -n 's/^CapEff:[[:space:]]*//p' "/proc/$pid/status")
if ((((16#$capeff >> 24) & 1) == 0)); then
  in_node sh -c 'mkdir -p /usr/local/sbin && cat >/usr/local/sbin/runc && chmod 0755 /usr/local/sbin/runc' \
    <"$here/runc-wrapper"
  wrapper="runc wrapper (no CAP_SYS_RESOURCE)"
fi
in_node sh -c 'mkdir -p /etc/docker && cat >/etc/docker/daemon.json' <<EOF
{
  "bridge": "$NODE_DOCKER_BRIDGE",
  "iptables": false,
  "ip6tables": false,
  "ip-masq": false,
  "ip-forward": false,
  "cgroup-parent": "$NODE_CGROUP_PARENT",
  "live-restore": true
}
EOF
# shellcheck source=tests/harness/lab_env.sh disable=SC1091
. "$here/lab_env.sh"
for h in $LAB_TLS_REGISTRY_HOSTS; do
  in_node sh -c "mkdir -p /etc/docker/certs.d/$h && cat >/etc/docker/certs.d/$h/ca.crt" \
    <"$LAB_DIR/registry/pki/ca.crt"
done

echo "node $NODE_CONTAINER up in $(elapsed)s: systemd running, pid $pid, $image, $wrapper"
