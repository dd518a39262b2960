#!/bin/bash
# deb_test.sh: the Debian package. Builds it with cpack from the build tree,
# inspects it (dpkg-deb -I, -c), verifies its units, then installs it on this
# machine with dpkg -i, checks what postinst did (socket enabled; nothing
# started without systemd; an existing /var/run/cri-dockerd.sock untouched)
# and purges it again, checking nothing is left.
# Skips the install (exit 77) when a cri-dockerd is already installed here
# (package or /usr/bin/cri-dockerd): this test never replaces one.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$here/lib.sh"

build=${CRID_BUILD_DIR:?CRID_BUILD_DIR: the build tree}
version=${CRID_VERSION:?CRID_VERSION: the project version}
# The package's version: the project's with an epoch (deploy/packaging.cmake).
deb_version=${CRID_DEB_VERSION:?CRID_DEB_VERSION: the package version, EPOCH:VERSION}

build_deb "$build" "$tmp/pkg"
deb=$(find "$tmp/pkg" -maxdepth 1 -name '*.deb')
assert_eq "one package: cri-dockerd_${version}_$(dpkg --print-architecture).deb" \
  "$(basename "$deb")" "cri-dockerd_${version}_$(dpkg --print-architecture).deb"

section "dpkg-deb -I"
info=$(dpkg-deb -I "$deb")
echo "$info" | indent
field() { dpkg-deb -f "$deb" "$1"; }
assert_eq "Package" "$(field Package)" cri-dockerd
assert_eq "Version (with the epoch; not in the file name)" "$(field Version)" "$deb_version"
check "newer than any Go cri-dockerd package (0.3.x, 0.4.x, 1.x)" \
  dpkg --compare-versions "$(field Version)" gt 99.0.0-0.debian-bookworm
depends=$(field Depends)
assert_contains "Depends on Docker Engine" "$depends" "docker.io | docker-ce"
# dpkg-shlibdeps found the libraries the binary links against.
for lib in libgrpc++1.51 libprotobuf32 libabsl20220623 libcurl4 libc6; do
  assert_contains "Depends on $lib (shlibdeps)" "$depends" "$lib"
done
for s in postinst prerm postrm; do
  check "maintainer script $s, executable" grep -Eq "^ +[0-9]+ bytes, +[0-9]+ lines +\* +$s " <<<"$info"
done
mkdir -p "$tmp/control"
dpkg-deb -e "$deb" "$tmp/control"
assert_eq "conffiles" "$(cat "$tmp/control/conffiles")" /etc/default/cri-dockerd
for s in postinst prerm postrm; do
  assert_same_file "$s is deploy/debian/$s" "$tmp/control/$s" "$src/deploy/debian/$s"
done

section "dpkg-deb -c"
contents=$(dpkg-deb -c "$deb")
echo "$contents" | indent
listed() { # MODE PATH: PATH is in the package with MODE
  if grep -Eq "^$1 root/root +[0-9]+ [-0-9]+ [:0-9]+ \\.$2\$" <<<"$contents"; then ok "$2 ($1)"; else bad "$2 ($1) not in the package"; fi
}
listed -rwxr-xr-x /usr/bin/cri-dockerd
listed -rw-r--r-- /lib/systemd/system/cri-docker.service
listed -rw-r--r-- /lib/systemd/system/cri-docker.socket
listed -rw-r--r-- /etc/default/cri-dockerd
listed -rwxr-xr-x /usr/share/cri-dockerd/install.sh
listed -rw-r--r-- /usr/share/cri-dockerd/systemd/cri-docker.service
listed -rw-r--r-- /usr/share/cri-dockerd/systemd/cri-docker.socket
listed -rw-r--r-- /usr/share/cri-dockerd/default/cri-dockerd
listed -rw-r--r-- /usr/share/doc/cri-dockerd/README.md
listed -rw-r--r-- /usr/share/doc/cri-dockerd/README.deploy.md
assert_eq "nothing else (10 files)" "$(grep -vc '^d' <<<"$contents")" 10

section "the packaged files"
x=$tmp/extract
dpkg-deb -x "$deb" "$x"
assert_same_file "/lib/systemd/system/cri-docker.service as in deploy/" \
  "$x/lib/systemd/system/cri-docker.service" "$src/deploy/systemd/cri-docker.service"
assert_same_file "/lib/systemd/system/cri-docker.socket as in deploy/" \
  "$x/lib/systemd/system/cri-docker.socket" "$src/deploy/systemd/cri-docker.socket"
assert_same_file "/etc/default/cri-dockerd as in deploy/" "$x/etc/default/cri-dockerd" "$src/deploy/default/cri-dockerd"
check "the packaged binary is stripped" sh -c "! readelf -S '$x/usr/bin/cri-dockerd' | grep -q '\.debug_info'"
if out=$("$x/usr/bin/cri-dockerd" --version 2>&1); then ok "the packaged binary runs: $out"; else bad "packaged binary: $out"; fi
# The units as installed by the package verify clean (in a root with the
# system's unit files).
mkdir -p "$x/usr/lib/systemd"
cp -a /usr/lib/systemd/system "$x/usr/lib/systemd/"
cp -a "$x/lib/systemd/system/." "$x/usr/lib/systemd/system/"
rm -rf "${x:?}/lib"
ln -s usr/lib "$x/lib"
assert_eq "packaged units: systemd-analyze verify clean" \
  "$(cd "$x" && systemd-analyze verify --root="$x" cri-docker.socket cri-docker.service 2>&1)" ""

