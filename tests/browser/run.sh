#!/usr/bin/env bash
# ctest entry of the browser tests: Playwright (npm) driving Debian's Chromium
# against a real `rig serve --http`. Exit 77 (SKIPPED) when node, npx or
# chromium are missing; installs the locked npm packages (npm ci) when they
# are not installed yet, without any browser download.
# Usage: run.sh RIG_EXE ARTEFACT_DIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
rig_exe="$1"
artefacts="$2"
chromium="${PENRIG_CHROMIUM:-/usr/bin/chromium}"
for tool in node npm npx; do
  command -v "$tool" >/dev/null || { echo "SKIPPED: $tool is not installed (apt: nodejs npm)"; exit 77; }
done
[[ -x "$chromium" ]] || { echo "SKIPPED: $chromium is not installed (apt: chromium)"; exit 77; }
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
cd "$here"
want=$(node -p "require('./package.json').devDependencies['@playwright/test']")
have=$(node -p "try { require('./node_modules/@playwright/test/package.json').version } catch (e) { '' }")
if [[ "$have" != "$want" ]]; then
  npm ci --no-audit --no-fund --loglevel=error || { echo "SKIPPED: npm ci could not install @playwright/test (no registry?)"; exit 77; }
fi
mkdir -p "$artefacts"
export PENRIG_RIG_EXE="$rig_exe" PENRIG_ARTEFACTS="$artefacts" PENRIG_CHROMIUM="$chromium"
exec npx --no-install playwright test
