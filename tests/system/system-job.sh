#!/bin/sh
# shellcheck disable=SC2317,SC2016 # (file-wide) helpers run through check/wait_for; sh -c bodies are single-quoted on purpose
# system-job.sh: runs in the VM as root under systemd (PID 1), started by
# test-system.sh through `run-vm.sh --systemd`. TAP on stdout.
#
# Follows the README's install section on the VM's overlay root, as a new
# user would, then checks the installed system:
#   install    meson install, dkms add, daemon-reload, modules-load, enable --now
#   units      both active, module loaded, the broker on the system bus
#   pressure   a real hog: `oom-notify watch --json` and an unmodified GLib
#              application (GMemoryMonitor) hear low/medium/critical
#   kill       oom-killerd kills the hog under its hardened unit (journal line,
#              no kernel OOM kill)
#   recovery   systemctl stop/start, the killer working while the broker is
#              down, kill -9 of the broker restarted by Restart=
#
# One deviation from the README, on purpose: `dkms install` would build the
# module under TCG (~10 min for 6.12) and run depmod over 9p (minutes more),
# so the module is `dkms add`ed here (checking dkms.conf and the installed
# sources) while the binary installed is what `dkms build` made of the same
# installed sources natively on the host, with the index depmod computed
# there (test-system.sh).
#
# Environment (from test-system.sh): OOMN_SYS_BUILD (the README's build dir),
# OOMN_SYS_INDEX (oom_notify.ko and modules.* for this kernel), OOMN_HOG,
# OOMN_GMM_CLIENT.

export LC_ALL=C
export SYSTEMD_PAGER='' SYSTEMD_COLORS=0
kver=$(uname -r)
build=$OOMN_SYS_BUILD
index=$OOMN_SYS_INDEX
tmp=$(mktemp -d /tmp/oomn-system.XXXXXX)
version=$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$build/meson-info/intro-projectinfo.json")

n=0
failed=0
pass() { n=$((n + 1)); echo "ok $n - $1"; }
# Where the time goes under TCG (a comment only: nothing is asserted on it).
stamp() { echo "# [uptime $(cut -d' ' -f1 /proc/uptime) s] $*"; }
fail() {
    n=$((n + 1))
    failed=$((failed + 1))
    echo "not ok $n - $1"
}
# diag FILE [LINES]: the tail of FILE as TAP comments
diag() { tail -n "${2:-20}" "$1" 2>/dev/null | sed 's/^/#   /'; }
# journal UNIT [LINES]: the unit's journal as TAP comments
journal() {
    echo "#   journalctl -u $1:"
    journalctl -q -u "$1" --no-pager -n "${2:-25}" -o short-monotonic 2>&1 | sed 's/^/#   /'
}
# check DESCRIPTION COMMAND...: passes if COMMAND succeeds; else its output
check() {
    desc=$1
    shift
    if "$@" >"$tmp/check.out" 2>&1; then
        pass "$desc"
    else
        fail "$desc"
        echo "#   failed: $*"
        diag "$tmp/check.out"
    fi
}
# wait_for SECONDS COMMAND...: until COMMAND succeeds (polls twice a second)
wait_for() {
    limit=$(($1 * 2))
    shift
    i=0
    while ! "$@" >/dev/null 2>&1; do
        i=$((i + 1))
        [ "$i" -le "$limit" ] || return 1
        sleep 0.5
    done
}
bail() {
    echo "Bail out! $*"
    exit 1
}
main_pid() { systemctl show -p MainPID --value "$1"; }
is_active() { [ "$(systemctl is-active "$1")" = active ]; }
is_inactive() { [ "$(systemctl is-active "$1")" = inactive ]; }
broker_on_bus() {
    busctl --system introspect org.oomnotify.Broker1 /org/oomnotify/Broker1 |
        grep -q '^org\.oomnotify\.Broker1 *interface'
}
# The killer's "oom-killerd kill:" line for PID in its journal.
kill_line() { journalctl -q -u oom-killerd --no-pager -o cat | grep "^oom-killerd kill: pid=$1 "; }
pid_alive() { kill -0 "$1" 2>/dev/null; }
# has_cap_kill PID: CAP_KILL (bit 5) in the process's capability bounding set
has_cap_kill() {
    bnd=$(sed -n 's/^CapBnd:[[:space:]]*//p' "/proc/$1/status")
    [ -n "$bnd" ] && [ $((0x$bnd & 32)) -ne 0 ]
}

