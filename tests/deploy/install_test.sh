#!/bin/bash
# install_test.sh: deploy/install.sh in staging roots (--root) and dry runs:
# every file it writes or would write, a second run changing nothing,
# --uninstall restoring the originals, and bad input refused with one message
# and no change. Only scratch directories under mktemp are written.
#   CRID_SOURCE_DIR=. CRID_BINARY=build/cmd/cri-dockerd/cri-dockerd tests/deploy/install_test.sh
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$here/lib.sh"

binary=${CRID_BINARY:?CRID_BINARY: the built cri-dockerd}
installer=$src/deploy/install.sh
unit_dir=/etc/systemd/system
state=/var/lib/cri-dockerd-installer

# run_inst [--as-nobody] [--installer PATH] ARGS...: sets out, err, rc.
run_inst() {
  local prefix=() inst=$installer
  while (($#)); do
    case $1 in
    --as-nobody) prefix=(setpriv --reuid=65534 --regid=65534 --clear-groups --) ;;
    --installer)
      inst=$2
      shift
      ;;
    *) break ;;
    esac
    shift
  done
  set +e
  out=$("${prefix[@]}" "$inst" "$@" 2>"$tmp/stderr")
  rc=$?
  set -e
  err=$(cat "$tmp/stderr")
}
body() { grep -v '^#' "$1" || true; } # a file without its comment lines

want_fstab='# /etc/fstab: static file system information.
UUID=1111-2222 /               ext4    errors=remount-ro 0       1
#cri-dockerd:swap-off# UUID=3333-4444 none            swap    sw              0       0
#/dev/sdb1     none            swap    sw              0       0
#cri-dockerd:swap-off# /swapfile      none            swap    defaults        0       0'
want_modules='overlay
br_netfilter'
want_sysctl='net.bridge.bridge-nf-call-iptables = 1
net.bridge.bridge-nf-call-ip6tables = 1
net.ipv4.ip_forward = 1'
want_crictl='runtime-endpoint: unix:///var/run/cri-dockerd.sock
image-endpoint: unix:///var/run/cri-dockerd.sock
timeout: 10'
opts() { printf 'CRI_DOCKERD_OPTS="--network-plugin=cni --cni-bin-dir=/opt/cni/bin,%s --cni-conf-dir=/etc/cni/net.d --pod-infra-container-image=%s"' "$1" "$2"; }

# ------------------------------------------------------------------------------
section "--help"
run_inst --help
assert_eq "--help exits 0" "$rc" 0
for flag in --dry-run --root --uninstall --binary --pause-image --install-docker \
  --disable-firewalld --selinux-permissive --hostname --hosts-entry --help; do
  assert_contains "--help documents $flag" "$out" "$flag"
done

# ------------------------------------------------------------------------------
section "bad input: one clear message, nothing changed"
root=$(new_root)
before=$(snapshot "$root")
# A copy of deploy/ without a build tree next to it: no default binary.
mkdir -p "$tmp/deploy"
cp -r "$src/deploy/install.sh" "$src/deploy/systemd" "$src/deploy/default" "$tmp/deploy/"
chmod -R a+rX "$tmp"
alpine=$(new_root)
printf 'ID=alpine\nPRETTY_NAME="Alpine Linux v3.20"\n' >"$alpine/etc/os-release"
nodocker=$(new_root)
rm "$nodocker/usr/bin/dockerd"
before_alpine=$(snapshot "$alpine")
before_nodocker=$(snapshot "$nodocker")
expect_refusal() { # DESC RC MESSAGE ARGS...
  local desc=$1 want_rc=$2 msg=$3
  shift 3
  run_inst "$@"
  assert_eq "$desc: exit $want_rc" "$rc" "$want_rc"
  assert_eq "$desc: nothing on stdout" "$out" ""
  assert_eq "$desc: one line on stderr" "$(wc -l <<<"$err")" 1
  assert_contains "$desc: says why" "$err" "$msg"
}
expect_refusal "unknown flag" 2 "unknown option: --frobnicate" --root "$root" --frobnicate
expect_refusal "flag without its value" 2 "option --root needs a value" --root
expect_refusal "not root" 1 "must run as root" --as-nobody --installer "$tmp/deploy/install.sh" --binary "$binary"
expect_refusal "missing binary (--binary)" 1 "missing binary: /nonexistent/cri-dockerd does not exist" \
  --root "$root" --binary /nonexistent/cri-dockerd
