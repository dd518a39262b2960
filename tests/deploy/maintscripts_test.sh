#!/bin/bash
# maintscripts_test.sh: the package's postinst/prerm/postrm with systemd
# "running" and not: run in private mount and network namespaces with a tmpfs
# on /run (so /run/systemd/system and /run/cri-dockerd.sock are the test's
# own) and stand-ins for systemctl, deb-systemd-invoke and deb-systemd-helper
# that record their calls. Checks what dpkg would make them do, above all
# that postinst never starts cri-docker.socket over a CRI socket another
# process serves. Nothing outside the namespaces changes.
set -euo pipefail
if [[ ${1:-} != --inside ]]; then
  if ! unshare -m -n --propagation private true 2>/dev/null; then
    echo "SKIP: cannot create mount and network namespaces here"
    exit 77
  fi
  exec unshare -m -n --propagation private bash "$0" --inside
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$here/lib.sh"

mount -t tmpfs tmpfs /run
# postrm removes enablement links here: the test's own copy.
mount -t tmpfs tmpfs /etc/systemd/system
deb=$src/deploy/debian
fakes=$tmp/fakes
mkdir -p "$fakes"
calls=$tmp/calls
for tool in systemctl deb-systemd-invoke deb-systemd-helper; do
  cat >"$fakes/$tool" <<FAKE
#!/bin/sh
echo "$tool \$*" >>"$calls"
case "\$*" in
*is-active*) [ -e "$tmp/active" ] ;;
*) exit 0 ;;
esac
FAKE
  chmod 0755 "$fakes/$tool"
done
export PATH="$fakes:$PATH"
# run_script NAME ARGS...: sets out (stdout+stderr) and got (the calls made).
run_script() {
  : >"$calls"
  set +e
  out=$(DPKG_MAINTSCRIPT_PACKAGE=cri-dockerd sh "$deb/$1" "${@:2}" 2>&1)
  local rc=$?
  set -e
  got=$(cat "$calls")
  assert_eq "$*: exit 0" "$rc" 0
}
listening() { # someone listens on the CRI socket, as postinst tells it
  if command -v ss >/dev/null 2>&1; then
    ss -xlnH | awk '$5 == "/run/cri-dockerd.sock" { found = 1 } END { exit !found }'
  else
    test -S /run/cri-dockerd.sock
  fi
}
listen() { # a process serving /run/cri-dockerd.sock
  socat UNIX-LISTEN:/run/cri-dockerd.sock,fork /dev/null &
  listener=$!
  check "socat listens on /run/cri-dockerd.sock" wait_until 30 listening
}

section "systemd running, the CRI socket free"
mkdir -p /run/systemd/system
run_script postinst configure
assert_contains "enables the socket" "$got" "deb-systemd-helper enable cri-docker.socket"
assert_contains "daemon-reload" "$got" "systemctl --system daemon-reload"
assert_contains "starts the socket" "$got" "deb-systemd-invoke start cri-docker.socket"
assert_not_contains "first install: no restart" "$got" "restart"
run_script postinst configure 0.0.9
assert_contains "upgrade: starts the socket" "$got" "deb-systemd-invoke start cri-docker.socket"
assert_contains "upgrade: restarts a running service" "$got" "deb-systemd-invoke restart cri-docker.service"

section "systemd running, another process serves /run/cri-dockerd.sock"
listen
run_script postinst configure
assert_not_contains "does not start the socket" "$got" "deb-systemd-invoke start"
assert_contains "still enables it for the next boot" "$got" "deb-systemd-helper enable cri-docker.socket"
assert_contains "says why" "$out" "/run/cri-dockerd.sock is served by another process: cri-docker.socket is enabled but not started"
check "the other process still serves" kill -0 "$listener"
check "its socket is still there" test -S /run/cri-dockerd.sock
touch "$tmp/active"
run_script postinst configure 0.0.9
assert_contains "cri-docker.socket itself listening: upgrade proceeds" "$got" "deb-systemd-invoke restart cri-docker.service"
rm -f "$tmp/active"
kill "$listener"
wait "$listener" 2>/dev/null || true

