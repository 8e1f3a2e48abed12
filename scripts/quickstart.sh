#!/usr/bin/env bash
# One command on a fresh machine: install what is missing, build (release),
# validate every shipped file, and run the default scenario on the simulated
# fixture. Exits with the run's verdict code (0 PASS, 1 FAIL, 2 ERROR, 3 ABORTED).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target rig
build/release/rig/cli/rig validate scenarios/*.yaml scenarios/specs/*.yaml fixtures/*.yaml
exec build/release/rig/cli/rig run "${1:-scenarios/smoke.yaml}" "${@:2}"
