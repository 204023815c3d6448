#!/bin/sh
# peers-guest.sh: the inside of the peer comparison (docs/peers.md). Runs in
# the VM bed (tests/vm/run-vm.sh --overlay, module loaded): every scenario
# against every contender, REPS times, and leaves raw records for
# peers-report.py under OUT/<contender>/<scenario>-<rep>/:
#   run.txt      key=value facts of the run (sizes, times, daemon figures)
#   procs        ROLE PID NAME STATUS  of every process the scenario started
#                (STATUS: alive, exit N, signal N)
#   samples      peers-sampler lines (memory over time)
#   cap          only when the run hit its wall-clock cap (--cap): REALTIME_NS
#                and the pids the sampler SIGKILLed then
#   notify       LEVEL REALTIME_NS  notifications at a client
#   deaths       PID REALTIME_NS  when each of them was first seen dead
#   dmesg        the kernel log lines of the run
#   daemon.log   what the contender's daemons logged during the run
# and OUT/<contender>/idle.txt (the daemons at rest).
#
# usage: peers-guest.sh --out DIR [--reps N] [--contenders "A B"] [--scenarios "X Y"]
#                       [--idle SECONDS] [--cap SECONDS] [--first-rep N]
#                       [--fill ones|half|random]
# --fill: what the hogs' pages hold (oomn-hog --fill; random: nothing compresses,
#         the case of swap on zram); with random and swap on zram only, the
#         scenarios size their loads as if there were no swap (it is worth nothing)
# env:   PEERS_BUILD (meson build dir), PEERS_SRC (source dir)
#
# It judges nothing: every figure and verdict is computed by peers-report.py.
# shellcheck disable=SC2317 # (file-wide) functions called through wait_for
# shellcheck disable=SC2016 # (file-wide) sh -c scripts are single-quoted on purpose
# shellcheck disable=SC2086,SC2046 # (file-wide) $DAEMONS and $(daemon_stats) are lists to split
set -u

ALL_CONTENDERS="oom-notify earlyoom nohang low-memory-monitor kernel"
ALL_SCENARIOS="fast slow graduated ignore-term redeem protected cgroup rise-fall stress-ng"
out=
reps=1
first_rep=1
contenders=$ALL_CONTENDERS
scenarios=$ALL_SCENARIOS
idle_s=10
# a run that has not ended after this long is stopped and recorded as a stall
cap_s=180
fill=ones

usage() {
	sed -n '2,20{/^# shellcheck/d;s/^# \{0,1\}//p}' "$0"
	echo "contenders: $ALL_CONTENDERS"
	echo "scenarios:  $ALL_SCENARIOS"
}
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=$2; shift ;;
	--reps) reps=$2; shift ;;
	--first-rep) first_rep=$2; shift ;; # resume a comparison a broken boot cut short
	--contenders) contenders=$2; shift ;;
	--scenarios) scenarios=$2; shift ;;
	--idle) idle_s=$2; shift ;;
	--cap) cap_s=$2; shift ;;
	--fill) fill=$2; shift ;;
	-h | --help) usage; exit 0 ;;
	--version) echo "peers-guest 1"; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
	shift
done
if [ -z "$out" ] || [ -z "${PEERS_BUILD:-}" ] || [ -z "${PEERS_SRC:-}" ]; then
	usage >&2
	exit 2
fi
case $fill in ones | half | random) ;; *) usage >&2; exit 2 ;; esac
[ "$(id -u)" = 0 ] || { echo "peers-guest: must run as root (in the VM)" >&2; exit 2; }

B=$PEERS_BUILD
HOG=$B/tests/tools/oomn-hog
REDEEMER=$B/tests/tools/oomn-redeemer
BROKER=$B/broker/src/oom-notifyd
KILLERD=$B/killer/oom-killerd
SAMPLER=$B/tests/peers/peers-sampler
GMM=$B/tests/peers/peers-gmm-app
for _b in "$HOG" "$REDEEMER" "$BROKER" "$KILLERD" "$SAMPLER" "$GMM"; do
	# (a build directory below /tmp is visible in the VM only as its current directory)
	[ -x "$_b" ] || { echo "peers-guest: $_b: not found" >&2; exit 2; }