echo "# kernel $kver, oom-notify $version, build $build"
stamp "job started"

# --- install, as the README says --------------------------------------------
# sudo meson install -C build --no-rebuild (root builds nothing)
if meson install -C "$build" --no-rebuild >"$tmp/install.log" 2>&1; then
    pass "meson install -C build --no-rebuild (prefix /usr)"
else
    fail "meson install -C build --no-rebuild (prefix /usr)"
    diag "$tmp/install.log" 30
    bail "nothing installed"
fi
check "installed: oom-notifyd, oom-killerd, oom-notify, rules, bus policy, units, dkms.conf" \
    test -x /usr/libexec/oom-notifyd -a -x /usr/sbin/oom-killerd -a -x /usr/bin/oom-notify \
    -a -f /etc/oom-notify/rules.yaml \
    -a -f /usr/share/dbus-1/system.d/org.oomnotify.Broker1.conf \
    -a -f /usr/share/dbus-1/system-services/org.oomnotify.Broker1.service \
    -a -f "/usr/src/oom-notify-$version/dkms.conf" \
    -a -f /usr/lib/modules-load.d/oom-notify.conf
check "oom-killerd --check /etc/oom-notify/rules.yaml" oom-killerd --check /etc/oom-notify/rules.yaml

stamp "meson install done"
# sudo dkms install oom-notify/VERSION (add: real; build+install: see above)
check "dkms add oom-notify/$version" dkms add "oom-notify/$version"
check "dkms status lists oom-notify/$version" sh -c "dkms status | grep -q '^oom-notify/$version'"
mkdir -p "/lib/modules/$kver/updates/dkms"
cp "$index"/oom_notify.ko* "/lib/modules/$kver/updates/dkms/"
cp "$index"/modules.* "/lib/modules/$kver/"
check "modinfo oom_notify finds the DKMS-built updates/dkms/oom_notify.ko" \
    sh -c "modinfo -n oom_notify | grep -q /updates/dkms/oom_notify.ko"

stamp "dkms done"
# sudo systemctl daemon-reload; sudo systemctl restart systemd-modules-load
check "systemctl daemon-reload" systemctl daemon-reload
check "systemd-modules-load loads oom_notify (modules-load.d)" \
    systemctl restart systemd-modules-load.service
check "module oom_notify loaded" test -d /sys/module/oom_notify
# sudo systemctl enable --now oom-notifyd.service oom-killerd.service
check "systemctl enable --now oom-notifyd.service oom-killerd.service" \
    systemctl enable --now oom-notifyd.service oom-killerd.service

stamp "installed and enabled"
# --- the units and the bus ------------------------------------------------------
for u in oom-notifyd oom-killerd; do
    if wait_for 30 is_active $u; then
        pass "$u.service active"
    else
        fail "$u.service active (is $(systemctl is-active $u))"
        journal $u
    fi
done
if wait_for 10 broker_on_bus; then
    pass "busctl introspect: org.oomnotify.Broker1 on the system bus"
else
    fail "busctl introspect: org.oomnotify.Broker1 on the system bus"
    busctl --system introspect org.oomnotify.Broker1 /org/oomnotify/Broker1 2>&1 | diag /dev/stdin
    journal oom-notifyd
fi
busctl --system call org.oomnotify.Broker1 /org/oomnotify/Broker1 org.oomnotify.Broker1 \
    GetState >"$tmp/state" 2>&1
if grep -q '"kernel"' "$tmp/state"; then
    pass "GetState: the broker's source is the kernel module"
