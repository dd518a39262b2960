#!/bin/bash
# lib.sh: assertions and fixtures shared by the deploy tests (sourced).
# Each check prints one "ok"/"FAIL" line; finish exits non-zero on a failure.
# Needs CRID_SOURCE_DIR (the source tree); tests make scratch directories
# only under $tmp, removed on exit.
set -euo pipefail

# shellcheck disable=SC2034 # src is for the tests that source this file
src=${CRID_SOURCE_DIR:?CRID_SOURCE_DIR: the source tree}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/crid-deploy-test.XXXXXX")
cleanup_hooks=()
on_exit() {
  local h
  for h in "${cleanup_hooks[@]}"; do eval "$h" || true; done
  rm -rf "$tmp"
}
trap on_exit EXIT

checks=0
failures=0
ok() {
  checks=$((checks + 1))
  printf 'ok    %s\n' "$*"
}
bad() {
  checks=$((checks + 1))
  failures=$((failures + 1))
  printf 'FAIL  %s\n' "$*"
}
indent() { sed 's/^/        /'; }
clip() { # the first 60 lines, indented
  awk 'NR <= 60 { print "        " $0 } NR == 61 { print "        ..." }'
}
section() { printf '\n== %s\n' "$*"; }

# check DESC CMD...: CMD succeeds.
check() {
  local desc=$1
  shift
  if "$@"; then ok "$desc"; else bad "$desc"; fi
}
# wait_until SECONDS CMD...: polls CMD (every 0.1 s) until it succeeds;
# fails if it still does not after SECONDS. For a state another process
# reaches: allow a slow, busy machine plenty.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    if ((SECONDS >= deadline)); then return 1; fi
    sleep 0.1
  done
}
# assert_eq DESC GOT WANT
assert_eq() {
  if [[ $2 == "$3" ]]; then
    ok "$1"
  else
    bad "$1"
    diff -u --label want --label got <(printf '%s\n' "$3") <(printf '%s\n' "$2") | indent || true
  fi
}
# assert_contains DESC TEXT NEEDLE: NEEDLE is a line, or part of one, of TEXT.
assert_contains() {
  if grep -qF -- "$3" <<<"$2"; then
    ok "$1"
  else
    bad "$1: no '$3' in:"
    clip <<<"$2"
  fi
}
assert_not_contains() {
  if grep -qF -- "$3" <<<"$2"; then
    bad "$1: unexpected '$3' in:"
    clip <<<"$2"
  else
    ok "$1"
  fi
}
# assert_file DESC FILE WANT-CONTENT [MODE]
assert_file() {
  local desc=$1 file=$2 want=$3 mode=${4:-}
  if [[ ! -f $file ]]; then
    bad "$desc: $file missing"
    return
  fi
  assert_eq "$desc" "$(cat "$file")" "$want"
  if [[ -n $mode ]]; then assert_eq "$desc: mode $mode" "$(stat -c %a "$file")" "$mode"; fi
}
# assert_same_file DESC GOT WANT: byte-identical files.
assert_same_file() {
  if [[ -f $2 ]] && cmp -s "$2" "$3"; then ok "$1"; else bad "$1 ($2 differs from $3)"; fi
}

# snapshot DIR: every path below DIR with its type, mode and content hash or
# link target, one per line, sorted: equal snapshots = equal trees.
snapshot() {
  (
    cd "$1"
    find . -mindepth 1 | LC_ALL=C sort | while IFS= read -r p; do
      if [[ -L $p ]]; then
        printf 'l %s -> %s\n' "$p" "$(readlink "$p")"
      elif [[ -f $p ]]; then
        printf 'f %s %s %s\n' "$(stat -c %a "$p")" "$(sha256sum <"$p" | cut -c1-16)" "$p"
      else
        printf '%s %s %s\n' "$(stat -c %F "$p" | cut -c1)" "$(stat -c %a "$p")" "$p"
      fi
    done
  )
}

finish() {
  echo
  if ((failures)); then
    echo "$failures of $checks checks FAILED"
    exit 1
  fi
  echo "all $checks checks passed"
}

# build_deb BUILD_DIR OUTDIR: the Debian package cpack makes from the build
# tree, in OUTDIR; a failure shows cpack's output and ends the test.
build_deb() {
  section "cpack -G DEB"
  if ! cpack -G DEB --config "$1/CPackConfig.cmake" -B "$2" >"$2.log" 2>&1; then
    bad "cpack failed:"
    indent <"$2.log"
    finish
  fi
}

# new_root: a staging root shaped like a fresh Debian 12 node with Docker
# (a stand-in dockerd), swap in /etc/fstab, /etc/hosts.
new_root() {
  local r
  r=$(mktemp -d "$tmp/root.XXXXXX")
  mkdir -p "$r/etc" "$r/usr/bin"
  cat >"$r/etc/os-release" <<'OS'
PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION_CODENAME=bookworm
ID=debian
OS
  printf '#!/bin/sh\necho "Docker version 20.10.24+dfsg1"\n' >"$r/usr/bin/dockerd"
  chmod 0755 "$r/usr/bin/dockerd"
  cat >"$r/etc/fstab" <<'FSTAB'
# /etc/fstab: static file system information.
UUID=1111-2222 /               ext4    errors=remount-ro 0       1
UUID=3333-4444 none            swap    sw              0       0
#/dev/sdb1     none            swap    sw              0       0
/swapfile      none            swap    defaults        0       0
FSTAB
  printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$r/etc/hosts"
  printf '%s\n' "$r"
}

# A stand-in kubeadm 1.34 whose `config images list` must be pinned to its
# own version (no lookup of the latest release over the network).
fakebin=$tmp/fakebin
mkdir -p "$fakebin"
cat >"$fakebin/kubeadm" <<'KUBEADM'
#!/bin/sh
case "$*" in
"version -o short") echo v1.34.2 ;;
"config images list --kubernetes-version v1.34.2")
  for i in kube-apiserver:v1.34.2 kube-controller-manager:v1.34.2 \
    kube-scheduler:v1.34.2 kube-proxy:v1.34.2 coredns/coredns:v1.12.1 \
    pause:3.10.1 etcd:3.6.4-0; do
    echo "registry.k8s.io/$i"
  done
  ;;
*)
  echo "fake kubeadm: unexpected arguments: $*" >&2
  exit 1
  ;;
esac
KUBEADM
chmod 0755 "$fakebin/kubeadm"
