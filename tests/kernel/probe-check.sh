#!/bin/bash
# probe-check.sh KVER: the module's tracepoint prototype check bites. TAP.
# probe-check.c is built against /lib/modules/KVER/build with mark_victim's
# probe in the headers' shape (must build) and in the (int pid) shape of
# upstream 6.1 (must fail, naming the probe and the tracepoint).
set -uo pipefail
kver=$1
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../../kernel" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/oomn-probe-check.XXXXXX")
trap 'rm -rf -- "$work"' EXIT

build() { # build SHAPE (right|wrong): exit status of make, log in $work/SHAPE.log
    mkdir -p "$work/$1"
    cp "$here/probe-check.c" "$work/$1/probe_check.c"
    {
        echo "obj-m := probe_check.o"
        echo "ccflags-y := -I$src -I$src/include/uapi"
        [ "$1" = wrong ] && echo "ccflags-y += -DPROBE_SHAPE_WRONG"
    } >"$work/$1/Kbuild"
    make -s -C "/lib/modules/$kver/build" M="$work/$1" modules >"$work/$1.log" 2>&1
}

echo "1..2"
if build right; then
    echo "ok 1 - a probe of the headers' shape builds ($kver)"
else
    echo "not ok 1 - a probe of the headers' shape builds ($kver)"
    sed 's/^/# /' "$work/right.log" | tail -n 20
fi
if ! build wrong && grep -q 'probe probe_check_victim does not match tracepoint mark_victim' "$work/wrong.log"; then
    echo "ok 2 - a probe of another shape fails the build, naming both"
else
    echo "not ok 2 - a probe of another shape fails the build, naming both"
    sed 's/^/# /' "$work/wrong.log" | tail -n 20
fi