expect_refusal "missing binary (none found)" 1 "missing binary: no cri-dockerd found" \
  --installer "$tmp/deploy/install.sh" --root "$root"
expect_refusal "unsupported distribution" 1 "unsupported distribution: Alpine Linux v3.20" \
  --root "$alpine" --binary "$binary"
expect_refusal "no Docker Engine" 1 "Docker Engine not found in $nodocker" --root "$nodocker" --binary "$binary"
expect_refusal "bad --hosts-entry" 1 "bad --hosts-entry 'not-an-ip host'" \
  --root "$root" --binary "$binary" --hosts-entry "not-an-ip host"
expect_refusal "bad --hostname" 1 "bad --hostname: Bad_Name" --root "$root" --binary "$binary" --hostname Bad_Name
expect_refusal "bad --pause-image" 1 "bad --pause-image" --root "$root" --binary "$binary" --pause-image 'x y'
expect_refusal "missing staging root" 1 "staging root $tmp/nope is not a directory" --root "$tmp/nope" --binary "$binary"
assert_eq "bad input changed nothing in the staging root" "$(snapshot "$root")" "$before"
assert_eq "bad input changed nothing (alpine root)" "$(snapshot "$alpine")" "$before_alpine"
assert_eq "bad input changed nothing (root without docker)" "$(snapshot "$nodocker")" "$before_nodocker"

# ------------------------------------------------------------------------------
section "--dry-run --root: prints every change, makes none"
export PATH="$fakebin:$PATH" # kubeadm 1.34 (stand-in): pause:3.10.1
run_inst --dry-run --root "$root" --binary "$binary"
assert_eq "dry run exits 0" "$rc" 0
assert_eq "dry run changed nothing" "$(snapshot "$root")" "$before"
assert_eq "dry run: nothing on stderr" "$err" ""
for f in /etc/modules-load.d/cri-dockerd.conf /etc/sysctl.d/99-cri-dockerd.conf \
  /usr/bin/cri-dockerd $unit_dir/cri-docker.service $unit_dir/cri-docker.socket \
  /etc/default/cri-dockerd /etc/crictl.yaml; do
  assert_contains "dry run would write $f" "$out" "would     write $f (new, mode 0"
done
assert_contains "dry run would edit /etc/fstab" "$out" "would     change /etc/fstab"
assert_contains "dry run shows the fstab diff" "$out" "+#cri-dockerd:swap-off# UUID=3333-4444 none            swap    sw              0       0"
assert_contains "dry run shows the fstab diff (removed line)" "$out" "-/swapfile      none            swap    defaults        0       0"
assert_contains "dry run shows the sysctl content" "$out" "| net.bridge.bridge-nf-call-iptables = 1"
assert_contains "dry run shows the sysctl content (forwarding)" "$out" "| net.ipv4.ip_forward = 1"
assert_contains "dry run shows the modules content" "$out" "| br_netfilter"
assert_contains "dry run shows crictl.yaml" "$out" "| runtime-endpoint: unix:///var/run/cri-dockerd.sock"
assert_contains "dry run shows the unit's ExecStart" "$out" "| ExecStart=/usr/bin/cri-dockerd --container-runtime-endpoint fd:// \$CRI_DOCKERD_OPTS"
assert_contains "dry run shows the options with kubeadm's pause image" "$out" "| $(opts /usr/lib/cni registry.k8s.io/pause:3.10.1)"
assert_contains "dry run would enable the socket" "$out" "would     link $unit_dir/sockets.target.wants/cri-docker.socket -> $unit_dir/cri-docker.socket"
for c in "swapoff -a" "modprobe overlay" "modprobe br_netfilter" "sysctl -w net.ipv4.ip_forward=1" \
  "systemctl daemon-reload" "systemctl enable --now cri-docker.socket"; do
  assert_contains "dry run reports: $c" "$out" "would     run: $c"
done
assert_contains "dry run summary" "$out" "dry run: 9 changes would be made; nothing was changed"