else
    fail "GetState: the broker's source is the kernel module"
    diag "$tmp/state"
fi
check "org.freedesktop.LowMemoryMonitor owned by the broker" \
    sh -c "[ \"\$(busctl --system status org.freedesktop.LowMemoryMonitor | sed -n 's/^PID=//p')\" = \"$(main_pid oom-notifyd)\" ]"

# The hardening as it runs (docs/architecture.md, invariant 6): only the killer can kill.
bpid=$(main_pid oom-notifyd)
kpid=$(main_pid oom-killerd)
if [ "$bpid" != 0 ] && ! has_cap_kill "$bpid"; then
    pass "oom-notifyd runs without CAP_KILL"
else
    fail "oom-notifyd runs without CAP_KILL (pid $bpid)"
    grep '^Cap' "/proc/$bpid/status" 2>&1 | diag /dev/stdin
fi
if [ "$kpid" != 0 ] && has_cap_kill "$kpid"; then
    pass "oom-killerd holds CAP_KILL"
else
    fail "oom-killerd holds CAP_KILL (pid $kpid)"
    grep '^Cap' "/proc/$kpid/status" 2>&1 | diag /dev/stdin
fi

# --- real pressure, heard by the CLI and a GLib application --------------------
# Both as an unprivileged user: what the bus policy lets anyone hear.
if oom-notify --help 2>&1 | grep -q -- '--bus-address'; then
    watch_cmd="oom-notify watch --json"
else
    # The CLI reads only the module yet (broker mode not installed).
    watch_cmd="oom-notify watch --json --kernel"
fi
echo "# $watch_cmd"
# shellcheck disable=SC2086 # word splitting wanted
setpriv --reuid=nobody --regid=nogroup --clear-groups $watch_cmd >"$tmp/watch.json" 2>"$tmp/watch.err" &
watch_pid=$!
# kill events are root's (WatchKills): root's watcher hears them, nobody's not
# shellcheck disable=SC2086 # word splitting wanted
$watch_cmd >"$tmp/watch-root.json" 2>"$tmp/watch-root.err" &
watch_root_pid=$!
setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME=/nonexistent \
    "$OOMN_GMM_CLIENT" >"$tmp/gmm.out" 2>"$tmp/gmm.err" &
gmm_pid=$!
# ready: the CLI printed the current state, GMemoryMonitor is the D-Bus one
if wait_for 30 test -s "$tmp/watch.json" && wait_for 30 test -s "$tmp/watch-root.json" &&
    wait_for 30 grep -q '^ready GMemoryMonitorDBus' "$tmp/gmm.out"; then
    pass "watchers ready ($watch_cmd; gmm-client: GMemoryMonitorDBus)"
else
    fail "watchers ready ($watch_cmd; gmm-client: GMemoryMonitorDBus)"
    diag "$tmp/watch.json" 5; diag "$tmp/watch.err" 5; diag "$tmp/gmm.out" 5; diag "$tmp/gmm.err" 5
fi

# MiB a hog takes so that MemAvailable is left at 6 % of MemTotal: below the
# critical level (10 %), above the killer's floor (3 %).
hog_mib() {
    awk '/^MemTotal:/ { t = $2 } /^MemAvailable:/ { a = $2 }
        END { printf "%d\n", (a - t * 6 / 100) / 1024 }' /proc/meminfo
}
# run_hog NAME: a hog that holds its memory until killed; waits for its end.
# Sets hog_pid; returns 1 if it was still alive after 120 s.
run_hog() {
    mib=$(hog_mib)
    echo "# $1: oomn-hog --max $mib --step 4 --hold"
    "$OOMN_HOG" --max "$mib" --step 4 --hold >"$tmp/$1.out" 2>&1 &
    hog_pid=$!
    i=0
    while pid_alive $hog_pid; do
        i=$((i + 1))
        if [ $i -gt 240 ]; then
            kill -9 $hog_pid
            wait $hog_pid
            hog_status=-1
            return 1
        fi
        sleep 0.5
    done
    wait $hog_pid
    hog_status=$?
    return 0
}
dmesg_oom() { dmesg | grep -E 'Out of memory|oom-kill:|Killed process'; }