done
W=/tmp/peers
CG=/sys/fs/cgroup/peers-cg
mkdir -p "$W" "$out"
# fd 8: a FIFO held open for stdin of the processes that stop at end of input
rm -f "$W/stdin" && mkfifo "$W/stdin" && exec 8<>"$W/stdin"

say() { echo "peers: $*" >&2; }
now_ns() { date +%s%N; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }
mem_kb() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
avail_mib() { echo $(($(mem_kb MemAvailable) / 1024)); }

# wait_for SECONDS COMMAND...: polls COMMAND every 0.2 s; status 1 on timeout.
# While a run goes on, each poll also notes when its processes died. No forks
# but the sleep: under TCG every fork costs, and all contenders pay it alike.
wait_for() {
	_wf_end=$(($(uptime_int) + $1))
	shift
	while note_deaths && ! "$@"; do
		[ "$(uptime_int)" -lt "$_wf_end" ] || return 1
		sleep 0.2
	done
}
uptime_int() {
	read -r _ut _ </proc/uptime
	echo "${_ut%.*}"
}
# note_deaths: "PID REALTIME_NS" in $W/run/deaths for each process of the run
# seen dead for the first time (at the resolution of the polls)
note_deaths() {
	[ -n "${RUN_PIDS:-}" ] || return 0
	for _nd_p in $RUN_PIDS; do
		case " $NOTED " in *" $_nd_p "*) continue ;; esac
		if dead "$_nd_p"; then
			NOTED="$NOTED $_nd_p"
			echo "$_nd_p $(now_ns)" >>"$W/run/deaths"
		fi
	done
	return 0
}
has_line() { [ -f "$1" ] && grep -q "$2" "$1"; }
# dead PID: gone, or a zombie (our child that nobody reaped yet)
dead() {
	{ read -r _d_l <"/proc/$1/stat"; } 2>/dev/null || return 0
	_d_l=${_d_l##*) }
	case ${_d_l%% *} in Z | X) return 0 ;; esac
	return 1
}

