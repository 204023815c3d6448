#!/bin/bash
# shellcheck disable=SC2016 # (file-wide) guest commands are single-quoted on purpose
# selftest.sh KERNEL
#
# Smoke test of the VM test bed itself (run-vm.sh, mkinitramfs.sh,
# guest-init.sh) for one kernel (6.1, 6.12 or a full version). TAP output.
# Every run-vm.sh call gets stdin from /dev/null, as in CI.
#
# Extra run-vm.sh options for every boot can be given in $OOMN_VM_SELFTEST_ARGS
# (word-split), e.g. OOMN_VM_SELFTEST_ARGS="--boot pvh".
# No -e: checks are conditions whose failure must be reported, not fatal.
set -uo pipefail

[ $# -eq 1 ] || { echo "usage: $0 KERNEL   (6.1, 6.12 or a full version)" >&2; exit 2; }
kernel=$1
here=$(cd "$(dirname "$0")" && pwd)
run=$here/run-vm.sh
# shellcheck disable=SC2206 # word splitting wanted
extra=(${OOMN_VM_SELFTEST_ARGS:-})

work=$(mktemp -d "${TMPDIR:-/tmp}/oomn-vm-selftest.XXXXXX")
trap 'rm -rf -- "$work"' EXIT

n=0
failed=0
ok() { # ok STATUS DESCRIPTION  (status 0 = pass); use as: CONDITION; ok $? "..."
    n=$((n + 1))
    if [ "$1" = 0 ]; then
        echo "ok $n - $2"
    else
        echo "not ok $n - $2"
        failed=$((failed + 1))
        if [ -n "${last:-}" ]; then
            echo "#   run '$last' (exit $RC); stdout:"
            sed 's/^/#     /' "$work/$last.out" | tail -n 20
            echo "#   stderr:"
            sed 's/^/#     /' "$work/$last.err" | tail -n 30
        fi
    fi
}

# vm NAME [run-vm.sh options] -- COMMAND...: boot, keep stdout/stderr in
# $work/NAME.{out,err}, exit status in RC.
vm() {
    local name=$1
    shift
    last=$name
    RC=0
    # TMPDIR: job directories that run-vm.sh keeps after the deliberate
    # failures below end up in $work and are removed with it.
    TMPDIR=$work "$run" --kernel "$kernel" ${extra[@]+"${extra[@]}"} "$@" \
        </dev/null >"$work/$name.out" 2>"$work/$name.err" || RC=$?
}
# field NAME KEY: value of a "KEY=value" line in NAME's output.
field() { sed -n "s/^$2=//p" "$work/$1.out" | head -n1; }

echo "1..22"

# --- 1 boot: most facts of a default guest -------------------------------------------
# The current directory is a fresh directory under /tmp on purpose: /tmp is a
# tmpfs in the guest, so this checks that the cwd stays visible.
cwd=$(mktemp -d "$work/cwd.XXXXXX")
token=token-$$-$RANDOM
echo "$token" >"$cwd/token.txt"
host_sum=$(sha256sum "$here/selftest.sh" | cut -d' ' -f1)
weird_value="a b 'c' \"d\" \$e \\f"
cd "$cwd" || exit 1
vm basic --env OOMN_SELFTEST="$weird_value" --env SECOND=2 -- sh -c '
        echo "uname=$(uname -r)"
        echo "token=$(cat token.txt)"
        echo "hostsum=$(sha256sum "$1" | cut -d" " -f1)"
        echo "psi=$(head -c 10 /proc/pressure/memory)"
        echo "swaps=$(tail -n +2 /proc/swaps | wc -l)"
        echo "swaptotal=$(awk "/^SwapTotal:/{print \$2}" /proc/meminfo)"
        echo "memtotal=$(awk "/^MemTotal:/{print \$2}" /proc/meminfo)"
        printf "env=%s|%s\n" "$OOMN_SELFTEST" "$SECOND"
        echo "vmkernel=$OOMN_VM_KERNEL"
        echo hello >/tmp/selftest && echo "tmp=$(cat /tmp/selftest)"
        test -f /sys/fs/cgroup/cgroup.controllers && echo cgroup2=yes
        touch /usr/oomn-selftest 2>/dev/null && echo rootwrite=yes || echo rootwrite=no
        echo "to stderr" >&2
    ' sh "$here/selftest.sh"
cd "$here" || exit 1
guest_kver=$(field basic uname)
bed_kver=$(sed -n 's/^vm: kernel \([^ ]*\) exit .*/\1/p' "$work/basic.err")
case "$guest_kver" in
"$kernel" | "$kernel".* | "$kernel"-* | "$kernel"+*) kmatch=0 ;;
*) kmatch=1 ;;
esac
[ -n "$guest_kver" ] && [ "$guest_kver" = "$bed_kver" ] || kmatch=1
ok "$kmatch" "guest uname -r ($guest_kver) is the requested kernel $kernel"
[ "$RC" = 0 ]
ok $? "a plain run exits 0"
[ "$(field basic token)" = "$token" ]
ok $? "guest sees a host file in the host's cwd (below /tmp)"
[ "$(field basic hostsum)" = "$host_sum" ]
ok $? "guest reads host files by absolute path (same sha256)"
[ "$(field basic psi)" = "some avg10" ]
ok $? "/proc/pressure/memory exists (psi=1)"
[ "$(field basic swaps)" = 0 ] && [ "$(field basic swaptotal)" = 0 ]
ok $? "no swap by default (/proc/swaps empty, SwapTotal 0)"
[ "$(field basic env)" = "$weird_value|2" ]
ok $? "--env values arrive verbatim"
[ "$(field basic tmp)" = hello ]
ok $? "writing to /tmp works"
[ "$(field basic cgroup2)" = yes ] && [ "$(field basic rootwrite)" = no ]
ok $? "cgroup2 is mounted, root is read-only without --overlay"
# MemTotal is the RAM minus what the kernel keeps for itself (its image,
# memmap, ...): about 60-70 MiB for these Debian kernels, whatever the size.
mem_near() { # mem_near MEMTOTAL-KB ASKED-MIB
    [ "${1:-0}" -le $(($2 * 1024)) ] && [ "${1:-0}" -gt $((($2 - 100) * 1024)) ]
}
memtotal=$(field basic memtotal)
mem_near "$memtotal" 512
ok $? "MemTotal ($memtotal kB) is near the default 512M"
grep -q '^to stderr$' "$work/basic.out" && tail -n1 "$work/basic.err" | grep -q "^vm: kernel $guest_kver exit 0 dmesg clean$"
ok $? "stderr of the command is captured, final line is printed"

