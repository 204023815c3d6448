#!/bin/bash
# test-system.sh --kernel KVER --module KO --source DIR --work DIR --hog PATH --gmm-client PATH
#
# oom-notify installed as a system service, the way the README tells a new
# user to, and checked under systemd as PID 1 in the VM (TAP on stdout).
#
# The host side (this script) does what needs no root and no system:
#   1. a fresh build of the source tree configured as the README says
#      (meson setup --prefix=/usr), shared by the runs for both kernels;
#   2. `dkms build` of the installed module sources for KVER, for real but
#      natively and in a private DKMS tree (under TCG it takes ~10 min), and
#      the module index (depmod) of KVER with that module added: what `dkms
#      install` leaves behind (see system-job.sh).
# The guest side (system-job.sh, run by run-vm.sh --systemd) installs as root
# into the VM's overlay root, starts the units and checks them.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
usage() {
    sed -n '2p' "$0" | sed 's/^# /usage: /'
    echo "Runs tests/system/system-job.sh in the VM under systemd; TAP on stdout."
}
kernel='' module='' source='' work='' hog='' gmm=''
while [ $# -gt 0 ]; do
    case "$1" in
    --kernel) kernel=$2; shift 2 ;;
    --module) module=$2; shift 2 ;;
    --source) source=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --hog) hog=$2; shift 2 ;;
    --gmm-client) gmm=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "test-system.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
done
for v in kernel module source work hog gmm; do
    [ -n "${!v}" ] || { echo "test-system.sh: --${v/gmm/gmm-client} is required" >&2; exit 2; }
done

# Bail out! makes meson report the whole test as failed with the reason.
bail() { echo "Bail out! $*"; exit 1; }

mkdir -p "$work"
work=$(cd "$work" && pwd -P)
kver=$kernel
[ -d "/lib/modules/$kver/kernel" ] || bail "no /lib/modules/$kver (--kernel takes a full version)"

# --- 1. the README's build, as the user (no root needed) ---------------------
# The VM cannot build it: under TCG the project takes far too long (DKMS alone
# needs ~10 min for the module). Both kernels' runs share this build dir.
build=$work/readme-build
(
    flock 9
    if [ ! -f "$build/build.ninja" ]; then
        echo "# meson setup --prefix=/usr $build $source"
        meson setup --prefix=/usr -Dmodule=disabled "$build" "$source" >"$work/setup.log" 2>&1 ||
            { sed 's/^/# /' "$work/setup.log" | tail -n 30; exit 1; }
    fi
    echo "# ninja -C $build"
    ninja -C "$build" >"$work/ninja.log" 2>&1 ||
        { sed 's/^/# /' "$work/ninja.log" | tail -n 40; exit 1; }
) 9>"$work/readme-build.lock" || bail "the README's build (meson setup --prefix=/usr; ninja) failed"

# --- 2. dkms build, as `dkms install` does it, from the installed sources ------
# The sources and dkms.conf as `meson install` puts them (a DESTDIR copy),
# added and built in a DKMS tree of the test's own: the host's /var/lib/dkms
# is left alone.
version=$(meson introspect --projectinfo "$build" | python3 -c 'import json, sys; print(json.load(sys.stdin)["version"])')
dest=$work/destdir-$kver
dktree=$work/dkms-$kver
rm -rf -- "$dest" "$dktree"
meson install -C "$build" --no-rebuild --destdir "$dest" >"$work/destdir-$kver.log" 2>&1 ||
    { sed 's/^/# /' "$work/destdir-$kver.log" | tail -n 20; bail "meson install --destdir failed"; }
src=$dest/usr/src
[ -f "$src/oom-notify-$version/dkms.conf" ] || bail "no dkms.conf in the installed sources"
mkdir -p "$dktree"
dkms_args=(-m oom-notify -v "$version" -k "$kver" --sourcetree "$src" --dkmstree "$dktree")
echo "# dkms add/build oom-notify/$version -k $kver (private tree)"
if ! dkms add "${dkms_args[@]}" >"$work/dkms-$kver.log" 2>&1 ||
    ! dkms build "${dkms_args[@]}" >>"$work/dkms-$kver.log" 2>&1; then
    sed 's/^/# /' "$work/dkms-$kver.log" | tail -n 30
    find "$dktree" -name make.log -exec tail -n 30 {} \; | sed 's/^/# /'
    bail "dkms build of the installed sources failed for $kver"
fi
built=$(find "$dktree/oom-notify/$version/$kver" -name 'oom_notify.ko*' -path '*/module/*' | head -n 1)
[ -n "$built" ] || bail "dkms build left no oom_notify.ko"
echo "# dkms built ${built#"$dktree"/}"
module=$built
ko_name=$(basename "$built") # oom_notify.ko or oom_notify.ko.xz, as DKMS installs it

# --- 2b. depmod of KVER with that module in updates/dkms ----------------------
# depmod over 9p under TCG reads and decompresses every module of the kernel
# (minutes); natively it is seconds. A tree of symlinks to the real one gets
# the new module and the index; the guest copies the index files.
dep=$work/depmod-$kver
rm -rf -- "$dep"
mkdir -p "$dep/lib/modules"
cp -rs "/lib/modules/$kver" "$dep/lib/modules/"
# depmod's inputs stay links; its outputs must not write through them.
find "$dep/lib/modules/$kver" -maxdepth 1 -name 'modules.*' -type l \
    ! -name modules.order ! -name modules.builtin ! -name modules.builtin.modinfo -delete
mkdir -p "$dep/lib/modules/$kver/updates/dkms"
cp -- "$module" "$dep/lib/modules/$kver/updates/dkms/$ko_name"
depmod -b "$dep" "$kver" || bail "depmod -b $dep $kver failed"
index=$work/modules-$kver
rm -rf -- "$index"
mkdir -p "$index"
cp -- "$dep/lib/modules/$kver"/modules.* "$index/"
cp -- "$module" "$index/$ko_name"
rm -rf -- "$dep"

# The test's own helpers, where the guest sees them.
mkdir -p "$work/bin"
cp -- "$hog" "$work/bin/oomn-hog"
cp -- "$gmm" "$work/bin/gmm-client"

# --- 3. the VM --------------------------------------------------------------------
# Everything the guest needs lies below $work, which stays visible there as
# the current directory (run-vm.sh keeps the cwd even under /tmp).
cd "$work"
# 384M: less for the hogs to fill under TCG; systemd, the bus, both daemons
# and meson install fit with room to spare.
# Soft lockups and RCU stalls: on a loaded host TCG's vCPUs stall for tens of
# seconds of guest time; that is the host's doing, not the kernel's (the
# module's own suites keep the strict check).
exec "$here/../vm/run-vm.sh" --systemd --kernel "$kver" --mem 384M --timeout 1200 \
    --hang report --allow-dmesg 'watchdog: BUG: soft lockup' --allow-dmesg '[Rr][Cc][Uu].*stall' \
    --env "OOMN_SYS_BUILD=$build" \
    --env "OOMN_SYS_INDEX=$index" \
    --env "OOMN_HOG=$work/bin/oomn-hog" \
    --env "OOMN_GMM_CLIENT=$work/bin/gmm-client" \
    -- sh "$here/system-job.sh"