# --- the daemons' own figures -------------------------------------------------------------
# daemon_stats PID...: "CPU_NS VOLUNTARY_SWITCHES INVOLUNTARY RSS_KB" summed over
# the processes and all their threads (schedstat: ns on CPU).
daemon_stats() {
	_cpu=0 _vol=0 _inv=0 _rss=0
	for _p in "$@"; do
		for _t in /proc/"$_p"/task/*; do
			# a thread may end between two reads: what it left is 0
			_c=$(cut -d' ' -f1 "$_t/schedstat" 2>/dev/null)
			_v=$(awk '/^voluntary_ctxt_switches/ { print $2 }' "$_t/status" 2>/dev/null)
			_i=$(awk '/^nonvoluntary_ctxt_switches/ { print $2 }' "$_t/status" 2>/dev/null)
			_cpu=$((_cpu + ${_c:-0}))
			_vol=$((_vol + ${_v:-0}))
			_inv=$((_inv + ${_i:-0}))
		done
		_r=$(awk '/^VmRSS/ { print $2 }' "/proc/$_p/status" 2>/dev/null)
		_rss=$((_rss + ${_r:-0}))
	done
	echo "$_cpu $_vol $_inv $_rss"
}

# daemon_cpu_each PID...: "CPU_NS..." of each process (all threads), in order
daemon_cpu_each() {
	for _p in "$@"; do
		_cpu=0
		for _t in /proc/"$_p"/task/*; do
			_c=$(cut -d' ' -f1 "$_t/schedstat" 2>/dev/null)
			_cpu=$((_cpu + ${_c:-0}))
		done
		printf '%s ' "$_cpu"
	done
}

# --- contenders -----------------------------------------------------------------------------
# start_<contender> sets DAEMONS (pids whose figures count) and LOGS (their log files);
# NOTIFY_SRC says where a client hears warnings: gmm, nohang or none.

write_bus_conf() { # write_bus_conf EXTRA-INCLUDE...
	{
		echo '<busconfig><type>system</type>'
		echo "<listen>unix:path=$W/bus</listen><auth>EXTERNAL</auth>"
		echo "<include>$PEERS_SRC/tests/broker/system-policy.conf</include>"
		for _i in "$@"; do echo "<include>$_i</include>"; done
		echo '</busconfig>'
	} >"$W/bus.conf"
}
start_bus() {
	rm -f "$W/bus"
	dbus-daemon --config-file="$W/bus.conf" --nofork --print-address=1 >"$W/bus.addr" \
		2>>"$W/bus.log" &
	BUS_PID=$!
	wait_for 60 test -s "$W/bus.addr" || { say "dbus-daemon did not start"; return 1; }
	BUS=unix:path=$W/bus
	export DBUS_SYSTEM_BUS_ADDRESS=$BUS
}
name_owned() {
	dbus-send --bus="$BUS" --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
		org.freedesktop.DBus.NameHasOwner "string:$1" 2>/dev/null | grep -q 'boolean true'
}

start_oom_notify() {
	write_bus_conf
	start_bus || return 1
	mkdir -p "$W/rules.d"
	# deadline/grace/floor: see docs/peers.md, "Configurations"
	cat >"$W/rules.yaml" <<-EOF
	rules:
	  - name: keep-protected
	    match: { comm: oomn-keep }
	    action: protect
	defaults: { deadline: 5s, grace: 2s, floor: 3% }
	EOF
	"$BROKER" --bus-address "$BUS" --source kernel 2>>"$W/broker.log" &
	BROKER_PID=$!
	wait_for 60 name_owned org.oomnotify.Broker1 || { say "oom-notifyd did not start"; return 1; }
	# --realtime: as the shipped unit runs it (CPUSchedulingPolicy=fifo), as
	# earlyoom runs with -p
	"$KILLERD" --rules "$W/rules.yaml" --rules-dir "$W/rules.d" --bus-address "$BUS" \
		--source kernel --realtime 2>>"$W/killer.log" &
	KILLER_PID=$!
	wait_for 60 has_line "$W/killer.log" 'oom-killerd ready' ||
		{ say "oom-killerd did not start"; return 1; }
	DAEMONS="$BROKER_PID $KILLER_PID"
	DAEMON_NAMES="oom-notifyd oom-killerd"
	LOGS="$W/broker.log $W/killer.log"
	NOTIFY_SRC=gmm
}

start_earlyoom() {
	# -m/-s 10: SIGTERM below 10 % (of RAM, and of swap when there is swap),
	# SIGKILL below 5 %; -p: niceness -20, oom_score_adj -100 (as Debian's unit)
	earlyoom -m 10 -s 10 -r 0 -p --avoid '^oomn-keep$' >>"$W/earlyoom.log" 2>&1 &
	DAEMONS=$!
	LOGS="$W/earlyoom.log"
	NOTIFY_SRC=none
	wait_for 60 has_line "$W/earlyoom.log" 'sending SIGTERM' ||
		{ say "earlyoom did not start"; return 1; }
}

start_nohang() {
	cat >"$W/nohang-warn.sh" <<-EOF
	#!/bin/sh
	echo "warning \$(date +%s%N)" >>$W/nohang-warn
	EOF
	chmod +x "$W/nohang-warn.sh"
	# the packaged config with thresholds like the others' (docs/peers.md)
	sed -e 's/^low_memory_warnings_enabled *=.*/low_memory_warnings_enabled = True/' \
		-e "s|^warning_exe *=.*|warning_exe = $W/nohang-warn.sh|" \
		-e 's/^warning_threshold_min_mem *=.*/warning_threshold_min_mem = 15 %/' \
		-e 's/^warning_threshold_min_swap *=.*/warning_threshold_min_swap = 15 %/' \
		-e 's/^min_post_warning_delay *=.*/min_post_warning_delay = 1/' \
		-e 's/^soft_threshold_min_mem *=.*/soft_threshold_min_mem = 10 %/' \
		-e 's/^soft_threshold_min_swap *=.*/soft_threshold_min_swap = 10 %/' \
		-e 's/^hard_threshold_min_mem *=.*/hard_threshold_min_mem = 5 %/' \
		-e 's/^hard_threshold_min_swap *=.*/hard_threshold_min_swap = 5 %/' \
		-e 's/^max_soft_exit_time *=.*/max_soft_exit_time = 2/' \
		/etc/nohang/nohang.conf >"$W/nohang.conf"
	echo '@BADNESS_ADJ_RE_NAME -1000 /// ^oomn-keep$' >>"$W/nohang.conf"
	PYTHONUNBUFFERED=1 nohang --monitor --config "$W/nohang.conf" >>"$W/nohang.log" 2>&1 &
	DAEMONS=$!
	LOGS="$W/nohang.log"
	NOTIFY_SRC=nohang
	# python under TCG, its modules read over 9p: slow to start
	wait_for 300 has_line "$W/nohang.log" 'Monitoring has started' ||
		{ say "nohang did not start"; return 1; }
}

