#!/usr/bin/env bash
# One command on a fresh machine: install what is missing, then build each
# configuration once and run its tests:
#   1. release (optimised; also builds the benchmarks): the whole suite;
#   2. ASan + UBSan (debug): the whole suite;
#   3. ThreadSanitizer: the threaded test programs that are race-free today
#      (SPSC ring under contention, the acquisition loop with a draining thread);
#   4. libFuzzer (clang 14, ASan + UBSan): each harness for FUZZ_RUNS inputs
#      (default 20000 inputs from seed 1; scripts/fuzz.sh alone explores for 60 s).
# ctest prints its summary (tests that could not run their real path are
# listed as "Skipped", never passed); the script fails if any step fails.
#   JOBS=N (default: nproc)  FUZZ_RUNS=N (0: no fuzzing)  SKIP_TSAN=1
set -euo pipefail
cd "$(dirname "$0")/.."
# ccache keys on paths relative to the checkout, so a fresh clone in any folder
# reuses what an earlier build of the same sources compiled.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}" CCACHE_NOHASHDIR=1
scripts/install-deps.sh --test
JOBS=${JOBS:-$(nproc)}
export JOBS
# The tests that run threads against each other: the SPSC ring, the loop with a
# draining thread, and the runner and daemon end to end on the sim (the
# recorder reads the model's ground truth while the acquisition thread writes
# it: drivers/include/rig/drivers/ground_truth.hpp says how that is safe).
TSAN_TESTS=(test_core test_loop_alloc test_runner test_daemon)

echo "== release build + tests"
cmake --preset release >/dev/null
cmake --build --preset release -j "$JOBS"
ctest --preset release -j "$JOBS"

echo "== ASan + UBSan build + tests"
cmake --preset debug-asan >/dev/null
cmake --build --preset debug-asan -j "$JOBS"
ctest --preset debug-asan -j "$JOBS"

if [[ -z "${SKIP_TSAN:-}" ]]; then
  echo "== ThreadSanitizer build + threaded tests (${TSAN_TESTS[*]})"
  cmake --preset tsan >/dev/null
  cmake --build --preset tsan -j "$JOBS" --target rig "${TSAN_TESTS[@]}"
  regex=$(IFS='|'; echo "^(${TSAN_TESTS[*]}):")
  ctest --preset tsan -j "$JOBS" -R "$regex"
fi

# A fixed number of inputs from a fixed seed: the same inputs on every run,
# so the suite's verdict does not depend on the machine's speed (open-ended
# exploration: scripts/fuzz.sh with FUZZ_SECONDS).
if [[ "${FUZZ_RUNS:-20000}" != "0" ]]; then
  echo "== libFuzzer harnesses, ${FUZZ_RUNS:-20000} inputs each (seed 1)"
  FUZZ_RUNS=${FUZZ_RUNS:-20000} scripts/fuzz.sh
fi
