#!/bin/bash
# install_deps.sh: install from Debian's apt mirrors every package that building
# the project and running its test lab need. Does nothing (and never touches the
# network) when all of them are already installed. Run as root on Debian 12.
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config clang-format
  file # cpack -G DEB: dpkg-shlibdeps scans the binary with it
  clang libclang-rt-14-dev # libFuzzer + ASan for tests/fuzz
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev nlohmann-json3-dev libcurl4-openssl-dev
  libssl-dev # SHA-1 for the WebSocket handshake
  zlib1g-dev # SPDY header compression
  libgtest-dev libgmock-dev
  # the lab: engine, registries, networking, socket activation, tools
  docker.io containerd runc docker-registry containernetworking-plugins
  iproute2 iptables openssl systemd curl socat util-linux shellcheck
  apache2-utils # htpasswd (bcrypt) for the password-protected registry
  debootstrap # the node tier's Debian 12 root filesystem (node_rootfs.sh)
)
# Debian's dynamic busybox is the root filesystem of the test images. It
# conflicts with busybox-static; if that one is installed, lab_up.sh fetches the
# dynamic package with `apt-get download` instead of replacing it here.
if ! dpkg-query -W -f '${db:Status-Abbrev}' busybox-static 2>/dev/null | grep -q '^ii'; then
  packages+=(busybox)
fi

if ((EUID != 0)); then
  echo "install_deps.sh: must run as root" >&2
  exit 1
fi

mapfile -t installed < <(dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' "${packages[@]}" 2>/dev/null |
  awk '$1 == "ii" { print $2 }')
declare -A have=()
for p in "${installed[@]}"; do have[$p]=1; done
missing=()
for p in "${packages[@]}"; do
  [[ -n ${have[$p]:-} ]] || missing+=("$p")
done
((${#missing[@]})) || exit 0

echo "install_deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1

# Keep package scripts from starting daemons (dockerd, docker-registry): the
# lab starts its own with the settings it needs. Standard Debian mechanism.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\n# temporary, from tests/harness/install_deps.sh\nexit 101\n' >"$policy"
  chmod 0755 "$policy"
  own_policy=1
fi
log=$(mktemp /tmp/install_deps.XXXXXX.log)
cleanup() {
  if ((own_policy)); then rm -f "$policy"; fi
  rm -f "$log"
}
trap cleanup EXIT

if ! { apt-get update -qq &&
  apt-get install -y -qq --no-install-recommends -o Dpkg::Use-Pty=0 "${missing[@]}"; } >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  echo "install_deps.sh: apt-get failed" >&2
  exit 1
fi
