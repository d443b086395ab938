#!/usr/bin/python3
"""Turn bench/guest.sh's output into OUT.md, OUT.json and OUT.png.

Usage: report.py --log LOG --out PREFIX --reps N --secs S --wall SECONDS
                 --load TEXT --scenarios a,b,.. --metrics udp1,.. --clock TEXT

LOG holds the guest's lines: "@@ REP SCENARIO METRIC VALUE" (results),
"@# ..." (details), "@! ..." (failed runs). Ratios are ratios of medians.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

SCENARIOS = {
    "a": "host: host netns -> uplink (the limit)",
    "b": "veth today: pod -> veth, tcx ingress redirect, bpf-xmit off",
    "c": "veth bpf-xmit: the same, bpf-xmit on",
    "d": "netkit: the same program as netkit peer program",
    "e_off": "overhead: pod -> veth -> host receiver, no program, bpf-xmit off",
    "e_on": "overhead: the same, bpf-xmit on",
    "p_off": "pod to pod, veth: pod A -> veth, tcx ingress on its host side "
             "bpf_redirect_peer()s to pod B's veth -> pod B (and back), bpf-xmit off",
    "p_on": "pod to pod, veth: the same, bpf-xmit on (both pairs)",
    "p_nk": "pod to pod, netkit: pod A's netkit peer program bpf_redirect()s to pod "
            "B's netkit primary (egress), whose xmit delivers to pod B (and back)",
}
# The scenarios' short names: the plots' legends (bench/profile.py's too)
# and the pod-to-pod table
NAMES = {"a": "a: host, no pod (the limit)", "b": "b: veth today (bpf-xmit off)",
         "c": "c: veth bpf-xmit on", "d": "d: netkit",
         "e_off": "e_off: pod to host, no program, bpf-xmit off",
         "e_on": "e_on: pod to host, no program, bpf-xmit on",
         "p_off": "p_off: pod to pod, veth, bpf-xmit off",
         "p_on": "p_on: pod to pod, veth, bpf-xmit on", "p_nk": "p_nk: pod to pod, netkit"}
# Pod to pod: compared among themselves only (ratios to b or a mean nothing)
POD = ["p_off", "p_on", "p_nk"]
# name: (label, unit, higher is better, selected by)
METRICS = {
    "udp1": ("UDP 1 flow", "pps", True, "udp1"),
    "udp2": ("UDP 2 flows", "pps", True, "udp2"),
    "tcp": ("TCP stream", "Mbit/s", True, "tcp"),
    "rr_p50": ("UDP RR p50", "us", False, "rr"),
    "rr_p99": ("UDP RR p99", "us", False, "rr"),
    "netrx_per_pkt": ("NET_RX softirqs/pkt", "1/pkt", False, "softirq"),
    "softnet_per_pkt": ("receive passes/pkt", "1/pkt", False, "softirq"),
}
# The metrics the goals are judged on (the redirect path's speed)
SPEED = ["udp1", "udp2", "tcp", "rr_p50", "rr_p99"]
# Medians closer than this count as equal ("within noise") even where the
# min..max ranges do not overlap (icount runs repeat to a fraction of 1%).
TOL = 0.01


def parse(path):
    results, details, failures = {}, [], []
    with open(path) as f:
        for line in f:
            w = line.split()
            if w[:1] == ["@@"] and len(w) == 5:
                results.setdefault(w[2], {}).setdefault(w[3], []).append(float(w[4]))
            elif w[:1] == ["@#"]:
                details.append(w[1:])
            elif w[:1] == ["@!"]:
                failures.append(" ".join(w[1:]))
    return results, details, failures


def fmt(v):
    if v is None:
        return "-"
    if abs(v) >= 1e5:
        return f"{v / 1e3:.0f}k"
    if abs(v) >= 1e4:
        return f"{v / 1e3:.1f}k"
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.3g}" if abs(v) < 1 else f"{v:.2f}"


def ratio(stats, x, ref, m):
    try:
        return stats[x][m]["median"] / stats[ref][m]["median"]
    except (KeyError, ZeroDivisionError):
        return None


def goals(stats):
    """Judge the goals per metric, from the medians and the spread."""
    out = []

    def get(s, m):
        return stats.get(s, {}).get(m)

    def compare(x, y, m):
        """x against y: ratio, 'better'/'worse'/'within noise' (ranges overlap), better."""
        a, b = get(x, m), get(y, m)
        if not a or not b or not b["median"]:
            return None, None, None
        r = a["median"] / b["median"]
        up = METRICS[m][2]
        noise = (a["min"] <= b["max"] and b["min"] <= a["max"]) or abs(r - 1) < TOL
        better = r >= 1 if up else r <= 1
        return r, ("within noise" if noise else "better" if better else "worse"), better

    # goal, x, y, whether x against y meets it (from how and better)
    for goal, x, y, meets in (
            ("(c) >= (d)", "c", "d", lambda how, better: better or how == "within noise"),
            ("(c) clearly faster than (b)", "c", "b", lambda how, better: how == "better"),
            ("(e) on within noise of off", "e_on", "e_off",
             lambda how, better: how == "within noise" or better),
            ("(p) on not worse than off", "p_on", "p_off",
             lambda how, better: how == "within noise" or better)):
        for m in SPEED:
            r, how, better = compare(x, y, m)
            if r is not None:
                out.append((goal, m, r, how, "met" if meets(how, better) else "NOT met"))
    return out


def plot(stats, panels, metrics, prefix, clock):
    """Clustered bars, one panel per (title, reference, scenarios): the ratio
    of each scenario to the reference, per metric, min-max."""
    panels = [(t, ref, cols, [m for m in metrics if stats.get(ref, {}).get(m)])
              for t, ref, cols in panels if ref in cols]
    panels = [p for p in panels if p[3]]
    if not panels:
        return False
    with tempfile.TemporaryDirectory() as tmp:
        gp = f"""
