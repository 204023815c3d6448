#!/bin/sh
# repro-tcg-patching.sh [N]: runs in the VM bed, without oom_notify:
#
#   OOMN_VM_TCG_THREAD=multi tests/vm/run-vm.sh --kernel 6.12 \
#       --env OOMN_HOG=build/tests/tools/oomn-hog -- tests/vm/repro-tcg-patching.sh
#
# Flips the static branches of the kmem:mm_page_alloc and mm_page_free
# tracepoints through tracefs N times (default 300) while a hog allocates
# and frees without end. Each flip rewrites code in the page allocator
# through the kernel's int3 protocol (text_poke_bp). Under qemu 7.2 TCG with
# a thread per vCPU the guest oopses ("int3") or soft-locks at the patched
# site within seconds; with thread=single it runs clean. See docs/vm.md.
n=${1:-300}
t=/sys/kernel/tracing/events/kmem
[ -n "${OOMN_HOG:-}" ] || { echo "OOMN_HOG is not set" >&2; exit 2; }
sh -c 'while :; do "$0" --max 100 --step 8 >/dev/null; done' "$OOMN_HOG" &
hog=$!
i=0
while [ "$i" -lt "$n" ]; do
    echo 1 >$t/mm_page_alloc/enable
    echo 1 >$t/mm_page_free/enable
    echo 0 >$t/mm_page_alloc/enable
    echo 0 >$t/mm_page_free/enable
    i=$((i + 1))
done
kill "$hog"
echo "flipped $i times"
