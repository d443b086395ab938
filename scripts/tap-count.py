#!/usr/bin/env python3
"""Count TAP results in a log: prints 'P F S' (passed, failed, skipped).

A plan ('1..N') that more results than seen would fill counts the missing
ones as failed, so a test that died half-way is never a partial pass. A
'1..0 # SKIP' plan counts as one skip. The kselftest runner nests a test's
own TAP under its one result line as comments ('# ok 3 ... # SKIP'), and
ends a test that skipped some cases with 'ok': such a nested skip counts
as a skip of its own."""
import re
import sys


def count(lines):
    passed = failed = skipped = 0
    planned = seen = 0
    for line in lines:
        line = line.rstrip('\r\n')
        m = re.match(r'^1\.\.(\d+)(\s*#\s*SKIP.*)?$', line)
        if m:
            if m.group(2) and m.group(1) == '0':
                skipped += 1
            planned += int(m.group(1))
            continue
        if re.match(r'^(#\s+)+ok\b.*#\s*SKIP', line, re.I):
            skipped += 1
            continue
        m = re.match(r'^(not ok|ok)\b[ \d-]*(.*)$', line)
        if not m:
            continue
        seen += 1
        if re.search(r'#\s*SKIP', m.group(2), re.I):
            skipped += 1
        elif m.group(1) == 'ok':
            passed += 1
        else:
            failed += 1
    if seen < planned:
        failed += planned - seen
    return passed, failed, skipped


if __name__ == '__main__':
    with open(sys.argv[1], errors='replace') as f:
        print(*count(f))