start_low_memory_monitor() {
	# its kernel-OOM trigger (sysrq f) is off unless configured; the root is an overlay
	printf '[Configuration]\nTriggerKernelOom=true\n' >/etc/low-memory-monitor.conf ||
		{ say "cannot write /etc/low-memory-monitor.conf (no --overlay?)"; return 1; }
	write_bus_conf /usr/share/dbus-1/system.d/org.freedesktop.LowMemoryMonitor.conf
	start_bus || return 1
	G_MESSAGES_DEBUG=all /usr/libexec/low-memory-monitor >>"$W/lmm.log" 2>&1 &
	DAEMONS=$!
	LOGS="$W/lmm.log"
	NOTIFY_SRC=gmm
	wait_for 60 name_owned org.freedesktop.LowMemoryMonitor ||
		{ say "low-memory-monitor did not start"; return 1; }
}

start_kernel() {
	DAEMONS=''
	LOGS=''
	NOTIFY_SRC=none
}

start_contender() {
	DAEMONS='' DAEMON_NAMES='' LOGS='' BUS='' BUS_PID='' NOTIFY_SRC=none
	unset DBUS_SYSTEM_BUS_ADDRESS
	case $1 in
	oom-notify) start_oom_notify ;;
	earlyoom) start_earlyoom ;;
	nohang) start_nohang ;;
	low-memory-monitor) start_low_memory_monitor ;;
	kernel) start_kernel ;;
	*) say "unknown contender $1"; return 1 ;;
	esac
}

stop_contender() {
	for _p in $DAEMONS $BUS_PID; do
		kill -TERM "$_p" 2>/dev/null
	done
	for _p in $DAEMONS $BUS_PID; do
		wait_for 20 dead "$_p" || kill -KILL "$_p" 2>/dev/null
		wait "$_p" 2>/dev/null
	done
	rm -f /etc/low-memory-monitor.conf 2>/dev/null
}

daemons_alive() {
	for _p in $DAEMONS; do dead "$_p" && return 1; done
	return 0
}

