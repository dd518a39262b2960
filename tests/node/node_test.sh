#!/bin/bash
# node_test.sh: the node install, end to end, under a real systemd as PID 1.
# Boots the node (tests/harness/node_up.sh: Debian 12, systemd, on the lab's
# dockerd, sharing the host's network namespace), then in this order:
#   1. apt-get install ./cri-dockerd_*.deb (built with cpack from the build
#      tree): Docker Engine comes with it from Debian's archive and runs
#      nested in the node; cri-docker.socket enabled and listening on
#      /run/cri-dockerd.sock (0660, group docker), the service not started;
#   2. the first CRI call (Version, from the host through the node's socket)
#      starts cri-docker.service (Type=notify, active); its log in journald;
#   3. install.sh: --dry-run changes nothing; a run prepares the node (swap
#      line in fstab, modules, sysctls, the pause image kubeadm names,
#      /etc/crictl.yaml) and prints the kubeadm/kubelet settings; a second
#      run changes nothing; kubeadm's preflight facts hold without kubeadm:
#      the pause image it reports is in Docker and the daemon's, the cgroup
#      driver it prints is docker info's;
#   4. two pods on a CNI bridge talk (node_cri_test), then survive
#      `systemctl restart docker` (same shim process) and
#      `systemctl restart cri-docker` (same pods and IPs), and are removed;
#   5. `systemctl stop cri-docker.service` within its stop timeout;
#   6. install.sh --uninstall restores every file it edited;
#   7. apt-get remove keeps only the admin's edited conffile, apt-get purge
#      removes that too: units stopped and disabled, no file of the package;
#   8. switching from the Go cri-dockerd: a stand-in of its package
#      (go_deb_build.sh) running a pod the Go way (go_pod_run.sh), then this
#      package installed over it (an upgrade, thanks to the epoch): the pod
#      listed, READY and RUNNING through the CRI, stopped and removed; our
#      files, units and daemon in place of the Go package's; and back to the
#      Go package with --allow-downgrades.
# Then removes the node (node_down.sh) and checks the host is as before:
# links, iptables rules, sysctls, the host's CRI socket, its containers.
# Skips (77) when not root or when the host's sysctls would make the
# installer in the node change the host (it shares the network namespace).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/deploy/lib.sh
. "$here/../deploy/lib.sh"
harness=$src/tests/harness
# shellcheck source=tests/harness/node_env.sh
. "$harness/node_env.sh"
export DOCKER_HOST=unix:///var/run/docker.sock

build=${CRID_BUILD_DIR:?CRID_BUILD_DIR: the build tree}
version=${CRID_VERSION:?CRID_VERSION: the project version}
deb_version=${CRID_DEB_VERSION:?CRID_DEB_VERSION: the package version, EPOCH:VERSION}
cri_test=${CRID_NODE_CRI_TEST:?CRID_NODE_CRI_TEST: the node_cri_test binary}

if ((EUID != 0)); then
  echo "SKIP: needs root (boots a privileged container)"
  exit 77
fi
sysctls=(net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables net.ipv4.ip_forward)
for s in "${sysctls[@]}"; do
  if [[ $(cat "/proc/sys/${s//./\/}" 2>/dev/null) != 1 ]]; then
    echo "SKIP: $s is not 1 on this machine: install.sh in the node (which shares the host's network namespace) would set it on the host"
    exit 77
  fi
done