stamp "hog 1"
if run_hog hog1; then
    pass "hog 1 ended (status $hog_status)"
else
    fail "hog 1 ended: still alive 120 s after it started"
    journal oom-killerd
fi
# The level falls back to normal once the hog is gone.
wait_for 20 grep -q '"level":"normal","prev_level"' "$tmp/watch.json" || true
for level in low medium critical; do
    if grep '"event":"pressure"' "$tmp/watch.json" | grep -q "\"level\":\"$level\""; then
        pass "oom-notify watch --json: pressure $level"
    else
        fail "oom-notify watch --json: pressure $level"
        diag "$tmp/watch.json"
        diag "$tmp/watch.err" 5
        journal oom-notifyd 10
    fi
done
for w in 50 100 255; do
    if wait_for 5 grep -q "^warning $w\$" "$tmp/gmm.out"; then
        pass "GMemoryMonitor low-memory-warning $w"
    else
        fail "GMemoryMonitor low-memory-warning $w"
        diag "$tmp/gmm.out"
        diag "$tmp/gmm.err" 5
    fi
done

# --- the kill, under the hardened unit ---------------------------------------------
if wait_for 10 kill_line $hog_pid; then
    pass "journalctl -u oom-killerd: $(kill_line $hog_pid | cut -c1-60)..."
else
    fail "journalctl -u oom-killerd: 'oom-killerd kill: pid=$hog_pid'"
    journal oom-killerd
fi
if [ "$hog_status" -gt 128 ]; then
    pass "hog 1 died of signal $((hog_status - 128))"
else
    fail "hog 1 died of a signal (exit status $hog_status)"
    diag "$tmp/hog1.out"
fi
if grep -q "\"event\":\"killed\"" "$tmp/watch-root.json" || [ "${watch_cmd#*--kernel}" != "$watch_cmd" ]; then
    pass "oom-notify watch --json as root: killed"
else
    fail "oom-notify watch --json as root: killed"
    diag "$tmp/watch-root.json"
fi
if [ "${watch_cmd#*--kernel}" != "$watch_cmd" ] ||
    { grep -q '"event":"kills-need-root"' "$tmp/watch.json" &&
        ! grep -q '"event":"killed"' "$tmp/watch.json"; }; then
    pass "oom-notify watch --json as nobody: no kill events, told why"
else
    fail "oom-notify watch --json as nobody: no kill events, told why"
    diag "$tmp/watch.json"
fi
if dmesg_oom >"$tmp/oom"; then
    fail "no kernel OOM kill"
    diag "$tmp/oom"
else
    pass "no kernel OOM kill"
fi

# --- watchdog ---------------------------------------------------------------------
# Both ping systemd (WATCHDOG=1 moves WatchdogTimestamp) and neither crashed.
# A restart by a watchdog timeout alone is reported, not failed: under TCG on
# a loaded host the guest's CPUs can stall for tens of seconds (the kernel
# then logs soft lockups), which no daemon can ping through.
for u in oom-notifyd oom-killerd; do
    w1=$(systemctl show -p WatchdogTimestampMonotonic --value $u)
    if wait_for 60 sh -c "[ \"\$(systemctl show -p WatchdogTimestampMonotonic --value $u)\" -gt ${w1:-0} ]"; then
        pass "$u.service pings the watchdog (WatchdogTimestamp advances)"
    else
        fail "$u.service pings the watchdog (WatchdogTimestamp stays ${w1:-unset})"
        journal $u
    fi
    journalctl -q -u $u --no-pager -o cat >"$tmp/$u.journal"
    # A watchdog timeout (a guest vCPU the loaded host starved, counted
    # below) ends in systemd's SIGABRT: that exit is the watchdog's, not a
    # crash; one per timeout is let through, any other exit is not.
    timeouts=$(grep -c 'Watchdog timeout' "$tmp/$u.journal" || true)
    if grep -E 'code=(dumped|killed)|status=[0-9]+/|Failed with result' "$tmp/$u.journal" |
        grep -v 'watchdog' |
        awk -v n="${timeouts:-0}" '/status=6\/ABRT/ && n > 0 { n--; next } { print }' >"$tmp/crash" &&
        [ -s "$tmp/crash" ]; then
        fail "$u.service: no crash or failure"
        diag "$tmp/crash"
        journal $u
    else
        pass "$u.service: no crash or failure"
    fi
    nr=$(systemctl show -p NRestarts --value $u)
    [ "$nr" = 0 ] || echo "# $u.service restarted $nr time(s) by watchdog timeouts: $(grep -c 'Watchdog timeout' "$tmp/$u.journal") (soft lockups in dmesg: $(dmesg | grep -c 'soft lockup'))"
