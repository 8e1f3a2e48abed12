#!/usr/bin/env bash
# The daemon under a real systemd: boots a small Debian bookworm machine
# (systemd as PID 1, bookworm's own linux-image-amd64 kernel) under
# qemu-system-x86_64, installs penrig_<version>_amd64.deb in it and runs
# tests/system/run-in-vm.sh there: READY through sd_notify, the socket's group
# rule, the fixture lock under the hardened unit, systemd's watchdog on a hung
# loop (the run INCOMPLETE), systemctl stop and kill -9 (the unit's stop step
# `rig safe` runs, runs never PASS), the journal's priorities, and the
# `systemd-analyze security` figure.
#
# The machine's disk is made once with mmdebstrap from the Debian registry
# ($PENRIG_CACHE_DIR, default /var/cache/penrig: outside the work tree, so that
# a fresh clone in CI reuses it; remade when its package list or hook changes) and booted read-only (snapshot=on) every time; the package and the
# test go in on a second small disk. The machine has no network. KVM is used
# when /dev/kvm works, plain emulation (TCG) otherwise.
#
# Usage: scripts/system-test.sh [path/to/penrig_<version>_amd64.deb]
#   (default: build/deb/penrig_*_amd64.deb, made by scripts/deb-amd64.sh if absent)
#        scripts/system-test.sh --disk-ready path/to/penrig_<version>_amd64.deb
#   exit 0 when the cached VM disk fits that package (no disk to make first),
#   1 otherwise; nothing is installed, built or booted (.ci/run's budget rule).
# Exit 0 when every check passed. Output: build/system-test/{console.log,results.txt,detail.log,journal.txt,security.txt}
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DISK_READY_ONLY=0
if [[ ${1:-} == --disk-ready ]]; then DISK_READY_ONLY=1; shift; fi
OUT=$ROOT/build/system-test
mkdir -p "$OUT"
t0=$SECONDS
stamp() { printf '== [%4ds] %s\n' $((SECONDS - t0)) "$*"; }
BOOT_TIMEOUT_S=${BOOT_TIMEOUT_S:-1200}   # whole VM run, boot to power-off

# ---- host tools
((DISK_READY_ONLY)) || scripts/install-deps.sh --system-test

# ---- the package
DEB=${1:-}
if ((DISK_READY_ONLY)) && [[ ! -f $DEB ]]; then
  echo "--disk-ready needs the package" >&2; exit 2
fi
if [[ -z $DEB ]]; then
  DEB=$(ls -t build/deb/penrig_*_amd64.deb 2>/dev/null | head -1 || true)
  if [[ -z $DEB ]]; then
    stamp "building the amd64 package"
    scripts/install-deps.sh
    DEB=$(scripts/deb-amd64.sh)
  fi
fi
DEB=$(realpath "$DEB")
((DISK_READY_ONLY)) || stamp "package $DEB"

# ---- the machine's disk: bookworm + systemd + kernel + the package's dependencies
# (so that dpkg -i works offline), made once.
DEPS=$(dpkg-deb -f "$DEB" Depends | tr ',' '\n' | sed -E 's/\(.*\)//; s/\|.*//; s/ //g' | grep -v '^$' | sort -u | paste -sd,)
INCLUDE="systemd,systemd-sysv,udev,dbus,linux-image-amd64,passwd,procps,kmod,jq,$DEPS"
KEY=$(printf '%s\n' "$INCLUDE" "$(sha256sum tests/system/vm-image-hook.sh)" | sha256sum | cut -c1-16)
CACHE=${PENRIG_CACHE_DIR:-/var/cache/penrig}/system-test
((DISK_READY_ONLY)) || mkdir -p "$CACHE"
IMG=$CACHE/rootfs.img
if ((DISK_READY_ONLY)); then
  [[ -f $IMG && "$(cat "$CACHE/rootfs.key" 2>/dev/null)" == "$KEY" ]]
  exit
