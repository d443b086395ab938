#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the block counts of `bench/run.sh --profile` into instructions per
packet per kernel function and scenario, as a Markdown report, and
draw it as PNG (the same name, .png): a stacked bar per scenario of the
functions whose count differs between the scenarios. `profile.py --plot
MD` draws the PNG again from a report.

The guest (bench/guest.sh PROFILE=1) calls sync(2) right before and after
each UDP run, and the plugin (bench/tbcount.c) writes its running totals at
each call: run i lies between snapshots 2i and 2i+1. Every instruction of
the guest kernel on both vCPUs counts, the receiver's included; user space
does not.
"""
import argparse
import bisect
import collections
import os
import re
import subprocess
import sys
import tempfile
import textwrap

sys.dont_write_bytecode = True
from report import NAMES  # noqa: E402  (bench/report.py: the scenarios' names)

# The names in reports written before, to read them back
OLD_NAMES = {'a': 'a host', 'b': 'b veth today', 'c': 'c bpf-xmit', 'd': 'd netkit',
             'e_off': 'e flag off', 'e_on': 'e flag on', 'p_off': 'pod-to-pod veth off',
             'p_on': 'pod-to-pod veth on', 'p_nk': 'pod-to-pod netkit'}
# The plot's groups of functions, bottom to top: (legend, regex on the
# function's name, colour); a function goes to the first group that matches.
GROUPS = [
    ('backlog, receive: netif_rx, process_backlog, __netif_receive_skb*, locks',
     r'backlog|netif_rx|__netif_receive_skb|_raw_spin_', '#9467bd'),
    ('dev_queue_xmit: features, validate, pick_tx; ip_finish_output2',
     r'dev_queue_xmit|dev_hard_start_xmit|netif_skb_features|skb_network_protocol|'
     r'validate_xmit|netdev_core_pick_tx|features_check|skb_csum_hwoffload|ip_finish_output',
     '#8fbc8f'),
    ('BPF program, redirect: bpf_prog_*, bpf_redirect*, skb_do_redirect',
     r'^bpf_prog_|bpf_redirect|skb_do_redirect|dev_get_by_index', '#87ceeb'),
    ('veth_xmit', r'^veth_', '#ff8c00'),
    ('netkit_xmit', r'^netkit_', '#ffd700'),
    ('bpf-xmit hook: netif_ingress_xmit', r'netif_ingress_xmit', '#1f5fbf'),
    ('to the peer: __dev_forward_skb*, eth_type_trans, skb_scrub_packet',
     r'dev_forward_skb|eth_type_trans|skb_scrub_packet', '#e0505a'),
    ('RCU, bottom halves, retpoline thunks', r'rcu_read|local_bh|__x86_indirect_thunk',
     '#808080'),
    ('other: page allocator, scheduler, ...', r'', '#d3d3d3'),
]


def symbols(sysmap, log):
    syms = []
    with open(sysmap) as f:
        for line in f:
            addr, kind, name = line.split()[:3]
            if kind in 'tTwW':
                syms.append((int(addr, 16), name))
    # modules and BPF programs, from the guest's /proc/kallsyms
    for m in re.finditer(r'^@K ([0-9a-f]+) [tTwW] (\S+)', log, re.M):
        syms.append((int(m.group(1), 16), m.group(2)))
    syms.sort()
    return [a for a, _ in syms], [n for _, n in syms]


def snapshot(path):
    counts = collections.Counter()
    with open(path) as f:
        for line in f:
            vaddr, insns, count = line.split()
            counts[int(vaddr, 16)] += int(insns) * int(count)
    return counts


def read_report(path):
    """A report's kernel, scenarios, instructions per packet, and its table
    of the functions whose count differs: {function: [per scenario]}."""
    text = open(path).read()
    kernel = re.search(r'^Kernel (\S+);', text, re.M)
    key = {v: k for k, v in list(OLD_NAMES.items()) + list(NAMES.items())}
    scens, totals, funcs, table = [], [], {}, False

    def cells(line):
        return [c.strip() for c in line.strip().strip('|').split('|')]
    for line in text.splitlines():
        if line.startswith('| |'):
            scens = [key.get(c, c) for c in cells(line)[1:]]
        elif line.startswith('| kernel instructions per packet |'):
            totals = [float(c) for c in cells(line)[1:]]
        elif line.startswith('## '):
            table = line.startswith('## Functions whose count differs')
        elif table and line.startswith('| `'):
            c = cells(line)
            funcs[c[0].strip('`')] = [float(v) for v in c[1:]]
    if not scens or len(totals) != len(scens):
        sys.exit('profile: %s: no table of instructions per packet' % path)
    return kernel.group(1) if kernel else '?', scens, totals, funcs


def plot(md, png):
    """The report as a stacked bar per scenario: the functions whose count
    differs, by group (GROUPS). The rest is the same work in every scenario:
    the title says how much."""
    kernel, scens, totals, funcs = read_report(md)
    n = len(scens)
    sums = [[0.0] * n for _ in GROUPS]
    for f, v in funcs.items():
        g = next(i for i, (_, rx, _) in enumerate(GROUPS) if re.search(rx, f))
        sums[g] = [a + b for a, b in zip(sums[g], v)]
    groups = [(GROUPS[g][0], sums[g], GROUPS[g][2]) for g in range(len(GROUPS))
              if any(sums[g])]
    if not groups:
        print('profile: no function differs between the scenarios: no plot')
        return
    drawn = [sum(v[i] for _, v, _ in groups) for i in range(n)]
    rest = [totals[i] - drawn[i] for i in range(n)]
    top = max(drawn) * 1.1

    def q(s):   # a gnuplot string; \n in s is a line break
        return '"%s"' % s.replace('"', '\\"')
    # x labels: the name, wrapped, and the total per packet
    xtics = ', '.join('%s %d' % (q('\\n'.join(
        textwrap.wrap(NAMES.get(s, s), 28, break_on_hyphens=False) +
        ['%.0f per packet in all' % totals[i]])), i) for i, s in enumerate(scens))
    gp = ['set terminal pngcairo size 1280,820 font ",10" noenhanced',
          'set output %s' % q(png),
          'set title %s' % q(
              'Kernel instructions per packet in udp1 runs, in the functions whose count '
              'differs between the scenarios (kernel %s, %s)\\nNot drawn: the rest, '
              '%.0f to %.0f per packet, the same work in all (socket, UDP, IP, '
              'routing, memory); the uplink is a veth in all'
              % (kernel, os.path.basename(md), min(rest), max(rest))),
          'set style data histogram',
          'set style histogram rowstacked',
          'set style fill solid 0.7 border -1',
          'set boxwidth 0.6',
          'set yrange [0:%.0f]' % top,
          'set ylabel "instructions per packet"',
          'set grid ytics',
          'set lmargin at screen 0.06',
          'set rmargin at screen 0.98',
          'set tmargin at screen 0.91',
          'set bmargin at screen 0.26',
          'set key at screen 0.06, screen 0.13 left top Left reverse maxrows 5',
          'set xtics (%s) scale 0' % xtics,
          'array T[%d] = [%s]' % (len(groups), ', '.join(q(t) for t, _, _ in groups)),
          'array C[%d] = [%s]' % (len(groups), ', '.join(q(c) for _, _, c in groups))]
    for i in range(n):
        y = 0.0
        for _, v, _ in groups:   # the big parts' counts, and each bar's sum
            if v[i] >= 0.025 * top:
                gp.append('set label "%.0f" at %d,%.1f center front' % (v[i], i, y + v[i] / 2))
            y += v[i]
        gp.append('set label "%.0f" at %d,%.1f center front' % (y, i, y + 0.02 * top))
    with tempfile.TemporaryDirectory() as tmp:
        dat = os.path.join(tmp, 'data')
        with open(dat, 'w') as f:
            for i in range(n):
                f.write(' '.join('%.2f' % v[i] for _, v, _ in groups) + '\n')
        gp.append('plot for [i=1:%d] %s using i title T[i] lc rgb C[i]' % (len(groups), q(dat)))
        r = subprocess.run(['gnuplot'], input='\n'.join(gp) + '\n', text=True,
                           capture_output=True)
    if r.returncode:
        sys.exit('profile: gnuplot failed:\n' + r.stderr)
    print('profile: wrote %s' % png)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--map', help='System.map of the kernel')
    ap.add_argument('--log', help="the guest's console log")
    ap.add_argument('--snaps', help='snapshot prefix (PREFIX.N)')
    ap.add_argument('--out', help='Markdown report to write (and .png)')
    ap.add_argument('--plot', metavar='MD', help='only draw MD (a report) as MD.png')
    args = ap.parse_args()
    if args.plot:
        plot(args.plot, os.path.splitext(args.plot)[0] + '.png')
        return
    if not (args.map and args.log and args.snaps and args.out):
        ap.error('--map, --log, --snaps and --out are required (or --plot)')

    log = open(args.log, errors='replace').read()
    addrs, names = symbols(args.map, log)
    runs = re.findall(r'^@# (\d+) (\S+) udp1 tx=(\d+) rx=(\d+)', log, re.M)
    if not runs:
        sys.exit('profile: no udp1 runs in ' + args.log)
    kernel = re.search(r'^@# kernel (\S+)', log, re.M)

    cost = collections.defaultdict(collections.Counter)   # scen -> sym -> insns
    packets = collections.Counter()
    order = []
    cache = {}
    for i, (rep, scen, tx, rx) in enumerate(runs):
        if rep == '0':      # a warm-up or check run: not counted
            continue
        before = snapshot('%s.%d' % (args.snaps, 2 * i))
        after = snapshot('%s.%d' % (args.snaps, 2 * i + 1))
        for vaddr, n in after.items():
            n -= before.get(vaddr, 0)
            if not n:
                continue
            if vaddr not in cache:
                k = bisect.bisect_right(addrs, vaddr) - 1
                cache[vaddr] = names[k] if k >= 0 else hex(vaddr)
            cost[scen][cache[vaddr]] += n
        packets[scen] += int(tx)
        if scen not in order:
            order.append(scen)

    per = {s: {f: n / packets[s] for f, n in cost[s].items()} for s in order}
    total = {s: sum(per[s].values()) for s in order}
    first = order[0]
    label = [NAMES.get(s, s) for s in order]

    out = ['# Kernel instructions per packet', '',
           'Kernel %s; udp1 (one flow of 32-byte UDP datagrams); %s.' %
           (kernel.group(1) if kernel else '?',
            ', '.join('%s: %d packets in %d run(s)' %
                      (NAMES.get(s, s), packets[s], sum(r[1] == s and r[0] != '0' for r in runs))
                      for s in order)),
           'Counted by bench/tbcount.c: every instruction the guest kernel '
           'ran on both vCPUs during the runs (the receiver too), divided by the '
           'packets sent. User space is not counted. Written by '
           '`bench/run.sh --profile`.', '',
           '| | ' + ' | '.join(label) + ' |',
           '|---|' + '---:|' * len(order),
           '| kernel instructions per packet | ' +
           ' | '.join('%.0f' % total[s] for s in order) + ' |',
           '| ratio to %s | ' % NAMES.get(first, first) +
           ' | '.join('%.3f' % (total[s] / total[first]) for s in order) + ' |', '']

    funcs = set().union(*(per[s] for s in order))
    spread = []
    for f in funcs:
        v = [per[s].get(f, 0.0) for s in order]
        if max(v) - min(v) >= 1.0:
            spread.append((v[0] - max(v[1:] or [0]), f, v))
    spread.sort(key=lambda r: (-abs(r[0]), r[1]))
    out += ['## Functions whose count differs by one instruction per packet or more', '',
            '| function | ' + ' | '.join(label) + ' |',
            '|---|' + '---:|' * len(order)]
    for _, f, v in spread:
        out.append('| `%s` | ' % f + ' | '.join('%.1f' % x for x in v) + ' |')
    out.append('| **sum of these** | ' + ' | '.join(
        '**%.1f**' % sum(r[2][i] for r in spread) for i in range(len(order))) + ' |')
    out.append('')

    top = sorted(per[first].items(), key=lambda kv: -kv[1])[:25]
    out += ['## The 25 costliest functions in %s' % NAMES.get(first, first), '',
            '| function | ' + ' | '.join(label) + ' |',
            '|---|' + '---:|' * len(order)]
    for f, _ in top:
        out.append('| `%s` | ' % f + ' | '.join('%.1f' % per[s].get(f, 0.0) for s in order) + ' |')
    out.append('')
    with open(args.out, 'w') as f:
        f.write('\n'.join(out))
    print('\n'.join(out[:12]))
    plot(args.out, os.path.splitext(args.out)[0] + '.png')


if __name__ == '__main__':
    main()