# --- processes of a scenario -------------------------------------------------------------
# spawn ROLE NAME COMMAND...: starts COMMAND in the background (stdin: the held FIFO,
# output: $W/run/NAME.out). ROLE: victim (should be the one to go), innocent (must
# survive), coop (should survive by freeing memory), client (a listener).
spawn() {
	_role=$1 _name=$2
	shift 2
	"$@" <&8 >"$W/run/$_name.out" 2>&1 &
	echo "$_role $! $_name" >>"$W/run/procs.started"
	RUN_PIDS="$RUN_PIDS $!"
}
# hog ROLE NAME HOG-ARGS...: an oomn-hog named NAME (its comm) that waits
hog() {
	_r=$1 _n=$2
	shift 2
	spawn "$_r" "$_n" "$HOG" --comm "$_n" --fill "$fill" "$@"
}
# WITH_ADJ ADJ COMMAND...: COMMAND with its oom_score_adj set before it starts (same pid)
WITH_ADJ='echo "$0" >/proc/self/oom_score_adj && exec "$@"'

# wait_gone SECONDS ROLE: until every process of ROLE is dead
role_gone() {
	while read -r _rg_r _rg_p _rg_n; do
		[ "$_rg_r" = "$1" ] || continue
		dead "$_rg_p" || return 1
	done <"$W/run/procs.started"
	return 0
}
wait_gone() { wait_for "$1" role_gone "$2"; }

# finish_procs: what became of each process, then kill and reap the rest.
finish_procs() {
	: >"$W/run/procs"
	while read -r _r _p _n; do
		if dead "$_p"; then
			wait "$_p"
			_s=$?
			if [ $_s -gt 128 ]; then
				_st="signal $((_s - 128))"
			else
				_st="exit $_s"
			fi
		else
			_st=alive
			kill -KILL "$_p" 2>/dev/null
			wait "$_p" 2>/dev/null
		fi
		echo "$_r $_p $_n $_st" >>"$W/run/procs"
	done <"$W/run/procs.started"
}

# --- scenarios ---------------------------------------------------------------------------------
# Sizes in MiB from the memory there is: T MemTotal, A MemAvailable at the start,
# SW free swap; "all" is more than RAM and swap together.

sc_fast() {
	hog victim oomn-hog --max "$ALL" --step 8 --hold
	wait_gone 120 victim
}

sc_slow() {
	hog victim oomn-leak --max "$ALL" --step 1 --delay-ms 40 --hold
	wait_gone 300 victim
}

sc_graduated() {
	# four equal growers whose sum overshoots by 10 % of RAM: the one with
	# the highest oom_score_adj is the victim every policy here agrees on
	_each=$(((A + SWW + T / 10) / 4))
	for _a in 0 100 200; do
		spawn innocent "oomn-adj$_a" sh -c "$WITH_ADJ" "$_a" "$HOG" --comm "oomn-adj$_a" --fill "$fill" \
			--max "$_each" --step 1 --delay-ms 10 --hold
	done
	spawn victim oomn-adj300 sh -c "$WITH_ADJ" 300 "$HOG" --comm oomn-adj300 --fill "$fill" \
		--max "$_each" --step 1 --delay-ms 10 --hold
	wait_gone 300 victim
}

sc_ignore_term() {
	hog victim oomn-stubborn --max "$ALL" --step 8 --hold --ignore-term
	wait_gone 120 victim
}

# A cooperating application that can give back enough: it holds the largest
# share of memory (half of what is available), then a plain load (which must
# survive) brings MemAvailable down to 6 % of RAM, below every kill line at
# 10 % and above the floors at 3-5 %. Freeing the cooperating application's
# memory ends the pressure; killing it does too, but is the worse outcome.
sc_redeem() {
	_coop=$(((A + SWW) / 2))
	# it holds its memory before the pressure starts: the redeemer and the
	# GMemoryMonitor application say "ready" once they do, oomn-hog "done"
	_ready='^ready'
	case $CONTENDER in
	oom-notify)
		spawn coop oomn-redeemer "$REDEEMER" --bus-address "$BUS" --mib "$_coop" ;;
	low-memory-monitor)
		spawn coop oomn-redeemer "$GMM" --mib "$_coop" ;;
	*)
		hog coop oomn-redeemer --max "$_coop" --step 8 --hold
		_ready='^done' ;;
	esac
	wait_for 120 has_line "$W/run/oomn-redeemer.out" "$_ready" ||
		say "the cooperating process did not get ready"
	_load=$(($(avail_mib) + SWW - T * 6 / 100))
	[ "$_load" -gt 0 ] || _load=1
	hog innocent oomn-load --max "$_load" --step 4 --hold
	_loadpid=$!
	wait_for 120 load_settled
	# until it is gone or has freed its memory, or 30 s
	wait_for 30 redeem_done
	wait_for 3 false
}
load_settled() { dead "$_loadpid" || has_line "$W/run/oomn-load.out" '^done'; }
redeem_done() {
	role_gone coop || grep -q '^relieved\|^freed' "$W/run/oomn-redeemer.out" 2>/dev/null
}

