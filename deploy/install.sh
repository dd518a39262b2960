#!/bin/bash
# install.sh: prepare a Linux node for `kubeadm init` / `kubeadm join` with
# cri-dockerd as the container runtime, doing step by step (and reporting
# each step) what the kubeadm node-setup guides make operators do by hand:
#   swap off, br_netfilter + overlay, the bridge/forwarding sysctls, Docker
#   Engine present, the cri-dockerd binary and systemd units installed and the
#   socket enabled, the pause image kubeadm wants, /etc/crictl.yaml, and the
#   exact kubeadm/kubelet settings to use.
# Idempotent: a second run changes nothing. Every file it changes is recorded
# (with a backup of the original) under /var/lib/cri-dockerd-installer, so
# --uninstall removes what it installed and restores what it edited.
# Run with --help for the options.
set -euo pipefail
umask 022

readonly prog=install.sh
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly here
readonly state_dir=/var/lib/cri-dockerd-installer
readonly cri_socket=/var/run/cri-dockerd.sock
readonly cri_endpoint=unix://$cri_socket
readonly bin_path=/usr/bin/cri-dockerd
readonly env_path=/etc/default/cri-dockerd
readonly unit_dir=/etc/systemd/system
readonly modules_path=/etc/modules-load.d/cri-dockerd.conf
readonly sysctl_path=/etc/sysctl.d/99-cri-dockerd.conf
readonly crictl_path=/etc/crictl.yaml
readonly swap_mark='#cri-dockerd:swap-off# '
readonly sysctls=(net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables
  net.ipv4.ip_forward)

