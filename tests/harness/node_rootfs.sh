#!/bin/bash
# node_rootfs.sh: the image of the node tier's systemd node, a Debian 12
# (bookworm) root filesystem made with debootstrap and `docker import`ed into
# the lab's dockerd as crid-lab/node:<recipe>. Prints that reference.
# Run as root; node_up.sh calls it.
#   - The tree is cached in $NODE_DIR/rootfs-<recipe>/ and the image in the
#     lab's dockerd; <recipe> is a digest of this script, so editing it
#     rebuilds both (and drops the old ones). A cached tree whose image is
#     gone is imported again (seconds) without downloading anything.
#   - Debian's archive is the only network it uses: debootstrap, then the
#     tree's own apt downloads (without installing) what the cri-dockerd
#     package will pull in, Docker Engine and the CNI plugins, so installing
#     the package in the node resolves its dependencies from Debian's
#     archive as a real node does, from the archive's package lists and
#     files fetched once here.
# LAB_VERBOSE=1 shows progress.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export DOCKER_HOST=unix:///var/run/docker.sock
t0=$(date +%s.%N)
lab_script=node_rootfs
# shellcheck source=tests/harness/lab_lib.sh
. "$here/lab_lib.sh"
# shellcheck source=tests/harness/node_env.sh
. "$here/node_env.sh"

suite=bookworm
mirror=http://deb.debian.org/debian
# What a minimal Debian node needs to boot systemd and serve the package's
# units (iproute2: ss, which the package's postinst uses).
include=systemd,systemd-sysv,dbus,iproute2
# Fetched (not installed) into the tree's apt cache.
predownload=(docker.io containernetworking-plugins)
# Units that cannot work, or would reach outside, in a container that shares
# the host's kernel, devices and network namespace:
#   systemd-sysctl, systemd-modules-load, systemd-binfmt and the binfmt_misc
#   automount would set the host kernel's sysctls, modules and binfmt
#   handlers (from the node's /etc/sysctl.d etc.) at every boot;
#   getty@/serial-getty@ would run logins on the host's consoles;
#   systemd-journald-audit.socket would read the host's audit records
#   (audit is not namespaced);
#   apt-daily*, dpkg-db-backup, fstrim and e2scrub timers would take the
#   dpkg lock in the middle of a test or trim and scrub the host's
#   filesystems.
masked=(systemd-sysctl.service systemd-modules-load.service systemd-binfmt.service
  proc-sys-fs-binfmt_misc.automount getty@.service serial-getty@.service
  console-getty.service systemd-journald-audit.socket
  apt-daily.timer apt-daily-upgrade.timer apt-daily.service apt-daily-upgrade.service
  dpkg-db-backup.timer dpkg-db-backup.service
  fstrim.timer fstrim.service e2scrub_all.timer e2scrub_reap.service)

((EUID == 0)) || die "must run as root"
recipe=$(sha256sum <"${BASH_SOURCE[0]}" | cut -c1-16)
image=crid-lab/node:$recipe
tree=$NODE_DIR/rootfs-$recipe
mkdir -p "$NODE_DIR"
exec 8>>"$NODE_DIR/.rootfs.lock"
flock 8 # one build at a time

if docker image inspect "$image" >/dev/null 2>&1 && [[ -f $tree/.complete ]]; then
  say "cached: $image"
  printf '%s\n' "$image"
  exit 0
fi

# Older recipes' trees and images.
for old in "$NODE_DIR"/rootfs-*; do
  [[ -e $old && $old != "$tree" ]] || continue
  say "removing $old"
  rm -rf "$old"
done
docker image ls --format '{{.Repository}}:{{.Tag}}' crid-lab/node | while read -r ref; do
  if [[ $ref != "$image" ]]; then docker rmi "$ref" >/dev/null 2>&1 || true; fi
done

if [[ ! -f $tree/.complete ]]; then
  if ! command -v debootstrap >/dev/null; then
    say "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null 2>&1 ||
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; } ||
      die "cannot install debootstrap"
  fi
  rm -rf "$tree" "$tree.tmp"
  trap 'rm -rf "$tree.tmp"' EXIT
  say "debootstrap $suite (minbase + $include)"
  if ! debootstrap --variant=minbase --include="$include" "$suite" "$tree.tmp" "$mirror" \
    >"$NODE_DIR/debootstrap.log" 2>&1; then
    tail -n 20 "$NODE_DIR/debootstrap.log" >&2
    die "debootstrap failed (log: $NODE_DIR/debootstrap.log)"
  fi
  r=$tree.tmp
  # The sources a Debian 12 node has: the release, its updates and security.
  cat >"$r/etc/apt/sources.list" <<EOF
deb $mirror $suite main
deb $mirror $suite-updates main
deb http://deb.debian.org/debian-security $suite-security main
EOF
  # A test node: dpkg need not fsync every file it unpacks (halves the
  # package's install time here).
  echo force-unsafe-io >"$r/etc/dpkg/dpkg.cfg.d/crid-node-unsafe-io"
  for unit in "${masked[@]}"; do ln -sfn /dev/null "$r/etc/systemd/system/$unit"; done
  # docker run gives the node its own /etc/hostname, /etc/hosts and
  # /etc/resolv.conf; the tree's apt needs a resolver now.
  cp /etc/resolv.conf "$r/etc/resolv.conf"
  say "apt-get update; download ${predownload[*]}"
  if ! {
    chroot "$r" apt-get -qq update &&
      chroot "$r" env DEBIAN_FRONTEND=noninteractive apt-get -qq install -y --download-only "${predownload[@]}"
  } >"$NODE_DIR/apt.log" 2>&1; then
    tail -n 20 "$NODE_DIR/apt.log" >&2
    die "downloading ${predownload[*]} in the tree failed (log: $NODE_DIR/apt.log)"
  fi
  : >"$r/etc/resolv.conf"
  touch "$r/.complete"
  mv "$r" "$tree"
  trap - EXIT
fi

say "docker import $image"
docker rmi "$image" >/dev/null 2>&1 || true
tar -C "$tree" --numeric-owner --exclude=./.complete -cf - . |
  docker import -c 'CMD ["/sbin/init"]' - "$image" >/dev/null ||
  die "docker import of $tree failed"
say "built $image in $(elapsed)s"
printf '%s\n' "$image"