# What the node must leave as it was.
host_state() {
  ip -o link show | awk -F': ' '{ print $2 }' | cut -d@ -f1 | LC_ALL=C sort
  iptables -S
  iptables -t nat -S
  for s in "${sysctls[@]}"; do printf '%s = %s\n' "$s" "$(cat "/proc/sys/${s//./\/}")"; done
  if [[ -e /run/cri-dockerd.sock ]]; then stat -c 'cri socket %i %Y %a %U:%G' /run/cri-dockerd.sock; fi
  docker ps -a --format '{{.ID}} {{.Names}} {{.Status}}' | grep -v " $NODE_CONTAINER " | sed 's/ (.*//; s/ [0-9].*//' || true
}
host_before=$(host_state)

# --- the package ----------------------------------------------------------------
build_deb "$build" "$tmp/pkg"
deb=$(find "$tmp/pkg" -maxdepth 1 -name 'cri-dockerd_*.deb')
assert_eq "built cri-dockerd_${version}_amd64.deb" "$(basename "$deb")" \
  "cri-dockerd_${version}_$(dpkg --print-architecture).deb"

# --- the node -------------------------------------------------------------------
section "the node: Debian 12, systemd as PID 1"
cleanup_hooks+=("'$harness/node_down.sh' >/dev/null")
t=$SECONDS
if ! out=$("$harness/node_up.sh" 2>&1); then
  bad "node_up.sh failed:"
  indent <<<"$out"
  finish
fi
ok "$out"
pid=$(docker inspect -f '{{.State.Pid}}' "$NODE_CONTAINER")
root=/proc/$pid/root
in_node() { docker exec -i "$NODE_CONTAINER" "$@"; }
in_sh() { docker exec -i "$NODE_CONTAINER" sh -c "$1"; }
# node_apt LOG DESC ARGS...: apt-get ARGS in the node, from /root (where
# ./<name>.deb is copied), its output kept in LOG; one check, and apt's
# output shown when it fails.
node_apt() {
  local log=$1 desc=$2
  shift 2
  if in_node env -C /root DEBIAN_FRONTEND=noninteractive apt-get "$@" >"$log" 2>&1; then
    ok "$desc"
  else
    bad "$desc failed:"
    indent <"$log"
    return 1
  fi
}
assert_eq "PID 1 in the node is systemd" "$(in_node cat /proc/1/comm)" systemd
assert_eq "systemctl is-system-running" "$(in_node systemctl is-system-running)" running
echo "        (node up in $((SECONDS - t)) s)"

# unit_prop UNIT PROPERTY: systemctl show's value.
unit_prop() { in_node systemctl show -p "$2" --value "$1"; }
# phase NAME [STATE]: one phase of node_cri_test against the node's socket;
# STATE is the file of IDs it shares with other phases.
phase() {
  local log=$tmp/phase.$1.log
  if CRID_NODE_ROOT=$root CRID_NODE_STATE=${2:-$tmp/pods.state} \
    CRID_NODE_CNI_PREFIX=${NODE_CNI_SUBNET%.*}. CRID_NODE_CNI_NETWORK=crid-node \
    timeout 300 "$cri_test" --gtest_filter="NodeCri.$1" --gtest_brief=1 >"$log" 2>&1; then
    ok "CRI: $1"
    grep -E '^Version:' "$log" | indent || true
  else
    bad "CRI: $1:"
    indent <"$log"
  fi
}

# --- 1. apt-get install ---------------------------------------------------------
section "apt-get install ./$(basename "$deb") in the node"
docker cp "$deb" "$NODE_CONTAINER:/root/" >/dev/null
t=$SECONDS
node_apt "$tmp/apt.log" "apt-get install" install -y "./$(basename "$deb")" || finish
echo "        ($((SECONDS - t)) s)"
# shellcheck disable=SC2016 # dpkg-query's format, not the shell's
pkg_status() { in_node dpkg-query -W -f '${Status} ${Version}' "$1" 2>/dev/null || true; }
assert_eq "cri-dockerd installed" "$(pkg_status cri-dockerd)" "install ok installed $deb_version"
check "docker.io pulled in from Debian's archive" grep -q '^install ok installed ' <<<"$(pkg_status docker.io)"
check "containernetworking-plugins (Recommends) installed" grep -q '^install ok installed' <<<"$(pkg_status containernetworking-plugins)"
assert_eq "docker.service active (the node's own dockerd)" "$(in_node systemctl is-active docker.service)" active
docker_root=$(in_node docker info --format '{{.DockerRootDir}} {{.Driver}} {{.CgroupDriver}} live-restore={{.LiveRestoreEnabled}}')
assert_eq "the node's dockerd: data root, driver, cgroups, live-restore" "$docker_root" \
  "/var/lib/docker overlay2 cgroupfs live-restore=true"
assert_eq "cri-docker.socket enabled" "$(in_node systemctl is-enabled cri-docker.socket)" enabled
assert_eq "cri-docker.socket active" "$(in_node systemctl is-active cri-docker.socket)" active
assert_eq "/run/cri-dockerd.sock: socket, 0660, root:docker" \
  "$(in_node stat -c '%F %a %U:%G' /run/cri-dockerd.sock)" "socket 660 root:docker"
check "/var/run/cri-dockerd.sock is that socket" in_node test /var/run/cri-dockerd.sock -ef /run/cri-dockerd.sock
check "systemd listens on it" grep -q '/run/cri-dockerd.sock' <<<"$(in_node ss -xlnH)"
assert_eq "cri-docker.service not started yet" "$(in_node systemctl is-active cri-docker.service)" inactive

# --- 2. socket activation -----------------------------------------------------------
section "the first CRI call starts cri-docker.service"
# The pods' network: its own bridge and subnet in the shared namespace, no
# masquerading (its rules could not all be deleted on nft iptables).
in_sh "mkdir -p /etc/cni/net.d && cat >/etc/cni/net.d/10-crid-node.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "crid-node",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$NODE_CNI_BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "ipam": {"type": "host-local", "ranges": [[{"subnet": "$NODE_CNI_SUBNET"}]]}
    },
    {"type": "loopback"}
  ]
}
EOF
phase FirstCallStartsTheService
assert_eq "cri-docker.service: Type=notify, active (running)" \
  "$(unit_prop cri-docker.service Type) $(unit_prop cri-docker.service ActiveState) $(unit_prop cri-docker.service SubState)" \
  "notify active running"