# ------------------------------------------------------------------------------
section "--root: install into a staging root"
orig=$tmp/orig
cp -a "$root" "$orig"
run_inst --root "$root" --binary "$binary"
assert_eq "install exits 0" "$rc" 0
assert_eq "install: nothing on stderr" "$err" ""
assert_file "/etc/fstab: swap lines commented" "$root/etc/fstab" "$want_fstab"
assert_same_file "/etc/fstab backup is the original" "$root$state/backup/etc/fstab" "$orig/etc/fstab"
assert_eq "/etc/modules-load.d/cri-dockerd.conf" "$(body "$root/etc/modules-load.d/cri-dockerd.conf")" "$want_modules"
assert_eq "/etc/sysctl.d/99-cri-dockerd.conf" "$(body "$root/etc/sysctl.d/99-cri-dockerd.conf")" "$want_sysctl"
assert_same_file "/usr/bin/cri-dockerd is the binary" "$root/usr/bin/cri-dockerd" "$binary"
assert_eq "/usr/bin/cri-dockerd mode" "$(stat -c %a "$root/usr/bin/cri-dockerd")" 755
for u in cri-docker.service cri-docker.socket; do
  assert_same_file "$unit_dir/$u" "$root$unit_dir/$u" "$src/deploy/systemd/$u"
  assert_eq "$unit_dir/$u mode" "$(stat -c %a "$root$unit_dir/$u")" 644
done
assert_eq "socket enabled (sockets.target.wants link)" \
  "$(readlink "$root$unit_dir/sockets.target.wants/cri-docker.socket")" "$unit_dir/cri-docker.socket"
assert_eq "/etc/default/cri-dockerd: options with kubeadm's pause image" \
  "$(body "$root/etc/default/cri-dockerd")" "$(opts /usr/lib/cni registry.k8s.io/pause:3.10.1)"
assert_eq "/etc/default/cri-dockerd: comments as shipped" \
  "$(grep '^#' "$root/etc/default/cri-dockerd")" "$(grep '^#' "$src/deploy/default/cri-dockerd")"
assert_eq "/etc/crictl.yaml" "$(body "$root/etc/crictl.yaml")" "$want_crictl"
assert_eq "/etc/hosts untouched" "$(cat "$root/etc/hosts")" "$(cat "$orig/etc/hosts")"
assert_contains "reports kubeadm's pause image" "$out" "kubeadm v1.34.2 uses registry.k8s.io/pause:3.10.1"
assert_contains "prints the kubeadm init flags" "$out" "kubeadm init --cri-socket unix:///var/run/cri-dockerd.sock"
assert_contains "prints the kubeadm join flags" "$out" "--discovery-token-ca-cert-hash sha256:<hash> --cri-socket unix:///var/run/cri-dockerd.sock"
assert_contains "prints the kubelet cgroup driver setting" "$out" "cgroupDriver: "
assert_contains "prints kubeadm's config API for 1.34" "$out" "apiVersion: kubeadm.k8s.io/v1beta4"
assert_contains "reports the commands it did not run" "$out" "would     run: systemctl enable --now cri-docker.socket"
assert_contains "summary" "$out" "install.sh: done (9 changes)"
# Exactly these files are new or different, nothing else.
written=$(LC_ALL=C comm -13 <(snapshot "$orig" | LC_ALL=C sort) <(snapshot "$root" | LC_ALL=C sort) |
  awk '$1 == "f" { print $4 } $1 == "l" { print $2 }' | sed 's/^\.//' | LC_ALL=C sort)
assert_eq "files written (nothing else)" "$written" "$(LC_ALL=C sort <<EOF2
/etc/crictl.yaml
/etc/default/cri-dockerd
/etc/fstab
/etc/modules-load.d/cri-dockerd.conf
/etc/sysctl.d/99-cri-dockerd.conf
$unit_dir/cri-docker.service
$unit_dir/cri-docker.socket
$unit_dir/sockets.target.wants/cri-docker.socket
/usr/bin/cri-dockerd
$state/backup/etc/fstab
$state/manifest
EOF2
)"

# ------------------------------------------------------------------------------
section "second run changes nothing"
installed=$(snapshot "$root")
run_inst --root "$root" --binary "$binary"
assert_eq "second run exits 0" "$rc" 0
assert_eq "second run changed no file" "$(snapshot "$root")" "$installed"
assert_not_contains "second run reports no change" "$out" "  changed "
assert_contains "second run says so" "$out" "done: no changes, the node was already set up"
run_inst --dry-run --root "$root" --binary "$binary"
assert_contains "dry run after install: nothing to do" "$out" "dry run: 0 changes would be made"

