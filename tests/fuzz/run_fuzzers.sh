#!/bin/bash
# run_fuzzers.sh: builds every fuzz target with clang, libFuzzer and
# AddressSanitizer (a separate build dir) and runs each for a while, starting
# from a scratch copy of its seed corpus. Exits non-zero on the first crash,
# leak or timeout, leaving libFuzzer's reproducer in the work dir.
#   tests/fuzz/run_fuzzers.sh [SECONDS_PER_TARGET]    # default 20
#   CRID_FUZZ_SKIP="a_fuzzer b_fuzzer" tests/fuzz/run_fuzzers.sh  # not these
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-20}
build=${CRID_FUZZ_BUILD_DIR:-$top/build-fuzz}
jobs=${CRID_JOBS:-2}
mapfile -t targets < <(sed -n 's/^crid_add_fuzzer(\([a-z0-9_]*\).*/\1/p' \
  "$top/tests/fuzz/CMakeLists.txt")
for skip in ${CRID_FUZZ_SKIP:-}; do
  for i in "${!targets[@]}"; do
    if [[ ${targets[i]} == "$skip" ]]; then unset 'targets[i]'; fi
  done
done
targets=("${targets[@]}")
if ((${#targets[@]} == 0)); then
  echo "run_fuzzers.sh: no fuzz targets" >&2
  exit 0
fi
CC=clang CXX=clang++ cmake -S "$top" -B "$build" -DCRID_LIBFUZZER=ON \
  -DCRID_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$jobs" --target "${targets[@]}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for t in "${targets[@]}"; do
  mkdir -p "$work/$t"
  cp -r "$top/tests/fuzz/corpus/$t/." "$work/$t/" 2>/dev/null || true
  echo "== $t: ${secs}s"
  (cd "$work" && "$build/tests/fuzz/$t" -max_total_time="$secs" -timeout=10 \
    -rss_limit_mb=1024 -print_final_stats=1 "$work/$t" >"$work/$t.log" 2>&1) ||
    { tail -n 60 "$work/$t.log"; echo "run_fuzzers.sh: $t failed" >&2; exit 1; }
  tail -n 3 "$work/$t.log"
done