sc_protected() {
	# the largest process is protected by the contender's own rules
	hog innocent oomn-keep --max $((T / 2)) --step 8 --hold
	wait_for 60 has_line "$W/run/oomn-keep.out" '^done'
	hog victim oomn-hog --max "$ALL" --step 4 --hold
	wait_gone 120 victim
}

sc_cgroup() {
	# a cgroup limited to a fifth of RAM (and no swap), a hog in it that wants half
	echo +memory >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
	mkdir -p "$CG"
	echo "$((T / 5))M" >"$CG/memory.max"
	[ -f "$CG/memory.swap.max" ] && echo 0 >"$CG/memory.swap.max"
	spawn victim oomn-cg sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG" \
		"$HOG" --comm oomn-cg --fill "$fill" --max $((T / 2)) --step 4 --hold
	wait_gone 120 victim
}

# A load that rises to 13 % of RAM left (between the warning lines at 15 %
# and the kill lines at 10 %) and falls again, three times: nothing to kill.
sc_rise_fall() {
	mkfifo "$W/run/ctl"
	spawn innocent oomn-wave sh -c 'exec "$0" --fill "$1" --control <"$2"' "$HOG" "$fill" "$W/run/ctl"
	_wave=$!
	exec 9>"$W/run/ctl"
	# a killed wave must not take the driver with it (SIGPIPE)
	trap '' PIPE
	_g=$((A - T * 13 / 100))
	for _i in 1 2 3; do
		echo "grow $_g" >&9 || break
		wait_for 120 wave_step "$((_i * 2 - 1))"
		wait_for 3 false
		echo "free $_g" >&9 || break
		wait_for 60 wave_step "$((_i * 2))"
		wait_for 2 false
	done
	echo exit >&9
	exec 9>&-
	trap - PIPE
}
wave_step() { dead "$_wave" || [ "$(grep -c '^ok' "$W/run/oomn-wave.out")" -ge "$1" ]; }

# stress-ng's memory stressor, as people run it: two workers that together
# want 120 % of what there is, each restarted by stress-ng when it is killed,
# for 30 s. The workers (oom_score_adj 1000, set by stress-ng) are the ones
# to go, as often as it takes; stress-ng itself and the bystander must stay.
sc_stress_ng() {
	# (stress-ng shares --vm-bytes out among the workers)
	spawn stress stress-ng stress-ng --vm 2 --vm-bytes "$(((A + SW) * 12 / 10))M" --vm-keep \
		--timeout 30s --verbose
	wait_for 150 role_gone stress
	# its workers are its children, not ours: none may outlive the run
	pkill -KILL '^stress-ng' 2>/dev/null
}

