#!/usr/bin/env bash
# One command on a fresh machine: install what is missing, build and run the
# whole test suite twice: an optimised build (also builds the benchmarks) and
# an AddressSanitizer + UndefinedBehaviorSanitizer build. ctest prints its
# summary; the script fails if either run has a failing test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
JOBS=${JOBS:-$(nproc)}

echo "== release build + tests"
cmake --preset release >/dev/null
cmake --build --preset release -j "$JOBS"
ctest --preset release -j "$JOBS"

echo "== ASan + UBSan build + tests"
cmake --preset debug-asan >/dev/null
cmake --build --preset debug-asan -j "$JOBS"
ctest --preset debug-asan -j "$JOBS"
