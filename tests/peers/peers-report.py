#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""peers-report.py: the figures and verdicts of the peer comparison.

Reads the raw records that tests/peers/peers-guest.sh left (one directory per
VM configuration, as tools/peers.sh collects them) and writes OUT/results.json,
OUT/results.md and OUT/<config>-<scenario>.png (MemAvailable over time, one
panel per contender, events marked). With --check it also asserts the
behaviour the CI's quick run stands for and exits 1 if any check fails.

Definitions (docs/peers.md says why):
  kill line      MemAvailable < 10 % of MemTotal, and with swap SwapFree
                 < 10 % of SwapTotal (earlyoom's and nohang's soft line; the
                 reference for low-memory-monitor and the kernel) or < 10 %
                 of MemTotal (oom-notify's critical level: its swap
                 thresholds are relative to RAM); with swap on zram only and
                 the hogs' pages incompressible (--fill random) swap is worth
                 nothing (it takes the RAM it frees): MemAvailable alone
  notify ms      first warning at a client minus the kill-line crossing
                 (negative: the client was warned before the crossing)
  critical ms    the same for the first warning of the highest level
  back ms        from the crossing to MemAvailable back above 20 %
  stalled        the run was still going at its wall-clock cap (peers-guest.sh
                 --cap); void when the run also shows that the host had not
                 run the VM for 5 s or more: such a run counts for nobody
