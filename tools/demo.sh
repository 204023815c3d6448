#!/bin/bash
# Runs inside the VM (see tools/run.sh): real pressure, then a real kernel OOM
# kill in a memory-limited cgroup, while `oom-notify watch` prints events.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${OOMN_BUILD:-build}
cli=$build/clients/oom-notify/oom-notify
hog=$build/tests/tools/oomn-hog

echo "== oom-notify status (kernel $(uname -r))"
$cli status
echo
echo "== oom-notify watch, while a hog uses up memory and then exits"
$cli watch &
watcher=$!
sleep 1

avail_mib=$(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo)
total_mib=$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)
# Leave about 6 % of RAM: below the critical threshold (10 %), above what
# would make the kernel's own OOM killer act.
target=$((avail_mib - total_mib * 6 / 100))
$hog --max "$target" --step 4 --delay-ms 5 --hold >/dev/null &
hog_pid=$!
while [ "$(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo)" -gt $((total_mib * 7 / 100)) ]; do
	sleep 0.2
done
sleep 1
kill "$hog_pid"
wait "$hog_pid" 2>/dev/null || true
sleep 2

echo
echo "== a hog in a cgroup limited to 32 MiB: the kernel OOM killer runs"
cg=/sys/fs/cgroup/oomn-demo
echo +memory > /sys/fs/cgroup/cgroup.subtree_control
mkdir -p "$cg"
echo 32M > "$cg/memory.max"
sh -c "echo \$\$ > $cg/cgroup.procs && exec $hog --max 128 --step 4 --hold" >/dev/null 2>&1 || true
sleep 2
rmdir "$cg"
kill "$watcher"
wait "$watcher" 2>/dev/null || true
echo
echo "== oom-notify status"
$cli status