section "dpkg -i on this machine"
if dpkg-query -W -f '${Status}' cri-dockerd 2>/dev/null | grep -q 'installed'; then
  echo "SKIP: the cri-dockerd package is already installed here; not touching it"
  exit 77
fi
for f in /usr/bin/cri-dockerd /lib/systemd/system/cri-docker.service /lib/systemd/system/cri-docker.socket \
  /etc/default/cri-dockerd; do
  if [[ -e $f ]]; then
    echo "SKIP: $f exists (a cri-dockerd installed by other means); not replacing it"
    exit 77
  fi
done
sock_state() { # what a running cri-dockerd elsewhere would notice
  if [[ -e /run/cri-dockerd.sock ]]; then stat -c '%i %Y %a %U:%G' /run/cri-dockerd.sock; else echo absent; fi
}
sock_before=$(sock_state)
# dpkg -i, waiting out another dpkg/apt holding the lock.
dpkg_retry() {
  local _
  for _ in $(seq 30); do
    if "$@" >"$tmp/dpkg.log" 2>&1; then return 0; fi
    grep -qi 'lock' "$tmp/dpkg.log" || return 1
    sleep 2
  done
  return 1
}
cleanup_hooks+=("dpkg-query -W cri-dockerd >/dev/null 2>&1 && dpkg --purge cri-dockerd >/dev/null 2>&1")
if dpkg_retry dpkg -i "$deb"; then ok "dpkg -i"; else bad "dpkg -i failed:"; fi
indent <"$tmp/dpkg.log"
dpkg_log=$(cat "$tmp/dpkg.log")
assert_eq "package installed" "$(dpkg-query -W -f '${Status} ${Version}' cri-dockerd)" "install ok installed $deb_version"
for f in /usr/bin/cri-dockerd /lib/systemd/system/cri-docker.service /lib/systemd/system/cri-docker.socket \
  /etc/default/cri-dockerd /usr/share/cri-dockerd/install.sh; do
  check "installed: $f" test -f "$f"
done
if out=$(/usr/bin/cri-dockerd --version 2>&1); then ok "/usr/bin/cri-dockerd runs: $out"; else bad "/usr/bin/cri-dockerd: $out"; fi
assert_eq "postinst enabled cri-docker.socket" \
  "$(readlink /etc/systemd/system/sockets.target.wants/cri-docker.socket)" /lib/systemd/system/cri-docker.socket
if [[ -d /run/systemd/system ]]; then
  ok "systemd runs here: postinst may start the socket"
else
  assert_contains "postinst: no systemd, says so and starts nothing" "$dpkg_log" \
    "systemd is not running: cri-docker.socket is enabled for the next boot but not started"
fi
assert_eq "the CRI socket is as before ($sock_before)" "$(sock_state)" "$sock_before"
# The packaged installer recognises the package's binary and units (dry run).
out=$(/usr/share/cri-dockerd/install.sh --dry-run 2>&1) || bad "install.sh --dry-run from the package failed"
assert_contains "packaged install.sh: binary from the package" "$out" "unchanged /usr/bin/cri-dockerd (the binary being installed)"
assert_contains "packaged install.sh: units from the package" "$out" "units: /lib/systemd/system/cri-docker.{service,socket} (from the package"
assert_contains "packaged install.sh: options kept" "$out" "keeping the options in /etc/default/cri-dockerd"

section "dpkg -r, dpkg --purge"
if dpkg_retry dpkg -r cri-dockerd; then ok "dpkg -r"; else bad "dpkg -r failed: $(cat "$tmp/dpkg.log")"; fi
check "removed: the binary" test ! -e /usr/bin/cri-dockerd
check "removed: the units" test ! -e /lib/systemd/system/cri-docker.socket
check "disabled: no sockets.target.wants link" test ! -L /etc/systemd/system/sockets.target.wants/cri-docker.socket
check "the conffile stays until purge" test -f /etc/default/cri-dockerd
if dpkg_retry dpkg --purge cri-dockerd; then ok "dpkg --purge"; else bad "dpkg --purge failed: $(cat "$tmp/dpkg.log")"; fi
check "purged: not known to dpkg" sh -c '! dpkg-query -W cri-dockerd >/dev/null 2>&1'
check "purged: /etc/default/cri-dockerd" test ! -e /etc/default/cri-dockerd
check "purged: /usr/share/cri-dockerd" test ! -e /usr/share/cri-dockerd
left=$(find /var/lib/systemd/deb-systemd-helper-enabled /var/lib/systemd/deb-systemd-helper-masked \
  /etc/systemd/system -name 'cri-docker*' 2>/dev/null || true)
assert_eq "purged: no enablement state left" "$left" ""
assert_eq "the CRI socket is still as before" "$(sock_state)" "$sock_before"

finish