usage() {
  cat <<EOF
Usage: $prog [options]

Prepares this machine as a Kubernetes node running pods on Docker Engine
through cri-dockerd, ready for:
  kubeadm init --cri-socket $cri_endpoint
  kubeadm join ... --cri-socket $cri_endpoint

Steps (each reported): preflight (root, distribution, kernel, Docker);
swap off now and in /etc/fstab (line commented, backup kept); br_netfilter
and overlay loaded and listed in /etc/modules-load.d; bridge-nf-call-iptables,
bridge-nf-call-ip6tables and ip_forward = 1 in /etc/sysctl.d and applied;
the cri-dockerd binary ($bin_path), cri-docker.service and
cri-docker.socket, $env_path; systemd daemon-reload and
enable --now cri-docker.socket; the pause image kubeadm reports (set and pulled);
$crictl_path; then the kubeadm and kubelet settings to use.

Options:
  --dry-run              Print every change (file contents and diffs, commands)
                         and make none.
  --root DIR             Install into the staging root DIR: only write files
                         under DIR, never run systemctl, modprobe, sysctl or
                         swapoff (report them instead).
  --uninstall            Remove what earlier runs installed, restore the
                         files they edited from their backups.
  --binary PATH          The cri-dockerd binary to install (default: the
                         build tree's build/cmd/cri-dockerd/cri-dockerd, or
                         one next to this script, or the packaged
                         $bin_path).
  --pause-image IMAGE    Pod sandbox (pause) image; default: what
                         \`kubeadm config images list\` reports when kubeadm is
                         installed, else the current setting.
  --install-docker       Install Docker Engine from the distribution's
                         packages (apt: docker.io; dnf/yum: moby-engine or
                         docker-ce) when missing, and enable it.
Optional, off by default (each weakens or changes the node; a warning says how):
  --disable-firewalld    Stop and disable firewalld.
  --selinux-permissive   Put SELinux in permissive mode, now and in
                         /etc/selinux/config.
  --hostname NAME        Set the hostname (now and in /etc/hostname).
  --hosts-entry 'IP NAME...'
                         Add a line to /etc/hosts (repeatable).
  -h, --help             Print this help.

Exit status: 0 on success, 1 on an error (nothing changed when the error is
found before the first step), 2 on bad usage.
EOF
}

# --- reporting ----------------------------------------------------------------
die() {
  printf '%s: error: %s\n' "$prog" "$*" >&2
  exit 1
}
usage_error() {
  printf '%s: %s (see %s --help)\n' "$prog" "$*" "$prog" >&2
  exit 2
}
step_no=0
step_total=0
step() {
  step_no=$((step_no + 1))
  printf '[%d/%d] %s\n' "$step_no" "$step_total" "$1"
}
# report TAG MESSAGE: one indented line per fact or action.
report() { printf '  %-9s %s\n' "$1" "$2"; }
warn() { report warning "$*"; }
# quote_block PREFIX < text: the text indented under the current line.
quote_block() { sed "s/^/      $1/"; }

# --- options --------------------------------------------------------------------
dry_run=0
uninstall=0
root=""
binary=""
pause_image=""
install_docker=0
disable_firewalld=0
selinux_permissive=0
new_hostname=""
hosts_entries=()

need_arg() { [[ $# -ge 2 && -n $2 ]] || usage_error "option $1 needs a value"; }
while (($#)); do
  opt=$1
  case $opt in
  --*=*)
    set -- "${opt%%=*}" "${opt#*=}" "${@:2}"
    continue
    ;;
  --dry-run) dry_run=1 ;;
  --uninstall) uninstall=1 ;;
  --install-docker) install_docker=1 ;;
  --disable-firewalld) disable_firewalld=1 ;;
  --selinux-permissive) selinux_permissive=1 ;;
  --root | --binary | --pause-image | --hostname | --hosts-entry)
    need_arg "$@"
    case $opt in
    --root) root=$2 ;;
    --binary) binary=$2 ;;
    --pause-image) pause_image=$2 ;;
    --hostname) new_hostname=$2 ;;
    --hosts-entry) hosts_entries+=("$2") ;;
    esac
    shift
    ;;
  -h | --help)
    usage
    exit 0
    ;;
  *) usage_error "unknown option: $opt" ;;
  esac
  shift
done

if [[ -n $root ]]; then
  [[ -d $root ]] || die "staging root $root is not a directory"
  root=$(cd "$root" && pwd -P)
  [[ $root != / ]] || die "--root / is the running system: leave --root out"
fi
# R PATH: PATH inside the target root.
R() { printf '%s%s' "$root" "$1"; }
# live: changes reach the running system (not a dry run, not a staging root).
live=0
if ((!dry_run)) && [[ -z $root ]]; then live=1; fi
systemd_running=0
if [[ -d /run/systemd/system ]]; then systemd_running=1; fi
pid1=$(cat /proc/1/comm 2>/dev/null || echo unknown)

if ((EUID != 0 && !dry_run)) && [[ -z $root ]]; then
  die "must run as root (or with --dry-run to see the changes, or --root DIR to stage them)"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/cri-dockerd-install.XXXXXX")
trap 'rm -rf "$work"' EXIT

# --- the manifest: what this installer created or edited ------------------------
# One line per path: KIND<TAB>PATH<TAB>SUM. KIND is created or modified (files,
# SUM = sha256 of what was written), link (SUM = target) or dir. The first run
# that touches a path decides its KIND; the original of a modified file is in
# $state_dir/backup/PATH.
declare -A m_kind=() m_sum=()
m_order=()
m_dirty=0
manifest_file=$(R "$state_dir/manifest")
if [[ -f $manifest_file ]]; then
  while IFS=$'\t' read -r kind path sum; do
    [[ -n $kind && $kind != \#* ]] || continue
    [[ -n ${m_kind[$path]+x} ]] || m_order+=("$path")
    m_kind[$path]=$kind
    m_sum[$path]=$sum
  done <"$manifest_file"
fi
m_record() { # KIND PATH SUM
  if [[ -z ${m_kind[$2]+x} ]]; then
    m_order+=("$2")
    m_kind[$2]=$1
  fi
  m_sum[$2]=$3
  m_dirty=1
}
m_save() {
  ((m_dirty)) || return 0
  ensure_dir "$state_dir"
  local tmp=$work/manifest p
  {
    printf '# cri-dockerd install.sh: files it created or edited (kind, path, sha256/target)\n'
    for p in "${m_order[@]}"; do
      [[ -n ${m_kind[$p]+x} ]] || continue
      printf '%s\t%s\t%s\n' "${m_kind[$p]}" "$p" "${m_sum[$p]}"
    done
  } >"$tmp"
  install -m 0600 "$tmp" "$manifest_file"
  m_dirty=0
}
sum_of() { sha256sum <"$1" | cut -c1-64; }

# --- changing files ---------------------------------------------------------------
changes=0
changed() {
  changes=$((changes + 1))
  report "$@"
}
# ensure_dir DIR: create DIR (and missing parents) in the root, recording each.
ensure_dir() {
  local d=$1 missing=()
  while [[ $d != / && ! -d $(R "$d") ]]; do
    missing=("$d" "${missing[@]}")
    d=$(dirname "$d")
  done
  for d in "${missing[@]}"; do
    mkdir -m 0755 "$(R "$d")"
    m_record dir "$d" -
  done
}
backup_path() { R "$state_dir/backup$1"; }
# put_file SRC PATH MODE [binary]: make PATH (in the root) a copy of SRC with
# MODE. Unchanged content and mode: nothing happens. A dry run shows the
# content (new file) or a diff (edit) instead. An edited file's original is
# backed up once, before the first edit.
put_file() {
  local src=$1 path=$2 mode=$3 kind=${4:-text} dest
  mode=$(printf '%04o' "$((8#$mode))")
  dest=$(R "$path")
  if [[ -f $dest ]] && cmp -s "$src" "$dest" &&
    [[ $(stat -c %a "$dest") == "${mode#0}" ]]; then
    report unchanged "$path"
    return 0
  fi
  if ((dry_run)); then
    if [[ ! -e $dest ]]; then
      changed would "write $path (new, mode $mode)"
      if [[ $kind == text ]]; then quote_block '| ' <"$src"; fi
    elif cmp -s "$src" "$dest"; then
      changed would "chmod $mode $path"
    else
      changed would "change $path (mode $mode)"
      if [[ $kind == text ]]; then
        diff -u --label "$path" --label "$path (new)" "$dest" "$src" | quote_block '' || true
      fi
    fi
    return 0
  fi
  ensure_dir "$state_dir"
  ensure_dir "$(dirname "$path")"
  if [[ -z ${m_kind[$path]+x} ]]; then
    if [[ -e $dest || -L $dest ]]; then
      local backup
      backup=$(backup_path "$path")
      mkdir -p "$(dirname "$backup")"
      cp -a "$dest" "$backup"
      m_record modified "$path" -
    else
      m_record created "$path" -
    fi
  fi
  local tmp
  tmp=$(mktemp "$dest.XXXXXX")
  cat "$src" >"$tmp"
  chmod "$mode" "$tmp"
  if ! mv -f "$tmp" "$dest" 2>/dev/null; then
    # A bind-mounted file (/etc/hosts in a container) cannot be replaced.
    cat "$tmp" >"$dest"
    chmod "$mode" "$dest"
    rm -f "$tmp"
  fi
  m_record "${m_kind[$path]}" "$path" "$(sum_of "$dest")"
  m_save
  if [[ ${m_kind[$path]} == modified ]]; then
    changed changed "wrote $path (original kept: $(backup_path "$path" | sed "s#^$root##"))"
  else
    changed changed "wrote $path"
  fi
}
# put_text PATH MODE < content
put_text() {
  local src
  src=$(mktemp "$work/text.XXXXXX")
  cat >"$src"
  put_file "$src" "$1" "$2"
}
# put_link PATH TARGET: a symlink in the root (how `systemctl enable` works).
put_link() {
  local path=$1 target=$2 dest
  dest=$(R "$path")
  if [[ -L $dest && $(readlink "$dest") == "$target" ]]; then
    report unchanged "$path -> $target"
    return 0
  fi
  if ((dry_run)); then
    changed would "link $path -> $target"
    return 0
  fi
  [[ ! -e $dest || -L $dest ]] || die "$path exists and is not a symlink"
  ensure_dir "$state_dir"
  ensure_dir "$(dirname "$path")"
  ln -sfn "$target" "$dest"
  m_record link "$path" "$target"
  m_save
  changed changed "linked $path -> $target"
}

# --- running commands ---------------------------------------------------------------
# act CMD...: a command that changes the running system. Live: run it (a
# change; its output goes to $work/out for the caller's warning) and return
# its status. Dry run: report it (a change it would make). Staging root:
# report it as what the running system would need (not a change here).
act() {
  if [[ -n $root ]]; then
    report would "run: $*"
  elif ((dry_run)); then
    changed would "run: $*"
  elif "$@" >"$work/out" 2>&1; then
    changed ran "$*"
  else
    return 1
  fi
}
last_output() { tr '\n' ' ' <"$work/out" | sed 's/ *$//'; }

# --- facts about the target ------------------------------------------------------------
os_release=""
for f in "$(R /etc/os-release)" "$(R /usr/lib/os-release)" /etc/os-release /usr/lib/os-release; do
  if [[ -f $f ]]; then
    os_release=$f
    break
  fi
done
os_field() { # NAME: a field of os-release, unquoted
  [[ -n $os_release ]] || return 0
  sed -n "s/^$1=//p" "$os_release" | head -n1 | sed 's/^"\(.*\)"$/\1/; s/^'"'"'\(.*\)'"'"'$/\1/'
}
distro_id=$(os_field ID)
distro_like=$(os_field ID_LIKE)
distro_name=$(os_field PRETTY_NAME)
pkg_manager=""
for id in $distro_id $distro_like; do
  case $id in
  debian | ubuntu)
    pkg_manager=apt
    break
    ;;
  fedora | rhel | centos | rocky | almalinux | ol)
    if command -v dnf >/dev/null 2>&1 || [[ -x $(R /usr/bin/dnf) ]] ||
      ! { command -v yum >/dev/null 2>&1 || [[ -x $(R /usr/bin/yum) ]]; }; then
      pkg_manager=dnf
    else
      pkg_manager=yum
    fi
    break
    ;;
  esac
done
# Where the distribution's CNI plugin package puts the plugins.
distro_cni_dir=/usr/lib/cni
if [[ $pkg_manager != apt ]]; then distro_cni_dir=/usr/libexec/cni; fi

# find_in_target NAME: an executable NAME on the target (the root's usual
# directories; PATH too on the running system).
find_in_target() {
  local d
  for d in /usr/bin /usr/sbin /bin /sbin /usr/local/bin /usr/local/sbin; do
    if [[ -x $(R "$d/$1") ]]; then
      printf '%s\n' "$d/$1"
      return 0
    fi
  done
  if [[ -z $root ]]; then command -v "$1" 2>/dev/null && return 0; fi
  return 1
}
# owner_package PATH: the installed package owning PATH, if any.
owner_package() {
  local db lists
  db=$(R /var/lib/dpkg/info)
  if [[ -d $db ]]; then
    lists=$(grep -lxF -- "$1" "$db"/*.list 2>/dev/null || true)
    if [[ -n $lists ]]; then
      lists=${lists%%$'\n'*}
      lists=${lists##*/}
      printf '%s\n' "${lists%.list}"
      return 0
    fi
  fi
  if [[ -z $root ]] && command -v rpm >/dev/null 2>&1; then
    rpm -qf --qf '%{NAME}\n' "$1" 2>/dev/null && return 0
  fi
  return 1
}
# socket_taken: something other than cri-docker.socket listens on the CRI socket.
socket_taken() {
  [[ -S $cri_socket || -S /run/cri-dockerd.sock ]] || return 1
  if ((systemd_running)) && systemctl -q is-active cri-docker.socket 2>/dev/null; then
    return 1
  fi
  if command -v ss >/dev/null 2>&1; then
    ss -xlnH 2>/dev/null | awk -v a=$cri_socket -v b=/run/cri-dockerd.sock \
      '$5 == a || $5 == b { found = 1 } END { exit !found }'
    return
  fi
  return 0
}
image_ok() { [[ $1 =~ ^[A-Za-z0-9][A-Za-z0-9._/:@-]*$ ]]; }
pause_in_env() { # FILE: the --pod-infra-container-image value in an env file
  sed -n 's/.*--pod-infra-container-image[= ]\([^ "'"'"']*\).*/\1/p' "$1" | head -n1
}

# ================================================================================
# Uninstall
# ================================================================================
do_uninstall() {
  step_total=3
  printf '%s: removing what it installed%s\n' "$prog" "${root:+ from the staging root $root}"
  if ((dry_run)); then printf '%s: dry run: nothing will be changed\n' "$prog"; fi
  if [[ ! -f $manifest_file ]]; then
    printf '%s: nothing to uninstall: no %s%s\n' "$prog" "$state_dir/manifest" "${root:+ in $root}"
    return 0
  fi

  step "Stop cri-dockerd"
  local units_ours=0
  if [[ ${m_kind[$unit_dir/cri-docker.socket]:-} == created ]]; then units_ours=1; fi
  if ((!units_ours)); then
    report skipped "the units were not installed by $prog (left as they are)"
  elif [[ -n $root ]]; then
    report skipped "staging root: not running systemctl"
  elif ((live && !systemd_running)); then
    report skipped "systemd is not running (PID 1 is $pid1): stop a cri-dockerd you started by hand yourself"
  else
    act systemctl disable --now cri-docker.socket cri-docker.service ||
      warn "systemctl disable --now failed: $(last_output)"
  fi

  step "Remove installed files, restore edited ones"
  local i path kind sum dest backup keep_state=0
  for ((i = ${#m_order[@]} - 1; i >= 0; i--)); do
    path=${m_order[i]}
    kind=${m_kind[$path]}
    sum=${m_sum[$path]}
    dest=$(R "$path")
    case $kind in
    created)
      if [[ ! -e $dest ]]; then
        report unchanged "$path (already gone)"
      elif [[ $(sum_of "$dest") != "$sum" ]]; then
        warn "$path changed since $prog wrote it: kept"
      elif owner=$(owner_package "$path"); then
        report unchanged "$path now belongs to the package $owner: kept"
      elif ((dry_run)); then
        changed would "remove $path"
      else
        rm -f "$dest"
        changed changed "removed $path"
      fi
      ;;
    modified)
      backup=$(backup_path "$path")
      if [[ ! -e $backup && ! -L $backup ]]; then
        warn "no backup of $path: left as it is"
      elif [[ -f $dest && $(sum_of "$dest") == "$sum" ]]; then
        if ((dry_run)); then
          changed would "restore $path from its backup"
        else
          cp -a "$backup" "$dest"
          changed changed "restored $path"
        fi
      elif [[ $path == /etc/fstab && -f $dest ]]; then
        # Edited since: put back only the swap lines this script commented.
        if ((dry_run)); then
          changed would "uncomment the swap lines $prog commented in $path"
        else
          sed -i "s|^$swap_mark||" "$dest"
          changed changed "uncommented the swap lines $prog commented in $path (edited since; backup kept)"
          keep_state=1
        fi
      else
        warn "$path changed since $prog wrote it: kept; the original is $(backup_path "$path" | sed "s#^$root##")"
        keep_state=1
      fi
      ;;
    link)
      if [[ -L $dest && $(readlink "$dest") == "$sum" ]]; then
        if ((dry_run)); then
          changed would "remove $path"
        else
          rm -f "$dest"
          changed changed "removed $path"
        fi
      fi
      ;;
    esac
  done
  if ((!dry_run && !keep_state)); then
    rm -rf "$(R "$state_dir")"
  fi
  for ((i = ${#m_order[@]} - 1; i >= 0; i--)); do
    path=${m_order[i]}
    [[ ${m_kind[$path]} == dir ]] || continue
    dest=$(R "$path")
    if [[ -d $dest ]] && [[ -z $(ls -A "$dest") ]]; then
      if ((!dry_run)); then rmdir "$dest"; fi
    fi
  done
  if ((units_ours)) && [[ -z $root ]] && ((systemd_running)); then
    act systemctl daemon-reload || warn "systemctl daemon-reload failed: $(last_output)"
  fi

  step "What stays"
  report note "swap stays off until \`swapon -a\` or a reboot; modules and sysctls stay until a reboot"
  report note "Docker Engine, if $prog installed it, stays installed; firewalld, SELinux and the hostname stay as they are"
  if ((keep_state)); then
    report note "backups of files edited since are kept in $state_dir/backup"
  fi
  if ((dry_run)); then
    printf '%s: dry run: %d changes would be made; nothing was changed\n' "$prog" "$changes"
  else
    printf '%s: uninstalled (%d changes)\n' "$prog" "$changes"
  fi
}

if ((uninstall)); then
  do_uninstall
  exit 0
fi

# ================================================================================
# Install: everything that can be wrong with the input is checked here, before
# the first change.
# ================================================================================
[[ -n $distro_id ]] || die "unsupported distribution: no /etc/os-release"
[[ -n $pkg_manager ]] || die "unsupported distribution: ${distro_name:-$distro_id} (ID=$distro_id); supported: Debian, Ubuntu and derivatives (apt), Fedora, RHEL, CentOS Stream, Rocky, AlmaLinux, Oracle Linux (dnf/yum)"
for f in "$here/systemd/cri-docker.service" "$here/systemd/cri-docker.socket" "$here/default/cri-dockerd"; do
  [[ -f $f ]] || die "installer data missing: $f (run the install.sh that sits next to its systemd/ and default/ directories)"
done

if [[ -z $binary ]]; then
  for b in "$here/../build/cmd/cri-dockerd/cri-dockerd" "$here/cri-dockerd" "$(R $bin_path)"; do
    if [[ -f $b && -x $b ]]; then
      binary=$b
      break
    fi
  done
  [[ -n $binary ]] || die "missing binary: no cri-dockerd found (looked for $here/../build/cmd/cri-dockerd/cri-dockerd, $here/cri-dockerd and $(R $bin_path)); build it (cmake --build build --target cri-dockerd) or pass --binary PATH"
fi
[[ -e $binary ]] || die "missing binary: $binary does not exist"
[[ -f $binary && -x $binary ]] || die "missing binary: $binary is not an executable file"
binary=$(cd "$(dirname "$binary")" && pwd -P)/$(basename "$binary")
if ! binary_version=$(timeout 10 "$binary" --version 2>&1); then
  die "$binary does not run: ${binary_version//$'\n'/ }"
fi
binary_version=${binary_version%%$'\n'*}
bin_dest=$(R $bin_path)
if [[ -e $bin_dest ]] && ! cmp -s "$binary" "$bin_dest"; then
  if owner=$(owner_package $bin_path); then
    die "$bin_path belongs to the installed package $owner and differs from $binary: install this project's package instead, or remove $owner first"
  fi
fi

if [[ -n $pause_image ]] && ! image_ok "$pause_image"; then
  die "bad --pause-image: $pause_image"
fi
if [[ -n $new_hostname ]]; then
  [[ ${#new_hostname} -le 253 && $new_hostname =~ ^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$ ]] ||
    die "bad --hostname: $new_hostname (lower-case letters, digits, '-' and '.', as Kubernetes node names want)"
fi
for e in "${hosts_entries[@]}"; do
  read -r -a words <<<"$e"
  [[ ${#words[@]} -ge 2 ]] || die "bad --hosts-entry '$e': want 'IP NAME [ALIAS...]'"
  [[ ${words[0]} =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ || ${words[0]} =~ ^[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*$ ]] ||
    die "bad --hosts-entry '$e': ${words[0]} is not an IP address"
  for w in "${words[@]:1}"; do
    [[ $w =~ ^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$ ]] || die "bad --hosts-entry '$e': bad name $w"
  done
done

kernel=$(uname -r)
kmajor=${kernel%%.*}
kminor=${kernel#*.}
kminor=${kminor%%[!0-9]*}
if ((kmajor < 3 || (kmajor == 3 && kminor < 10))); then
  die "kernel $kernel is too old: Kubernetes needs 3.10 or later (4.19+ recommended)"
fi

dockerd_path=$(find_in_target dockerd || true)
if [[ -z $dockerd_path ]] && ((!install_docker)); then
  die "Docker Engine not found${root:+ in $root}: install it (apt-get install docker.io, or Docker's docker-ce) or rerun with --install-docker"
fi

# ================================================================================
# Install steps
# ================================================================================
step_total=12
if ((dry_run)); then
  printf '%s: dry run: printing every change%s; nothing will be changed\n' "$prog" "${root:+ to the staging root $root}"
elif [[ -n $root ]]; then
  printf '%s: installing into the staging root %s (files only; commands are reported, not run)\n' "$prog" "$root"
else
  printf '%s: preparing this node for kubeadm with cri-dockerd\n' "$prog"
fi

# --- 1 -------------------------------------------------------------------------------
step "Preflight"
if ((EUID == 0)); then
  report ok "running as root"
else
  report ok "not root: fine for a dry run or a staging root"
fi
report ok "distribution: ${distro_name:-$distro_id} (packages: $pkg_manager; $os_release)"
cgroup=v1
if [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then cgroup=v2; fi
if ((kmajor < 4 || (kmajor == 4 && kminor < 19))); then
  warn "kernel $kernel: Kubernetes recommends 4.19 or later (cgroup $cgroup)"
else
  report ok "kernel $kernel (cgroup $cgroup)"
fi
if [[ -n $dockerd_path ]]; then
  report ok "Docker Engine: $dockerd_path"
else
  report note "Docker Engine not installed: --install-docker installs it (step 8)"
fi
report ok "cri-dockerd binary: $binary ($binary_version)"
if [[ -n $root ]]; then
  report ok "staging root $root: files only"
elif ((systemd_running)); then
  report ok "systemd is running"
else
  warn "systemd is not running (PID 1 is $pid1): nothing is started through it; step 11 says how to start cri-dockerd by hand"
fi

# --- 2 -------------------------------------------------------------------------------
step "Swap off (kubelet refuses to run with swap by default)"
fstab=$(R /etc/fstab)
if [[ -f $fstab ]]; then
  awk -v mark="$swap_mark" '
    !/^[[:space:]]*#/ && NF >= 3 && $3 == "swap" { print mark $0; next }
    { print }' "$fstab" >"$work/fstab"
  if cmp -s "$work/fstab" "$fstab"; then
    report unchanged "/etc/fstab: no active swap lines"
  else
    grep -v -x -F -f "$fstab" "$work/fstab" | quote_block 'commenting: ' || true
    put_file "$work/fstab" /etc/fstab "$(stat -c %a "$fstab")"
  fi
else
  report unchanged "/etc/fstab: none"
fi
if [[ -n $root ]]; then
  act swapoff -a
elif [[ $(wc -l </proc/swaps) -gt 1 ]]; then
  act swapoff -a || warn "swapoff -a failed: $(last_output)"
  if ((live)) && [[ $(wc -l </proc/swaps) -gt 1 ]]; then
    warn "swap is still on: $(tail -n +2 /proc/swaps | awk '{print $1}' | tr '\n' ' ')"
  fi
else
  report ok "no active swap"
fi

# --- 3 -------------------------------------------------------------------------------
step "Kernel modules br_netfilter and overlay"
put_text "$modules_path" 0644 <<'EOF'
# Written by cri-dockerd's install.sh: Kubernetes with Docker Engine needs
# bridged pod traffic to pass iptables (br_netfilter) and overlayfs.
overlay
br_netfilter
EOF
module_loaded() {
  case $1 in
  br_netfilter) [[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]] ;;
  overlay) grep -qw overlay /proc/filesystems ;;
  esac
}
for m in overlay br_netfilter; do
  if [[ -n $root ]]; then
    act modprobe "$m"
  elif module_loaded "$m"; then
    report ok "$m is loaded (or built in)"
  elif ! act modprobe "$m"; then
    warn "could not load $m ($(last_output)); in a container or sandbox the host must load it; $modules_path loads it at boot"
  fi
done

# --- 4 -------------------------------------------------------------------------------
step "Sysctls: bridged traffic through iptables, IPv4 forwarding"
# (No pipeline into put_text: it must run in this shell to record the change.)
put_text "$sysctl_path" 0644 < <(
  printf '# Written by cri-dockerd'"'"'s install.sh: what kubeadm'"'"'s preflight checks.\n'
  for s in "${sysctls[@]}"; do printf '%s = 1\n' "$s"; done
)
for s in "${sysctls[@]}"; do
  proc=/proc/sys/${s//./\/}
  if [[ -n $root ]]; then
    act sysctl -w "$s=1"
  elif [[ $(cat "$proc" 2>/dev/null) == 1 ]]; then
    report ok "$s = 1"
  elif ((dry_run)); then
    changed would "run: sysctl -w $s=1"
  elif { echo 1 >"$proc"; } 2>/dev/null && [[ $(cat "$proc") == 1 ]]; then
    changed ran "sysctl -w $s=1"
  else
    warn "could not set $s = 1 now (in a container or sandbox the host sets it); $sysctl_path sets it at boot"
  fi
done

# --- 5 -------------------------------------------------------------------------------
step "Firewalld (optional: --disable-firewalld)"
if ((!disable_firewalld)); then
  report skipped "left as it is; open the ports Kubernetes uses (6443, 2379-2380, 10250, 10257, 10259, 30000-32767) or pass --disable-firewalld"
else
  warn "disabling firewalld leaves every port of this node open to its networks"
  if ! find_in_target firewalld >/dev/null && [[ ! -f $(R /usr/lib/systemd/system/firewalld.service) ]]; then
    report unchanged "firewalld is not installed"
  elif [[ -n $root ]]; then
    act systemctl disable --now firewalld.service
  elif ((!systemd_running)); then
    report skipped "systemd is not running: stop firewalld by hand"
  elif ! systemctl -q is-enabled firewalld.service 2>/dev/null &&
    ! systemctl -q is-active firewalld.service 2>/dev/null; then
    report unchanged "firewalld is stopped and disabled"
  else
    act systemctl disable --now firewalld.service || warn "systemctl disable --now firewalld failed: $(last_output)"
  fi
fi

# --- 6 -------------------------------------------------------------------------------
step "SELinux (optional: --selinux-permissive)"
selinux_config=$(R /etc/selinux/config)
if ((!selinux_permissive)); then
  report skipped "left as it is"
elif [[ ! -f $selinux_config ]]; then
  report unchanged "SELinux is not installed (no /etc/selinux/config)"
else
  warn "permissive SELinux stops enforcing its policy for every process on this node"
  sed 's/^SELINUX=enforcing/SELINUX=permissive/' "$selinux_config" >"$work/selinux"
  put_file "$work/selinux" /etc/selinux/config "$(stat -c %a "$selinux_config")"
  if [[ -n $root ]]; then
    act setenforce 0
  elif command -v getenforce >/dev/null 2>&1 && [[ $(getenforce) == Enforcing ]]; then
    act setenforce 0 || warn "setenforce 0 failed: $(last_output)"
  fi
fi

# --- 7 -------------------------------------------------------------------------------
step "Hostname and /etc/hosts (optional: --hostname, --hosts-entry)"
if [[ -z $new_hostname && ${#hosts_entries[@]} -eq 0 ]]; then
  report skipped "left as they are"
fi
if [[ -n $new_hostname ]]; then
  warn "the hostname becomes the Kubernetes node name; changing it on a node that already joined breaks it"
  put_text /etc/hostname 0644 <<<"$new_hostname"
  if [[ -n $root ]]; then
    act hostname "$new_hostname"
  elif [[ $(hostname) != "$new_hostname" ]]; then
    act hostname "$new_hostname" || warn "hostname $new_hostname failed: $(last_output)"
  fi
fi
if ((${#hosts_entries[@]})); then
  warn "/etc/hosts entries override DNS for these names on this node"
  hosts=$(R /etc/hosts)
  if [[ -f $hosts ]]; then cp "$hosts" "$work/hosts"; else : >"$work/hosts"; fi
  for e in "${hosts_entries[@]}"; do
    read -r -a words <<<"$e"
    line="${words[*]}"
    if ! awk -v want="$line" '{ $1 = $1 } $0 == want { found = 1 } END { exit !found }' "$work/hosts"; then
      printf '%s\n' "$line" >>"$work/hosts"
    fi
  done
  mode=644
  if [[ -f $hosts ]]; then mode=$(stat -c %a "$hosts"); fi
  put_file "$work/hosts" /etc/hosts "$mode"
fi

# --- 8 -------------------------------------------------------------------------------
step "Docker Engine"
if [[ -z $dockerd_path ]]; then
  if [[ $pkg_manager == apt ]]; then
    docker_pkg=docker.io
    { act apt-get update && act env DEBIAN_FRONTEND=noninteractive apt-get install -y docker.io; } ||
      die "installing docker.io failed: $(last_output)"
  else
    # Fedora ships moby-engine; RHEL-family machines get Docker's docker-ce
    # from its repository when the admin configured it.
    docker_pkg=moby-engine
    if [[ -z $root ]] && "$pkg_manager" -q list docker-ce >/dev/null 2>&1; then docker_pkg=docker-ce; fi
    act "$pkg_manager" install -y "$docker_pkg" || die "installing $docker_pkg failed: $(last_output)"
  fi
  if ((live)); then
    dockerd_path=$(find_in_target dockerd || true)
    [[ -n $dockerd_path ]] || die "$docker_pkg installed but no dockerd found"
  fi
else
  report ok "installed: $dockerd_path"
fi
docker_running=0
if [[ -z $root ]] && timeout 5 docker version >/dev/null 2>&1; then docker_running=1; fi
if [[ -n $root ]]; then
  if ((install_docker)); then act systemctl enable --now docker.service; fi
elif ((docker_running)); then
  report ok "dockerd is running: $(timeout 5 docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})' 2>/dev/null || echo '?')"
elif ((!systemd_running)); then
  warn "dockerd is not running and systemd is not: start it by hand (dockerd >/var/log/dockerd.log 2>&1 &)"
elif ((install_docker)); then
  act systemctl enable --now docker.service || warn "systemctl enable --now docker.service failed: $(last_output)"
else
  warn "dockerd is not running: systemctl enable --now docker.service (or rerun with --install-docker)"
fi

# --- 9 -------------------------------------------------------------------------------
step "cri-dockerd binary and systemd units"
before=$changes
if [[ $binary -ef $bin_dest ]]; then
  report unchanged "$bin_path (the binary being installed)"
else
  put_file "$binary" $bin_path 0755 binary
fi
units_from_package=""
for d in /lib/systemd/system /usr/lib/systemd/system; do
  if [[ -f $(R "$d/cri-docker.service") && -f $(R "$d/cri-docker.socket") ]]; then
    units_from_package=$d
    break
  fi
done
if [[ -n $units_from_package ]]; then
  report unchanged "units: $units_from_package/cri-docker.{service,socket} (from the package; no copy in $unit_dir)"
  unit_path=$units_from_package
else
  put_file "$here/systemd/cri-docker.service" $unit_dir/cri-docker.service 0644
  put_file "$here/systemd/cri-docker.socket" $unit_dir/cri-docker.socket 0644
  unit_path=$unit_dir
fi
units_changed=$((changes - before))

# --- 10 ------------------------------------------------------------------------------
step "Options and the pause image ($env_path)"
before=$changes
env_dest=$(R $env_path)
if [[ -f $env_dest ]]; then
  cp "$env_dest" "$work/env"
  report ok "keeping the options in $env_path"
else
  sed "s#--cni-bin-dir=[^ \"]*#--cni-bin-dir=/opt/cni/bin,$distro_cni_dir#" \
    "$here/default/cri-dockerd" >"$work/env"
fi
current_pause=$(pause_in_env "$work/env")
if [[ -z $pause_image ]]; then
  kubeadm=$(command -v kubeadm 2>/dev/null || true)
  if [[ -n $kubeadm ]]; then
    kversion=$(timeout 20 "$kubeadm" version -o short 2>/dev/null || true)
    pause_image=$(timeout 20 "$kubeadm" config images list ${kversion:+--kubernetes-version "$kversion"} 2>/dev/null |
      grep -m1 '/pause:' || true)
    if [[ -n $pause_image ]] && image_ok "$pause_image"; then
      report ok "kubeadm ${kversion:-?} uses $pause_image"
    else
      warn "\`kubeadm config images list\` named no pause image: keeping ${current_pause:-the daemon default}"
      pause_image=""
    fi
  else
    report note "kubeadm is not installed: keeping ${current_pause:-the daemon default}; rerun after installing kubeadm to match its pause image"
  fi
fi
if [[ -n $pause_image && $pause_image != "$current_pause" ]]; then
  if grep -q -- '--pod-infra-container-image' "$work/env"; then
    sed -i "s#--pod-infra-container-image[= ][^ \"']*#--pod-infra-container-image=$pause_image#" "$work/env"
  elif grep -q '^CRI_DOCKERD_OPTS="' "$work/env"; then
    sed -i "s#^CRI_DOCKERD_OPTS=\"#&--pod-infra-container-image=$pause_image #" "$work/env"
  else
    printf 'CRI_DOCKERD_OPTS="--pod-infra-container-image=%s"\n' "$pause_image" >>"$work/env"
  fi
fi
mode=644
if [[ -f $env_dest ]]; then mode=$(stat -c %a "$env_dest"); fi
put_file "$work/env" $env_path "$mode"
pause_now=$(pause_in_env "$work/env")
report ok "pause image: ${pause_now:-the daemon default}"
env_changed=$((changes - before))
# In Docker now, as kubeadm's preflight (ImagePull) would leave it: the first
# pod then starts without a pull.
if [[ -z $pause_now ]]; then
  report note "no --pod-infra-container-image in $env_path: cri-dockerd pulls its default with the first pod"
elif [[ -n $root ]]; then
  act docker pull "$pause_now"
elif ((!docker_running)); then
  warn "dockerd is not running: $pause_now not pulled; cri-dockerd pulls it with the first pod"
elif timeout 10 docker image inspect "$pause_now" >/dev/null 2>&1; then
  report ok "pause image in Docker: $pause_now"
elif act docker pull "$pause_now"; then
  if ((live)); then report ok "pause image in Docker: $pause_now"; fi
else
  warn "docker pull $pause_now failed ($(last_output)); cri-dockerd pulls it with the first pod"
fi

# --- 11 ------------------------------------------------------------------------------
step "Enable cri-docker.socket"
if [[ -n $root ]]; then
  put_link $unit_dir/sockets.target.wants/cri-docker.socket "$unit_path/cri-docker.socket"
  report note "enabled in the staging root as \`systemctl enable\` does; on the running system this step runs:"
  act systemctl daemon-reload
  act systemctl enable --now cri-docker.socket
elif ((!systemd_running)); then
  report skipped "systemd is not running (PID 1 is $pid1): no daemon-reload, no enable --now cri-docker.socket"
  report note "start cri-dockerd by hand (it serves $cri_endpoint):"
  printf '      %s\n' "sh -c '. $env_path; exec $bin_path \$CRI_DOCKERD_OPTS' >/var/log/cri-dockerd.log 2>&1 &"
else
  if ((units_changed)); then
    act systemctl daemon-reload || warn "systemctl daemon-reload failed: $(last_output)"
  fi
  if [[ $(systemctl is-enabled cri-docker.socket 2>/dev/null) == enabled ]]; then
    report unchanged "cri-docker.socket is enabled"
  else
    act systemctl enable cri-docker.socket || warn "systemctl enable cri-docker.socket failed: $(last_output)"
  fi
  if systemctl -q is-active cri-docker.socket; then
    report unchanged "cri-docker.socket is listening on $cri_socket"
    if ((units_changed || env_changed)) && systemctl -q is-active cri-docker.service; then
      act systemctl restart cri-docker.service || warn "restart failed: $(last_output)"
    fi
  elif socket_taken; then
    warn "$cri_socket is served by another process: cri-docker.socket not started; stop that process, then: systemctl start cri-docker.socket"
  else
    act systemctl start cri-docker.socket || warn "systemctl start cri-docker.socket failed: $(last_output)"
  fi
fi

# --- 12 ------------------------------------------------------------------------------
step "crictl and kubeadm settings"
put_text $crictl_path 0644 <<EOF
# Written by cri-dockerd's install.sh: crictl talks to cri-dockerd.
runtime-endpoint: $cri_endpoint
image-endpoint: $cri_endpoint
timeout: 10
EOF
if ((live)) && command -v crictl >/dev/null 2>&1 && [[ -S $cri_socket ]]; then
  if out=$(timeout 15 crictl version 2>&1); then
    report ok "crictl version: $(tr -s '\n ' ' ' <<<"$out" | sed 's/ $//')"
  else
    warn "crictl version failed: $(tr '\n' ' ' <<<"$out")"
  fi
elif ! command -v crictl >/dev/null 2>&1; then
  report note "crictl is not installed (package cri-tools from the Kubernetes package repository)"
fi
driver=""
if ((docker_running)); then
  driver=$(timeout 5 docker info --format '{{.CgroupDriver}}' 2>/dev/null || true)
fi
if [[ -z $driver ]]; then
  driver=cgroupfs
  if [[ $cgroup == v2 ]]; then driver=systemd; fi
  driver_note="Docker's default with cgroup $cgroup; check: docker info --format '{{.CgroupDriver}}'"
else
  driver_note="Docker's, from docker info"
fi

# kubeadm's config API: v1beta4 since Kubernetes 1.31.
kubeadm_api=v1beta4
if [[ ${kversion:-} =~ ^v1\.([0-9]+)\. ]] && ((BASH_REMATCH[1] < 31)); then kubeadm_api=v1beta3; fi

if ((dry_run)); then
  printf '%s: dry run: %d changes would be made; nothing was changed\n' "$prog" "$changes"
elif ((changes)); then
  printf '%s: done (%d changes)\n' "$prog" "$changes"
else
  printf '%s: done: no changes, the node was already set up\n' "$prog"
fi
cat <<EOF

Next, on the first control-plane node (add your --pod-network-cidr etc.):
  kubeadm init --cri-socket $cri_endpoint
and on every other node (kubeadm init prints the token and hash):
  kubeadm join <control-plane>:6443 --token <token> \\
    --discovery-token-ca-cert-hash sha256:<hash> --cri-socket $cri_endpoint
kubeadm then runs kubelet with --container-runtime-endpoint=$cri_endpoint.
kubelet's cgroup driver must match Docker's: $driver ($driver_note).
kubeadm gives kubelet the systemd driver unless told otherwise; to set the
socket and the driver in one file, run kubeadm init --config FILE with:
  apiVersion: kubeadm.k8s.io/$kubeadm_api
  kind: InitConfiguration
  nodeRegistration:
    criSocket: $cri_endpoint
  ---
  apiVersion: kubelet.config.k8s.io/v1beta1
  kind: KubeletConfiguration
  cgroupDriver: $driver
EOF
