#!/bin/sh
# The system test's checks, run as root inside the Debian bookworm VM that
# scripts/system-test.sh boots (systemd is PID 1). The payload disk is
# mounted at $T and holds penrig_<version>_amd64.deb and freeze_threads.
# Every result line is "SYSTEST ok|FAIL <what>" on the console and in
# $T/results.txt; the last line is "SYSTEST RESULT: N passed, M failed".
# Every wait is bounded. Ends by powering the machine off.
set -u
T=${T:-/mnt/payload}
readonly R=$T/results.txt
: >"$R"
PASSED=0
FAILED=0
say() { echo "SYSTEST $*" | tee -a "$R" >/dev/console; }
ok() { PASSED=$((PASSED + 1)); say "ok   $*"; }
fail() { FAILED=$((FAILED + 1)); say "FAIL $*"; }
check() { # check "what" command...
    what=$1; shift
    if "$@" >>"$T/detail.log" 2>&1; then ok "$what"; else fail "$what"; fi
}
# wait_for SECONDS command...: true once the command succeeds, false once
# SECONDS of wall time have passed (however slow each try is under emulation).
wait_for() {
    until_s=$(($(date +%s) + $1)); shift
    while [ "$(date +%s)" -lt "$until_s" ]; do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    "$@" >/dev/null 2>&1
}
log() { echo "--- $*" >>"$T/detail.log"; }
finish() {
    say "RESULT: $PASSED passed, $FAILED failed"
    journalctl -b --no-pager >"$T/journal.txt" 2>&1
    sync
    systemctl poweroff --no-block
    exit 0
}
trap finish EXIT

# Everything the test does is also kept for the host.
exec >>"$T/detail.log" 2>&1
set -x
SOCK=/run/penrig/rig.sock
SCEN=/usr/share/penrig/scenarios
export PENRIG_SOCKET=$SOCK

wait_for 120 sh -c 'systemctl is-system-running | grep -Eq "running|degraded"' || say "note: boot not settled after 120 s"
say "info kernel $(uname -r), $(systemctl --version | head -1)"
say "info boot: $(systemd-analyze time 2>/dev/null | head -1)"

# ---- install: maintainer scripts create the account and folders, start nothing
check "dpkg -i the amd64 package (dependencies present, no network)" dpkg -i "$T"/penrig_*_amd64.deb
check "rig in /usr/bin" test -x /usr/bin/rig
check "postinst created user penrig (groups gpio, spi)" sh -c 'id penrig | grep -q "(gpio)" && id penrig | grep -q "(spi)"'
check "postinst created /var/lib/penrig (penrig, 0750)" sh -c '[ "$(stat -c %U:%a /var/lib/penrig)" = penrig:750 ]'
check "/etc/penrig/fixture.yaml is a conffile" sh -c 'dpkg-query -W -f="\${Conffiles}" penrig | grep -q /etc/penrig/fixture.yaml'
check "unit installed under /usr/lib, names /usr/bin/rig" sh -c 'systemctl cat penrig.service | grep -q "^ExecStart=/usr/bin/rig serve"'
check "install did not enable the service" sh -c '[ "$(systemctl is-enabled penrig.service)" = disabled ]'
check "install did not start the service" sh -c '! systemctl is-active --quiet penrig.service'

# ---- start: Type=notify, so 'enable --now' returns once the daemon sent READY=1
check "systemctl enable --now penrig (READY=1 within TimeoutStartSec)" timeout 120 systemctl enable --now penrig
check "service active (running), status text from sd_notify" sh -c \
    'systemctl show -p SubState --value penrig | grep -qx running && systemctl show -p StatusText --value penrig | grep -q idle'
MAIN=$(systemctl show -p MainPID --value penrig)
check "daemon runs as user penrig" sh -c "[ \"\$(stat -c %U /proc/$MAIN)\" = penrig ]"

# ---- the socket: group penrig may, others may not
useradd -m -G penrig qa; useradd -m visitor
check "socket $SOCK is penrig:penrig 0660" sh -c "[ \"\$(stat -c %U:%G:%a $SOCK)\" = penrig:penrig:660 ]"
check "rig submit --wait from a member of group penrig: PASS (exit 0)" \
    timeout 300 runuser -u qa -- rig submit $SCEN/smoke.yaml --dut SN-SYSTEST --wait
check "rig submit from a user outside group penrig is refused" sh -c \
    "! timeout 60 runuser -u visitor -- rig submit $SCEN/smoke.yaml --wait"
