#!/bin/bash
# Install what oom-notify needs on Debian 12, idempotently: nothing is fetched
# when every package is already there.
set -euo pipefail

packages=(
	# build
	gcc make meson ninja-build pkg-config
	libnl-3-dev libnl-genl-3-dev libsystemd-dev libglib2.0-dev libyaml-dev
	# the module: Debian's two kernels and their headers
	linux-image-amd64 linux-headers-amd64
	linux-image-6.12-amd64 linux-headers-6.12-amd64
	# the VM test bed
	qemu-system-x86 busybox-static kmod cpio xz-utils
	# tests
	dbus python3
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages (run as root to install): ${missing[*]}" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
