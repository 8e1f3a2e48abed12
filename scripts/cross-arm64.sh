#!/usr/bin/env bash
# Cross build for arm64 (Raspberry Pi OS bookworm) on an amd64 Debian bookworm
# machine, test under emulation, package:
#   1. host tools from Debian: crossbuild-essential-arm64, qemu-user-static;
#   2. a sysroot of bookworm's arm64 library packages (apt-get download +
#      dpkg-deb -x into build/sysroot-arm64; arm64 is added to dpkg's foreign
#      architectures for the download only: nothing arm64 is installed);
#   3. cmake --preset cross-arm64 (cmake/toolchain-aarch64-linux-gnu.cmake) and build;
#   4. ctest on the arm64 executables under qemu-aarch64 (user-mode emulation);
#   5. penrig_<version>_arm64.deb, and penrig_<version>_amd64.deb from the
#      native release tree (scripts/deb-amd64.sh), into build/deb/.
#
# Usage: scripts/cross-arm64.sh [--tests all|short|none] [--no-amd64]
#   --tests all    every ctest test under emulation (default)
#   --tests short  every test but the few longest under emulation
#                  (LONG_UNDER_EMULATION below: the seven that take 1-15 min each under qemu, each
#                  also run natively by scripts/test.sh); what CI runs
#                  (README "What runs where")
#   --tests none   build and package only
#   --no-amd64     the arm64 package only
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TESTS=all
AMD64=1
while (($#)); do
  case "$1" in
    --tests) TESTS=$2; shift 2 ;;
    --no-amd64) AMD64=0; shift ;;
    -h|--help) sed -n "2,21p" "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done
JOBS=${JOBS:-$(nproc)}
SYSROOT=${PENRIG_ARM64_SYSROOT:-$ROOT/build/sysroot-arm64}
export PENRIG_ARM64_SYSROOT=$SYSROOT
t0=$SECONDS
stamp() { printf '== [%4ds] %s\n' $((SECONDS - t0)) "$*"; }

# ---- 1. host tools
scripts/install-deps.sh --cross
stamp "host tools"
# The tests start `rig` as a child process: the kernel must hand arm64 ELF
# files to qemu (binfmt_misc; qemu-user-static registers itself when
# binfmt_misc is mounted at install time, a fresh container may not have it).
if [[ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]]; then
  mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  update-binfmts --enable qemu-aarch64 2>/dev/null || update-binfmts --import qemu-aarch64
fi
grep -q '^enabled' /proc/sys/fs/binfmt_misc/qemu-aarch64 || { echo "binfmt_misc: qemu-aarch64 not enabled" >&2; exit 1; }

# ---- 2. sysroot
# The build's arm64 dependencies (as scripts/install-deps.sh lists them for the
# host) plus the C/C++ runtime and headers; their dependencies are resolved by
# apt. Rebuilt when the list or a package version changes.
ARM64_DEV=(libasio-dev libspdlog-dev libyaml-cpp-dev catch2 libgpiod-dev nlohmann-json3-dev
           libcli11-dev libsodium-dev libsystemd-dev libboost-dev libsqlite3-dev libpq-dev libc6-dev libstdc++-12-dev)
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  dpkg --add-architecture arm64
  apt-get update -qq
