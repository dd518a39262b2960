#!/bin/bash
# docker26_up.sh: a second Docker Engine beside the lab's Debian 12 dockerd,
# so the integration tests can also run against today's engine: Debian 13's
# docker.io 26.1.x (API 1.45) with its containerd 1.7 and the containerd
# image store. lab_up.sh calls it after the registries are up; run as root.
# Idempotent: a second run only checks (well under a second).
#   - packages: `apt-get download` docker.io and containerd from Debian's
#     trixie suite with a private apt state (the machine's own sources, lists,
#     caches and dpkg status are never read or written), unpacked with
#     `dpkg-deb -x` into $lab/docker26/dist/<versions>/ (kept: a later run
#     reuses it without touching the network);
#   - dockerd on unix://$lab/docker26.sock with its own data root, exec root,
#     pidfile and bridge (crid-d26; --bridge=none would delete the host's
#     docker0), no iptables, its containerd first on PATH and the lab's runc
#     (the wrapper in /usr/local/sbin when lab_up.sh installed one);
#   - pause and busybox pulled through it from the lab's registries (the TLS
#     one as registry.k8s.io, trusted through /etc/docker/certs.d).
# Prints one summary line. LAB_VERBOSE=1 shows progress.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
lab=/tmp/crid-lab
d26=$lab/docker26
sock=$lab/docker26.sock
bridge=crid-d26
suite=trixie
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export DOCKER_HOST=unix://$sock
t0=$(date +%s.%N)

lab_script=docker26_up
# shellcheck source=tests/harness/lab_lib.sh
. "$here/lab_lib.sh"
ping26() { [[ $(curl -fsS -m 2 --unix-socket "$sock" http://docker/_ping) == OK ]]; }

((EUID == 0)) || die "must run as root"
mkdir -p "$d26"
# lab_up.sh holds the lab's lock on fd 9 and passes it down; alone, take it.
if ! { true >&9; } 2>/dev/null; then exec 9>>"$lab/.lock"; fi
flock 9

# --- packages -------------------------------------------------------------------
dist=$(readlink -f "$d26/dist/current" 2>/dev/null || true)
if [[ -z $dist || ! -x $dist/usr/sbin/dockerd || ! -x $dist/usr/bin/containerd ]]; then
  say "downloading docker.io and containerd from Debian $suite"
  apt=$(mktemp -d "$d26/apt.XXXXXX")
  trap 'rm -rf "$apt"' EXIT
  mkdir -p "$apt"/{sources,lists/partial,archives/partial,cache,debs}
  cat >"$apt/sources/$suite.sources" <<EOF
Types: deb
URIs: http://deb.debian.org/debian
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  opts=(-qq -o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$apt/sources"
    -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
    -o "Dir::Cache::Archives=$apt/archives" -o Dir::State::status=/dev/null
    -o APT::Sandbox::User=root)
  apt-get "${opts[@]}" update || die "apt-get update for $suite failed"
  (cd "$apt/debs" && apt-get "${opts[@]}" download docker.io containerd) ||
    die "apt-get download docker.io containerd ($suite) failed"
  ver() { dpkg-deb -f "$apt"/debs/"$1"_*.deb Version; }
  key="docker.io_$(ver docker.io)+containerd_$(ver containerd)"
  key=${key//[^A-Za-z0-9._+-]/_}
  rm -rf "$d26/dist/$key"
  mkdir -p "$d26/dist/$key.tmp"
  for deb in "$apt"/debs/*.deb; do dpkg-deb -x "$deb" "$d26/dist/$key.tmp"; done
  mv "$d26/dist/$key.tmp" "$d26/dist/$key"
  ln -sfn "$key" "$d26/dist/current"
  dist=$d26/dist/$key
  rm -rf "$apt"
  trap - EXIT
  fetched="downloaded $key"
else
  fetched="cached $(basename "$dist")"
fi

# --- dockerd --------------------------------------------------------------------
config=$d26/daemon.json
printf '%s\n' '{"features": {"containerd-snapshotter": true}}' >"$config.new"
if cmp -s "$config.new" "$config"; then rm "$config.new"; else mv "$config.new" "$config"; fi

running_ours() { # the engine on $sock is this dist's dockerd with this config
  local pid
  pid=$(cat "$d26/docker.pid" 2>/dev/null) || return 1
  [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == "$dist/usr/sbin/dockerd" ]] || return 1
  [[ ! $config -nt $d26/docker.pid ]] && ping26
}
if running_ours; then
  engine="dockerd 26 kept"
else
  pid=$(cat "$d26/docker.pid" 2>/dev/null || true)
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
    say "restarting dockerd 26 (pid $pid)"
    kill "$pid"
    wait_for 30 bash -c "! kill -0 $pid" || die "dockerd 26 (pid $pid) does not stop"
  fi
  ip link show "$bridge" >/dev/null 2>&1 || ip link add "$bridge" type bridge
  say "starting dockerd 26"
  # Its own containerd (and shims) first on PATH; runc found after them is
  # the lab's wrapper when one is installed, else Debian 12's runc.
  PATH=$dist/usr/bin:$dist/usr/sbin:$PATH "$here/detach.sh" "$d26/dockerd.log" \
    "$dist/usr/sbin/dockerd" \
    -H "unix://$sock" --config-file "$config" \
    --data-root "$d26/data" --exec-root "$d26/exec" --pidfile "$d26/docker.pid" \
    --bridge="$bridge" --iptables=false --ip6tables=false --ip-masq=false
  if ! wait_for 60 ping26; then
    tail -n 30 "$d26/dockerd.log" >&2
    die "dockerd 26 did not answer /_ping within 60 s (log: $d26/dockerd.log)"
  fi
  engine="dockerd 26 started"
fi
api=$(curl -fsS -m 5 --unix-socket "$sock" http://docker/version | sed -n 's/.*"ApiVersion":"\([^"]*\)".*/\1/p')
store=$(curl -fsS -m 5 --unix-socket "$sock" http://docker/info | grep -o '"driver-type","[^"]*"' || true)
[[ $store == *io.containerd.snapshotter* ]] ||
  die "dockerd 26 does not use the containerd image store (info: ${store:-none})"

# --- images ---------------------------------------------------------------------
# Pulled once, so that a broken registry or certs.d setup shows here rather than
# in a test; tests pull (and remove) what they use themselves.
# shellcheck source=tests/harness/lab_env.sh disable=SC1091
. "$here/lab_env.sh"
export DOCKER_HOST=unix://$sock
pulled=0
for ref in "$LAB_PAUSE_IMAGE" "$LAB_BUSYBOX_IMAGE"; do
  docker image inspect "$ref" >/dev/null 2>&1 && continue
  say "pulling $ref"
  docker pull -q "$ref" >"$d26/pull.log" 2>&1 || {
    cat "$d26/pull.log" >&2
    die "dockerd 26 cannot pull $ref"
  }
  pulled=$((pulled + 1))
done

echo "docker26 ready in $(elapsed)s: $engine on unix://$sock (API $api, containerd" \
  "image store), $fetched, $pulled images pulled"
