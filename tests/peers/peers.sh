#!/bin/bash
# peers.sh: oom-notify against earlyoom, nohang, low-memory-monitor and the
# kernel's OOM killer alone, every scenario, in the VM bed; writes
# docs/peers/ (results.md, results.json, *.png). See docs/peers.md.
set -euo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
build=$here/build
out=$here/docs/peers
reps=3
first_rep=1
kernels="6.1 6.12"
swap_kernel=6.12
swap=256M
zram_kernel=6.12
zram=256M
zram_fill=random
bigswap_kernel=
bigswap=768M
merge_raw=
do_bench=1
mem=512M
# one vCPU per VM: with --parallel the three VMs stay within two host cores
cpus=1
quick=0
do_build=1
parallel=0
contenders=
scenarios=
idle=10
cap=180

usage() {
	cat <<EOF
usage: tools/peers.sh [options]

Boots the VM (tests/vm/run-vm.sh, TCG) once per configuration: each kernel
without swap, one kernel with swap on a disk, one with swap on zram (the
hogs filling incompressible pages), and optionally one with a disk swap
larger than RAM; each boot runs every scenario
against every contender REPS times (tests/peers/peers-guest.sh). Then runs
the victim-choice and D-Bus fan-out benchmarks on the host and writes the
report (tests/peers/peers-report.py) to OUT.

  --quick             1 repetition, scenario fast, kernel 6.12 without
                      swap (no swap, zram or big-swap configuration), no
                      host benchmarks; checks the behaviour (exit 1 if a
                      check fails) -- what the meson test peers-quick runs
  --reps N            repetitions (default $reps)
  --first-rep N       start at repetition N (to add repetitions to a run's
                      raw records; default $first_rep)
  --kernels "K..."    kernels without swap (default "$kernels")
  --swap-kernel K     the kernel booted once more with swap ("" for none; default $swap_kernel)
  --swap SIZE         swap size for that run (default $swap)
  --zram-kernel K     the kernel booted once more with swap on zram ("" for
                      none; default $zram_kernel); tag <kver>-zram<SIZE>
  --zram SIZE         zram swap size for that run (default $zram)
  --zram-fill MODE    what the hogs' pages hold there: ones, half or random
                      (default $zram_fill: nothing compresses); the other
                      configurations use ones
  --bigswap-kernel K  the kernel booted once more with a disk swap larger than
                      RAM ("" for none; default "$bigswap_kernel"); tag <kver>-swap<SIZE>
  --bigswap SIZE      swap size for that run (default $bigswap)
  --mem SIZE          guest RAM (default $mem)
  --cpus N            guest vCPUs (default $cpus: TCG guests that share the
                      host's cores with more vCPUs than cores starve, and
                      their soft lockups would be measured instead)
  --contenders "..."  subset (default: all)
  --scenarios "..."   subset (default: all)
  --idle SECONDS      idle measurement per contender (default $idle)
  --cap SECONDS       a run not over after this long is stopped (its processes
                      SIGKILLed) and recorded as a stall (default $cap)
  --build-dir DIR     meson build directory (default $build)
  --no-build          do not run deps.sh, meson and ninja first
  --parallel          boot the configurations at the same time (one VM each)
  --out DIR           where the report goes (default $out)
  --merge-raw PATH    also report the raw records in PATH (a directory, or a
                      raw.tar.xz as the report leaves it): every run
                      (configuration, contender, scenario and repetition)
                      this one did not make anew; adds configurations or
                      runs to a report
  --no-bench          no host benchmarks (with --merge-raw: the merged ones stay)
  -h, --help          this text
  --version           the version

exit status: 0 done (and, with --quick, every check passed), 1 a run or a
check failed, 2 bad usage.
EOF
}

while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--reps) reps=$2; shift ;;
	--first-rep) first_rep=$2; shift ;;
	--kernels) kernels=$2; shift ;;
	--swap-kernel) swap_kernel=$2; shift ;;
	--swap) swap=$2; shift ;;
	--zram-kernel) zram_kernel=$2; shift ;;
	--zram) zram=$2; shift ;;
	--zram-fill) zram_fill=$2; shift ;;
	--bigswap-kernel) bigswap_kernel=$2; shift ;;
	--bigswap) bigswap=$2; shift ;;
	--merge-raw) merge_raw=$(realpath -m "$2"); shift ;;
	--no-bench) do_bench=0 ;;
	--mem) mem=$2; shift ;;
	--cpus) cpus=$2; shift ;;
	--contenders) contenders=$2; shift ;;
	--scenarios) scenarios=$2; shift ;;
	--idle) idle=$2; shift ;;
	--cap) cap=$2; shift ;;
	--build-dir) build=$(realpath -m "$2"); shift ;;
	--no-build) do_build=0 ;;
	--parallel) parallel=1 ;;
	--out) out=$(realpath -m "$2"); shift ;;
	-h | --help) usage; exit 0 ;;
	--version) echo "peers.sh 1"; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
	shift