section "a stale socket file (nobody listening)"
rm -f /run/cri-dockerd.sock
socat UNIX-LISTEN:/run/cri-dockerd.sock /dev/null &
stale=$!
wait_until 30 test -S /run/cri-dockerd.sock || true # checked below
kill -9 "$stale"
wait "$stale" 2>/dev/null || true
check "the stale file is there" test -S /run/cri-dockerd.sock
run_script postinst configure
assert_contains "starts the socket (systemd replaces the stale file)" "$got" "deb-systemd-invoke start cri-docker.socket"
rm -f /run/cri-dockerd.sock

section "removal with systemd running"
run_script prerm remove
assert_contains "prerm remove stops both units" "$got" "deb-systemd-invoke stop cri-docker.service cri-docker.socket"
run_script prerm upgrade 0.2.0
assert_eq "prerm upgrade leaves them running" "$got" ""
mkdir -p /etc/systemd/system/sockets.target.wants /etc/systemd/system/multi-user.target.wants
ln -s /lib/systemd/system/cri-docker.socket /etc/systemd/system/sockets.target.wants/cri-docker.socket
ln -s /lib/systemd/system/cri-docker.service /etc/systemd/system/multi-user.target.wants/cri-docker.service
ln -s /etc/systemd/system/other.service /etc/systemd/system/multi-user.target.wants/other.service
run_script postrm remove
assert_contains "postrm remove disables (purges the enablement state)" "$got" "deb-systemd-helper purge cri-docker.socket cri-docker.service"
check "postrm remove: socket link gone" test ! -L /etc/systemd/system/sockets.target.wants/cri-docker.socket
check "postrm remove: an admin's service link gone" test ! -L /etc/systemd/system/multi-user.target.wants/cri-docker.service
check "postrm remove: other links kept" test -L /etc/systemd/system/multi-user.target.wants/other.service
assert_contains "postrm remove: daemon-reload" "$got" "systemctl --system daemon-reload"
run_script postrm purge
assert_contains "postrm purge: enablement state gone" "$got" "deb-systemd-helper purge cri-docker.socket cri-docker.service"
# The daemon's state directory, in a root of the test's own (DPKG_ROOT).
state=$tmp/dpkgroot/var/lib/cri-dockerd
mkdir -p "$state/sandbox"
DPKG_ROOT=$tmp/dpkgroot run_script postrm purge
check "postrm purge: an empty state directory removed" test ! -e "$state"
mkdir -p "$state/sandbox"
echo '{}' >"$state/sandbox/0123abcd"
DPKG_ROOT=$tmp/dpkgroot run_script postrm purge
check "postrm purge: a pod's checkpoint kept" test -f "$state/sandbox/0123abcd"
assert_contains "postrm purge: says why" "$out" "keeping $state: it holds checkpoints of pods still on this node"
DPKG_ROOT=$tmp/dpkgroot run_script postrm remove
check "postrm remove: the state directory kept" test -d "$state"

section "no systemd (containers, CI): nothing started or stopped"
rm -r /run/systemd/system
run_script postinst configure
assert_eq "postinst: only the enablement links" "$got" "deb-systemd-helper unmask cri-docker.socket
deb-systemd-helper --quiet was-enabled cri-docker.socket
deb-systemd-helper enable cri-docker.socket"
assert_contains "postinst says so" "$out" "systemd is not running: cri-docker.socket is enabled for the next boot but not started"
assert_contains "postinst says how to run it" "$out" "exec /usr/bin/cri-dockerd \$CRI_DOCKERD_OPTS"
run_script prerm remove
assert_eq "prerm: nothing to stop" "$got" ""
run_script postrm remove
assert_not_contains "postrm: no daemon-reload" "$got" "systemctl"

finish
