#!/bin/bash
# Runs inside the VM (see tools/run.sh): the whole chain on a real kernel.
# The module pushes levels to oom-notifyd, which re-emits them on a bus with
# the project's system-bus policy; oom-killerd acts on critical; `oom-notify
# watch` shows it all while real pressure comes and goes:
#   1. a cooperating application is the candidate, frees its memory within
#      its deadline, and nobody is killed (redeemed);
#   2. a plain hog is the candidate, does nothing, and is killed;
#   3. a hog in a cgroup limited to 32 MiB meets the kernel's own OOM killer.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${OOMN_BUILD:-build}
cli=$build/clients/oom-notify/oom-notify
hog=$build/tests/tools/oomn-hog
dir=$(mktemp -d /tmp/oomn-demo.XXXXXX)
bus=unix:path=$dir/bus
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT

mem() { awk -v k="$1" '$1 == k":" { print int($2 / 1024) }' /proc/meminfo; }
total_mib=$(mem MemTotal)
# What to take so that about 6 % of RAM is left: below critical (10 %), above
# where the kernel's own OOM killer would act.
to_critical() { echo $(($(mem MemAvailable) - total_mib * 6 / 100)); }
# what leaves 14 % (medium, not yet critical) available
to_medium() { echo $(($(mem MemAvailable) - total_mib * 14 / 100)); }
fail() {
	echo "demo: $*" >&2
	for f in "$dir"/*.log; do
		echo "--- $f" >&2
		tail -20 "$f" >&2
	done
	exit 1
}
wait_for() { # WHAT CMD...: until CMD succeeds (at most 60 s)
	local what=$1
	shift
	for _ in $(seq 300); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	fail "$what: not within 60 s"
}
expect() { # N REGEX: until the N-th event matching REGEX (at most 60 s)
	for _ in $(seq 300); do
		[ "$(grep -cE "$2" "$dir/events.json")" -ge "$1" ] && return 0
		sleep 0.2
	done
	fail "no event #$1 matching $2"
}
critical='"event":"pressure".*"level":"critical"'
normal='"event":"pressure".*"level":"normal"'

cat >"$dir/bus.conf" <<EOF
<busconfig>
  <type>system</type>
  <listen>$bus</listen>
  <auth>EXTERNAL</auth>
  <include>$PWD/tests/broker/system-policy.conf</include>
</busconfig>
EOF
dbus-daemon --config-file="$dir/bus.conf" --nofork --print-address=3 3>"$dir/bus.ready" &
pids+=($!)
wait_for "the bus" test -s "$dir/bus.ready"

$build/broker/src/oom-notifyd --bus-address "$bus" --source kernel 2>"$dir/broker.log" &
pids+=($!)
wait_for "oom-notifyd on the bus" $cli --bus-address "$bus" status
$build/killer/oom-killerd --bus-address "$bus" --rules killer/rules.yaml --deadline 3s \
	2>"$dir/killer.log" &
pids+=($!)
wait_for "oom-killerd" grep -q "oom-killerd ready" "$dir/killer.log"

echo "== oom-notify watch (kernel $(uname -r), $total_mib MiB, no swap)"
$cli --bus-address "$bus" watch &
pids+=($!)
# The same for this script to follow (a poll of `status` could miss a short level).
$cli --bus-address "$bus" --json watch >"$dir/events.json" &
pids+=($!)
sleep 1

echo "-- 1. a cooperating application holds most of the memory, leaks, and frees it when told"
# It takes most at once, then leaks slowly (2 MiB/s) into critical: a leak
# gets its whole deadline. Had it grown at full speed into critical, the
# killer would have cut the deadline to the time left and killed it.
mkfifo "$dir/redeemer.in"
exec 3<>"$dir/redeemer.in"
$build/tests/tools/oomn-redeemer --bus-address "$bus" --mib "$(to_medium)" \
	--leak-after-ms 4000 --leak-to-mib $((total_mib * 6 / 100)) \
	<"$dir/redeemer.in" >"$dir/redeemer.out" 2>&1 3>&- &
redeemer=$!
pids+=($redeemer)
expect 1 "$critical"
expect 1 '"event":"redeemed"'
expect 1 "$normal"
sleep 1
exec 3>&- # it ends with its stdin
wait "$redeemer" || true

echo "-- 2. a hog that does not listen"
$hog --max "$(to_critical)" --step 4 --delay-ms 5 --hold >"$dir/hog.log" 2>&1 &
pids+=($!)
expect 2 "$critical"
expect 1 '"event":"killed"'
expect 2 "$normal"
sleep 2

echo "-- 3. a hog in a cgroup limited to 32 MiB: the kernel's OOM killer"
cg=/sys/fs/cgroup/oomn-demo
echo +memory >/sys/fs/cgroup/cgroup.subtree_control
mkdir -p "$cg"
echo 32M >"$cg/memory.max"
{ sh -c "echo \$\$ > $cg/cgroup.procs && exec $hog --max 128 --step 4 --hold" >/dev/null 2>&1 || true; } 2>/dev/null
sleep 2
rmdir "$cg"

echo
echo "== oom-notify status"
$cli --bus-address "$bus" status
echo
echo "== what oom-killerd logged"
grep -E "candidate|redeemed|kill:" "$dir/killer.log" || true
