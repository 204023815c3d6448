#!/bin/bash
# run-vm.sh [options] -- COMMAND [ARGS...]
#
# Boots a Debian kernel in qemu (TCG only), with the host's root file system
# shared read-only over virtio-9p, runs COMMAND inside against that real guest
# kernel, streams its output, and exits with COMMAND's exit status. The guest
# kernel log is checked afterwards for signs of kernel bugs.
#
# How it fits together (see also guest-init.sh and mkinitramfs.sh):
#   host: job dir (mktemp -d) <- vm.conf, job.sh, copies of --module files
#   qemu: 9p tag "host" = / (ro), 9p tag "job" = job dir (rw),
#         ttyS0 = kernel console -> job/console.log,
#         ttyS1 = command output -> job/output.fifo -> tee (stdout + job/output.log)
#   guest /init: mount everything, chroot into the host root, run job.sh,
#         which writes job/status; /init saves job/dmesg and powers off.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
prog=run-vm.sh

# Exit statuses of the bed itself (COMMAND's own status is passed through).
EXIT_USAGE=2      # bad options
EXIT_INFRA=99     # VM did not boot, insmod failed, no status (meson: hard error)
EXIT_TIMEOUT=124  # --timeout expired (as timeout(1))
EXIT_DMESG=125    # guest kernel log shows BUG/WARNING/Oops/...

