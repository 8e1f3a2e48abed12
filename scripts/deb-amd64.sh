#!/usr/bin/env bash
# penrig_<version>_amd64.deb from the release tree (CMakePresets.json
# "release": hardened, prefix /usr; the tree scripts/test.sh runs the whole
# suite on), into build/deb/. Builds only what the package holds when the tree
# is not built yet (target penrig_package_files). Prints the package's path.
# Usage: scripts/deb-amd64.sh   (JOBS: parallel build jobs, default nproc)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
cmake --preset release >/dev/null
cmake --build --preset release -j "${JOBS:-$(nproc)}" --target penrig_package_files >&2
mkdir -p build/deb
(cd build/release && cpack -G DEB -B "$ROOT/build/deb" >/dev/null)
rm -rf build/deb/_CPack_Packages
ls -t build/deb/penrig_*_amd64.deb | head -1
