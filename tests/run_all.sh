#!/bin/bash
# run_all.sh: the whole test suite on a fresh Debian 12 machine, as root.
# Installs build and lab packages, brings up the lab (dockerd, registries,
# test images), checks formatting, builds with warnings as errors and runs
# every tier: unit, component, integration (and docker26: the same tests on the
# lab's second engine), fault, node (the package on a systemd node).
#   tests/run_all.sh            # everything
#   CRID_TEST_LABELS=unit tests/run_all.sh   # one tier (unit|component|integration|docker26|fault|node)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
if ((EUID != 0)); then
  echo "run_all.sh: must run as root (it installs packages and starts dockerd)" >&2
  exit 1
fi
build=${CRID_BUILD_DIR:-$top/build-ci}
jobs=${CRID_JOBS:-2}

step() { printf '\n== %s (%ss)\n' "$1" "$SECONDS"; }

step "installing packages"
tests/harness/install_deps.sh

step "bringing up the lab"
tests/harness/lab_up.sh

step "checking formatting"
tests/check_format.sh

step "building (warnings are errors)"
# Line tables only (-g1): enough for a backtrace, and full debug info
# costs a third of the compile time on two cores.
cmake -S "$top" -B "$build" -DCRID_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" >/dev/null
cmake --build "$build" -j "$jobs"

if [[ -z ${CRID_TEST_LABELS:-} || $CRID_TEST_LABELS == *integration* ]]; then
  step "linking the static binary (release tarball; deploy/release/)"
  # For deploy_static_binary_test. Not part of `all`: it reuses the objects
  # just built (no compile), but its minimal libcurl comes from Debian's
  # curl source package (fetched and built once, about a minute, then
  # cached under /tmp/crid-lab/static).
  cmake --build "$build" --target cri-dockerd-static
fi

step "running tests"
label_args=()
if [[ -n ${CRID_TEST_LABELS:-} ]]; then label_args=(-L "$CRID_TEST_LABELS"); fi
ctest --test-dir "$build" --output-on-failure --timeout 600 -j "$jobs" \
  "${label_args[@]}"

if [[ -z ${CRID_TEST_LABELS:-} ]]; then
  step "fuzzing (libFuzzer, ${CRID_FUZZ_SECONDS:-15}s per target)"
  # cri_request_fuzzer's clang+ASan build compiles most of the daemon a
  # second time (minutes on two cores, for a few hundred inputs in 15 s):
  # by default CI runs its seeds and mutations in the component tier only.
  # CRID_FUZZ_SKIP= runs it here too.
  CRID_FUZZ_SKIP=${CRID_FUZZ_SKIP-cri_request_fuzzer} \
    tests/fuzz/run_fuzzers.sh "${CRID_FUZZ_SECONDS:-15}"
fi