set terminal pngcairo size 1280,{640 * len(panels)} font ",10" noenhanced
set output "{prefix}.png"
set style data histogram
set style histogram errorbars gap 2 lw 1
set style fill solid 0.7 border -1
set boxwidth 0.9
set yrange [0:*]
set xtics rotate by -15 scale 0
set key outside right top Left reverse
set lmargin at screen 0.06
set rmargin at screen 0.70
set grid ytics
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 2
set multiplot layout {len(panels)},1
"""
        for k, (title, ref, cols, rows) in enumerate(panels):
            dat = os.path.join(tmp, f"data{k}")
            with open(dat, "w") as f:
                for m in rows:
                    label = METRICS[m][0] + (" (lower better)" if not METRICS[m][2] else "")
                    ref_v = stats[ref][m]["median"]
                    vals = []
                    for s in cols:
                        st = stats.get(s, {}).get(m)
                        if st and ref_v:
                            vals += [st["median"] / ref_v, st["min"] / ref_v, st["max"] / ref_v]
                        else:
                            vals += [float("nan")] * 3
                    f.write('"%s" %s\n' % (label, " ".join("%.4f" % v for v in vals)))
            gp += f"""
set title "{title} (TCG VM, clock {clock}): ratio of medians to {NAMES[ref]}; whiskers: min..max"
set ylabel "ratio to {NAMES[ref]}"
array T{k}[{len(cols)}] = [{", ".join('"%s"' % NAMES[s] for s in cols)}]
plot for [i=1:{len(cols)}] "{dat}" using (column(3*i-1)):(column(3*i)):(column(3*i+1)):xtic(1) title T{k}[i]
"""
        gp += "unset multiplot\n"
        r = subprocess.run(["gnuplot"], input=gp, text=True, capture_output=True)
        if r.returncode:
            print("report: gnuplot failed:\n" + r.stderr, file=sys.stderr)
            return False
    return True


def main():
    ap = argparse.ArgumentParser()
    for a in ("log", "out", "reps", "secs", "wall", "load", "scenarios", "metrics", "clock"):
        ap.add_argument("--" + a, required=True)
    args = ap.parse_args()
    results, details, failures = parse(args.log)

    sel = args.scenarios.split(",")
    scens = [s for s in SCENARIOS if s in sel or s.split("_")[0] in sel]
    up = [s for s in scens if s not in POD]     # the uplink scenarios, and e
    pods = [s for s in scens if s in POD]
    msel = args.metrics.split(",")
    metrics = [m for m in METRICS if METRICS[m][3] in msel]

    stats = {}
    for s in scens:
        for m in metrics:
            v = results.get(s, {}).get(m)
            if v:
                stats.setdefault(s, {})[m] = {
                    "median": statistics.median(v), "min": min(v), "max": max(v),
                    "n": len(v), "values": v}
    for s in stats:
        for m in stats[s]:
            st = stats[s][m]
            if s in POD:
                if s != "p_off":
                    st["ratio_to_p_off"] = ratio(stats, s, "p_off", m)
                if s == "p_on":
                    st["ratio_to_p_nk"] = ratio(stats, s, "p_nk", m)
                continue
            st["ratio_to_b"] = ratio(stats, s, "b", m)
            st["ratio_to_a"] = ratio(stats, s, "a", m)
            if s == "e_on":
                st["ratio_to_e_off"] = ratio(stats, s, "e_off", m)

    kernel = next((d[1] for d in details if d[:1] == ["kernel"]), "?")
    checks = [" ".join(d) for d in details if len(d) > 2 and d[2] == "check"]
    fwd = {}
    for d in details:
        if len(d) > 2 and d[2] == "udp1" and d[0] != "0":
            kv = dict(x.split("=", 1) for x in d[3:] if "=" in x)
            if "fwd" in kv and "tx" in kv:
                fwd.setdefault(d[1], []).append((int(kv["fwd"]), int(kv["tx"])))
    g = goals(stats)

    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"), "kernel": kernel,
        "reps": int(args.reps), "secs_per_run": int(args.secs),
        "vm_wall_seconds": int(args.wall), "host_loadavg": args.load,
        "order": "for each repetition, for each metric: " + ", ".join(scens),
        "vm": "QEMU TCG (no KVM), 2 vCPUs: absolute numbers mean little, compare ratios",
        "clock": args.clock,
        "ratios": "ratio of medians; for us and 1/pkt metrics lower is better",
    }
    doc = {
        "meta": meta,
        "scenarios": {s: SCENARIOS[s] for s in scens},
        "names": {s: NAMES[s] for s in scens},
        "metrics": {m: {"label": METRICS[m][0], "unit": METRICS[m][1],
                        "better": "higher" if METRICS[m][2] else "lower"} for m in metrics},
        "results": stats,
        "goals": [{"goal": a, "metric": m, "ratio": r, "comparison": how, "verdict": v}
                  for a, m, r, how, v in g],
        "checks": checks, "failures": failures,
    }
    with open(args.out + ".json", "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")

    L = []
    L.append("# veth bpf-xmit benchmark\n")
    L.append(f"{meta['date']}, kernel {kernel}, {meta['vm']}. Clock: {args.clock}. "
             f"{args.reps} interleaved repetitions of {args.secs} s per run "
             f"({meta['order']}); {args.wall} s in the VM; host load average "
             f"{args.load}.\n")
    if args.clock.startswith("icount"):
        L.append("With icount the guest's time is the count of instructions its "
                 "vCPUs execute (they take turns; idle time is skipped): a rate "
                 "is packets per instruction budget, the inverse of the CPU cost "
                 "per packet in the emulated machine, and latency is the "
                 "instructions on the round trip. Within a boot, udp1 and rr runs "
                 "repeat to well under 1%, udp2 to a few %; "
                 "caches, memory, IPIs and true parallelism are not modelled.\n")
    L.append("Scenarios:\n")
    for s in scens:
        L.append(f"- **{s}**: {SCENARIOS[s]}")
    L.append("")

    def table(title, head, cols):
        """cols: (scenario, cell function) per column, head: their titles"""
        L.append(f"## {title}\n")
        L.append("| metric | " + " | ".join(head) + " |")
        L.append("|---|" + "---|" * len(head))
        for m in metrics:
            lab, unit, higher, _ = METRICS[m]
            cells = []
            for s, cell in cols:
                st = stats.get(s, {}).get(m)
                cells.append(cell(st) if st else "-")
            L.append(f"| {lab} ({unit}, {'higher' if higher else 'lower'} is better) | "
                     + " | ".join(cells) + " |")
        L.append("")

    def spread(st):
        return f"{fmt(st['median'])} ({fmt(st['min'])}..{fmt(st['max'])})"

    def rat(key):
        return lambda st: f"{st[key]:.2f}" if st.get(key) is not None else "-"

    if up:
        table("Median (min..max)", up, [(s, spread) for s in up])
        table("Ratio of medians to (b), veth today", up,
              [(s, rat("ratio_to_b")) for s in up])
        table("Ratio of medians to (a), the host", up,
              [(s, rat("ratio_to_a")) for s in up])
    if pods:
        head = [NAMES[s] for s in pods]
        cols = [(s, spread) for s in pods]
        if "p_on" in pods and "p_off" in pods:
            head.append("p_on/p_off")
            cols.append(("p_on", rat("ratio_to_p_off")))
        if "p_on" in pods and "p_nk" in pods:
            head.append("p_on/p_nk")
            cols.append(("p_on", rat("ratio_to_p_nk")))
        table("Pod to pod (p): median (min..max), ratios of medians", head, cols)
        L.append("Pod A sends to pod B: over veth, the tcx ingress program on pod "
                 "A's host side bpf_redirect_peer()s to pod B's pair, with "
                 "bpf-xmit off (p_off) and on (p_on); over netkit (p_nk), pod A's "
                 "peer program bpf_redirect()s to pod B's netkit primary "
                 "(bpf_redirect_peer() needs tc ingress, so netkit programs "
                 "cannot use it), whose xmit hands the packet to pod B's netkit "
                 "peer through the backlog. Replies (rr, TCP acks) take the same "
                 "way back. Expected: with bpf-xmit on, the program runs in pod "
                 "A's xmit, and bpf_redirect_peer() reaches pod B through pod B's "
                 "backlog: one backlog crossing per packet, as with the flag off "
                 "(there: pod A's host side's backlog, then the peer redirect "
                 "delivers to pod B in the same softirq) and as with netkit. So "
                 "p_on should be about p_off, and must not be worse; NET_RX "
                 "softirqs/pkt should be about 1 in all three, and receive "
                 "passes/pkt 2 in p_off (host side, then pod B in another round), "
                 "1 in p_on and p_nk.\n")

    if g:
        L.append("## Goals\n")
        L.append(f"'within noise': the min..max ranges of the two overlap, or "
                 f"their medians differ by less than {TOL:.0%}. Ratio: first "
                 f"named scenario over the second; for latencies lower is better.\n")
        L.append("| goal | metric | ratio | comparison | verdict |")
        L.append("|---|---|---|---|---|")
        for a, m, r, how, v in g:
            L.append(f"| {a} | {METRICS[m][0]} | {r:.2f} | {how} | {v} |")
        L.append("")
    L.append("## Checks\n")
    L.append("- the host-side veth's net:netif_ingress_xmit trace events "
             "(inline: the hook ran in the sender's xmit; redirect: and "
             "redirected), counted over the udp1 warm-up (0; 1 without one) "
             "only (p: pod A's, hva): they must move in c and p_on only, by "
             "the packets sent:")
    for c in checks:
        L.append(f"  - {c}")
    if fwd:
        L.append("- packets the host IP layer forwarded during udp1 runs "
                 "(must be 0 where the program redirects: b, c, d, p): "
                 + ", ".join(f"{s}: {sum(f for f, _ in v)}" for s, v in fwd.items()))
    if failures:
        L.append("- **failed runs**: " + "; ".join(failures))
    L.append("")
    L.append("NET_RX softirqs/pkt: NET_RX softirq runs (/proc/softirqs) per "
             "packet sent in the udp1 run. The uplink is a veth, so the remote "
             "end's receive goes through the backlog in every scenario: "
             "this stays ~1 wherever each sendmmsg packet ends in one "
             "netif_rx(). receive passes/pkt: softnet_stat 'processed' "
             "(rounds of __netif_receive_skb_core) per packet: 2 where the "
             "pod's packet goes through the host side's backlog first (b), "
             "1 where it is redirected in the sender's xmit (c, d) or "
             "received once (a, e). Pod to pod (p): see its section.\n")
    have_png = plot(stats, [("veth bpf-xmit benchmark", "b", up), ("pod to pod", "p_off", pods)],
                    metrics, args.out, args.clock.split()[0])
    if have_png:
        L.append(f"![ratios to (b) and to (p_off)]({os.path.basename(args.out)}.png)\n")
    else:
        L.append("(No plot: it shows ratios to (b) and to (p_off), which did not run.)\n")
        if os.path.exists(args.out + ".png"):
            os.remove(args.out + ".png")
    # The instruction profile is a run of its own (run.sh --profile), with its
    # report and plot in the same directory: link them, drawing the plot if
    # it is missing or older than the report.
    prof = os.path.join(os.path.dirname(args.out), "profile")
    if os.path.exists(prof + ".md"):
        if (not os.path.exists(prof + ".png")
                or os.path.getmtime(prof + ".png") < os.path.getmtime(prof + ".md")):
            subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "profile.py"),
                            "--plot", prof + ".md"], check=False)
        L.append("Kernel instructions per packet and function, from a run of "
                 "`make bench ARGS=--profile`: [profile.md](profile.md)"
                 + (", ![per scenario](profile.png)" if os.path.exists(prof + ".png") else "")
                 + "\n")
    else:
        L.append("(No instruction profile here: `make bench ARGS=--profile` "
                 "writes profile.md and profile.png.)\n")
    with open(args.out + ".md", "w") as f:
        f.write("\n".join(L))
    return 0


if __name__ == "__main__":
    sys.exit(main())