fi
if [[ ! -f $IMG || "$(cat "$CACHE/rootfs.key" 2>/dev/null)" != "$KEY" ]]; then
  stamp "making the VM disk (mmdebstrap bookworm: $INCLUDE)"
  rm -rf "$CACHE/rootfs" "$IMG" "$CACHE/rootfs.key"
  # From the Debian registry this machine's apt uses.
  SOURCES=/etc/apt/sources.list.d/debian.sources
  mmdebstrap --variant=apt --include="$INCLUDE" \
    --customize-hook="sh $ROOT/tests/system/vm-image-hook.sh \"\$1\"" \
    bookworm "$CACHE/rootfs" $( [[ -f $SOURCES ]] && echo "$SOURCES") </dev/null >"$CACHE/mmdebstrap.log" 2>&1 \
    || { tail -30 "$CACHE/mmdebstrap.log"; exit 1; }
  cp "$CACHE"/rootfs/boot/vmlinuz-* "$CACHE/vmlinuz"
  cp "$CACHE"/rootfs/boot/initrd.img-* "$CACHE/initrd.img"
  rm -f "$IMG"
  truncate -s 3G "$IMG"
  mkfs.ext4 -q -L penrig-vm -d "$CACHE/rootfs" "$IMG"
  rm -rf "$CACHE/rootfs"
  echo "$KEY" >"$CACHE/rootfs.key"
  stamp "VM disk ready"
else
  stamp "VM disk up to date ($IMG)"
fi

# ---- the payload disk: the package, the test, the freezer
PAY=$OUT/payload
rm -rf "$PAY" "$OUT/payload.img" "$OUT"/{results.txt,detail.log,journal.txt,security.txt,priorities.txt}
mkdir -p "$PAY"
cp "$DEB" "$PAY/"
cp tests/system/run-in-vm.sh "$PAY/"
gcc -static -O2 -Wall -Wextra -Werror -o "$PAY/freeze_threads" tests/system/freeze_threads.c
truncate -s 64M "$OUT/payload.img"
# No journal: the results are read back with debugfs, which does not replay
# one, so with a journal the last lines the VM wrote (synced, but their
# metadata still only in the journal at power-off) can be missing.
mkfs.ext4 -q -O ^has_journal -L payload -d "$PAY" "$OUT/payload.img"

# ---- boot
ACCEL=tcg
if [[ -r /dev/kvm && -w /dev/kvm ]] && grep -Eqw 'vmx|svm' /proc/cpuinfo; then ACCEL=kvm; fi
stamp "booting (accel=$ACCEL, at most ${BOOT_TIMEOUT_S} s)"
set +e
timeout --kill-after=10 "$BOOT_TIMEOUT_S" qemu-system-x86_64 \
  -machine q35,accel=$ACCEL -cpu max -smp 2 -m 1536 \
  -kernel "$CACHE/vmlinuz" -initrd "$CACHE/initrd.img" \
  -append "root=LABEL=penrig-vm rw console=ttyS0 quiet systemd.show_status=0 panic=-1" \
  -drive file="$IMG",if=virtio,format=raw,snapshot=on \
  -drive file="$OUT/payload.img",if=virtio,format=raw \
  -nic none -nographic -no-reboot -serial mon:stdio </dev/null >"$OUT/console.log" 2>&1
qrc=$?
set -e
stamp "VM off (qemu exit $qrc)"

# ---- results, read back from the payload disk
for f in results.txt detail.log journal.txt security.txt priorities.txt; do
  debugfs -R "dump /$f $OUT/$f" "$OUT/payload.img" >/dev/null 2>&1 || true
done
if [[ ! -s $OUT/results.txt ]]; then
  echo "no results from the VM (qemu exit $qrc); console:" >&2
  tail -40 "$OUT/console.log" >&2
  exit 1
fi
sed 's/^SYSTEST //' "$OUT/results.txt"
echo "systemd-analyze security: $(tail -1 "$OUT/security.txt" 2>/dev/null)"
stamp "system test done"
grep -q '^SYSTEST RESULT: [0-9]* passed, 0 failed' "$OUT/results.txt"