done

# --- systemctl stop / start --------------------------------------------------------
stamp "broker stop/start"
# Stopped, then masked: a stopped broker is bus-activated again by the first
# call addressed to it, and the killer (which calls it only while it is on
# the bus) must kill without any broker (docs/architecture.md, invariant 3); the mask
# keeps its NotifyCandidate during the episode from starting it. Not masked
# while running: the reload makes the running unit lose its settings
# (NotifyAccess among them), its watchdog pings are refused and systemd
# kills it for a watchdog timeout.
check "systemctl stop oom-notifyd" systemctl stop oom-notifyd.service
check "systemctl mask --runtime oom-notifyd" systemctl mask --runtime oom-notifyd.service
check "broker stopped, killer still active" sh -c \
    '[ "$(systemctl is-active oom-notifyd)" = inactive ] && [ "$(systemctl is-active oom-killerd)" = active ]'
if run_hog hog2 && wait_for 10 kill_line $hog_pid; then
    pass "the killer kills with the broker down (hog 2 status $hog_status)"
else
    fail "the killer kills with the broker down"
    journal oom-killerd
fi
check "broker still down during the episode" is_inactive oom-notifyd
check "systemctl unmask --runtime oom-notifyd" systemctl unmask --runtime oom-notifyd.service
check "systemctl start oom-notifyd" systemctl start oom-notifyd.service
if wait_for 10 broker_on_bus; then
    pass "broker back on the bus after start"
else
    fail "broker back on the bus after start"
    journal oom-notifyd
fi

stamp "broker kill -9"
# --- kill -9 of the broker: Restart= --------------------------------------------------
old=$(main_pid oom-notifyd)
kill -9 "$old"
restarted() { p=$(main_pid oom-notifyd); [ "$p" != 0 ] && [ "$p" != "$old" ] && is_active oom-notifyd; }
if wait_for 30 restarted && wait_for 10 broker_on_bus; then
    pass "kill -9 of the broker: restarted by systemd (pid $old -> $(main_pid oom-notifyd))"
else
    fail "kill -9 of the broker: restarted by systemd"
    journal oom-notifyd
fi
if [ "${watch_cmd#*--kernel}" = "$watch_cmd" ]; then
    if wait_for 10 grep -q '"event":"broker-back"' "$tmp/watch.json"; then
        pass "oom-notify watch saw the broker go and come back"
    else
        fail "oom-notify watch saw the broker go and come back"
        diag "$tmp/watch.json" 10
        diag "$tmp/watch.err" 5
    fi
fi
check "killer still active after the broker's restarts" is_active oom-killerd

kill $watch_pid $watch_root_pid $gmm_pid 2>/dev/null
wait $watch_pid $watch_root_pid $gmm_pid 2>/dev/null
stamp "done"
echo "1..$n"
if [ $failed -gt 0 ]; then
    echo "# $failed of $n failed; journal of both units:"
    journal oom-notifyd 40
    journal oom-killerd 40
    exit 1
fi
exit 0
