#!/usr/bin/env bash
# Runs each libFuzzer harness (tests/fuzz) for a fixed time under
# AddressSanitizer + UndefinedBehaviorSanitizer, starting from the seed corpus
# in tests/fuzz/corpus/<harness>/. New inputs go to build/fuzz/corpus/ (the
# repository's seeds stay as they are); a crash leaves its input in
# build/fuzz/artifacts/ and makes the script fail.
#
#   FUZZ_SECONDS=60 (default) seconds per harness; FUZZ_JOBS=1 parallel jobs
#   FUZZ_RUNS=N    instead: exactly N inputs per harness from a fixed seed, so
#                  a run is repeatable whatever the machine's speed (what
#                  scripts/test.sh and CI use; exploration is FUZZ_SECONDS's job)
#   scripts/fuzz.sh [harness...]   default: all of them
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${FUZZ_SECONDS:-60}
HARNESSES=("$@")
[[ ${#HARNESSES[@]} -gt 0 ]] || HARNESSES=(fuzz_yaml fuzz_protocol fuzz_samples fuzz_record)

if ! command -v clang++-14 >/dev/null; then
  echo "clang++-14 not found (Debian packages clang-14 libclang-rt-14-dev: scripts/install-deps.sh --test)" >&2
  exit 2
fi
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "${JOBS:-2}" --target "${HARNESSES[@]}"

mkdir -p build/fuzz/artifacts
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
printf '%-15s %8s %14s %10s %8s\n' harness budget executions exec/s crashes
for h in "${HARNESSES[@]}"; do
  work=build/fuzz/corpus/$h
  # A repeatable run starts from the repository's seeds alone.
  [[ -z "${FUZZ_RUNS:-}" ]] || rm -rf "$work"
  mkdir -p "$work"
  log=build/fuzz/$h.log
  # -timeout: one input taking 10 s is a hang; -rss_limit_mb: 2 GiB is a leak
  # or an unbounded allocation. Both count as crashes.
  if [[ -n "${FUZZ_RUNS:-}" ]]; then
    budget=(-runs="$FUZZ_RUNS" -seed=1); label="${FUZZ_RUNS} in"
  else
    budget=(-max_total_time="$SECONDS_EACH"); label="${SECONDS_EACH} s"
  fi
  if "build/fuzz/tests/fuzz/$h" "$work" "tests/fuzz/corpus/$h" "${budget[@]}" \
       -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
       -artifact_prefix="build/fuzz/artifacts/$h-" >"$log" 2>&1; then
    crashes=0
  else
    crashes=1
    status=1
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  printf '%-15s %8s %14s %10s %8s\n' "$h" "$label" "${execs:-?}" "${rate:-?}" "$crashes"
  if [[ $crashes -ne 0 ]]; then
    echo "  $h found a problem; the end of its log ($log):" >&2
    grep -E "ERROR|SUMMARY|Test unit written|==[0-9]+==" "$log" | head -20 >&2 || tail -30 "$log" >&2
  fi
done
exit $status
