#!/bin/sh
# mmdebstrap --customize-hook for the system test's VM disk ($1 = its root).
# The machine boots straight into tests/system/run-in-vm.sh (from the payload
# disk) and powers off when it is done; no login prompts on the console.
set -eu
R=$1
echo penrig-vm >"$R/etc/hostname"
ln -sf /dev/null "$R/etc/systemd/system/serial-getty@ttyS0.service"
ln -sf /dev/null "$R/etc/systemd/system/getty@tty1.service"
cat >"$R/etc/systemd/system/penrig-systest.service" <<'UNIT'
[Unit]
Description=penrig system test (tests/system/run-in-vm.sh from the payload disk)
After=local-fs.target

[Service]
# simple, not oneshot: the test waits for the boot to finish, which a oneshot
# start job would hold up.
Type=simple
ExecStartPre=/bin/mkdir -p /mnt/payload
ExecStartPre=/bin/mount /dev/disk/by-label/payload /mnt/payload
ExecStart=/bin/sh /mnt/payload/run-in-vm.sh
StandardOutput=journal+console
TimeoutStartSec=300

[Install]
WantedBy=multi-user.target
UNIT
mkdir -p "$R/etc/systemd/system/multi-user.target.wants"
ln -sf /etc/systemd/system/penrig-systest.service "$R/etc/systemd/system/multi-user.target.wants/penrig-systest.service"
# Journal kept in memory only: the root disk is a throw-away snapshot anyway.
mkdir -p "$R/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=volatile\n' >"$R/etc/systemd/journald.conf.d/volatile.conf"