assert_eq "started by the socket" "$(unit_prop cri-docker.service TriggeredBy)" cri-docker.socket
journal=$(in_node journalctl -u cri-docker --no-pager -o cat)
assert_contains "journalctl -u cri-docker: the daemon's log" "$journal" "serving the CRI on fd://"
check "journalctl -u cri-docker: klog-style lines" grep -Eq '^I[0-9]{4} [0-9:.]+ +[0-9]* *[a-z_]+\.cc:[0-9]+\]' <<<"$journal"

# --- 3. install.sh ----------------------------------------------------------------
section "install.sh in the node"
installer=/usr/share/cri-dockerd/install.sh
# A node with swap in /etc/fstab (the kernel's swap is the host's: none),
# and kubeadm naming its pause image (a stand-in: kubeadm is not in Debian;
# the lab serves registry.k8s.io/pause:3.9).
in_sh 'echo "/swapfile none swap sw 0 0" >>/etc/fstab'
in_sh 'cat >/usr/local/bin/kubeadm && chmod 0755 /usr/local/bin/kubeadm' <<'EOF'
#!/bin/sh
# Stand-in for kubeadm 1.30 (node tier test).
case "$*" in
"version -o short") echo v1.30.14 ;;
"config images list --kubernetes-version v1.30.14")
  for i in kube-apiserver:v1.30.14 kube-proxy:v1.30.14 coredns/coredns:v1.11.3 pause:3.9 etcd:3.5.15-0; do
    echo "registry.k8s.io/$i"
  done ;;
*) echo "kubeadm stand-in: unexpected: $*" >&2; exit 1 ;;
esac
EOF
# Every file under /etc and the installer's state, with mode and content.
node_files() {
  in_sh 'find /etc /var/lib/cri-dockerd-installer -xdev \( -type f -o -type l \) -printf "%m %p %l\n" 2>/dev/null | LC_ALL=C sort
         find /etc -xdev -type f -print0 | LC_ALL=C sort -z | xargs -0 sha1sum'
}
pristine=$(node_files)
shim_pid=$(unit_prop cri-docker.service MainPID)
pause=registry.k8s.io/pause:3.9
check "$pause not in the node's Docker yet" sh -c "! docker exec $NODE_CONTAINER docker image inspect $pause >/dev/null 2>&1"

if out=$(in_node "$installer" --dry-run 2>&1); then ok "--dry-run"; else bad "--dry-run failed"; fi
indent <<<"$out"
assert_contains "--dry-run: says so" "$out" "nothing was changed"
assert_contains "--dry-run: would comment the swap line" "$out" "commenting: #cri-dockerd:swap-off# /swapfile none swap sw 0 0"
assert_contains "--dry-run: would write /etc/crictl.yaml" "$out" "would     write /etc/crictl.yaml (new, mode 0644)"
assert_contains "--dry-run: would pull the pause image" "$out" "would     run: docker pull $pause"
assert_eq "--dry-run changed no file" "$(node_files)" "$pristine"
assert_eq "--dry-run left cri-dockerd running" "$(unit_prop cri-docker.service MainPID)" "$shim_pid"