# ------------------------------------------------------------------------------
section "--uninstall restores the originals"
run_inst --uninstall --dry-run --root "$root"
assert_eq "uninstall dry run exits 0" "$rc" 0
assert_eq "uninstall dry run changed nothing" "$(snapshot "$root")" "$installed"
assert_contains "uninstall dry run would restore fstab" "$out" "would     restore /etc/fstab from its backup"
assert_contains "uninstall dry run would remove the binary" "$out" "would     remove /usr/bin/cri-dockerd"
run_inst --uninstall --root "$root"
assert_eq "uninstall exits 0" "$rc" 0
assert_eq "uninstall: the staging root is as before the install" "$(snapshot "$root")" "$(snapshot "$orig")"
assert_same_file "uninstall: /etc/fstab byte for byte" "$root/etc/fstab" "$orig/etc/fstab"
run_inst --uninstall --root "$root"
assert_contains "second uninstall: nothing to do" "$out" "nothing to uninstall"

# ------------------------------------------------------------------------------
section "existing configuration: edited with backups, restored on uninstall"
root=$(new_root)
mkdir -p "$root/etc/default" "$root/etc/selinux"
admin_opts='CRI_DOCKERD_OPTS="--network-plugin=cni --cni-bin-dir=/opt/cni/bin --pod-infra-container-image=registry.k8s.io/pause:3.9 --log-level=debug"'
printf '# admin options\n%s\n' "$admin_opts" >"$root/etc/default/cri-dockerd"
printf 'runtime-endpoint: unix:///run/containerd/containerd.sock\n' >"$root/etc/crictl.yaml"
printf 'SELINUX=enforcing\nSELINUXTYPE=targeted\n' >"$root/etc/selinux/config"
printf 'oldname\n' >"$root/etc/hostname"
cp -a "$root" "$tmp/orig2"
run_inst --root "$root" --binary "$binary" --selinux-permissive --hostname node-1.example \
  --hosts-entry "192.0.2.10 cp-1.example cp-1" --hosts-entry "192.0.2.11 node-1.example"
assert_eq "install with options exits 0" "$rc" 0
assert_eq "admin options kept, only the pause image changed" "$(cat "$root/etc/default/cri-dockerd")" \
  "# admin options
${admin_opts/pause:3.9/pause:3.10.1}"
assert_same_file "options backup" "$root$state/backup/etc/default/cri-dockerd" "$tmp/orig2/etc/default/cri-dockerd"
assert_eq "/etc/crictl.yaml replaced" "$(body "$root/etc/crictl.yaml")" "$want_crictl"
assert_same_file "/etc/crictl.yaml backup" "$root$state/backup/etc/crictl.yaml" "$tmp/orig2/etc/crictl.yaml"
assert_eq "SELinux permissive" "$(cat "$root/etc/selinux/config")" "SELINUX=permissive
SELINUXTYPE=targeted"
assert_eq "/etc/hostname" "$(cat "$root/etc/hostname")" node-1.example
assert_eq "/etc/hosts: entries appended" "$(cat "$root/etc/hosts")" "$(cat "$tmp/orig2/etc/hosts")
192.0.2.10 cp-1.example cp-1
192.0.2.11 node-1.example"
for w in "permissive SELinux" "the hostname becomes the Kubernetes node name" "/etc/hosts entries override DNS"; do
  assert_contains "warns: $w" "$out" "warning   $w"
done
assert_contains "reports the setenforce it did not run" "$out" "would     run: setenforce 0"
snap=$(snapshot "$root")
run_inst --root "$root" --binary "$binary" --selinux-permissive --hostname node-1.example \
  --hosts-entry "192.0.2.10 cp-1.example cp-1" --hosts-entry "192.0.2.11   node-1.example"
assert_eq "second run with options changed nothing" "$(snapshot "$root")" "$snap"
run_inst --uninstall --root "$root"
assert_eq "uninstall restores every edited file" "$(snapshot "$root")" "$(snapshot "$tmp/orig2")"

# ------------------------------------------------------------------------------
section "files edited after the install are kept"
root=$(new_root)
run_inst --root "$root" --binary "$binary"
printf '/dev/sdc1 /data ext4 defaults 0 2\n' >>"$root/etc/fstab"
printf 'debug: true\n' >>"$root/etc/crictl.yaml"
run_inst --uninstall --root "$root"
assert_eq "uninstall after edits exits 0" "$rc" 0
assert_eq "fstab: swap lines back, the admin's line kept" "$(cat "$root/etc/fstab")" \
  "# /etc/fstab: static file system information.
UUID=1111-2222 /               ext4    errors=remount-ro 0       1
UUID=3333-4444 none            swap    sw              0       0
#/dev/sdb1     none            swap    sw              0       0
/swapfile      none            swap    defaults        0       0
/dev/sdc1 /data ext4 defaults 0 2"
assert_contains "crictl.yaml edited since: kept with a warning" "$out" "warning   /etc/crictl.yaml changed since install.sh wrote it: kept"
check "crictl.yaml kept" test -f "$root/etc/crictl.yaml"
check "the binary removed" test ! -e "$root/usr/bin/cri-dockerd"

