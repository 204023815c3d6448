#!/bin/bash
# Install what oom-notify needs on Debian 12, idempotently: nothing is fetched
# when every package is already there.
set -euo pipefail

packages=(
	# build
	gcc make meson ninja-build pkg-config
	libnl-3-dev libnl-genl-3-dev libsystemd-dev libglib2.0-dev libyaml-dev libpcre2-dev
	# the module: Debian's two kernels and their headers
	linux-image-amd64 linux-headers-amd64
	linux-image-6.12-amd64 linux-headers-6.12-amd64
	# the VM test bed
	qemu-system-x86 busybox-static kmod cpio xz-utils
	# tests
	dbus python3
	# the real exposition-format parser: promtool check metrics on what
	# lib/oomn-metrics writes (tests/core test-metrics-promtool)
	prometheus
	# the install test (tests/system): dkms as a user runs it
	dkms
	# the peer comparison (tools/peers.sh): the peers, loads, plots
	earlyoom nohang low-memory-monitor stress-ng python3-matplotlib
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

# The peers are installed to be compared inside the VM, never to run here: on
# a host booted with systemd their packages start them, and another OOM killer
# on the host would act on the tests' own memory pressure. prometheus is here
# for promtool alone: its package starts a server that scrapes and stores.
if [ -d /run/systemd/system ]; then
	for unit in earlyoom.service nohang.service nohang-desktop.service \
		low-memory-monitor.service prometheus.service; do
		if systemctl is-enabled --quiet "$unit" 2>/dev/null ||
			systemctl is-active --quiet "$unit" 2>/dev/null; then
			echo "deps: stopping and disabling $unit (installed for the tests, never to run here)"
			systemctl disable --now "$unit" >/dev/null 2>&1 || true
		fi
	done
fi