if out=$(in_node "$installer" 2>&1); then ok "install.sh"; else bad "install.sh failed"; fi
indent <<<"$out"
check "swap line commented in /etc/fstab" in_node grep -qxF '#cri-dockerd:swap-off# /swapfile none swap sw 0 0' /etc/fstab
assert_contains "no active swap (the host has none)" "$out" "ok        no active swap"
check "/etc/modules-load.d/cri-dockerd.conf lists br_netfilter" in_node grep -qx br_netfilter /etc/modules-load.d/cri-dockerd.conf
# The modules and sysctls are the host kernel's: loaded and 1 here (the
# lab's dockerd needs them), so the installer finds them so and says so.
for m in overlay br_netfilter; do
  assert_contains "$m: reported loaded" "$out" "ok        $m is loaded (or built in)"
done
check "/etc/sysctl.d/99-cri-dockerd.conf" in_node grep -qx 'net.bridge.bridge-nf-call-iptables = 1' /etc/sysctl.d/99-cri-dockerd.conf
for s in "${sysctls[@]}"; do assert_contains "$s: reported 1" "$out" "ok        $s = 1"; done
assert_contains "the pause image kubeadm names" "$out" "ok        kubeadm v1.30.14 uses $pause"
# kubeadm's preflight facts, checked without kubeadm: the pause image
# install.sh reports is the one the daemon runs with, and in Docker; the
# cgroup driver it prints is Docker's.
reported_pause=$(sed -n 's/^ *ok *pause image: //p' <<<"$out")
assert_eq "install.sh reports the pause image" "$reported_pause" "$pause"
check "/etc/default/cri-dockerd: --pod-infra-container-image=$reported_pause" \
  in_node grep -q -- "--pod-infra-container-image=$reported_pause\( \|\"\)" /etc/default/cri-dockerd
assert_contains "install.sh pulled it" "$out" "ran       docker pull $reported_pause"
assert_contains "and says it is in Docker" "$out" "ok        pause image in Docker: $reported_pause"
if pause_id=$(in_node docker image inspect -f '{{.Id}}' "$reported_pause" 2>&1); then
  ok "docker image inspect $reported_pause in the node: $pause_id"
else
  bad "docker image inspect $reported_pause in the node: $pause_id"
fi
assert_contains "options changed: cri-docker.service restarted" "$out" "ran       systemctl restart cri-docker.service"
check "cri-docker.service runs again" test "$(in_node systemctl is-active cri-docker.service)" = active
assert_contains "the running daemon's command line has that pause image" \
  "$(in_node cat "/proc/$(unit_prop cri-docker.service MainPID)/cmdline" | tr '\0' '\n')" \
  "--pod-infra-container-image=$reported_pause"
assert_eq "/etc/crictl.yaml" "$(in_node grep -v '^#' /etc/crictl.yaml)" \
  "runtime-endpoint: unix:///var/run/cri-dockerd.sock
image-endpoint: unix:///var/run/cri-dockerd.sock
timeout: 10"
assert_contains "prints kubeadm init's flag" "$out" "kubeadm init --cri-socket unix:///var/run/cri-dockerd.sock"
node_driver=$(in_node docker info --format '{{.CgroupDriver}}')
assert_contains "prints Docker's cgroup driver (docker info in the node: $node_driver)" "$out" \
  "kubelet's cgroup driver must match Docker's: $node_driver (Docker's, from docker info)"
assert_contains "the KubeletConfiguration it prints has that driver" "$out" "  cgroupDriver: $node_driver"
assert_contains "kubeadm 1.30: config API v1beta3" "$out" "apiVersion: kubeadm.k8s.io/v1beta3"
installed=$(node_files)
shim_pid=$(unit_prop cri-docker.service MainPID)

