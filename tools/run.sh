#!/bin/bash
# The main job: build everything, boot Debian's kernel in a qemu VM (this
# machine's own kernel cannot load modules), load oom_notify there and show
# its events while a hog makes real memory pressure.
#   tools/run.sh [--kernel 6.1|6.12]
set -euo pipefail
cd "$(dirname "$0")/.."
kernel=6.12
if [ "${1:-}" = "--kernel" ]; then
	kernel=$2
fi
tools/deps.sh
tools/build.sh

kver=$(basename /boot/vmlinuz-"$kernel"*-amd64 | sed 's/^vmlinuz-//')
exec tests/vm/run-vm.sh --kernel "$kver" --mem 512M \
	--module "build/kernel/oom_notify-$kver.ko" \
	-- tools/demo.sh
