#!/bin/bash
# units_test.sh: deploy/systemd/cri-docker.{socket,service} as install.sh
# installs them: `systemd-analyze verify` clean in a staging root (with a copy
# of this machine's system units for the targets they name), the settings
# kubelet and the Go shim's users rely on, and the ExecStart command line
# (options from the installed /etc/default/cri-dockerd) accepted by the daemon.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$here/lib.sh"

binary=${CRID_BINARY:?CRID_BINARY: the built cri-dockerd}
command -v systemd-analyze >/dev/null || {
  echo "needs systemd-analyze (package systemd)"
  exit 1
}

# verify ROOT: systemd-analyze verify of the two units; prints its output.
verify() {
  (cd "$1" && systemd-analyze verify --root="$1" cri-docker.socket cri-docker.service 2>&1) || echo "(exit status $?)"
}
# A staging root with the system's unit files (sockets.target,
# network-online.target, ...), merged /usr like Debian 12.
unit_root() {
  local r
  r=$(new_root)
  mkdir -p "$r/usr/lib/systemd"
  cp -a /usr/lib/systemd/system "$r/usr/lib/systemd/"
  ln -s usr/lib "$r/lib"
  printf '%s\n' "$r"
}

section "systemd-analyze verify"
root=$(unit_root)
"$src/deploy/install.sh" --root "$root" --binary "$binary" >"$tmp/install.log" 2>&1 ||
  bad "install.sh --root failed: $(cat "$tmp/install.log")"
assert_eq "installed units verify clean (no output)" "$(verify "$root")" ""
# The check is real: a misspelt key is reported.
sed -i 's/^TasksMax=/TaskMax=/' "$root/etc/systemd/system/cri-docker.service"
assert_contains "a broken unit is reported" "$(verify "$root")" "Unknown key 'TaskMax'"

section "cri-docker.socket"
socket=$src/deploy/systemd/cri-docker.socket
settings() { grep -v '^[#;]' "$1" | grep '='; }
for kv in ListenStream=%t/cri-dockerd.sock SocketMode=0660 SocketUser=root SocketGroup=docker \
  RemoveOnStop=yes PartOf=cri-docker.service WantedBy=sockets.target; do
  assert_contains "socket: $kv" "$(settings "$socket")" "$kv"
done

section "cri-docker.service"
service=$src/deploy/systemd/cri-docker.service
for kv in Type=notify "ExecStart=/usr/bin/cri-dockerd --container-runtime-endpoint fd:// \$CRI_DOCKERD_OPTS" \
  EnvironmentFile=-/etc/default/cri-dockerd Requires=cri-docker.socket Wants=network-online.target \
  Restart=always RestartSec=2 Delegate=yes KillMode=process LimitNOFILE=infinity TasksMax=infinity \
  WantedBy=multi-user.target; do
  assert_contains "service: $kv" "$(settings "$service")" "$kv"
done
after=$(sed -n 's/^After=//p' "$service")
for u in docker.service network-online.target firewalld.service; do
  check "service: ordered after $u" grep -qw "$u" <<<"$after"
done

section "the ExecStart command line, as systemd builds it, is accepted"
root=$(new_root)
"$src/deploy/install.sh" --root "$root" --binary "$binary" >"$tmp/install.log" 2>&1 ||
  bad "install.sh --root failed: $(cat "$tmp/install.log")"
# systemd: EnvironmentFile= assignments, then an unbraced $VAR splits into words.
opts=$(env -i sh -c ". '$root/etc/default/cri-dockerd'; printf '%s' \"\$CRI_DOCKERD_OPTS\"")
read -r -a exec_start <<<"$(sed -n 's/^ExecStart=//p' "$root/etc/systemd/system/cri-docker.service")"
argv=()
for w in "${exec_start[@]}"; do
  if [[ $w == "\$CRI_DOCKERD_OPTS" ]]; then
    read -r -a split <<<"$opts"
    argv+=("${split[@]}")
  else
    argv+=("$w")
  fi
done
assert_eq "ExecStart runs the installed binary" "${argv[0]}" /usr/bin/cri-dockerd
argv[0]=$root/usr/bin/cri-dockerd
assert_contains "options reach the daemon" "${argv[*]}" "--pod-infra-container-image=registry.k8s.io/pause:"
if out=$("${argv[@]}" --version 2>&1); then
  ok "the daemon accepts: ${argv[*]:1}"
else
  bad "the daemon refuses the unit's arguments: $out"
fi

finish
