#!/bin/bash
# Build oom_notify.ko for one kernel: build-module.sh KDIR OUTDIR [COPY_TO]
# Kbuild (before 6.13) builds external modules in their source directory, so
# the sources are copied to OUTDIR and built there, one OUTDIR per kernel.
set -euo pipefail
kdir=$1
out=$2
copy_to=${3:-}
src=$(cd "$(dirname "$0")" && pwd)

mkdir -p "$out/include/uapi/linux"
for f in Kbuild oom_notify.h oom_notify_level.h oom_notify_main.c \
	 oom_notify_genl.c oom_notify_hooks.c oom_notify_level.c \
	 oom_notify_swap.c; do
	cmp -s "$src/$f" "$out/$f" || cp "$src/$f" "$out/$f"
done
cmp -s "$src/include/uapi/linux/oom_notify.h" "$out/include/uapi/linux/oom_notify.h" ||
	cp "$src/include/uapi/linux/oom_notify.h" "$out/include/uapi/linux/"
make -s -C "$kdir" M="$out" modules
[ -z "$copy_to" ] || cp "$out/oom_notify.ko" "$copy_to"
