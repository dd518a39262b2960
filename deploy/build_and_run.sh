#!/bin/bash
# build_and_run.sh: on a fresh Debian 12 machine (as root), install the build
# dependencies and Docker Engine, make sure dockerd is running, build
# cri-dockerd and run it in the foreground on its default socket,
# unix:///var/run/cri-dockerd.sock. Extra arguments go to cri-dockerd.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
if ((EUID != 0)); then
  echo "build_and_run.sh: must run as root" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
need=(build-essential cmake pkg-config libgrpc++-dev protobuf-compiler-grpc
  libprotobuf-dev protobuf-compiler libabsl-dev nlohmann-json3-dev
  libcurl4-openssl-dev libsystemd-dev libgtest-dev libgmock-dev docker.io
  containernetworking-plugins)
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f '${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing+=("$p")
done
if ((${#missing[@]})); then
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# dockerd: systemd starts it where systemd runs; otherwise start it here.
if ! docker info >/dev/null 2>&1; then
  if [[ -d /run/systemd/system ]]; then
    systemctl enable --now docker.service
  else
    (setsid dockerd >/var/log/dockerd.log 2>&1 &)
  fi
  for _ in $(seq 120); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || { echo "dockerd did not start; see /var/log/dockerd.log" >&2; exit 1; }
fi

cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=Release -DCRID_BUILD_TESTS=OFF >/dev/null
cmake --build "$top/build" -j 2 --target cri-dockerd
# Debian puts the CNI plugins in /usr/lib/cni; /opt/cni/bin is the default.
exec "$top/build/cmd/cri-dockerd/cri-dockerd" --cni-bin-dir /opt/cni/bin,/usr/lib/cni "$@"