done
if [ "$quick" = 1 ]; then
	reps=1
	kernels=6.12
	swap_kernel=
	zram_kernel=
	bigswap_kernel=
	scenarios=${scenarios:-fast}
	idle=3
fi

case $zram_fill in ones | half | random) ;; *) usage >&2; exit 2 ;; esac
if [ -n "$merge_raw" ] && [ ! -e "$merge_raw" ]; then
	echo "peers: --merge-raw $merge_raw: not found" >&2
	exit 2
fi

if [ "$do_build" = 1 ]; then
	"$here/tools/deps.sh"
	[ -f "$build/build.ninja" ] || meson setup "$build" "$here"
	ninja -C "$build"
fi

# kver_of 6.12 -> the full version we built the module for
kver_of() {
	local k
	for k in "$build"/kernel/oom_notify-*.ko; do
		k=${k##*/oom_notify-}
		k=${k%.ko}
		case $k in "$1" | "$1".* | "$1"-* | "$1"+*) echo "$k"; return 0 ;; esac
	done
	echo "peers: no module built for kernel $1 in $build/kernel" >&2
	return 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/oomn-peers.XXXXXX")
trap 'rm -rf -- "$work"' EXIT
raw=$work/raw
mkdir -p "$raw" "$out"

# KERNEL:KIND:SIZE, KIND swap (a virtio disk), zram or empty (no swap)
configs=()
for k in $kernels; do configs+=("$k::"); done
[ -n "$swap_kernel" ] && configs+=("$swap_kernel:swap:$swap")
[ -n "$zram_kernel" ] && configs+=("$zram_kernel:zram:$zram")
[ -n "$bigswap_kernel" ] && configs+=("$bigswap_kernel:swap:$bigswap")

# run_config KERNEL:KIND:SIZE: one boot, every contender and scenario; raw records to $raw/TAG
run_config() {
	local c=$1 k kind s kver tag rc=0 job fill=ones
	k=${c%%:*}
	c=${c#*:}
	kind=${c%%:*}
	s=${c#*:}
	[ -n "$kind" ] || s=
	[ "$kind" = zram ] && fill=$zram_fill
	kver=$(kver_of "$k") || return 1
	tag=$kver${s:+-$kind$s}
	echo "peers: $tag: booting ($mem RAM, $cpus vCPU${s:+, $s $kind swap}, fill $fill)" >&2
	# A guest vCPU starved by a loaded host shows as a soft lockup (in page
	# clearing, compaction) under TCG: the emulation's speed, not a fault of
	# what is measured. Everything else in the guest log still fails the run.
	local args=(--kernel "$kver" --mem "$mem" --cpus "$cpus" --overlay --keep --timeout 14400
		--hang report --allow-dmesg 'watchdog: BUG: soft lockup'
		--module "$build/kernel/oom_notify-$kver.ko"
		--env "PEERS_BUILD=$build" --env "PEERS_SRC=$here")
	[ -n "$s" ] && args+=("--$kind" "$s")
	local guest=("$here/tests/peers/peers-guest.sh" --out /run/oomn-vm/peers --reps "$reps"
		--first-rep "$first_rep"
		--idle "$idle" --cap "$cap" --fill "$fill")
	[ -n "$contenders" ] && guest+=(--contenders "$contenders")
	[ -n "$scenarios" ] && guest+=(--scenarios "$scenarios")
	mkdir -p "$work/jobs-$tag"
	# the guest sees a fresh /tmp: a build directory below it only as the current directory
	(cd "$build" && TMPDIR=$work/jobs-$tag "$here/tests/vm/run-vm.sh" "${args[@]}" -- \
		"${guest[@]}" </dev/null >"$work/vm-$tag.log" 2>&1) || rc=$?
	grep '^peers:\|^vm:' "$work/vm-$tag.log" | sed "s/^/$tag: /" >&2 || true
	job=$(find "$work/jobs-$tag" -maxdepth 1 -name 'oomn-vm.*' | head -n1)
	if [ -z "$job" ] || [ ! -d "$job/peers" ]; then
		echo "peers: $tag: no results (run-vm.sh exit $rc)" >&2
		tail -n 30 "$work/vm-$tag.log" >&2
		return 1
	fi
	cp -r "$job/peers" "$raw/$tag"
	cp "$work/vm-$tag.log" "$raw/$tag/vm.log"
	[ -f "$job/dmesg" ] && cp "$job/dmesg" "$raw/$tag/vm-dmesg"
	[ "$rc" = 0 ] || { echo "peers: $tag: run-vm.sh exit $rc" >&2; return 1; }
}

failed=0
if [ "$parallel" = 1 ]; then
	pids=()
	for c in "${configs[@]}"; do
		run_config "$c" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || failed=1; done
else
	for c in "${configs[@]}"; do run_config "$c" || failed=1; done
fi

# Victim choice and D-Bus fan-out: host benchmarks of our own, no peer has them.
if [ "$quick" = 0 ] && [ "$do_bench" = 1 ]; then
	echo "peers: bench-choose, bench-fanout" >&2
	"$build/tests/killer/bench-choose" >"$raw/bench-choose.txt" 2>&1 || failed=1
	OOMN_BROKER=$build/broker/src/oom-notifyd OOMN_DBUS_DIR=$here/dbus \
		OOMN_BUS_POLICY=$here/tests/broker/system-policy.conf \
		"$build/tests/bench/bench-fanout" --subscribers 1,64,1000 --events 40 --json \
		>"$raw/bench-fanout.json" 2>"$raw/bench-fanout.err" || failed=1
fi

# Earlier raw records: every run (configuration/contender/scenario-rep) and host
# benchmark this run has not made anew. A configuration's own files (vm.log,
# vm-dmesg; a contender's logs, idle.txt) that both have: the earlier one stays as
# NAME-earlier.
merge_into() { # merge_into FROM TO DEPTH
	local m n
	for m in "$1"/* "$1"/.[!.]*; do
		[ -e "$m" ] || continue
		n=$2/${m##*/}
		if [ ! -e "$n" ]; then
			mv "$m" "$n"
		elif [ -d "$m" ] && [ "$3" -lt 2 ]; then
			merge_into "$m" "$n" $(($3 + 1))
		elif [ -d "$m" ]; then
			echo "peers: merge: ${n#"$raw"/}: made anew, the earlier run dropped" >&2
		elif ! cmp -s "$m" "$n"; then
			mv "$m" "$n-earlier"
		fi
	done
}
if [ -n "$merge_raw" ]; then
	mkdir -p "$work/merge"
	if [ -d "$merge_raw" ]; then
		cp -r "$merge_raw"/. "$work/merge/"
	else
		tar -C "$work/merge" -xf "$merge_raw"
	fi
	merge_into "$work/merge" "$raw" 0
	rm -rf "$work/merge"
fi

# Debian's python3: python3-matplotlib is installed for it
report=(/usr/bin/python3 "$here/tests/peers/peers-report.py" --raw "$raw" --out "$out")
[ "$quick" = 1 ] && report+=(--check)
cmd="tools/peers.sh"
[ "$quick" = 1 ] && cmd+=" --quick"
[ "$quick" = 0 ] && cmd+=" --reps $reps --kernels \"$kernels\" --swap-kernel \"$swap_kernel\""
[ "$quick" = 0 ] && cmd+=" --swap $swap --zram-kernel \"$zram_kernel\" --zram $zram"
[ "$quick" = 0 ] && [ "$zram_fill" != random ] && cmd+=" --zram-fill $zram_fill"
[ "$quick" = 0 ] && cmd+=" --bigswap-kernel \"$bigswap_kernel\" --bigswap $bigswap"
[ "$quick" = 0 ] && cmd+=" --mem $mem --cpus $cpus"
[ "$do_bench" = 0 ] && [ "$quick" = 0 ] && cmd+=" --no-bench"
[ -n "$merge_raw" ] && cmd+=" --merge-raw ${merge_raw#"$here"/}"
[ "$cap" != 180 ] && cmd+=" --cap $cap"
[ "$parallel" = 1 ] && cmd+=" --parallel"
[ "$first_rep" != 1 ] && cmd+=" --first-rep $first_rep"
[ -n "$contenders" ] && cmd+=" --contenders \"$contenders\""
[ -n "$scenarios" ] && [ "$quick" = 0 ] && cmd+=" --scenarios \"$scenarios\""
report+=(--command "$cmd")
"${report[@]}" || failed=1
# the raw records stay with the report, for a second look (xz: the memory traces are large)
rm -f "$out/raw.tar.xz"
tar -C "$raw" -cJf "$out/raw.tar.xz" .
exit $failed
