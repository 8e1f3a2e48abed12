#!/usr/bin/env bash
# Installs what penrig needs to build and test, from Debian bookworm packages
# (as on Raspberry Pi OS bookworm). Idempotent: installs only what is missing.
set -euo pipefail
BROWSER_TESTS=0

PACKAGES=(
  build-essential cmake ninja-build pkg-config git ccache
  libasio-dev libspdlog-dev libyaml-cpp-dev catch2 libgpiod-dev
  nlohmann-json3-dev libcli11-dev libsodium-dev libsystemd-dev libboost-dev libsqlite3-dev libpq-dev
)
# Test-only tools: headless Chromium renders the HTML report in a test;
# rt-tests (cyclictest) is the reference for the loop-latency benchmark;
# clang 14 with its runtime libraries builds the libFuzzer harnesses;
# numpy/scipy are the independent reference for the Gage R&R statistics and
# the re-analysis peer of bench_longrun (tests/bench/scipy_reanalysis.py);
# node and npm run the dashboard's browser tests (Playwright from the npm
# registry, tests/browser, driving the same Chromium; a node already on the
# machine is kept). promtool (package prometheus, which also brings the
# server) is used by a metrics test when present, never installed here;
# postgresql-15: the fleet database tests start a server of their own;
# libxml2-utils: xmllint checks junit.xml against the Ant JUnit schema.
# --cross: the arm64 cross build, its emulated tests and the Debian packages
# (scripts/cross-arm64.sh); --system-test: the VM of scripts/system-test.sh.
for opt in "$@"; do
  case "$opt" in
    --test) PACKAGES+=(chromium rt-tests clang-14 libclang-rt-14-dev python3-numpy python3-scipy postgresql-15 libxml2-utils)
            command -v node >/dev/null || PACKAGES+=(nodejs)
            command -v npm >/dev/null || PACKAGES+=(npm)
            BROWSER_TESTS=1 ;;
    --cross) PACKAGES+=(crossbuild-essential-arm64 qemu-user-static binfmt-support dpkg-dev help2man lintian) ;;
    --system-test) PACKAGES+=(mmdebstrap qemu-system-x86 e2fsprogs libc6-dev dpkg-dev) ;;
    *) echo "install-deps.sh: unknown option $opt (--test, --cross, --system-test)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "all build dependencies present"
fi
# The browser tests' npm packages, as locked (no browser download: Playwright
# drives Debian's Chromium).
if ((BROWSER_TESTS)); then
  (cd "$(dirname "$0")/../tests/browser" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi
