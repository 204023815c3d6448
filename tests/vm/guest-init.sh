#!/bin/sh
# /init of the oom-notify test VM (runs as PID 1 under busybox sh, inside the
# initramfs built by mkinitramfs.sh).
#
# It turns the host's root file system (9p tag "host", read-only) into the
# guest's root, optionally under a tmpfs-backed overlay, mounts the per-run
# job directory (9p tag "job", writable) at /run/oomn-vm, chroots into the new
# root to run the job script that run-vm.sh wrote, then saves dmesg into the
# job directory and powers the machine off. With run-vm.sh --systemd it
# instead hands the overlay root to systemd as PID 1, which runs the job as a
# unit (boot_systemd below).
#
# Per-run settings come from /run/oomn-vm/vm.conf (written by run-vm.sh), not
# from the kernel command line, so the initramfs stays the same for every run
# and can be cached.
#
# Any failure here prints "oomn-vm init: ..." on the kernel console (ttyS0) and
# powers off without writing an exit status; run-vm.sh then reports a boot
# failure together with the tail of the console log.

export PATH=/bin

# 9p options. msize: a larger message size than the default (128 KiB) means
# fewer round trips for big reads; the kernel clamps it to what the virtio
# transport supports.
NINEP_OPTS=trans=virtio,version=9p2000.L,msize=512000
# The host root is read-only and is only read during a run, so it can be
# cached in the guest (cache=loose): python3 startup drops from ~9 s to ~4 s
# under TCG. The job directory is NOT cached: the host reads what the guest
# writes there.
HOST_OPTS=$NINEP_OPTS,ro,cache=loose

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# The initramfs may not contain /dev/console (only root can mknod it), so make
# sure our output reaches the serial console either way.
exec </dev/null >/dev/console 2>&1

log() { echo "oomn-vm init: $*"; }

halt_machine() {
    sync
    poweroff -f
    # poweroff -f should not return; if it does, try the kernel directly.
    echo o >/proc/sysrq-trigger
    sleep 5
    reboot -f   # with qemu -no-reboot this also ends the VM
}

fail() {
    log "FATAL: $*"
    halt_machine
}

# --- modules needed to reach the host's files ------------------------------
# load-order is the dependency-ordered list computed on the host by
# `modprobe --show-depends`; the files are already decompressed there because
# busybox insmod does not handle .ko.xz itself.
while read -r ko; do
    [ -n "$ko" ] || continue
    insmod "/lib/modules/$ko" || fail "insmod $ko failed"
done </lib/modules/load-order

# Hands the machine to systemd: the job becomes a oneshot unit after
# multi-user.target that saves dmesg and powers off when it ends. Units that
# would compete for memory or CPU (other OOM daemons, databases, timers,
# gettys) are masked in the overlay; nothing reaches the host. So are those
# that cost most of the boot under TCG and that a test does not need: udev's
# coldplug (devtmpfs has the nodes) and systemd-tmpfiles-setup (30-45 s over
# 9p; the root is the host's, the fresh tmpfs need nothing from it).
boot_systemd() {
    [ -x /newroot/lib/systemd/systemd ] || fail "--systemd: no /lib/systemd/systemd in the root"
    etc=/newroot/etc/systemd/system
    mkdir -p "$etc/multi-user.target.wants"
    for u in earlyoom.service nohang.service nohang-desktop.service \
        low-memory-monitor.service postgresql.service systemd-oomd.service prometheus.service \
        getty@tty1.service serial-getty@ttyS0.service getty.target \
        apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer \
        e2scrub_reap.service e2scrub_all.timer man-db.timer fstrim.timer \
        logrotate.timer systemd-pstore.service systemd-timesyncd.service \
        remote-fs.target \
        systemd-udevd.service systemd-udev-trigger.service systemd-udev-settle.service \
        systemd-udevd-control.socket systemd-udevd-kernel.socket \
        systemd-tmpfiles-setup.service systemd-tmpfiles-clean.timer \
        systemd-update-utmp.service systemd-update-utmp-runlevel.service \
        systemd-journal-flush.service systemd-binfmt.service \
        proc-sys-fs-binfmt_misc.automount modprobe@drm.service \
        sys-kernel-debug.mount sys-kernel-tracing.mount; do
        ln -sfn /dev/null "$etc/$u"
    done
    cat >"$etc/oomn-vm-job.service" <<'UNIT'
[Unit]
Description=oom-notify VM job (tests/vm/run-vm.sh --systemd)
After=multi-user.target

[Service]
Type=oneshot
# ttyS1 stays open (fd 3) for the whole job so its raw mode holds.
ExecStart=/bin/sh -c 'exec 3<>/dev/ttyS1 && stty -F /dev/ttyS1 raw -echo && exec /bin/sh /run/oomn-vm/job.sh </dev/null >/dev/ttyS1 2>&1'
# Powers off from here, through the kernel: SuccessAction=poweroff-immediate
# (and poweroff-force) left the VM running until run-vm.sh's timeout. Runs
# whether the job succeeded, failed or was killed.
ExecStopPost=/bin/sh -c 'echo "$EXIT_STATUS" >/run/oomn-vm/job-rc; dmesg >/run/oomn-vm/dmesg.tmp && mv /run/oomn-vm/dmesg.tmp /run/oomn-vm/dmesg; sync; echo o >/proc/sysrq-trigger'
TimeoutStartSec=infinity
UNIT
    ln -sfn ../oomn-vm-job.service "$etc/multi-user.target.wants/oomn-vm-job.service"

    # The two directories of systemd-tmpfiles-setup that programs expect.
    mkdir -m 1777 /newroot/run/lock
    mkdir -m 0755 /newroot/run/user
    mkdir -p /newroot/run/oomn-vm
    mount --move /job /newroot/run/oomn-vm || fail "cannot move the job directory"
    # systemd finds proc, sys and dev mounted and keeps them; it mounts
    # cgroup2, devpts and /dev/shm itself.
    for d in proc sys dev; do
        mount --move "/$d" "/newroot/$d" || fail "cannot move /$d into the new root"
    done
    exec switch_root /newroot /lib/systemd/systemd
}

