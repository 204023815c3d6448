#!/bin/bash
# extract-vmlinux.sh KVER
#
# Prints the path of an uncompressed vmlinux (ELF) for /boot/vmlinuz-KVER,
# extracting it into the cache ($OOMN_VM_CACHE, default
# /var/cache/oom-notify-vm) the first time.
#
# Why: under TCG the kernel's own decompressor is slow; Debian's 6.1 image is
# xz-compressed and spends ~2.5 s (of a ~6.5 s run) decompressing itself on
# every boot; zstd-compressed 6.12 loses well under a second. qemu can
# boot the uncompressed vmlinux directly through its PVH entry point
# (CONFIG_PVH=y in Debian), which skips that step. run-vm.sh uses this with
# --boot pvh.
#
# Safe against concurrent callers (flock + atomic rename), like mkinitramfs.sh.
set -euo pipefail

[ $# -eq 1 ] && [ "$1" != -h ] && [ "$1" != --help ] || {
    echo "usage: $0 KVER" >&2
    exit 2
}
kver=$1
vmlinuz=/boot/vmlinuz-$kver

die() { echo "extract-vmlinux: $*" >&2; exit 1; }

[ -r "$vmlinuz" ] || die "no $vmlinuz"
cache=${OOMN_VM_CACHE:-/var/cache/oom-notify-vm}
if ! mkdir -p "$cache" 2>/dev/null || [ ! -w "$cache" ]; then
    die "cache directory $cache is not writable (set OOMN_VM_CACHE)"
fi

key=$(cat "$0" "$vmlinuz" | sha256sum | cut -c1-16)
image=$cache/vmlinux-$kver-$key
[ -s "$image" ] && { echo "$image"; exit 0; }

exec 9>"$cache/.lock-vmlinux-$kver"
flock 9
[ -s "$image" ] && { echo "$image"; exit 0; }

tmp=$(mktemp "$cache/.vmlinux-$kver.XXXXXX")
trap 'rm -f -- "$tmp"' EXIT

# An uncompressed vmlinux that qemu can boot: ELF with the PVH entry note
# (XEN_ELFNOTE_PHYS32_ENTRY, type 0x12).
is_pvh_elf() {
    [ "$(head -c4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ] &&
        readelf -n "$1" 2>/dev/null | grep -q 'type: (0x00000012)'
}

# The bzImage carries the compressed kernel after the setup code; find it by
# the compressor's magic number and try each candidate offset.
try_format() { # MAGIC DECOMPRESS-COMMAND...
    local magic=$1 off
    shift
    for off in $(LC_ALL=C grep -abo -- "$magic" "$vmlinuz" 2>/dev/null | cut -d: -f1 | head -n 5); do
        # Trailing data after the stream makes the decompressors complain;
        # what matters is whether the output is the kernel ELF.
        tail -c +$((off + 1)) "$vmlinuz" | "$@" >"$tmp" 2>/dev/null || true
        if is_pvh_elf "$tmp"; then
            return 0
        fi
    done
    return 1
}

try_format $'\xfd7zXZ\x00' xz -dc --single-stream ||
    try_format $'\x28\xb5\x2f\xfd' zstd -dc ||
    try_format $'\x1f\x8b\x08' gzip -dc ||
    die "could not find a PVH-bootable kernel inside $vmlinuz"

chmod 0644 "$tmp"
mv -f -- "$tmp" "$image"
# Drop extractions of an older image of the same version.
find "$cache" -maxdepth 1 -name "vmlinux-$kver-*" ! -name "$(basename "$image")" \
    -mmin +1440 -delete 2>/dev/null || true
echo "$image"