usage() {
    cat <<EOF
usage: $prog [options] -- COMMAND [ARGS...]

Boot a Debian kernel under qemu (TCG), with the host's / as the guest's root
(9p, read-only), and run COMMAND inside it. COMMAND runs as root in the host's
current directory with stdin from /dev/null; its stdout and stderr are streamed
to this script's stdout. Exits with COMMAND's exit status.

options:
  --kernel K          6.1, 6.12 or a full version such as 6.1.0-56-amd64
                      (uses /boot/vmlinuz-VER and /lib/modules/VER); default 6.12
  --mem SIZE          guest RAM, qemu syntax (512M, 1G); default 512M (preallocated)
  --cpus N            virtual CPUs; default 2
  --timeout SECONDS   kill the VM and fail after this long; default 900. Some
                      seconds before, the bed records where every vCPU is
                      (qemu's registers, symbolized with System.map) and
                      makes the guest panic (sysrq-c), which prints every
                      task's stack and replays the kernel log on the console
  --hang MODE         what a soft lockup, hung task or RCU stall in the guest
                      does: panic (default: the guest prints every CPU's and
                      task's stack, replays its kernel log on the console and
                      stops, so the run fails at once with the evidence) or
                      report (only logged; for runs that allow them with
                      --allow-dmesg)
  --swap SIZE         attach a sparse SIZE swap disk (virtio-blk) and swapon it
                      before COMMAND; default: no swap at all
  --zram SIZE         swap to a SIZE zram device (compressed, in the guest's
                      RAM) at a higher priority than --swap; the compressor
                      is the kernel's default
  --module PATH.ko    insmod this module in the guest before COMMAND (repeatable,
                      loaded in order); the run fails if insmod fails.
                      OOMN_MODULE is set to the guest path of the first one.
  --env NAME=VALUE    export this variable to COMMAND (repeatable)
  --overlay           make the guest root a tmpfs-backed overlay over the host
                      root, so COMMAND can write anywhere (nothing reaches the
                      host); without it the root is read-only
  --boot MODE         bzimage: boot /boot/vmlinuz-VER as it is (default);
                      pvh: boot the uncompressed vmlinux (extracted once into
                      the cache) through its PVH entry, skipping the kernel's
                      self-decompression, which under TCG costs ~2.5 s per boot
                      for the xz-compressed 6.1 image. Default from
                      \$OOMN_VM_BOOT if set.
  --systemd           boot systemd as PID 1 (implies --overlay): COMMAND runs
                      from a oneshot unit after multi-user.target, with the
                      system bus and every unit the host root enables, except
                      a masked few (other OOM daemons, gettys, timers, apt,
                      databases, and what is slow under TCG and not needed:
                      udev coldplug, systemd-tmpfiles-setup); the machine
                      powers off when COMMAND ends. Boot to COMMAND: ~60 s
  --keep              keep the job directory (logs, dmesg) and print its path
  --allow-dmesg REGEX guest kernel log lines matching this extended regex are
                      not counted as failures (repeatable)
  -h, --help          this text

In the guest: /tmp, /var/tmp, /run and /dev/shm are fresh tmpfs (the current
directory stays visible even if it lies below one of them), cgroup2 is mounted
at /sys/fs/cgroup, the job directory is at /run/oomn-vm, and COMMAND sees
OOMN_VM=1, OOMN_VM_KERNEL=<version>, OOMN_VM_JOB=/run/oomn-vm.

exit status: COMMAND's status, or
  $EXIT_DMESG  the guest kernel log has BUG:/WARNING:/Oops/KASAN/... lines
  $EXIT_TIMEOUT  --timeout expired
  $EXIT_INFRA   the VM failed (no boot, insmod of a --module failed, no status)
  $EXIT_USAGE    bad options
When the guest hangs or panics, the part of its console from the first sign
of trouble (lockup, stall, hung task, panic, the timeout's sysrq) is printed
on stderr, so the stacks land in the test log even when the job directory
does not survive.
The last line on stderr is always:
  vm: kernel <version> exit <status> dmesg <clean|N bad lines|unknown>

environment: OOMN_VM_CACHE  initramfs/vmlinux/kallsyms cache (default /var/cache/oom-notify-vm)
             OOMN_VM_BOOT   default for --boot
             OOMN_VM_TCG_THREAD  single (default) or multi: qemu's TCG threading
                            (multi breaks the guest's code patching, see the script)
             TMPDIR         where job directories are created (default /tmp)
EOF
}

say() { echo "vm: $*" >&2; }
usage_error() { say "$*"; say "try '$prog --help'"; exit "$EXIT_USAGE"; }

# --- options -------------------------------------------------------------------
kernel=6.12
mem=512M
cpus=2
timeout_s=900
swap=
zram=
overlay=0
systemd=0
keep=0
boot=${OOMN_VM_BOOT:-bzimage}
hang=panic
modules=()
envs=()
allow_dmesg=()

while [ $# -gt 0 ]; do
    opt=$1
    # Accept both "--opt VALUE" and "--opt=VALUE".
    case "$opt" in
    --*=*) val=${opt#*=}; opt=${opt%%=*}; shift; set -- "$opt" "$val" "$@" ;;
    esac
    case "$opt" in
    --kernel | --mem | --cpus | --timeout | --swap | --zram | --module | --env | --allow-dmesg | --boot | --hang)
        [ $# -ge 2 ] || usage_error "$opt needs a value"
        val=$2
        shift 2
        ;;
    esac
    case "$opt" in
    --kernel) kernel=$val ;;
    --mem) mem=$val ;;
    --cpus) cpus=$val ;;
    --timeout) timeout_s=$val ;;
    --swap) swap=$val ;;
    --zram) zram=$val ;;
    --module) modules+=("$val") ;;
    --env) envs+=("$val") ;;
    --allow-dmesg) allow_dmesg+=("$val") ;;
    --boot) boot=$val ;;
    --hang) hang=$val ;;
    --overlay) overlay=1; shift ;;
    --systemd) systemd=1; overlay=1; shift ;;
    --keep) keep=1; shift ;;
    -h | --help) usage; exit 0 ;;
    --) shift; break ;;
    *) usage_error "unknown option '$opt' (COMMAND goes after --)" ;;
    esac