# --- job directory and per-run settings -------------------------------------
mkdir -p /job
mount -t 9p -o "$NINEP_OPTS" job /job || fail "cannot mount the 9p tag 'job'"
[ -r /job/vm.conf ] || fail "no vm.conf in the job directory"
# Defines OOMN_KVER OOMN_OVERLAY OOMN_SWAP OOMN_CWD OOMN_PROJECT (POSIX-quoted by run-vm.sh).
# shellcheck source=/dev/null
. /job/vm.conf

if [ "$(uname -r)" != "$OOMN_KVER" ]; then
    fail "booted kernel $(uname -r), but the job asked for $OOMN_KVER"
fi

# --- the new root ------------------------------------------------------------
mkdir -p /lower /upper /newroot
if [ "$OOMN_OVERLAY" = 1 ]; then
    # Host root read-only as the lower layer, a tmpfs as the upper layer: the
    # guest can write anywhere and nothing reaches the host.
    mount -t 9p -o "$HOST_OPTS" host /lower || fail "cannot mount the 9p tag 'host'"
    mount -t tmpfs -o mode=0755 upper /upper
    mkdir -p /upper/data /upper/work
    mount -t overlay -o lowerdir=/lower,upperdir=/upper/data,workdir=/upper/work \
        overlay /newroot || fail "cannot mount the overlay root"
else
    mount -t 9p -o "$HOST_OPTS" host /newroot || fail "cannot mount the 9p tag 'host'"
fi

# Fresh tmpfs on the usual scratch directories. If the project's tree or the
# host's working directory lies under one of them (a CI clone in /tmp), it
# would vanish; keep bind mounts of them and put them back on top of the
# tmpfs at the same paths.
nkeep=0
for p in "$OOMN_PROJECT" "$OOMN_CWD"; do
    [ -n "$p" ] && [ -d "/newroot$p" ] || continue
    for d in /tmp /var/tmp /run; do
        case "$p/" in
        "$d"/*)
            nkeep=$((nkeep + 1))
            mkdir -p "/keep$nkeep"
            mount --bind "/newroot$p" "/keep$nkeep"
            eval "keep_path_$nkeep=\$p"
            ;;
        esac
    done
done
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /newroot/tmp
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /newroot/var/tmp
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /newroot/run
i=1
while [ "$i" -le "$nkeep" ]; do
    eval "p=\$keep_path_$i"
    mkdir -p "/newroot$p"
    mount --move "/keep$i" "/newroot$p"
    i=$((i + 1))
done

# --- systemd as PID 1 (run-vm.sh --systemd) ------------------------------------
if [ "${OOMN_SYSTEMD:-0}" = 1 ]; then
    boot_systemd # does not return
fi

# Kernel file systems: fresh proc, the same sysfs/devtmpfs as ours.
mount -t proc proc /newroot/proc
mount --bind /sys /newroot/sys
mount --bind /dev /newroot/dev
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts /newroot/dev/pts
mount -t tmpfs -o mode=1777,nosuid,nodev shm /newroot/dev/shm
mount -t cgroup2 -o nsdelegate cgroup2 /newroot/sys/fs/cgroup ||
    fail "cannot mount cgroup2"
# Handy for kernel debugging; not required, so failures are ignored.
mount -t debugfs debugfs /newroot/sys/kernel/debug 2>/dev/null || true
mount -t tracefs tracefs /newroot/sys/kernel/tracing 2>/dev/null || true

mkdir -p /newroot/run/oomn-vm
mount --bind /job /newroot/run/oomn-vm

# --- swap ----------------------------------------------------------------------
if [ "$OOMN_SWAP" = 1 ]; then
    # virtio_blk probes asynchronously enough that /dev/vda may lag a moment.
    i=0
    while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    [ -b /dev/vda ] || fail "swap requested but /dev/vda did not appear"
    mkswap /dev/vda >/dev/null || fail "mkswap /dev/vda failed"
    swapon /dev/vda || fail "swapon /dev/vda failed"
fi

# --- run the job -----------------------------------------------------------------
# ttyS1 carries the command's output to the host. Raw mode: no "\n" -> "\r\n"
# translation, no echo of anything the host might send.
stty -F /dev/ttyS1 raw -echo || fail "cannot configure /dev/ttyS1"
# Keep ttyS1 open for the whole job so its settings survive the job's own
# opens and closes.
exec 3<>/dev/ttyS1

env -i /bin/chroot /newroot /bin/sh /run/oomn-vm/job.sh </dev/null >/dev/ttyS1 2>&1
rc=$?
# Fallback evidence in case the job script itself died (e.g. killed by a
# signal) before it could write its own status.
echo "$rc" >/job/job-rc

dmesg >/job/dmesg.tmp && mv /job/dmesg.tmp /job/dmesg
exec 3>&-
log "job finished (job script status $rc), powering off"
halt_machine
