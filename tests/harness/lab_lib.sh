# shellcheck shell=bash disable=SC2154
# lab_lib.sh: helpers the lab scripts share. Source it after setting
# `lab_script` (the name errors and progress lines start with) and `t0`
# (`date +%s.%N` at the start, for elapsed).

say() { if [[ ${LAB_VERBOSE:-0} == 1 ]]; then printf '%s: %s\n' "$lab_script" "$*" >&2; fi; }
die() {
  printf '%s: error: %s\n' "$lab_script" "$*" >&2
  exit 1
}
elapsed() { awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
# wait_for SECONDS CMD...: poll CMD every 0.25 s until it succeeds
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.25
  done
}