"""
import argparse
import json
import os
import re
import statistics
import sys

CONTENDERS = ["oom-notify", "earlyoom", "nohang", "low-memory-monitor", "kernel"]
SCENARIOS = ["fast", "slow", "graduated", "ignore-term", "redeem", "protected", "cgroup",
             "rise-fall", "stress-ng"]
KILL_LINE = 0.10
BACK_LINE = 0.20
KILLED_RE = re.compile(r"Killed process (\d+) \(([^)]*)\)")
STAMP_RE = re.compile(r"^\[\s*(\d+\.\d+)\]")
# Signs that the host did not run the VM's vCPU for a while: the guest's
# clocksource watchdog saw wall time pass between two reads of one clock, or
# RCU's kthread (runnable) was starved, or the memory trace stopped while
# memory was plentiful (nothing in the guest to wait for).
HOST_STALL_RE = re.compile(r"clocksource: Long readout interval.* cs_nsec: (\d+)")
RCU_STARVED_RE = re.compile(r"rcu_\w+ kthread starved for (\d+) jiffies")
GUEST_HZ = 250  # Debian's kernels
HOST_STALL_VOID_S = 5
# a worker SIGKILLed (stress-ng restarts it), or ended by SIGTERM (it stops)
STRESS_KILLED_RE = re.compile(r"vm: child died: signal|finished prematurely")


def read_kv(path):
    kv = {}
    try:
        with open(path) as f:
            for line in f:
                k, sep, v = line.rstrip("\n").partition("=")
                if sep:
                    kv[k] = v
    except FileNotFoundError:
        pass
    return kv


def read_lines(path):
    try:
        with open(path, errors="replace") as f:
            return [l.rstrip("\n") for l in f]
    except FileNotFoundError:
        return []


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def analyse_run(d):
    run = read_kv(os.path.join(d, "run.txt"))
    if not run:
        return None
    t0 = int(run["t_start_ns"])
    up0 = float(run.get("uptime_start", "0"))

    procs = []
    for l in read_lines(os.path.join(d, "procs")):
        f = l.split()
        if len(f) >= 4:
            procs.append({"role": f[0], "pid": int(f[1]), "name": f[2],
                          "status": " ".join(f[3:])})
    deaths = {}
    for l in read_lines(os.path.join(d, "deaths")):
        f = l.split()
        if len(f) == 2:
            deaths[int(f[0])] = int(f[1])

    kernel_kills, manual_oom, host_stall_ns = [], 0, 0
    for l in read_lines(os.path.join(d, "dmesg")):
        h = HOST_STALL_RE.search(l)
        if h:
            host_stall_ns = max(host_stall_ns, int(h.group(1)))
        h = RCU_STARVED_RE.search(l)
        if h:
            host_stall_ns = max(host_stall_ns, int(h.group(1)) * 1000000000 // GUEST_HZ)
        m = KILLED_RE.search(l)
        s = STAMP_RE.match(l)
        t = t0 + int((float(s.group(1)) - up0) * 1e9) if s else None
        if m:
            kernel_kills.append({"pid": int(m.group(1)), "comm": m.group(2), "t_ns": t,
                                 "memcg": "Memory cgroup out of memory" in l})
        if "Manual OOM execution" in l:
            manual_oom += 1
    kernel_pids = {k["pid"] for k in kernel_kills}

    # the run's wall-clock cap: "REALTIME_NS PID..." of what the harness killed
    cap = read_lines(os.path.join(d, "cap"))
    capped = bool(cap)
    cap_pids = {int(x) for x in cap[0].split()[1:]} if cap else set()

    samples = []
    for l in read_lines(os.path.join(d, "samples")):
        f = l.split()
        if len(f) == 5:
            samples.append(tuple(int(x) for x in f))
    notify = []
    for l in read_lines(os.path.join(d, "notify")):
        f = l.split()
        if len(f) == 2:
            notify.append((int(f[0]), int(f[1])))
        elif len(f) == 1:
            notify.append((255, int(f[0])))

    # oom-notify's swap thresholds are in per mille of RAM (the module cannot
    # see SwapTotal); earlyoom's and nohang's are of SwapTotal
    swap_of_ram = run["contender"] == "oom-notify"
    vm = read_kv(os.path.join(os.path.dirname(os.path.dirname(d)), "vm.txt"))
    swap_worthless = (vm.get("swap_kind", "").split() == ["zram"]
                      and run.get("fill") == "random")

    def below(s):
        _, total, avail, swt, swf = s
        swap_line = KILL_LINE * (total if swap_of_ram else swt)
        return avail < KILL_LINE * total and (swt == 0 or swap_worthless or swf < swap_line)

    t_cross = next((s[0] for s in samples if below(s)), None)
    t_back = None
    if t_cross is not None:
        t_back = next((s[0] for s in samples if s[0] > t_cross and s[2] >= BACK_LINE * s[1]),
                      None)
    min_avail = min((s[2] / s[1] for s in samples if s[1]), default=None)
    for a, b in zip(samples, samples[1:]):
        if a[1] and a[2] >= BACK_LINE * a[1]:
            host_stall_ns = max(host_stall_ns, b[0] - a[0])

    # what the harness killed at the cap is not a contender's kill
    killed = [p for p in procs if p["status"].startswith("signal") and p["pid"] not in cap_pids]
    for p in killed:
        p["by"] = "kernel" if p["pid"] in kernel_pids else "daemon"
        p["t_ns"] = deaths.get(p["pid"])
    victims = [p for p in procs if p["role"] == "victim"]
    spared = [p for p in procs if p["role"] in ("innocent", "client", "coop")]
    coop = [p for p in procs if p["role"] == "coop"]
    coop_freed = False
    for p in coop:
        lines = read_lines(os.path.join(d, p["name"] + ".out"))
        # oomn-redeemer frees as soon as it prints "pending" (then answers
        # "relieved", or an error when the level fell first); peers-gmm-app
        # prints "freed"
        coop_freed = any(l.startswith(("relieved", "freed", "pending")) for l in lines)
    redeemed = bool(coop) and coop_freed and all(p["status"] == "alive" for p in coop) \
        and not killed
    innocents = [p for p in spared if p in killed]
    # stress-ng: its workers (its children) are the victims, as often as it
    # takes; stress-ng itself must stay. Each worker killed is restarted.
    stress = [p for p in procs if p["role"] == "stress"]
    worker_kills = None
    for p in stress:
        lines = read_lines(os.path.join(d, p["name"] + ".out"))
        worker_kills = sum(1 for l in lines if STRESS_KILLED_RE.search(l))
    # A run that hit its cap while the host had stopped the VM for seconds
    # measured the emulator, not the contender: it counts for nobody.
    void = capped and host_stall_ns >= HOST_STALL_VOID_S * 1e9
    if capped:
        right = False
    elif victims:
        right = all(p in killed for p in victims) and not innocents
    elif coop:
        right = redeemed
    else:
        right = not killed
    first = min((t for _, t in notify), default=None)
    crit = min((t for lvl, t in notify if lvl >= 255), default=None)

    def ms(a, b):
        return round((a - b) / 1e6, 1) if a is not None and b is not None else None

    dur_s = (int(run["t_end_ns"]) - t0) / 1e9
    cpu_ns, switches = int(run["daemon_cpu_ns"]), int(run["daemon_vol_switches"])
    return {
        "contender": run["contender"], "scenario": run["scenario"], "rep": int(run["rep"]),
        "kernel": run["kernel"], "mem_total_mib": int(run["mem_total_mib"]),
        "swap_free_mib": int(run["swap_free_mib"]),
        "kernel_oom_kills": len(kernel_kills),
        "kernel_oom_kills_memcg": sum(k["memcg"] for k in kernel_kills),
        "manual_oom": manual_oom,
        "killed": [{k: p[k] for k in ("role", "pid", "name", "status", "by", "t_ns")}
                   for p in killed],
        "victim_expected": [p["name"] for p in victims],
        "right": right,
        "capped": capped,
        "void": void,
        # the longest time the host is seen not to have run the VM

        "host_stall_s": round(host_stall_ns / 1e9, 1),
        "cap_s": int(run.get("cap_s", "0") or 0),
        "worker_kills": worker_kills,
        "innocents_killed": len(innocents),
        "redeemed": redeemed,
        "notify_src": run.get("notify_src", "none"),
        "notifications": len(notify),
        "notify_ms": ms(first, t_cross),
        "critical_ms": ms(crit, t_cross),
        "back_ms": ms(t_back, t_cross),
        "crossed": t_cross is not None,
        "min_avail_pct": round(100 * min_avail, 1) if min_avail is not None else None,
        "duration_s": round(dur_s, 2),
        # (None: a thread ended during the run and took its share with it)
        "daemon_cpu_ms": round(cpu_ns / 1e6, 1) if cpu_ns >= 0 else None,
        "daemon_wakeups": switches if switches >= 0 else None,
        "daemon_wakeups_per_s": round(switches / dur_s, 2)
        if dur_s > 0 and switches >= 0 else None,
        "daemon_rss_kb": int(run["daemon_rss_kb"]),
        # per daemon (oom-notify: the broker and the killer apart)
        "daemon_cpu_ms_each": dict(zip(run.get("daemon_names", "").split(),
                                       (round(int(x) / 1e6, 1) for x in
                                        run.get("daemon_cpu_ns_each", "").split()))),
        "daemon_alive": run.get("daemon_alive") == "1",
        # for the plots only
        "_t0": t0, "_samples": samples, "_notify": notify, "_t_cross": t_cross,
        "_t_back": t_back, "_kernel_kills": kernel_kills, "_procs": procs,
        "_deaths": deaths,
    }


def load(raw):
    configs = {}
    for tag in sorted(os.listdir(raw)):
        cdir = os.path.join(raw, tag)
        if not os.path.isdir(cdir):
            continue
        vm = read_kv(os.path.join(cdir, "vm.txt"))
        if not vm:
            continue
        cfg = {"tag": tag, "vm": vm, "idle": {}, "runs": [], "unfinished": []}
        for c in CONTENDERS:
            ddir = os.path.join(cdir, c)
            if not os.path.isdir(ddir):
                continue
            idle = read_kv(os.path.join(ddir, "idle.txt"))
            if idle.get("start") == "ok":
                ns = int(idle["idle_ns"])
                cpu, sw = int(idle["daemon_cpu_ns"]), int(idle["daemon_vol_switches"])
                # sums over the threads alive at each end: a thread that ended
                # in between takes its share with it (GLib's worker threads)
                cfg["idle"][c] = {
                    "cpu_ms_per_min": round(cpu / 1e6 * 60e9 / ns, 2) if cpu >= 0 else None,
                    "wakeups_per_min": round(sw * 60e9 / ns, 1) if sw >= 0 else None,
                    "rss_kb": int(idle["daemon_rss_kb"]),
                    "processes": int(idle.get("daemons", "0")),
                }
            else:
                cfg["idle"][c] = {"start": idle.get("start", "missing")}
            for r in sorted(os.listdir(ddir)):
                if os.path.isdir(os.path.join(ddir, r)):
                    a = analyse_run(os.path.join(ddir, r))
                    if a:
                        cfg["runs"].append(a)
                    else:
                        # started, never finished (the VM was stopped first)
                        cfg["unfinished"].append((c, r.rsplit("-", 1)[0]))
        configs[tag] = cfg
    return configs


def summarise(runs):
    void = [r for r in runs if r["void"]]
    runs = [r for r in runs if not r["void"]]
    n = len(runs)
    return {
        "runs": n,
        "void": len(void),
        "kernel_oom_kills": sum(r["kernel_oom_kills"] for r in runs),
        "manual_oom": sum(r["manual_oom"] for r in runs),
        "right": sum(r["right"] for r in runs),
        "innocents_killed": sum(r["innocents_killed"] for r in runs),
        "redeemed": sum(r["redeemed"] for r in runs),
        "kills": sum(len(r["killed"]) for r in runs),
        "notify_ms": median(r["notify_ms"] for r in runs),
        "critical_ms": median(r["critical_ms"] for r in runs),
        "back_ms": median(r["back_ms"] for r in runs),
        "min_avail_pct": min((r["min_avail_pct"] for r in runs
                              if r["min_avail_pct"] is not None), default=None),
        "daemon_cpu_ms": median(r["daemon_cpu_ms"] for r in runs),
        "daemon_wakeups_per_s": median(r["daemon_wakeups_per_s"] for r in runs),
        "daemon_rss_kb": max((r["daemon_rss_kb"] for r in runs), default=0),
        "daemon_died": sum(not r["daemon_alive"] for r in runs),
        "capped": sum(r["capped"] for r in runs),
        "host_stall_s": max((r["host_stall_s"] for r in runs + void), default=0),
        "worker_kills": median(r["worker_kills"] for r in runs),
    }


def notes(runs):
    """What the numbers do not say: who was killed, by whom, a daemon lost."""
    out = []
    for r in runs:
        for k in r["killed"]:
            out.append(f"{k['name']} ({k['role']}) {k['status']} by {k['by']}")
        if not r["daemon_alive"]:
            out.append("a daemon died")
        if r["worker_kills"]:
            out.append(f"{r['worker_kills']} stress-ng workers killed")
        if r["void"]:
            out.append(f"rep {r['rep']} void: at the {r['cap_s']} s cap, and the host had not "
                       f"run the VM for {r['host_stall_s']} s")
        elif r["capped"]:
            out.append(f"stalled: still running at the {r['cap_s']} s cap, stopped by the harness")
        if not r["crossed"] and r["scenario"] not in ("cgroup", "rise-fall"):
            out.append("kill line never crossed")
    return "; ".join(out)


def fmt(v, unit=""):
    if v is None:
        return "–"
    if isinstance(v, float):
        v = round(v) if abs(v) >= 100 else round(v, 1)
    return f"{v}{unit}"


def plot(cfg, scenario, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("peers-report: no matplotlib (python3-matplotlib): no plots", file=sys.stderr)
        return False

    runs = {r["contender"]: r for r in cfg["runs"] if r["scenario"] == scenario and r["rep"] == 1}
    names = [c for c in CONTENDERS if c in runs]
    if not names:
        return False
    fig, axes = plt.subplots(len(names), 1, figsize=(9, 1.9 * len(names) + 0.6), squeeze=False)
    for ax, c in zip(axes[:, 0], names):
        r = runs[c]
        t0 = r["_t0"]
        s = r["_samples"]
        if s:
            ax.plot([(x[0] - t0) / 1e9 for x in s], [x[2] / 1024 for x in s], lw=1,
                    color="tab:blue", label="MemAvailable")
            if s[0][3]:
                ax.plot([(x[0] - t0) / 1e9 for x in s], [x[4] / 1024 for x in s], lw=1,
                        color="tab:green", label="SwapFree")
            ax.axhline(KILL_LINE * s[0][1] / 1024, color="grey", ls=":", lw=0.8)
        for lvl, t in r["_notify"]:
            ax.axvline((t - t0) / 1e9, color="orange", ls="--", lw=0.8)
        for k in r["_kernel_kills"]:
            if k["t_ns"]:
                ax.axvline((k["t_ns"] - t0) / 1e9, color="black", lw=1.5)
        for p in r["_procs"]:
            t = r["_deaths"].get(p["pid"])
            if t and p["status"].startswith("signal"):
                ax.axvline((t - t0) / 1e9, color="red" if p["role"] == "victim" else "purple",
                           lw=1.2)
        ax.set_ylabel("MiB")
        # up to a few seconds after the last event: the rest is the run's tail
        events = [t for _, t in r["_notify"]] + list(r["_deaths"].values()) + \
            [k["t_ns"] for k in r["_kernel_kills"] if k["t_ns"]] + \
            ([r["_t_back"]] if r["_t_back"] else [])
        if events and s:
            ax.set_xlim(-1, min((s[-1][0] - t0) / 1e9, (max(events) - t0) / 1e9 + 8))
        verdict = "right" if r["right"] else "not right"
        ax.set_title(f"{c}: {verdict}, kernel OOM kills {r['kernel_oom_kills']}, "
                     f"innocents killed {r['innocents_killed']}"
                     + (", redeemed" if r["redeemed"] else ""), fontsize=9, loc="left")
    axes[-1, 0].set_xlabel("s since the load started")
    axes[-1, 0].set_xlabel("s since the load started (each panel its own time axis)")
    fig.suptitle(f"{scenario} on {cfg['tag']}\nMemAvailable (blue), SwapFree (green), "
                 "10 % line (dotted), warning at a client (orange), victim died (red), "
                 "other process killed (purple), kernel OOM kill (black)", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return True


def check(configs):
    """The behaviour the quick run asserts; returns the failures."""
    fails = []
    for tag, cfg in configs.items():
        have = {(r["contender"], r["scenario"]) for r in cfg["runs"]}
        scen = sorted({r["scenario"] for r in cfg["runs"]})
        if not scen:
            fails.append(f"{tag}: no runs at all")
        for c in CONTENDERS:
            if cfg["idle"].get(c, {}).get("start", "ok") != "ok":
                fails.append(f"{tag}: {c} did not start")
            for s in scen:
                if (c, s) not in have:
                    fails.append(f"{tag}: no row for {c} / {s}")
        for r in cfg["runs"]:
            who = f"{tag}: {r['contender']} / {r['scenario']} rep {r['rep']}"
            if r["void"]:
                continue
            if r["contender"] == "oom-notify":
                if r["kernel_oom_kills"] and r["scenario"] != "cgroup":
                    fails.append(f"{who}: the kernel's OOM killer ran")
                if r["scenario"] in ("fast", "slow", "ignore-term", "protected",
                                     "graduated", "stress-ng") and not r["right"]:
                    fails.append(f"{who}: not the right victim alone ({r['killed']})")
                if r["scenario"] == "redeem" and not r["redeemed"]:
                    fails.append(f"{who}: the cooperating process was not redeemed")
                if not r["daemon_alive"]:
                    fails.append(f"{who}: a daemon died")
    return fails


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--raw", required=True, help="raw records (tools/peers.sh)")
    ap.add_argument("--out", required=True, help="where results.* and *.png go")
    ap.add_argument("--check", action="store_true", help="assert the quick run's behaviour")
    ap.add_argument("--command", default="tools/peers.sh", help="the command to name")
    ap.add_argument("--no-plots", action="store_true")
    ap.add_argument("--version", action="version", version="peers-report 1")
    a = ap.parse_args()

    configs = load(a.raw)
    os.makedirs(a.out, exist_ok=True)
    for f in os.listdir(a.out):
        if f.endswith(".png"):
            os.remove(os.path.join(a.out, f))

    result = {"command": a.command, "definitions": {
        "kill_line": "MemAvailable < 10% of MemTotal (and SwapFree < 10% of SwapTotal; "
                     "for oom-notify < 10% of MemTotal, its own swap line; swap on zram filled with "
                     "incompressible pages counts nothing)",
        "notify_ms": "first warning at a client minus the kill-line crossing",
        "critical_ms": "first warning of the highest level minus the crossing",
        "back_ms": "crossing to MemAvailable >= 20% of MemTotal"}, "configs": {}}
    md = ["# oom-notify and its peers: results", "",
          f"Produced by `{a.command}` (see [../peers.md](../peers.md) for the setup, the "
          "definitions and the discussion). Per cell: the sum or the median over the "
          "repetitions.", ""]
    for tag, cfg in configs.items():
        vm = cfg["vm"]
        reps = max((r["rep"] for r in cfg["runs"]), default=0)
        # the scenarios this configuration ran (--quick runs a few)
        ran = {r["scenario"] for r in cfg["runs"]} | {x for _, x in cfg["unfinished"]}
        cols = [x for x in SCENARIOS if x in ran]
        md += [f"## {tag}", "",
               f"Kernel {vm.get('kernel')}, {vm.get('mem_total_mib')} MiB MemTotal, "
               f"{vm.get('swap_total_mib')} MiB swap"
               + (f" ({vm['swap_kind'].strip()})" if vm.get("swap_kind", "").strip() else "")
               + (f", the hogs' pages filled {vm['fill']}" if vm.get("fill") else "")
               + (" (swap on zram worth nothing: the kill line is MemAvailable alone)"
                  if vm.get("swap_kind", "").split() == ["zram"] and vm.get("fill") == "random"
                  else "")
               + f", {reps} repetition(s).", "",
               "### Overview", "",
               "Right outcomes of all runs; K: the kernel's OOM killer ran (k: in the "
               "cgroup only), I: innocent processes killed, R: redeemed, D: a daemon of the "
               "contender died; S: stalled (the run was still going at its wall-clock cap "
               "and was stopped: a machine frozen in reclaim); void: runs that hit the cap "
               "while the host had not run the VM for 5 s or more (the guest's kernel log or "
               "its memory trace says so), counted for nobody; unfinished: the run had "
               "started when the VM was stopped "
               "(docs/peers.md says why), not run: it had not started.", "",
               "| contender | " + " | ".join(cols) + " |",
               "|---|" + "---|" * len(cols)]
        for c in CONTENDERS:
            cells = []
            for s in cols:
                runs = [r for r in cfg["runs"] if r["scenario"] == s and r["contender"] == c]
                if not runs:
                    cells.append("unfinished" if (c, s) in cfg["unfinished"] else "not run")
                    continue
                sm = summarise(runs)
                mark = ""
                if sm["kernel_oom_kills"]:
                    mark += "k" if s == "cgroup" and not sm["manual_oom"] else "K"
                mark += "I" * bool(sm["innocents_killed"]) + "R" * bool(sm["redeemed"])
                mark += "D" * bool(sm["daemon_died"]) + "S" * bool(sm["capped"])
                void = f" ({sm['void']} void)" if sm["void"] else ""
                if not sm["runs"]:
                    cells.append(f"void ({sm['void']})")
                    continue
                ok = "✓" if sm["right"] == sm["runs"] else "✗"
                cells.append(f"{ok} {sm['right']}/{sm['runs']} {mark}".strip() + void)
            md.append(f"| {c} | " + " | ".join(cells) + " |")
        md += ["", "### Scenarios", "",
               "| scenario | contender | right | kernel OOM kills | innocents killed | "
               "redeemed | notify ms | critical ms | back ms | min avail % | "
               "daemon CPU ms | wake-ups/s | RSS KiB | notes |",
               "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        out_cfg = {"vm": vm, "idle": cfg["idle"], "scenarios": {}, "runs": [],
                   "unfinished": [{"contender": c, "scenario": x} for c, x in cfg["unfinished"]]}
        for s in SCENARIOS:
            for c in CONTENDERS:
                runs = [r for r in cfg["runs"] if r["scenario"] == s and r["contender"] == c]
                if not runs:
                    continue
                sm = summarise(runs)
                out_cfg["scenarios"].setdefault(s, {})[c] = sm
                koom = f"{sm['kernel_oom_kills']}"
                if sm["manual_oom"]:
                    koom += f" ({sm['manual_oom']} by sysrq)"
                md.append(
                    f"| {s} | {c} | {sm['right']}/{sm['runs']} | {koom} | "
                    f"{sm['innocents_killed']} | "
                    f"{sm['redeemed'] if s == 'redeem' else '–'} | {fmt(sm['notify_ms'])} | "
                    f"{fmt(sm['critical_ms'])} | {fmt(sm['back_ms'])} | "
                    f"{fmt(sm['min_avail_pct'])} | {fmt(sm['daemon_cpu_ms'])} | "
                    f"{fmt(sm['daemon_wakeups_per_s'])} | "
                    f"{sm['daemon_rss_kb'] if c != 'kernel' else '–'} | "
                    f"{notes(runs)} |")
        out_cfg["runs"] = [{k: v for k, v in r.items() if not k.startswith("_")}
                           for r in cfg["runs"]]
        each = {}
        for r in cfg["runs"]:
            if r["contender"] == "oom-notify" and r["daemon_cpu_ms_each"]:
                each.setdefault(r["scenario"], []).append(r["daemon_cpu_ms_each"])
        if each:
            md += ["", "### oom-notify's CPU by daemon", "",
                   "Median CPU ms during the run of each daemon: the broker relays (and "
                   "serves the bus), the killer chooses, notices and kills.", "",
                   "| scenario | oom-notifyd ms | oom-killerd ms |", "|---|---|---|"]
            for s_ in SCENARIOS:
                if s_ in each:
                    md.append(f"| {s_} | {fmt(median(e.get('oom-notifyd') for e in each[s_]))} | "
                              f"{fmt(median(e.get('oom-killerd') for e in each[s_]))} |")
        md += ["", "### Daemons at rest", "",
               "| contender | processes | CPU ms/min | wake-ups/min | RSS KiB |",
               "|---|---|---|---|---|"]
        for c in CONTENDERS:
            i = cfg["idle"].get(c)
            if not i:
                continue
            if "start" in i:
                md.append(f"| {c} | did not start | | | |")
            else:
                md.append(f"| {c} | {i['processes']} | {fmt(i['cpu_ms_per_min'])} | "
                          f"{fmt(i['wakeups_per_min'])} | "
                          f"{i['rss_kb'] if c != 'kernel' else '–'} |")
        md.append("")
        if not a.no_plots:
            pngs = []
            for s in SCENARIOS:
                name = f"{tag}-{s}.png"
                if plot(cfg, s, os.path.join(a.out, name)):
                    pngs.append(f"[{s}]({name})")
            if pngs:
                md += ["Plots (repetition 1): " + ", ".join(pngs), ""]
        result["configs"][tag] = out_cfg

    choose = os.path.join(a.raw, "bench-choose.txt")
    if os.path.exists(choose):
        md += ["## Victim choice (tests/killer/bench-choose, host)", "",
               "oom-killerd's candidate list on a fake /proc of N processes: a full "
               "re-read (cold, warm), a refresh where a tenth changed, and the choice "
               "itself from the warm list (no I/O).", "", "```"]
        md += [l for l in read_lines(choose) if "procs" in l]
        md += ["```", ""]
        result["bench_choose"] = read_lines(choose)
    fan = os.path.join(a.raw, "bench-fanout.json")
    if os.path.exists(fan):
        rows = []
        for l in read_lines(fan):
            try:
                rows.append(json.loads(l))
            except ValueError:
                pass
        result["bench_fanout"] = rows
        md += ["## D-Bus fan-out (tests/bench/bench-fanout, host)", "",
               "One PressureChanged to N subscribers of a private bus (dbus-daemon, or "
               "dbus-broker with `--bus dbus-broker`) with the real oom-notifyd; µs from the "
               "event to the first and the last subscriber, and the CPU time per event of "
               "the bus and of the subscribers. One run on a shared host: "
               "docs/benchmarks.md has both buses over repeated runs.",
               "", "| bus | subscribers | events | first p50 | last p50 | last p99 "
               "| CPU bus | CPU subscribers |",
               "|---|---|---|---|---|---|---|---|"]
        for r in rows:
            cpu = r.get("cpu_us_per_event", {})
            # Records from before --bus were all dbus-daemon's.
            md.append(f"| {r.get('bus', 'dbus-daemon')} | {r.get('subscribers')} | "
                      f"{r.get('events')} | {r.get('first_us', {}).get('p50')} | "
                      f"{r.get('last_us', {}).get('p50')} | {r.get('last_us', {}).get('p99')} | "
                      f"{cpu.get('bus', '')} | {cpu.get('subscribers', '')} |")
        md.append("")

    fails = check(configs) if a.check else []
    result["checks"] = {"run": a.check, "failures": fails}
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)
    with open(os.path.join(a.out, "results.md"), "w") as f:
        f.write("\n".join(md))
    if a.check:
        for x in fails:
            print(f"peers-report: check failed: {x}", file=sys.stderr)
        print(f"peers-report: {len(fails)} check(s) failed" if fails
              else "peers-report: every check passed", file=sys.stderr)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