# --- one run ---------------------------------------------------------------------------------
run_one() { # run_one SCENARIO REP
	_dir=$out/$CONTENDER/$1-$2
	rm -rf "$W/run" && mkdir -p "$W/run" "$_dir"
	: >"$W/run/procs.started"
	: >"$W/run/deaths"
	RUN_PIDS='' NOTED=''
	: >"$W/nohang-warn"
	if ! daemons_alive; then
		say "$CONTENDER died before $1-$2: restarting it"
		RESTARTS=$((RESTARTS + 1))
		stop_contender
		start_contender "$CONTENDER" || return 1
	fi
	for _l in $LOGS; do wc -l <"$_l" >"$_l.mark"; done
	# the client that hears the warnings, and a small process that must survive
	if [ "$NOTIFY_SRC" = gmm ]; then
		spawn client peers-gmm-app "$GMM"
		wait_for 60 has_line "$W/run/peers-gmm-app.out" '^ready' ||
			say "the GMemoryMonitor client did not start"
	fi
	hog innocent oomn-bystander --max 16 --hold
	wait_for 30 has_line "$W/run/oomn-bystander.out" '^done'

	T=$(($(mem_kb MemTotal) / 1024))
	SW=$(($(mem_kb SwapFree) / 1024))
	A=$(avail_mib)
	ALL=$((T + SW + 256))
	# SWW: the swap the loads are sized by; none when every page would go to zram
	# incompressible (it takes as much RAM as it frees)
	SWW=$SW
	[ "$fill" = random ] && [ "$ZRAM_ONLY" = 1 ] && SWW=0
	"$SAMPLER" --interval-ms 20 --cap-s "$cap_s" --procs "$W/run/procs.started" \
		--cap-out "$W/run/cap" >"$W/run/samples" &
	_sampler=$!
	_up0=$(uptime_s)
	_t0=$(now_ns)
	_each0=$(daemon_cpu_each $DAEMONS)
	set -- "$1" "$2" $(daemon_stats $DAEMONS)
	_s0_cpu=$3 _s0_vol=$4 _s0_inv=$5

	case $1 in
	fast) sc_fast ;;
	slow) sc_slow ;;
	graduated) sc_graduated ;;
	ignore-term) sc_ignore_term ;;
	redeem) sc_redeem ;;
	protected) sc_protected ;;
	cgroup) sc_cgroup ;;
	rise-fall) sc_rise_fall ;;
	stress-ng) sc_stress_ng ;;
	esac
	# after the scenario's end: time for a second (wrong) kill to show
	wait_for 3 false

	_t1=$(now_ns)
	_each1=$(daemon_cpu_each $DAEMONS)
	set -- "$1" "$2" $(daemon_stats $DAEMONS)
	_alive=1
	daemons_alive || _alive=0
	kill -TERM "$_sampler" && wait "$_sampler"
	finish_procs
	RUN_PIDS=''
	[ -d "$CG" ] && { wait_for 30 rmdir "$CG" 2>/dev/null || say "cannot remove $CG"; }

	dmesg | awk -v s="$_up0" '{ t = substr($0, 2, index($0, "]") - 2) + 0; if (t >= s) print }' \
		>"$_dir/dmesg"
	for _l in $LOGS; do
		tail -n +$(($(cat "$_l.mark") + 1)) "$_l" | sed "s|^|$(basename "$_l" .log): |"
	done >"$_dir/daemon.log"
	{
		grep -h '^warning' "$W/run/peers-gmm-app.out" 2>/dev/null
		grep -h '^warning' "$W/nohang-warn" 2>/dev/null
	} | cut -d' ' -f2- >"$_dir/notify"
	cp "$W/run/samples" "$W/run/procs" "$W/run/deaths" "$_dir/"
	if [ -f "$W/run/cap" ]; then
		cp "$W/run/cap" "$_dir/"
		say "$CONTENDER $1 rep $2: stopped at the ${cap_s} s cap"
	fi
	for _f in "$W"/run/*.out; do
		[ -s "$_f" ] && cp "$_f" "$_dir/"
	done
	# each daemon's CPU during the run: the second half of the list minus the first
	_cpu_each=$(echo $_each0 $_each1 | awk '{ n = NF / 2
		for (i = 1; i <= n; i++) printf "%s%d", (i > 1 ? " " : ""), $(i + n) - $i }')
	cat >"$_dir/run.txt" <<-EOF
	contender=$CONTENDER
	scenario=$1
	rep=$2
	kernel=$(uname -r)
	notify_src=$NOTIFY_SRC
	mem_total_mib=$T
	swap_free_mib=$SW
	swap_sized_mib=$SWW
	fill=$fill
	avail_start_mib=$A
	t_start_ns=$_t0
	uptime_start=$_up0
	t_end_ns=$_t1
	daemon_cpu_ns=$(($3 - _s0_cpu))
	daemon_vol_switches=$(($4 - _s0_vol))
	daemon_invol_switches=$(($5 - _s0_inv))
	daemon_rss_kb=$6
	daemon_names=$DAEMON_NAMES
	daemon_cpu_ns_each=$_cpu_each
	daemon_alive=$_alive
	cap_s=$cap_s
	restarts=$RESTARTS
	EOF
	say "$CONTENDER $1 rep $2: $(tr '\n' ' ' <"$W/run/procs")"

	# the next run starts from plenty
	wait_for 30 test "$(avail_mib)" -ge $((A - 8)) || say "memory did not come back ($(avail_mib) MiB)"
}

# --- main ----------------------------------------------------------------------------------------
say "kernel $(uname -r), $(($(mem_kb MemTotal) / 1024)) MiB RAM, $(($(mem_kb SwapTotal) / 1024)) MiB swap"
{
	echo "kernel=$(uname -r)"
	echo "mem_total_mib=$(($(mem_kb MemTotal) / 1024))"
	echo "swap_total_mib=$(($(mem_kb SwapTotal) / 1024))"
	echo "module=$(test -d /sys/module/oom_notify && echo yes || echo no)"
} >"$out/vm.txt"
# swap on zram devices only: incompressible pages there cost the RAM they free
ZRAM_ONLY=0
if grep -q '^/dev/zram' /proc/swaps && ! awk 'NR > 1 && $1 !~ /^\/dev\/zram/ { o = 1 } END { exit !o }' /proc/swaps; then
	ZRAM_ONLY=1
fi
echo "swap_kind=$(awk 'NR > 1 { print ($1 ~ /^\/dev\/zram/ ? "zram" : "disk") }' /proc/swaps | sort -u | tr '\n' ' ')" >>"$out/vm.txt"
echo "fill=$fill" >>"$out/vm.txt"
# Repetitions outermost: a run stopped early still has every contender on
# every scenario of its first repetitions.
failed=0
rep=$first_rep
while [ "$rep" -le "$reps" ]; do
	for CONTENDER in $contenders; do
		RESTARTS=0
		mkdir -p "$out/$CONTENDER"
		if ! start_contender "$CONTENDER"; then
			echo "start=failed" >"$out/$CONTENDER/idle.txt"
			for _l in $LOGS; do cp "$_l" "$out/$CONTENDER/" 2>/dev/null; done
			stop_contender
			failed=1
			continue
		fi
		# at rest (once, in the first repetition of the boot): the daemons alone for idle_s seconds
		if [ "$rep" = "$first_rep" ]; then
			sleep 2
			set -- $(daemon_stats $DAEMONS)
			_i0=$(now_ns)
			sleep "$idle_s"
			set -- "$@" $(daemon_stats $DAEMONS)
			cat >"$out/$CONTENDER/idle.txt" <<-EOF
			start=ok
			idle_ns=$(($(now_ns) - _i0))
			daemon_cpu_ns=$(($5 - $1))
			daemon_vol_switches=$(($6 - $2))
			daemon_invol_switches=$(($7 - $3))
			daemon_rss_kb=$8
			daemons=$(echo $DAEMONS | wc -w)
			EOF
		fi
		for _sc in $scenarios; do
			run_one "$_sc" "$rep" || failed=1
		done
		stop_contender
		for _l in $LOGS; do
			cp "$_l" "$out/$CONTENDER/$(basename "$_l" .log)-$rep.log" 2>/dev/null
		done
		rm -f "$W"/*.log "$W"/*.mark
	done
	rep=$((rep + 1))
done
say "done"
exit $failed