fi
resolve() {
  # Every package the list needs, arm64 or arch-independent (apt prints an
  # Architecture: all package asked for as :arm64 as <name:arm64>, a virtual
  # name: the real one has no suffix); host tools pulled in through
  # Multi-Arch: foreign (no :arm64 suffix) are left out.
  apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
      --no-replaces --no-enhances "${ARM64_DEV[@]/%/:arm64}" |
    grep -v '^ ' | grep ':arm64' | sed -E 's/^<(.*):arm64>$/\1/' | sort -u |
    grep -Ev '^(libc-dev-bin|rpcsvc-proto|libtirpc-common)(:arm64)?$'
}
mapfile -t PKGS < <(resolve)
# A purely virtual name (libc-dev, asked for by libpq-dev and provided by
# libc6-dev, which is in the list) has no candidate: nothing to download.
mapfile -t PKGS < <(apt-cache policy "${PKGS[@]}" | awk '/^[^ ]/ {p=$1; sub(/:$/, "", p)} /Candidate:/ && $2 != "(none)" {print p}')
manifest=$(apt-cache policy "${PKGS[@]}" | awk '/^[^ ]/ {p=$1} /Candidate:/ {print p, $2}')
if [[ ! -f $SYSROOT/.penrig-sysroot ]] || [[ "$(cat "$SYSROOT/.penrig-sysroot")" != "$manifest" ]]; then
  stamp "sysroot: ${#PKGS[@]} packages -> $SYSROOT"
  rm -rf "$SYSROOT" "$SYSROOT.debs"
  mkdir -p "$SYSROOT" "$SYSROOT.debs"
  (cd "$SYSROOT.debs" && apt-get download -qq "${PKGS[@]}")
  for deb in "$SYSROOT.debs"/*.deb; do
    dpkg-deb -x "$deb" "$SYSROOT"
    # Control files (shlibs, symbols) per package: dpkg-shlibdeps reads them
    # to give the arm64 package its Depends: (cmake/PenrigPackaging.cmake).
    name=$(dpkg-deb -f "$deb" Package)
    mkdir -p "$SYSROOT/var/lib/penrig-sysroot/$name/DEBIAN"
    dpkg-deb -e "$deb" "$SYSROOT/var/lib/penrig-sysroot/$name/DEBIAN"
  done
  # Merged /usr as on an installed bookworm system: /lib -> usr/lib, and
  # absolute symlinks (libsystemd.so -> /lib/...) made relative to the sysroot.
  for d in lib bin sbin; do
    if [[ -d $SYSROOT/$d && ! -L $SYSROOT/$d ]]; then
      mkdir -p "$SYSROOT/usr/$d"
      cp -a "$SYSROOT/$d/." "$SYSROOT/usr/$d/"
      rm -rf "${SYSROOT:?}/$d"
    fi
    ln -sfn "usr/$d" "$SYSROOT/$d"
  done
  find "$SYSROOT" -type l -lname '/*' -print0 | while IFS= read -r -d '' l; do
    ln -sfn "$(realpath -m --relative-to="$(dirname "$l")" "$SYSROOT$(readlink "$l")")" "$l"
  done
  # Per-package trees for dpkg-shlibdeps' -S (library files + DEBIAN/).
  for deb in "$SYSROOT.debs"/*.deb; do
    name=$(dpkg-deb -f "$deb" Package)
    [[ -f $SYSROOT/var/lib/penrig-sysroot/$name/DEBIAN/shlibs || -f $SYSROOT/var/lib/penrig-sysroot/$name/DEBIAN/symbols ]] || continue
    dpkg-deb -x "$deb" "$SYSROOT/var/lib/penrig-sysroot/$name"
  done
  rm -rf "$SYSROOT.debs"
  echo "$manifest" >"$SYSROOT/.penrig-sysroot"
else
  stamp "sysroot up to date: $SYSROOT"
fi

# ---- 3. build
stamp "configure + build (arm64)"
cmake --preset cross-arm64 >/dev/null
cmake --build --preset cross-arm64 -j "$JOBS"
stamp "built"
file build/cross-arm64/rig/cli/rig | grep -q 'ARM aarch64' || { echo "rig is not an arm64 executable" >&2; exit 1; }

# ---- 4. tests under qemu-aarch64
# The longest tests under emulation (ctest names, a regex): each simulates
# many runs or a long one, seconds natively, several minutes under
# qemu-aarch64. --tests short leaves them out; the rest of their executables'
# tests (the same code paths on shorter runs) still run.
LONG_UNDER_EMULATION='the shipped soak scenario passes|the truth lies within U in about 95 % of results|no false PASS over faults x magnitudes x seeds|rig analyze streams a long run|every shipped scenario passes on the nominal simulated pen|rig msa: a crossed study on the sim|rig msa: the noisy fixture variant'
case "$TESTS" in
  all)   stamp "ctest (arm64, qemu-aarch64): all tests"
         ctest --preset cross-arm64 -j "$JOBS" ;;
  short) stamp "ctest (arm64, qemu-aarch64): all tests but the longest under emulation"
         ctest --preset cross-arm64 -j "$JOBS" -E "$LONG_UNDER_EMULATION" ;;
  none)  stamp "tests skipped (--tests none)" ;;
  *) echo "--tests all|short|none" >&2; exit 2 ;;
esac
stamp "tests done"

# ---- 5. packages
mkdir -p build/deb
stamp "package arm64"
(cd build/cross-arm64 && cpack -G DEB -B "$ROOT/build/deb" >/dev/null)
if ((AMD64)); then
  stamp "package amd64 (from the release tree)"
  JOBS=$JOBS scripts/deb-amd64.sh >/dev/null
fi
rm -rf build/deb/_CPack_Packages
ls -l build/deb/*.deb
# lintian: no error or warning (info-level tags are justified in
# rig/daemon/systemd/README.md).
stamp "lintian"
debs=(build/deb/penrig_*_arm64.deb)
((AMD64)) && debs+=(build/deb/penrig_*_amd64.deb)
lintian --fail-on error,warning "${debs[@]}"
stamp "done"