if out=$(in_node "$installer" 2>&1); then ok "install.sh, again"; else bad "install.sh, again, failed"; fi
assert_contains "second run: no changes" "$out" "done: no changes, the node was already set up"
assert_contains "second run: the pause image is there" "$out" "ok        pause image in Docker: $pause"
assert_eq "second run changed no file" "$(node_files)" "$installed"
assert_eq "second run left cri-dockerd running" "$(unit_prop cri-docker.service MainPID)" "$shim_pid"

# --- 4. pods --------------------------------------------------------------------------
section "pods through the installed daemon"
phase PodsRunAndTalk
sandbox_images=$(in_node docker ps --filter label=io.kubernetes.docker.type=podsandbox --format '{{.Image}}' | sort -u)
assert_eq "the pods' sandboxes run the pause image install.sh set" "$sandbox_images" registry.k8s.io/pause:3.9

section "systemctl restart docker"
shim_pid=$(unit_prop cri-docker.service MainPID)
if in_node systemctl restart docker.service; then ok "restarted docker.service"; else bad "systemctl restart docker failed"; fi
phase PodsKeepRunning
assert_eq "the shim was not restarted" "$(unit_prop cri-docker.service MainPID)" "$shim_pid"
assert_eq "cri-docker.service NRestarts" "$(unit_prop cri-docker.service NRestarts)" 0

section "systemctl restart cri-docker"
if in_node systemctl restart cri-docker.service; then ok "restarted cri-docker.service"; else bad "systemctl restart cri-docker failed"; fi
check "a new shim process" test "$(unit_prop cri-docker.service MainPID)" != "$shim_pid"
phase PodsKeepRunning

section "pods removed"
phase PodsRemoved
assert_eq "no pod container left in the node's docker" \
  "$(in_node docker ps -aq --filter label=io.kubernetes.pod.namespace=crid-node)" ""

# --- 5. stop ----------------------------------------------------------------------
section "systemctl stop cri-docker.service"
stop_timeout=$(unit_prop cri-docker.service TimeoutStopUSec)
t0=$(date +%s%N)
in_node systemctl stop cri-docker.service || bad "systemctl stop failed"
ms=$((($(date +%s%N) - t0) / 1000000))
assert_eq "stopped: inactive, result success, exit status 0" \
  "$(unit_prop cri-docker.service ActiveState) $(unit_prop cri-docker.service Result) $(unit_prop cri-docker.service ExecMainStatus)" \
  "inactive success 0"
check "within its stop timeout ($stop_timeout): ${ms} ms" test "$ms" -lt 30000
# cri-docker.socket is PartOf=cri-docker.service: stopped with it, and
# (RemoveOnStop) its file gone, so clients get "no such file" at once.
assert_eq "the socket stopped with it (PartOf)" "$(in_node systemctl is-active cri-docker.socket)" inactive
check "the socket file removed (RemoveOnStop)" in_node test ! -e /run/cri-dockerd.sock

# --- 6. install.sh --uninstall ------------------------------------------------------------
section "install.sh --uninstall"
if out=$(in_node "$installer" --uninstall 2>&1); then ok "--uninstall"; else bad "--uninstall failed"; fi
indent <<<"$out"
assert_eq "every file it edited restored, every file it created removed" "$(node_files)" "$pristine"
in_node rm -f /usr/local/bin/kubeadm

# --- 7. apt-get remove, purge -------------------------------------------------------------
section "apt-get remove cri-dockerd (the daemon running, its conffile edited)"
# Four starts in 60 s by now (activation, install.sh's restart, the restart
# above, this one): past the unit's StartLimitBurst=3, as the Go shim's
# unit is. An admin would reset it too.
in_node systemctl reset-failed cri-docker.service
if in_node systemctl start cri-docker.service; then ok "started cri-docker.service again"; else bad "systemctl start cri-docker failed"; fi
# shellcheck disable=SC2016 # expanded in the node
mapfile -t pkg_files < <(in_sh 'dpkg -L cri-dockerd | while read -r f; do [ -d "$f" ] || echo "$f"; done')
check "the package's files (${#pkg_files[@]})" test "${#pkg_files[@]}" -ge 10
in_sh 'sed -i "s/^CRI_DOCKERD_OPTS=\"/&--log-level=debug /" /etc/default/cri-dockerd'
node_apt "$tmp/remove.log" "apt-get remove" remove -y cri-dockerd || true
for u in cri-docker.service cri-docker.socket; do
  assert_eq "$u stopped" "$(in_node systemctl is-active "$u")" inactive
