#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the block counts of `bench/run.sh --profile` into instructions per
packet per kernel function and scenario, as a Markdown report.

The guest (bench/guest.sh PROFILE=1) calls sync(2) right before and after
each UDP run, and the plugin (bench/tbcount.c) writes its running totals at
each call: run i lies between snapshots 2i and 2i+1. Every instruction of
the guest kernel on both vCPUs counts, the receiver's included; user space
does not.
"""
import argparse
import bisect
import collections
import re
import sys

NAMES = {'a': 'a host', 'b': 'b veth today', 'c': 'c bpf-xmit', 'd': 'd netkit',
         'e_off': 'e flag off', 'e_on': 'e flag on', 'p_off': 'pod-to-pod veth off',
         'p_on': 'pod-to-pod veth on', 'p_nk': 'pod-to-pod netkit'}


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


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--map', required=True, help='System.map of the kernel')
    ap.add_argument('--log', required=True, help="the guest's console log")
    ap.add_argument('--snaps', required=True, help='snapshot prefix (PREFIX.N)')
    ap.add_argument('--out', required=True, help='Markdown report to write')
    args = ap.parse_args()

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
    for i, (_, scen, tx, rx) in enumerate(runs):
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
                      (NAMES.get(s, s), packets[s], sum(r[1] == s for r in runs))
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


if __name__ == '__main__':
    main()
