#!/bin/bash
# mkinitramfs.sh KVER [OUT.cpio.gz]
#
# Builds the small initramfs the oom-notify test VM boots with: busybox-static,
# the modules needed to reach the host's root over virtio-9p (plus overlay and
# virtio_blk for --overlay and --swap), and guest-init.sh as /init.
#
# The image is cached in $OOMN_VM_CACHE (default /var/cache/oom-notify-vm),
# keyed by KVER and a hash of everything that goes into it (this script,
# guest-init.sh, the busybox binary, the module files), so repeated runs do not
# rebuild it. With OUT, the cached image is copied there; without OUT, the path
# of the cached image is printed on stdout.
#
# Safe against concurrent builders: builds are serialised with flock and the
# result appears in the cache with an atomic rename.
set -euo pipefail

usage() {
    echo "usage: $0 KVER [OUT.cpio.gz]" >&2
    echo "  KVER: an installed kernel version (a directory under /lib/modules)" >&2
    exit 2
}
[ $# -ge 1 ] && [ $# -le 2 ] || usage
case "$1" in -h | --help) usage ;; esac

kver=$1
out=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
moddir=/lib/modules/$kver
init_script=$here/guest-init.sh
busybox=/bin/busybox
# The modules the guest /init loads, by name. Their dependencies (netfs,
# virtio_ring, ...) and what is built in differ between kernels, so they are
# resolved per kernel below.
wanted_modules="virtio_pci 9pnet 9pnet_virtio 9p overlay virtio_blk"

die() { echo "mkinitramfs: $*" >&2; exit 1; }

[ -d "$moddir" ] || die "no modules for kernel $kver ($moddir missing)"
[ -r "$init_script" ] || die "missing $init_script"
[ -x "$busybox" ] || die "$busybox missing (apt-get install busybox-static)"
# busybox must be static: the initramfs has no libc.
if ldd "$busybox" >/dev/null 2>&1; then
    die "$busybox is dynamically linked; install busybox-static"
fi

# --- resolve module files in load order ---------------------------------------
# One modprobe call per module: modprobe treats every word after the first
# module name as a module *parameter*, so `--show-depends a b c` only resolves
# a. "builtin X" lines mean nothing to load (e.g. virtio_pci on 6.12).
# --ignore-install: do not let the host's modprobe.d "install" rules interfere.
module_files=()
declare -A seen=()
for m in $wanted_modules; do
    deps=$(modprobe --ignore-install --show-depends -S "$kver" "$m") ||
        die "modprobe cannot resolve module $m for $kver"
    while read -r kind path _; do
        case "$kind" in
        insmod)
            if [ -z "${seen[$path]:-}" ]; then
                seen[$path]=1
                module_files+=("$path")
            fi
            ;;
        builtin) ;;
        *) die "unexpected modprobe output for $m: $kind $path" ;;
        esac
    done <<<"$deps"
done

# --- cache key ------------------------------------------------------------------
cache=${OOMN_VM_CACHE:-/var/cache/oom-notify-vm}
if ! mkdir -p "$cache" 2>/dev/null || [ ! -w "$cache" ]; then
    die "cache directory $cache is not writable (set OOMN_VM_CACHE)"
fi
key=$(
    {
        echo "format 1"
        echo "kver $kver"
        sha256sum "$0" "$init_script" "$busybox" | cut -d' ' -f1
        for f in "${module_files[@]}"; do
            echo "$f $(sha256sum <"$f" | cut -d' ' -f1)"
        done
    } | sha256sum | cut -c1-16
)
image=$cache/initramfs-$kver-$key.cpio.gz

deliver() {
    if [ -n "$out" ]; then
        cp -- "$image" "$out.tmp.$$"
        mv -f -- "$out.tmp.$$" "$out"
    else
        echo "$image"
    fi
    exit 0
}

[ -s "$image" ] && deliver

# --- build (serialised) -----------------------------------------------------------
exec 9>"$cache/.lock-$kver"
flock 9
# Another builder may have finished while we waited for the lock.
[ -s "$image" ] && deliver

stage=$(mktemp -d "${TMPDIR:-/tmp}/oomn-initramfs.XXXXXX")
tmp_image=$(mktemp "$cache/.build-$kver.XXXXXX")
trap 'rm -rf -- "$stage"; rm -f -- "$tmp_image"' EXIT

umask 022
mkdir -p "$stage"/{bin,dev,proc,sys,lib/modules,newroot,lower,upper,job,cwdsave}
ln -s bin "$stage/sbin"
install -m 0755 "$busybox" "$stage/bin/busybox"
for applet in $("$busybox" --list); do
    [ "$applet" = busybox ] || ln -s busybox "$stage/bin/$applet"
done
install -m 0755 "$init_script" "$stage/init"
# /dev/console lets the kernel give /init its stdio before devtmpfs is
# mounted; only root can create it, and /init copes without it.
mknod -m 0600 "$stage/dev/console" c 5 1 2>/dev/null || true

# Modules: decompressed here (busybox insmod wants a plain ELF .ko), stored
# flat by base name, loaded by /init in the order of load-order.
: >"$stage/lib/modules/load-order"
for f in "${module_files[@]}"; do
    base=$(basename "$f")
    case "$base" in
    *.ko) cp -- "$f" "$stage/lib/modules/$base" ;;
    *.ko.xz) base=${base%.xz}; xz -dc -- "$f" >"$stage/lib/modules/$base" ;;
    *.ko.zst) base=${base%.zst}; zstd -qdc -- "$f" >"$stage/lib/modules/$base" ;;
    *.ko.gz) base=${base%.gz}; gzip -dc -- "$f" >"$stage/lib/modules/$base" ;;
    *) die "unknown module file type: $f" ;;
    esac
    echo "$base" >>"$stage/lib/modules/load-order"
done

# Deterministic archive: sorted names, fixed owner and timestamps, no gzip
# name/time header.
find "$stage" -exec touch -h -d @0 {} +
(
    cd "$stage"
    find . -mindepth 1 -print0 | LC_ALL=C sort -z |
        cpio --null --quiet -o -H newc -R 0:0 --reproducible
) | gzip -n -9 >"$tmp_image"
chmod 0644 "$tmp_image"
mv -f -- "$tmp_image" "$image"

# Drop images of this kernel with another key (scripts or modules changed)
# that were built more than a day ago.
find "$cache" -maxdepth 1 -name "initramfs-$kver-*.cpio.gz" ! -name "$(basename "$image")" \
    -mmin +1440 -delete 2>/dev/null || true

deliver
