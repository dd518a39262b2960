#!/bin/bash
# flake_hunt.sh: runs one test tier (default: integration) N times (default
# 20) while CPU burners keep every core busy, then prints how often each
# test case failed. A test that fails even once here fails some CI run.
#   tests/flake_hunt.sh                  # 20 loaded runs of the integration tier
#   tests/flake_hunt.sh 5 component      # 5 loaded runs of the component tier
#   CRID_FLAKE_BURNERS=0 tests/flake_hunt.sh 3   # no extra load
# Needs a built tree (tests/run_all.sh makes build-ci; CRID_BUILD_DIR picks
# another) and root for the lab, which it brings up (idempotent). Results
# and each failing run's output go to $CRID_FLAKE_DIR (default
# /tmp/crid-flake-hunt). Exits 1 if anything failed.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-20}
label=${2:-integration}
build=${CRID_BUILD_DIR:-$top/build-ci}
out=${CRID_FLAKE_DIR:-/tmp/crid-flake-hunt}
burners=${CRID_FLAKE_BURNERS:-$(nproc)}
jobs=${CRID_JOBS:-2}

if [[ ! -f $build/CTestTestfile.cmake ]]; then
  echo "flake_hunt.sh: no built tree in $build (run tests/run_all.sh first)" >&2
  exit 2
fi
"$top/tests/harness/lab_up.sh"

rm -rf "$out"
mkdir -p "$out"
burner_pids=()
stop_burners() {
  if ((${#burner_pids[@]})); then kill "${burner_pids[@]}" 2>/dev/null || true; fi
  wait 2>/dev/null || true
}
trap stop_burners EXIT
for ((i = 0; i < burners; i++)); do
  # Plain busy loops at normal priority: the tests get half the CPU.
  sh -c 'while :; do :; done' &
  burner_pids+=($!)
done

# One summary line per run; every test case's result as "run name result".
results=$out/results.txt
: >"$results"
start=$SECONDS
for ((run = 1; run <= runs; run++)); do
  xml=$out/run$run
  mkdir -p "$xml"
  t0=$SECONDS
  set +e
  GTEST_OUTPUT=xml:$xml/ ctest --test-dir "$build" -L "$label" -j "$jobs" \
    --timeout 900 --output-on-failure >"$out/run$run.log" 2>&1
  rc=$?
  set -e
  # Test cases from the gtest XML reports: <testcase name=.. classname=..>
  # with a <failure> child when it failed.
  for f in "$xml"/*.xml; do
    [[ -e $f ]] || continue
    awk -v run="$run" '
      /<testcase / {
        if (name != "") print run, name, (failed ? "FAIL" : "ok")
        match($0, /name="[^"]*"/); n = substr($0, RSTART + 6, RLENGTH - 7)
        match($0, /classname="[^"]*"/); c = substr($0, RSTART + 11, RLENGTH - 12)
        name = c "." n; failed = 0
        if ($0 ~ /status="notrun"/ || $0 ~ /result="skipped"/) name = ""
      }
      /<failure/ { failed = 1 }
      END { if (name != "") print run, name, (failed ? "FAIL" : "ok") }
    ' "$f" >>"$results"
  done
  # A test binary that crashed or timed out leaves no report: count it
  # under its CTest name.
  sed -n '/The following tests FAILED:/,$p' "$out/run$run.log" |
    sed -nE 's/^[[:space:]]*[0-9]+ - ([^ ]+) .*/\1/p' |
    while read -r t; do
      [[ -e $xml/$t.xml ]] || echo "$run ctest:$t FAIL"
    done >>"$results"
  fails=$(awk -v r="$run" '$1 == r && $3 == "FAIL"' "$results" | wc -l)
  printf 'run %d/%d: ctest exit %d, %d failures, %ds\n' \
    "$run" "$runs" "$rc" "$fails" $((SECONDS - t0))
  if ((rc == 0)); then rm -f "$out/run$run.log"; fi
done
stop_burners
trap - EXIT

echo
echo "== $label tier: $runs runs with $burners CPU burners, $((SECONDS - start))s"
awk -v runs="$runs" '
  { total[$2]++; if ($3 == "FAIL") fail[$2]++ }
  END {
    for (t in total) printf "%3d/%d  %s\n", fail[t] + 0, runs, t
  }' "$results" | sort -k1,1nr -k2 >"$out/summary.txt"
failing=$(awk '$1 + 0 > 0' "$out/summary.txt" | wc -l)
cases=$(wc -l <"$out/summary.txt")
if ((failing)); then
  echo "failing test cases (failures/runs):"
  awk '$1 + 0 > 0' "$out/summary.txt"
fi
total_fail=$(awk '$3 == "FAIL"' "$results" | wc -l)
total=$(wc -l <"$results")
echo "$cases test cases, $failing flaky; logs of failing runs in $out"
echo "flake_hunt: $((total - total_fail)) passed, $total_fail failed"
((total_fail == 0))