# ------------------------------------------------------------------------------
section "package layout: units and binary from the .deb are used, not copied"
root=$(new_root)
mkdir -p "$root/lib/systemd/system" "$root/var/lib/dpkg/info"
cp "$src/deploy/systemd/cri-docker.service" "$src/deploy/systemd/cri-docker.socket" "$root/lib/systemd/system/"
cp "$binary" "$root/usr/bin/cri-dockerd"
printf '/usr/bin/cri-dockerd\n/lib/systemd/system/cri-docker.service\n' >"$root/var/lib/dpkg/info/cri-dockerd.list"
run_inst --installer "$tmp/deploy/install.sh" --root "$root"
assert_eq "package layout: exits 0" "$rc" 0
assert_contains "package layout: finds the packaged binary" "$out" "unchanged /usr/bin/cri-dockerd (the binary being installed)"
assert_contains "package layout: units from the package" "$out" "units: /lib/systemd/system/cri-docker.{service,socket} (from the package"
check "package layout: no unit copy in $unit_dir" test ! -e "$root$unit_dir/cri-docker.service"
assert_eq "package layout: socket enabled from /lib" \
  "$(readlink "$root$unit_dir/sockets.target.wants/cri-docker.socket")" /lib/systemd/system/cri-docker.socket
printf 'not the same binary\n' >"$tmp/other-binary"
cp "$tmp/other-binary" "$root/usr/bin/cri-dockerd"
printf '#!/bin/sh\necho cri-dockerd 9.9\n' >"$tmp/other"
chmod 0755 "$tmp/other"
snap=$(snapshot "$root")
expect_refusal "a different binary owned by a package" 1 \
  "/usr/bin/cri-dockerd belongs to the installed package cri-dockerd and differs from $tmp/other" \
  --root "$root" --binary "$tmp/other"
assert_eq "package-owned binary: nothing changed" "$(snapshot "$root")" "$snap"

# ------------------------------------------------------------------------------
section "dnf distributions (dry run): Docker from the distribution, CNI in /usr/libexec/cni"
root=$(new_root)
rm "$root/usr/bin/dockerd"
printf 'ID=fedora\nPRETTY_NAME="Fedora Linux 40"\n' >"$root/etc/os-release"
snap=$(snapshot "$root")
run_inst --dry-run --root "$root" --binary "$binary" --install-docker --pause-image registry.example/pause:9
assert_eq "fedora dry run exits 0" "$rc" 0
assert_contains "fedora: distribution and package manager" "$out" "distribution: Fedora Linux 40 (packages: dnf"
assert_contains "fedora: installs moby-engine" "$out" "would     run: dnf install -y moby-engine"
assert_contains "fedora: enables docker" "$out" "would     run: systemctl enable --now docker.service"
assert_contains "fedora: CNI plugins in /usr/libexec/cni, --pause-image wins" "$out" \
  "| $(opts /usr/libexec/cni registry.example/pause:9)"
assert_eq "fedora dry run changed nothing" "$(snapshot "$root")" "$snap"

# ------------------------------------------------------------------------------
section "--dry-run on this machine (no --root): reads, never writes"
host_paths=(/etc/fstab /etc/modules-load.d /etc/sysctl.d /etc/default /etc/crictl.yaml
  /usr/bin/cri-dockerd /etc/systemd/system /var/lib/cri-dockerd-installer)
host_state() { for p in "${host_paths[@]}"; do if [[ -e $p ]]; then find "$p" -printf '%p %y %m %s %T@\n'; fi; done | LC_ALL=C sort; }
if ((EUID == 0)); then
  hbefore=$(host_state)
  run_inst --dry-run --binary "$binary"
  assert_eq "host dry run exits 0" "$rc" 0
  assert_eq "host dry run changed nothing" "$(host_state)" "$hbefore"
  if [[ -d /run/systemd/system ]]; then
    assert_contains "host dry run: would enable the socket" "$out" "would     run: systemctl enable cri-docker.socket"
  else
    assert_contains "host dry run: no systemd, says so" "$out" "skipped   systemd is not running"
    assert_contains "host dry run: how to start by hand" "$out" "exec /usr/bin/cri-dockerd \$CRI_DOCKERD_OPTS"
  fi
else
  ok "host dry run skipped (not root)"
fi

finish