done
assert_eq "no cri-dockerd process" "$(in_sh 'grep -lx cri-dockerd /proc/[0-9]*/comm 2>/dev/null')" ""
check "the edited conffile stays (Debian policy)" in_node grep -q -- '--log-level=debug' /etc/default/cri-dockerd

section "apt-get purge cri-dockerd"
node_apt "$tmp/purge.log" "apt-get purge" purge -y cri-dockerd || true
check "purged: unknown to dpkg" sh -c "! docker exec $NODE_CONTAINER dpkg-query -W cri-dockerd >/dev/null 2>&1"
# shellcheck disable=SC2016 # expanded in the node
left=$(printf '%s\n' "${pkg_files[@]}" | in_sh 'while read -r f; do [ ! -e "$f" ] || echo "$f"; done')
assert_eq "none of the package's files left" "$left" ""
assert_eq "nothing of ours in /etc, /run, /var/lib" \
  "$(in_sh 'find /etc /run /var/lib -xdev -name "*cri-docker*" 2>/dev/null')" ""
assert_eq "units unknown to systemd" "$(in_node systemctl list-unit-files --no-legend 'cri-docker*')" ""
assert_eq "docker.io stays" "$(in_node systemctl is-active docker.service)" active

# --- 8. switching from the Go cri-dockerd ----------------------------------------------
section "the Go cri-dockerd's package (a stand-in) and a pod it runs"
t=$SECONDS
go_version=0.3.15.3-0.debian-bookworm
if ! go_deb=$(in_node bash -s /root/go "$go_version" <"$here/go_deb_build.sh" 2>&1); then
  bad "go_deb_build.sh: $go_deb"
  finish
fi
# Each package switch (re)starts cri-docker.service: keep clear of its start
# limit (3 in 60 s), as an admin switching packages in a hurry would have to.
reset_start_limit() { in_node systemctl reset-failed cri-docker.service cri-docker.socket 2>/dev/null || true; }
reset_start_limit
node_apt "$tmp/go.log" "apt-get install $go_deb (the Go package)" install -y "$go_deb" || finish
assert_eq "dpkg: the Go package" "$(pkg_status cri-dockerd)" "install ok installed $go_version"
assert_eq "cri-docker.service: the Go stand-in, running" \
  "$(in_node cri-dockerd --version) $(unit_prop cri-docker.service ActiveState)" "cri-dockerd 0.3.15 (Go stand-in) active"
go_pid=$(unit_prop cri-docker.service MainPID)
go_state=$tmp/go.state
go_pod=go-web
go_ns=crid-node-go
go_uid=6f1c3a52-0d3e-4b1e-9d5e-2b7c8c1f0a11
if out=$(in_node bash -s "$go_pod" "$go_ns" "$go_uid" "$pause" localhost:5000/busybox:1.36 <"$here/go_pod_run.sh" 2>&1); then
  ok "a pod the Go way: $(tr '\n' ' ' <<<"$out")"
  printf '%s\ngo_pod_name=%s\ngo_pod_namespace=%s\ngo_pod_uid=%s\n' "$out" "$go_pod" "$go_ns" "$go_uid" >"$go_state"
else
  bad "go_pod_run.sh:"
  indent <<<"$out"
fi
assert_eq "its containers run, with the Go shim's names" \
  "$(in_node docker ps --filter "label=io.kubernetes.pod.namespace=$go_ns" --format '{{.Names}}' | LC_ALL=C sort)" \
  "k8s_POD_${go_pod}_${go_ns}_${go_uid}_0
k8s_app_${go_pod}_${go_ns}_${go_uid}_0"

section "apt-get install ./$(basename "$deb") over it"
reset_start_limit
node_apt "$tmp/switch.log" "apt-get install over the Go package" install -y "./$(basename "$deb")" || true
assert_contains "apt: an upgrade ($go_version -> $deb_version), not a downgrade" "$(cat "$tmp/switch.log")" \
  "1 upgraded, 0 newly installed, 0 to remove"
