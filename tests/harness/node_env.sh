# shellcheck shell=bash
# node_env.sh: names of the systemd node (node_up.sh boots it, node_down.sh
# removes it) that the node tier's tests use. Source it; sets variables only.
# The node shares the host's network namespace, so every network name here
# is one no other tier uses (tests/harness/cni/ has cni0 on 10.244.0.0/24,
# the lab engines docker0 and crid-d26).

export NODE_DIR=/tmp/crid-lab/node
# The container running systemd as PID 1.
export NODE_CONTAINER=crid-node
# /var/lib/docker of the node's own dockerd: a host directory, because
# overlay2 cannot sit on the node's overlay root filesystem.
export NODE_DOCKER_DATA=$NODE_DIR/docker-data
# The node's dockerd: its default bridge (made by node_up.sh with this
# address, so dockerd picks no subnet of its own) and its cgroup parent
# (cgroupfs driver: /sys/fs/cgroup/<controller>/crid-node on the host).
export NODE_DOCKER_BRIDGE=crid-node0
export NODE_DOCKER_BRIDGE_ADDR=10.252.17.1/24
export NODE_CGROUP_PARENT=crid-node
# The pods' CNI network in the node.
export NODE_CNI_BRIDGE=crid-node-cni
export NODE_CNI_SUBNET=10.252.16.0/24
# The host's dockerd sets iptables' FORWARD policy to DROP, and with
# br_netfilter (bridge-nf-call-iptables = 1) frames between two ports of a
# bridge pass that chain too: node_up.sh accepts those of the node's CNI
# bridge, and only those, with this rule (in DOCKER-USER, docker's chain for
# the admin's rules, else FORWARD); node_down.sh deletes it.
# shellcheck disable=SC2034 # used by the scripts that source this file
NODE_FORWARD_RULE=(-i "$NODE_CNI_BRIDGE" -o "$NODE_CNI_BRIDGE" -m comment --comment crid-node -j ACCEPT)