runuser -u visitor -- rig submit $SCEN/smoke.yaml 2>&1 | head -3

# ---- the fixture lock under the hardened unit (ProtectSystem=strict + ReadWritePaths=/run/lock)
LOCK=/run/lock/penrig-sim-01.lock
check "fixture lock $LOCK holds the daemon's pid" sh -c "[ \"\$(cat $LOCK)\" = $MAIN ]"
check "the daemon holds a flock on it" sh -c \
    "grep -q \"FLOCK.*WRITE $MAIN \" /proc/locks"
check "a second daemon on the same fixture is refused (exit 2, names the holder)" sh -c \
    "runuser -u penrig -- rig serve --socket /tmp/second.sock --state-dir /tmp/second --fixture /etc/penrig/fixture.yaml --lock-dir /run/lock >/tmp/second.out 2>&1; rc=\$?; cat /tmp/second.out; [ \$rc = 2 ] && grep -q 'held by pid $MAIN' /tmp/second.out"

# ---- hardening figure
systemd-analyze security penrig.service --no-pager >"$T/security.txt" 2>&1
say "info $(tail -1 "$T/security.txt")"

# The remaining checks need a run that lasts: the daemon's sim runs on the
# wall clock (--sim-clock realtime) through a drop-in; the unit stays as shipped otherwise.
mkdir -p /run/systemd/system/penrig.service.d
cat >/run/systemd/system/penrig.service.d/systest.conf <<EOF
[Service]
ExecStart=
ExecStart=/usr/bin/rig serve --socket /run/penrig/rig.sock --state-dir /var/lib/penrig --fixture /etc/penrig/fixture.yaml --lock-dir /run/lock --sim-clock realtime
# The shipped stop step, with its exit status in the journal: after an
# automatic restart systemctl show no longer has it.
ExecStopPost=
ExecStopPost=/bin/sh -c '/usr/bin/rig safe --fixture /etc/penrig/fixture.yaml; rc=\$\$?; echo "stop step: rig safe exit \$\$rc"; exit \$\$rc'
EOF
grep -q '^ExecStopPost=/usr/bin/rig safe --fixture /etc/penrig/fixture.yaml$' /usr/lib/systemd/system/penrig.service ||
    fail "the shipped unit's stop step is not 'rig safe --fixture /etc/penrig/fixture.yaml'"
systemctl daemon-reload
timeout 120 systemctl restart penrig

state_of() { runuser -u qa -- rig status "$1" --json | jq -r '.run.state // empty'; }
verdict_of() { runuser -u qa -- rig status "$1" --json | jq -r '(.run.verdict // "") + "/" + (.run.state // "")'; }
# start_run MAINPID: submit a nightly run and return once its acquisition
# thread exists (the run has surely begun); prints the run id.
start_run() {
    "$T/freeze_threads" "$1" 60 --on-new-thread --wait-only &
    w=$!
    id=$(runuser -u qa -- rig submit $SCEN/nightly.yaml --dut SN-SYSTEST --json | jq -r '.run_id // empty' | head -1)
    wait "$w"
    echo "$id"
}
# daemon_up: the service is up and has no run (an earlier case's run neither
# runs nor waits in the queue).
daemon_up() {
    wait_for 120 sh -c 'systemctl is-active --quiet penrig && test -S /run/penrig/rig.sock &&
        runuser -u qa -- rig status --json | jq -e ".state == \"idle\" and .queue_length == 0"'
}
# The stop step's runs so far: "<runs> <runs that exited 0>".
stop_step() {
    journalctl -u penrig -o cat --no-pager | grep -c '^stop step: rig safe exit' | tr -d '\n'
    printf ' '
    journalctl -u penrig -o cat --no-pager | grep -c '^stop step: rig safe exit 0$'
}
# check_stop_step WHAT BEFORE: the stop step ran once more since BEFORE and exited 0.
check_stop_step() {
    wait_for 30 sh -c "[ \"\$(journalctl -u penrig -o cat --no-pager | grep -c '^stop step: rig safe exit')\" -gt ${2%% *} ]"
    st=$(stop_step); log "stop step: before $2, now $st"
    check "$1 (runs, exit 0: $2 -> $st)" sh -c "[ ${st%% *} -gt ${2%% *} ] && [ ${st#* } -gt ${2#* } ]"
}
restarts() { systemctl show -p NRestarts --value penrig; }