done
[ $# -ge 1 ] || usage_error "no COMMAND given (usage: $prog [options] -- COMMAND [ARGS...])"

[[ $mem =~ ^[1-9][0-9]*[KMGT]?$ ]] || usage_error "bad --mem '$mem' (e.g. 512M, 1G)"
[[ $cpus =~ ^[1-9][0-9]*$ ]] || usage_error "bad --cpus '$cpus'"
[[ $timeout_s =~ ^[1-9][0-9]*$ ]] || usage_error "bad --timeout '$timeout_s' (seconds)"
if [ -n "$swap" ]; then
    [[ $swap =~ ^[1-9][0-9]*[KMG]?$ ]] || usage_error "bad --swap '$swap' (e.g. 64M, 1G)"
fi
if [ -n "$zram" ]; then
    [[ $zram =~ ^[1-9][0-9]*[KMG]?$ ]] || usage_error "bad --zram '$zram' (e.g. 256M, 1G)"
fi
case "$boot" in
bzimage | pvh) ;;
*) usage_error "bad --boot '$boot' (bzimage or pvh)" ;;
esac
case "$hang" in
panic | report) ;;
*) usage_error "bad --hang '$hang' (panic or report)" ;;
esac
for e in ${envs[@]+"${envs[@]}"}; do
    [[ $e =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || usage_error "bad --env '$e' (NAME=VALUE)"
done
for re in ${allow_dmesg[@]+"${allow_dmesg[@]}"}; do
    rc=0
    grep -Eq -e "$re" </dev/null 2>/dev/null || rc=$?
    [ "$rc" -le 1 ] || usage_error "bad --allow-dmesg regex '$re'"
done
for m in ${modules[@]+"${modules[@]}"}; do
    [ -f "$m" ] && [ -r "$m" ] || usage_error "--module '$m': no such readable file"
done

# --- kernel ------------------------------------------------------------------------
# "6.1" must not match 6.12.x: a short form matches VER exactly or VER followed
# by one of . - + ; among several matches the highest version wins.
resolve_kernel() {
    local want=$1 v
    local -a found=()
    for v in /lib/modules/*; do
        v=${v##*/}
        [ -e "/boot/vmlinuz-$v" ] || continue
        case "$v" in
        "$want" | "$want".* | "$want"-* | "$want"+*) found+=("$v") ;;
        esac
    done
    [ ${#found[@]} -gt 0 ] || return 1
    printf '%s\n' "${found[@]}" | sort -V | tail -n1
}
kver=$(resolve_kernel "$kernel") ||
    usage_error "no installed kernel matches '$kernel' (need /boot/vmlinuz-VER and /lib/modules/VER)"

# --- job directory ----------------------------------------------------------------
# POSIX single-quoting, readable by both busybox sh (vm.conf) and dash (job.sh).
q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

job=$(mktemp -d "${TMPDIR:-/tmp}/oomn-vm.XXXXXX")
chmod 0755 "$job"
timeout_pid=
watch_pid=
tee_pid=
keep_for_debug=0   # set when the bed (not COMMAND) failed: keep the evidence
kept_said=0
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
    local rc=$?
    if [ -n "$timeout_pid" ]; then
        kill "$timeout_pid" 2>/dev/null || true
        wait "$timeout_pid" 2>/dev/null || true
    fi
    if [ -n "$tee_pid" ]; then kill "$tee_pid" 2>/dev/null || true; fi
    if [ -n "$watch_pid" ]; then kill "$watch_pid" 2>/dev/null || true; fi
    if [ "$keep" = 1 ] || [ "$keep_for_debug" = 1 ]; then
        rm -f -- "$job/swap.img" "$job/output.fifo"
        [ "$kept_said" = 1 ] || say "job directory kept: $job"
    else
        rm -rf -- "$job"
    fi
    return "$rc"
}
trap cleanup EXIT
# On a signal, take the VM down with us (cleanup runs from the EXIT trap).
trap 'say "interrupted"; say "kernel $kver exit interrupted dmesg unknown"; exit 130' INT
trap 'say "terminated"; say "kernel $kver exit terminated dmesg unknown"; exit 143' TERM HUP

initramfs=$("$here/mkinitramfs.sh" "$kver") || { say "building the initramfs failed"; exit "$EXIT_INFRA"; }

kernel_image=/boot/vmlinuz-$kver
if [ "$boot" = pvh ]; then
    kernel_image=$("$here/extract-vmlinux.sh" "$kver") ||
        { say "extracting vmlinux for --boot pvh failed"; exit "$EXIT_INFRA"; }
fi

# The kernel's text symbols, read once from a guest: with nokaslr they hold
# for every boot of this kernel, and name the vCPUs' places at a timeout.
ksyms=${OOMN_VM_CACHE:-/var/cache/oom-notify-vm}/kallsyms-$kver

cwd=$(pwd -P)
# the project tree (tests/vm/..), kept visible in the guest like the cwd
project=$(cd "$here/../.." && pwd -P)
guest_job=/run/oomn-vm

{
    echo "# written by run-vm.sh, sourced by /init"
    echo "OOMN_KVER=$(q "$kver")"
    echo "OOMN_OVERLAY=$overlay"
    echo "OOMN_SYSTEMD=$systemd"
    echo "OOMN_SWAP=$([ -n "$swap" ] && echo 1 || echo 0)"
    echo "OOMN_CWD=$(q "$cwd")"
    echo "OOMN_PROJECT=$(q "$project")"
} >"$job/vm.conf"

# Modules are copied into the job directory: the original path might be hidden
# in the guest (e.g. under /tmp, which is a fresh tmpfs there).
guest_modules=()
i=0
for m in ${modules[@]+"${modules[@]}"}; do
    i=$((i + 1))
    mkdir -p "$job/modules/$i"
    cp -- "$m" "$job/modules/$i/"
    guest_modules+=("$guest_job/modules/$i/$(basename "$m")")
done

# The host's PATH, plus the sbin directories (insmod, mkswap, ...) if missing.
guest_path=$PATH
for d in /usr/local/sbin /usr/sbin /sbin; do
    case ":$guest_path:" in *":$d:"*) ;; *) guest_path=$guest_path:$d ;; esac