assert_eq "dpkg: this package" "$(pkg_status cri-dockerd)" "install ok installed $deb_version"
assert_eq "dpkg -S: the binary and the units are this package's" \
  "$(in_node dpkg -S /usr/bin/cri-dockerd /lib/systemd/system/cri-docker.service /lib/systemd/system/cri-docker.socket)" \
  "cri-dockerd: /usr/bin/cri-dockerd
cri-dockerd: /lib/systemd/system/cri-docker.service
cri-dockerd: /lib/systemd/system/cri-docker.socket"
assert_eq "dpkg --verify: every file is this package's as shipped" "$(in_node dpkg --verify cri-dockerd 2>&1)" ""
assert_contains "cri-dockerd --version: ours" "$(in_node cri-dockerd --version 2>&1)" "cri-dockerd $version ("
for u in cri-docker.service cri-docker.socket; do
  assert_eq "$u on disk is deploy/systemd/$u" "$(in_node cat "/lib/systemd/system/$u")" "$(cat "$src/deploy/systemd/$u")"
  assert_eq "$u: loaded from it, no reload pending, active" \
    "$(unit_prop "$u" FragmentPath) $(unit_prop "$u" NeedDaemonReload) $(unit_prop "$u" ActiveState)" \
    "/lib/systemd/system/$u no active"
done
new_pid=$(unit_prop cri-docker.service MainPID)
check "cri-docker.service restarted (pid $go_pid -> $new_pid)" test "$new_pid" != "$go_pid"
assert_eq "its main process runs /usr/bin/cri-dockerd" "$(in_node readlink "/proc/$new_pid/exe")" /usr/bin/cri-dockerd
assert_eq "enablement kept: socket and (as the Go package left it) service" \
  "$(in_node systemctl is-enabled cri-docker.socket cri-docker.service | tr '\n' ' ')" "enabled enabled "
phase GoPodsAdopted "$go_state"

section "back to the Go package"
if in_node env DEBIAN_FRONTEND=noninteractive apt-get install -y "$go_deb" >"$tmp/back.log" 2>&1; then
  bad "apt-get -y went back to the Go package without --allow-downgrades"
else
  assert_contains "apt-get -y refuses the downgrade" "$(cat "$tmp/back.log")" "without --allow-downgrades"
fi
reset_start_limit
node_apt "$tmp/back.log" "apt-get install --allow-downgrades $go_deb" install -y --allow-downgrades "$go_deb" || true
assert_eq "dpkg: the Go package again" "$(pkg_status cri-dockerd)" "install ok installed $go_version"
assert_eq "cri-dockerd --version: the Go stand-in" "$(in_node cri-dockerd --version)" "cri-dockerd 0.3.15 (Go stand-in)"
check "cri-docker.service: the Go package's unit" in_node grep -qx "Description=cri-dockerd stand-in (the Go package's unit)" /lib/systemd/system/cri-docker.service
assert_eq "cri-docker.service restarted on it, active" \
  "$(unit_prop cri-docker.service ActiveState) $(unit_prop cri-docker.service NeedDaemonReload)" "active no"
check "the service runs the Go stand-in now" test "$(unit_prop cri-docker.service MainPID)" != "$new_pid"
# shellcheck disable=SC2016 # dpkg-query's format, not the shell's
assert_contains "/etc/default/cri-dockerd kept, an obsolete conffile (the Go unit does not read it)" \
  "$(in_node dpkg-query -W -f '${Conffiles}' cri-dockerd)" "/etc/default/cri-dockerd"
check "/var/lib/cri-dockerd (checkpoints) kept" in_node test -d /var/lib/cri-dockerd/sandbox
echo "        (switching: $((SECONDS - t)) s)"

# --- the host -------------------------------------------------------------------------
section "the node removed; the host as before"
if out=$("$harness/node_down.sh" 2>&1); then ok "$out"; else bad "node_down.sh: $out"; fi
check "no node container" sh -c "! docker container inspect $NODE_CONTAINER >/dev/null 2>&1"
assert_eq "host: links, iptables rules, sysctls, CRI socket, containers" "$(host_state)" "$host_before"

finish