# --- exit status -------------------------------------------------------------------------
vm exit3 -- sh -c 'exit 3'
[ "$RC" = 3 ]
ok $? "exit status propagates (sh -c 'exit 3' -> 3)"

# --- swap and memory size -----------------------------------------------------------------
vm swap --swap 64M --mem 384M -- sh -c '
    echo "swaptotal=$(awk "/^SwapTotal:/{print \$2}" /proc/meminfo)"
    echo "memtotal=$(awk "/^MemTotal:/{print \$2}" /proc/meminfo)"'
st=$(field swap swaptotal)
[ "$RC" = 0 ] && [ "${st:-0}" -gt 60000 ]
ok $? "--swap 64M gives SwapTotal > 0 ($st kB)"
memtotal=$(field swap memtotal)
mem_near "$memtotal" 384
ok $? "--mem 384M gives MemTotal near 384M ($memtotal kB)"

# --- dmesg checking -------------------------------------------------------------------------
vm dmesg_bad -- sh -c 'echo "WARNING: test" >/dev/kmsg'
[ "$RC" = 125 ] && grep -q 'dmesg 1 bad lines' "$work/dmesg_bad.err"
ok $? "a WARNING: line in dmesg fails the run with 125"
vm dmesg_allowed --allow-dmesg 'WARNING: test$' -- sh -c 'echo "WARNING: test" >/dev/kmsg'
[ "$RC" = 0 ]
ok $? "--allow-dmesg suppresses it"

# --- overlay ----------------------------------------------------------------------------------
marker=/usr/oomn-vm-selftest-$$
vm overlay --overlay -- sh -c "echo x >$marker && cat $marker && echo hi >/tmp/t && cat /tmp/t"
[ "$RC" = 0 ] && [ "$(cat "$work/overlay.out")" = "$(printf 'x\nhi')" ] && [ ! -e "$marker" ]
ok $? "--overlay: the guest writes anywhere, the host is untouched"

# --- modules ------------------------------------------------------------------------------------
# dummy.ko: a harmless distro module without dependencies (.ko.xz on 6.12).
kver=$bed_kver
dummy=$(modprobe --show-depends -S "$kver" dummy 2>/dev/null | awk '$1 == "insmod" {print $2; exit}')
vm module --module "$dummy" -- sh -c 'test -d /sys/module/dummy && echo "module=$OOMN_MODULE"'
[ "$RC" = 0 ] && [ "$(field module module)" = "/run/oomn-vm/modules/1/$(basename "$dummy")" ]
ok $? "--module loads the module and sets OOMN_MODULE"
echo "this is not a module" >"$work/bogus.ko"
vm module_bad --module "$work/bogus.ko" -- echo should-not-run
[ "$RC" = 99 ] && grep -q 'insmod bogus.ko failed' "$work/module_bad.err" &&
    ! grep -q should-not-run "$work/module_bad.out"
ok $? "a failing --module insmod fails the run (99) with a message, COMMAND not run"

# --- timeout and parallel runs ------------------------------------------------------------------
vm timeout --timeout 2 -- sleep 600
[ "$RC" = 124 ] && grep -q TIMEOUT "$work/timeout.err"
ok $? "--timeout kills the VM and fails with 124"

# A hang nothing in the guest detects: before the timeout the bed records
# each vCPU's place (symbolized) and makes the guest panic, whose console
# (every task's stack, among them the sleeping job) reaches stderr.
vm hang --timeout 60 -- sleep 600
[ "$RC" = 124 ] && grep -q 'TIMEOUT' "$work/hang.err" &&
    grep -qE '^  \|   RIP=ffffffff[0-9a-f]+ [a-z_]' "$work/hang.err" &&
    grep -q 'sysrq: Trigger a crash' "$work/hang.err" &&
    grep -qE 'task:sleep +state:S' "$work/hang.err"
ok $? "a hang: vCPU places, sysrq-c, every task's stack in the run's stderr"

# Two VMs at once: separate job directories, shared initramfs cache.
(vm par1 -- sh -c 'echo one; exit 4'; echo "$RC" >"$work/par1.rc") &
p1=$!
(vm par2 -- sh -c 'echo two; exit 5'; echo "$RC" >"$work/par2.rc") &
p2=$!
wait "$p1" "$p2" || true
last=
[ "$(cat "$work/par1.rc")" = 4 ] && [ "$(cat "$work/par2.rc")" = 5 ] &&
    [ "$(cat "$work/par1.out")" = one ] && [ "$(cat "$work/par2.out")" = two ]
ok $? "two runs in parallel keep their own output and status"

[ "$n" = 22 ] || { echo "# planned 22 tests, ran $n"; failed=$((failed + 1)); }
[ "$failed" = 0 ] && echo "# all passed ($kernel)" || echo "# $failed failed ($kernel)"
[ "$failed" = 0 ]