done

{
    echo "# written by run-vm.sh; run by /init in the guest with /bin/sh, chrooted"
    echo "# into the host root (or by systemd's oomn-vm-job.service with --systemd),"
    echo "# stdout and stderr on /dev/ttyS1."
    echo "export PATH=$(q "$guest_path")"
    echo "export HOME=/root"
    echo "export OOMN_VM=1"
    echo "export OOMN_VM_KERNEL=$(q "$kver")"
    echo "export OOMN_VM_JOB=$guest_job"
    if [ ${#guest_modules[@]} -gt 0 ]; then
        echo "export OOMN_MODULE=$(q "${guest_modules[0]}")"
    fi
    for e in ${envs[@]+"${envs[@]}"}; do
        echo "export ${e%%=*}=$(q "${e#*=}")"
    done
    cat <<'EOF'
# The host retries a boot that panicked before this line (run-vm.sh).
: >/run/oomn-vm/started
fail() {
    echo "vm: $*" >&2
    echo "$*" >/run/oomn-vm/error
    exit 0
}
EOF
    if [ ! -s "$ksyms" ]; then
        echo "grep ' [tT] ' /proc/kallsyms | grep -v '\\[' | sort >/run/oomn-vm/kallsyms 2>/dev/null || true"
    fi
    cat <<'EOF'
# Keep this shell (which must write the status) out of the OOM killer's
# reach; COMMAND gets the default score back below.
echo -1000 >/proc/self/oom_score_adj
EOF
    echo "cd $(q "$cwd") || fail $(q "cannot change to $cwd in the guest")"
    if [ -n "$zram" ]; then
        # In the chroot: the host's modprobe finds zram, zsmalloc and the
        # compressor (the kernel's own request_module would look in the
        # initramfs).
        echo "modprobe zram num_devices=1 || fail 'modprobe zram failed'"
        echo "echo $(q "$zram") >/sys/block/zram0/disksize || fail 'cannot size /dev/zram0'"
        echo "mkswap /dev/zram0 >/dev/null || fail 'mkswap /dev/zram0 failed'"
        echo "swapon -p 100 /dev/zram0 || fail 'swapon /dev/zram0 failed'"
    fi
    for m in ${guest_modules[@]+"${guest_modules[@]}"}; do
        echo "insmod $(q "$m") || fail $(q "insmod ${m##*/} failed (see the output above and dmesg)")"
    done
    printf '(echo 0 >/proc/self/oom_score_adj; exec'
    for a in "$@"; do printf ' %s' "$(q "$a")"; done
    printf ') </dev/null\n'
    echo "echo \$? >/run/oomn-vm/status"
} >"$job/job.sh"

# The kernel command line.
# log_buf_len: OOM reports are long; keep early warnings in the buffer.
# no_timer_check: on a loaded host TCG can miss the IO-APIC timer check
# ("IO-APIC + timer doesn't work!" panic at boot).
# loglevel=4 keeps OOM reports off the slow serial console; what a hang
# needs reaches it anyway: a panic raises the console level, prints its
# stack, every task's (panic_print bit 0) and replays the whole kernel log
# (bit 5). nokaslr: qemu's register dump at a timeout is symbolized with
# System.map. sysrq_always_enabled: the timeout's sysrq-c.
cmdline="console=ttyS0 no_timer_check psi=1 panic=-1 loglevel=4 log_buf_len=4M"
cmdline+=" nokaslr sysrq_always_enabled panic_print=0x21"
if [ "$hang" = panic ]; then
    cmdline+=" softlockup_panic=1 softlockup_all_cpu_backtrace=1"
    cmdline+=" hung_task_panic=1 sysctl.kernel.hung_task_all_cpu_backtrace=1"
    cmdline+=" sysctl.kernel.panic_on_rcu_stall=1"
fi

# One host thread runs every vCPU in turn. With a thread per vCPU (MTTCG),
# qemu 7.2 lets a vCPU run code another vCPU has just rewritten through the
# kernel's int3 protocol (text_poke_bp: static keys, tracepoints): flipping
# the mm_page_alloc tracepoint through tracefs while a process allocates,
# with no module loaded, oopses 6.12 on "int3" at the patched site in
# __alloc_pages and soft-locks 6.1 there within seconds; with thread=single
# 300 flips on each kernel are clean. docs/vm.md has the reproduction.
tcg_thread=${OOMN_VM_TCG_THREAD:-single}

# shellcheck disable=SC2054 # the commas belong to qemu option values
qemu_args=(
    -accel "tcg,thread=$tcg_thread" -cpu max -smp "$cpus" -m "$mem" -mem-prealloc
    -nodefaults -no-user-config -no-reboot -display none
    -kernel "$kernel_image" -initrd "$initramfs"
    -append "$cmdline"
    # the human monitor, for the timeout's register dump and sysrq
    -monitor "unix:$job/monitor.sock,server=on,wait=off"
    -virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap
    -virtfs "local,path=$job,mount_tag=job,security_model=none,multidevs=remap"
    -chardev "file,id=console,path=$job/console.log" -serial chardev:console
    -chardev "file,id=output,path=$job/output.fifo" -serial chardev:output
)
if [ -n "$swap" ]; then
    truncate -s "$swap" "$job/swap.img"
    # cache=unsafe: the swap contents die with the VM anyway.
    qemu_args+=(-drive "file=$job/swap.img,format=raw,if=virtio,cache=unsafe")
fi

# --- hang evidence ----------------------------------------------------------------------
# One command to qemu's human monitor; its answer on stdout.
monitor() {
    python3 - "$job/monitor.sock" "$1" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
buf = b""
def until_prompt():
    global buf
    while not buf.endswith(b"(qemu) "):
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
until_prompt()
buf = b""
s.sendall(sys.argv[2].encode() + b"\n")
until_prompt()
sys.stdout.write(buf.decode(errors="replace").replace("\r", ""))
PY
}

# RIP of every vCPU, twice a second apart, with the kernel symbol it falls in
# (nokaslr: the addresses are System.map's).
vcpu_places() {
    local map=$ksyms round
    [ -s "$map" ] || map=$job/kallsyms
    for round in 1 2; do
        echo "== qemu: vCPU registers ($round)"
        monitor "info registers -a" | grep -E '^CPU#|^RIP=' | while read -r line; do
            case "$line" in
            RIP=*)
                rip=${line#RIP=}
                rip=${rip%% *}
                sym=
                if [[ $rip > ffffffffbfffffff ]]; then
                    sym="(a module: see the guest's stacks)"
                elif [ -s "$map" ]; then
                    sym=$(awk -v a="$rip" '
                        BEGIN { a = tolower(a) }
                        { if ($1 <= a) { best = $3 } else { exit } }
                        END { if (best != "") print best }' "$map")
                fi
                echo "  RIP=$rip ${sym:-?}"
                ;;
            *) echo "$line" ;;
            esac
        done
        sleep 1
    done
}

# Runs beside qemu: near the timeout, leave the evidence of a hang the
# guest's own detectors did not catch, then stop the guest through a panic.
hang_watch() {
    local lead=$((timeout_s / 10))
    [ "$lead" -le 30 ] || lead=30
    [ "$lead" -ge 10 ] || lead=10
    # too short a run to boot, wait and then dump: timeout(1) alone
    [ "$timeout_s" -ge $((lead + 30)) ] || return 0
    # killed when qemu ends first: take the sleep along
    trap 'kill "$sleep_pid" 2>/dev/null; exit 0' TERM
    sleep $((timeout_s - lead)) &
    sleep_pid=$!
    wait "$sleep_pid"
    {
        echo "timeout in ${lead}s: recording where the guest is"
        vcpu_places
        echo "== qemu: sysrq-c (the guest panics: every task's stack, the kernel log replayed)"
        monitor "sendkey alt-sysrq-c" >/dev/null
    } >"$job/hang-watch.log" 2>&1
}

# The console from the first sign of a hang or panic, bounded.
show_hang_evidence() {
    local first
    [ -f "$job/hang-watch.log" ] && { say "before the timeout:"; sed 's/^/  | /' "$job/hang-watch.log" >&2; }
    first=$(tr -d '\r' <"$job/console.log" 2>/dev/null |
        grep -n -m1 -E 'soft lockup|blocked for more than|rcu.*[Ss]tall|Kernel panic|sysrq: Trigger a crash|BUG:|Oops' |
        cut -d: -f1) || true
    [ -n "$first" ] || return 0
    say "the guest console from line $first (at most 1500 lines; all of it in $job/console.log):"
    # head stops reading at 1500 lines: the SIGPIPE upstream is expected, and
    # with pipefail it would end the bed with 141 instead of the run's status
    # (seen on 6.1, whose panic console is longer).
    tr -d '\r' <"$job/console.log" | tail -n +"$first" | head -n 1500 | sed 's/^/  | /' >&2 || true
}

# --- run ------------------------------------------------------------------------------
# ttyS1 goes through a FIFO to tee, so the output streams live and also lands
# in the job directory. We hold the FIFO open read-write ourselves so that
# neither side blocks in open() whatever starts first, and close it once qemu
# is gone so that tee sees EOF only after qemu's last byte.
run_qemu() {
    rm -f "$job/output.fifo"
    mkfifo "$job/output.fifo"
    exec 7<>"$job/output.fifo"
    # -p: keep writing output.log even if our stdout is a closed pipe.
    # (7>&-: tee must not hold the write side itself, or it never sees EOF.)
    tee -p "$job/output.log" <"$job/output.fifo" 7>&- &
    tee_pid=$!

    start=$(date +%s)
    # timeout(1) kills qemu on expiry (and on our own TERM, which it forwards).
    timeout -k 10 "$timeout_s" qemu-system-x86_64 "${qemu_args[@]}" \
        </dev/null >"$job/qemu.log" 2>&1 7>&- &
    timeout_pid=$!
    hang_watch </dev/null >/dev/null 2>&1 7>&- &
    watch_pid=$!
    qemu_rc=0
    wait "$timeout_pid" || qemu_rc=$?
    timeout_pid=
    kill "$watch_pid" 2>/dev/null || true
    wait "$watch_pid" 2>/dev/null || true
    exec 7>&-
    wait "$tee_pid" || true
    tee_pid=
    elapsed=$(($(date +%s) - start))
}
run_qemu
# TCG now and then faults on the kernel's own boot-time code patching with
# two vCPUs (seen: "Fatal exception in interrupt" at 3 s, RIP on a patched
# NOP), on a host loaded with other VMs. A guest that panicked before the
# job even started ran nothing of ours: boot it once more.
if [ ! -e "$job/started" ] && [ ! -e "$job/error" ] &&
    grep -q 'Kernel panic' "$job/console.log" 2>/dev/null; then
    say "the guest kernel panicked while booting, before the job started; booting once more"
    tr -d '\r' <"$job/console.log" | grep -E 'RIP:|Kernel panic' | head -n 4 | sed 's/^/  | /' >&2 || true
    mv "$job/console.log" "$job/console-first-boot.log"
    run_qemu
fi

if [ ! -s "$ksyms" ] && [ -s "$job/kallsyms" ]; then
    mkdir -p "${ksyms%/*}" && cp "$job/kallsyms" "$ksyms.$$" && mv "$ksyms.$$" "$ksyms" || true
fi

# --- verdict --------------------------------------------------------------------------
show_console_tail() {
    say "last lines of the guest kernel console ($job/console.log):"
    tail -n 80 "$job/console.log" 2>/dev/null | tr -d '\r' | sed 's/^/  | /' >&2 || true
    if [ -s "$job/qemu.log" ]; then
        say "qemu said:"
        sed 's/^/  | /' "$job/qemu.log" >&2
    fi
}

final() { # final EXIT-FIELD DMESG-FIELD RC
    if [ "$3" = "$EXIT_INFRA" ] || [ "$3" = "$EXIT_TIMEOUT" ] || [ "$3" = "$EXIT_DMESG" ]; then
        keep_for_debug=1
    fi
    # Say where the evidence is before the final line, which must stay last.
    if [ "$keep" = 1 ] || [ "$keep_for_debug" = 1 ]; then
        say "job directory kept: $job"
        kept_said=1
    fi
    say "kernel $kver exit $1 dmesg $2"
    exit "$3"
}

dmesg_field=unknown
bad_lines=
# Without a saved dmesg (panic, hang, timeout) fall back to the console log,
# which has the kernel's messages of level < 4 (panics, BUGs, Oopses).
kernel_log=$job/dmesg
[ -f "$kernel_log" ] || kernel_log=$job/console.log
if [ -f "$kernel_log" ]; then
    bad_re='BUG:|WARNING:|Oops|KASAN|UBSAN|general protection|Kernel panic|kernel BUG|RCU.*stall|soft lockup|blocked for more than'
    bad_lines=$(tr -d '\r' <"$kernel_log" | grep -E -e "$bad_re" || true)
    if [ -n "$bad_lines" ] && [ ${#allow_dmesg[@]} -gt 0 ]; then
        allow_args=()
        for re in "${allow_dmesg[@]}"; do allow_args+=(-e "$re"); done
        bad_lines=$(printf '%s\n' "$bad_lines" | grep -E -v "${allow_args[@]}" || true)
    fi
    if [ -z "$bad_lines" ]; then
        dmesg_field=clean
    else
        dmesg_field="$(printf '%s\n' "$bad_lines" | wc -l) bad lines"
    fi
fi

if [ "$qemu_rc" = 124 ] || [ "$qemu_rc" = 137 ] || [ -f "$job/hang-watch.log" ]; then
    say "TIMEOUT: the VM was still running after ${timeout_s}s and was stopped"
    show_hang_evidence
    show_console_tail
    final timeout "$dmesg_field" "$EXIT_TIMEOUT"
fi
if [ -f "$job/error" ]; then
    say "FAILED in the guest before COMMAND ran: $(cat "$job/error")"
    [ -z "$bad_lines" ] || { say "guest kernel log:"; printf '  | %s\n' "$bad_lines" >&2; }
    final none "$dmesg_field" "$EXIT_INFRA"
fi
if [ ! -f "$job/status" ]; then
    if [ -f "$job/job-rc" ]; then
        say "FAILED: the job script died (status $(cat "$job/job-rc")) before writing COMMAND's exit status"
    else
        say "FAILED: the VM stopped without reporting an exit status (qemu status $qemu_rc, ${elapsed}s)"
    fi
    if grep -q 'Kernel panic' "$job/console.log" 2>/dev/null; then
        say "the guest kernel panicked"
        show_hang_evidence
    fi
    show_console_tail
    final none "$dmesg_field" "$EXIT_INFRA"
fi
status=$(cat "$job/status")
if [ ! -f "$job/dmesg" ]; then
    say "FAILED: COMMAND finished (status $status) but the guest kernel log was not saved"
    show_console_tail
    final "$status" unknown "$EXIT_INFRA"
fi
if [ -n "$bad_lines" ]; then
    say "FAILED: the guest kernel log shows problems (COMMAND exit status was $status):"
    printf '%s\n' "$bad_lines" | sed 's/^/  | /' >&2
    say "(full log: $job/dmesg; --allow-dmesg REGEX accepts a line)"
    final "$status" "$dmesg_field" "$EXIT_DMESG"
fi
final "$status" "$dmesg_field" "$status"