# ---- systemd's watchdog: a hung loop (the run's acquisition thread frozen;
# the run worker and the I/O thread go on)
MAIN=$(systemctl show -p MainPID --value penrig); N0=$(restarts); S0=$(stop_step)
# The freezer waits for the run's acquisition thread and freezes it at once:
# on a slow emulated machine a freeze seconds later could come after the run
# has ended.
"$T/freeze_threads" "$MAIN" 120 --on-new-thread &
FREEZER=$!
RUN=$(runuser -u qa -- rig submit $SCEN/nightly.yaml --dut SN-SYSTEST --json | jq -r '.run_id // empty' | head -1)
log "watchdog run $RUN"
wait_for 30 sh -c "! kill -0 $FREEZER || grep -q '^State:.*t (tracing stop)' /proc/$MAIN/task/*/status"
check "the daemon saw run $RUN's loop hang (heartbeat stopped)" wait_for 30 sh -c \
    "journalctl -u penrig -o cat --no-pager | grep -q 'run $RUN: acquisition loop stuck'"
check "systemd's watchdog restarts the hung daemon (within 120 s)" wait_for 120 sh -c \
    "[ \"\$(systemctl show -p NRestarts --value penrig)\" -gt $N0 ] && systemctl is-active --quiet penrig"
kill "$FREEZER" 2>/dev/null; wait "$FREEZER" 2>/dev/null
check "the journal says the watchdog fired" sh -c "journalctl -u penrig --no-pager | grep -q 'Watchdog timeout'"
check_stop_step "rig safe ran after the watchdog kill and exited 0" "$S0"
V=$(verdict_of "$RUN"); log "watchdog verdict $V"
# The daemon closes the run itself as ERROR ("acquisition loop stuck") when its
# heartbeat check trips, before systemd's watchdog kills it; a run it could not
# close is found INCOMPLETE on restart. Never PASS.
WHY=$(runuser -u qa -- rig status "$RUN" --json | jq -r '.run.reason // empty')
check "the interrupted run is ERROR (loop stuck) or INCOMPLETE, never PASS ($V: $WHY)" sh -c \
    "[ '${V%%/*}' = INCOMPLETE ] || { [ '${V%%/*}' = ERROR ] && echo '$WHY' | grep -q stuck; }"

# ---- systemctl stop during a run
daemon_up
S0=$(stop_step); MAIN=$(systemctl show -p MainPID --value penrig)
RUN=$(start_run "$MAIN"); log "stop run $RUN"
check "systemctl stop (a run just begun) returns within TimeoutStopSec" timeout 60 systemctl stop penrig
check_stop_step "rig safe ran after systemctl stop and exited 0" "$S0"
timeout 120 systemctl start penrig
V=$(verdict_of "$RUN"); log "stop verdict $V"
check "the run stopped by systemctl stop is ABORTED, not PASS ($V)" test "${V%%/*}" = ABORTED

# ---- kill -9 during a run
daemon_up
N0=$(restarts); S0=$(stop_step); MAIN=$(systemctl show -p MainPID --value penrig)
RUN=$(start_run "$MAIN"); log "kill run $RUN"
kill -9 "$MAIN"
check "systemd restarts the killed daemon" wait_for 120 sh -c \
    "[ \"\$(systemctl show -p NRestarts --value penrig)\" -gt $N0 ] && systemctl is-active --quiet penrig"
check_stop_step "rig safe ran after kill -9 and exited 0" "$S0"
V=$(verdict_of "$RUN"); log "kill verdict $V"
check "the run killed with -9 is INCOMPLETE, never PASS ($V)" test "${V%%/*}" = INCOMPLETE

# ---- the journal: the daemon's own lines carry their levels as priorities
journalctl -u penrig -o json --no-pager | jq -r 'select(._COMM == "rig") | .PRIORITY' | sort | uniq -c >"$T/priorities.txt"
check "journal: daemon lines at info (6)" grep -q ' 6$' "$T/priorities.txt"
check "journal: daemon lines at warning or worse (<= 4)" grep -Eq ' [0-4]$' "$T/priorities.txt"
check "journal: no '<N>' prefix left in the daemon's messages" sh -c \
    "! journalctl -u penrig -o cat --no-pager | grep -Eq '^<[0-7]>'"

rm -rf /run/systemd/system/penrig.service.d
systemctl daemon-reload
timeout 60 systemctl stop penrig
