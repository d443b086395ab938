#!/bin/bash
# Find kernel splats (WARN, BUG, Oops, lockdep, KASAN, UBSAN, RCU stalls,
# hung tasks, kmemleak, ...) in a dmesg file.
# Usage: scripts/splat-scan.sh FILE
# Prints each splat with up to $SPLAT_CONTEXT (15) lines after it; a splat
# whose first line (timestamps, CPU/PID and addresses masked) was already
# printed is counted, not printed again. Exit 1 if any splat, else 0, silent.
set -euo pipefail
. "$(dirname "$0")/common.sh"

[ $# -eq 1 ] || { echo "usage: $0 DMESG_FILE" >&2; exit 2; }
[ -r "$1" ] || die "splat-scan: cannot read $1"

# Case-sensitive extended regexes.
PAT='WARNING:|BUG:|kernel BUG at|KASAN|UBSAN|lockdep|possible circular locking|possible recursive locking|inconsistent lock state|possible irq lock inversion|suspicious RCU usage|Kernel panic|Oops|general protection fault|kmemleak: .*new suspected memory leak|unreferenced object|refcount_t:|list_add corruption|list_del corruption|RCU stall|self-detected stall|detected stalls? on|hung_task|blocked for more than|hard LOCKUP|soft lockup'
# Lines that match PAT but are not splats.
IGNORE='Kernel command line:|Unknown kernel command line parameters|RCU lockdep checking is enabled|traps: .*general protection fault ip:'

awk -v pat="$PAT" -v ign="$IGNORE" -v ctx="${SPLAT_CONTEXT:-15}" '
function key(s) {
	sub(/^\[ *[0-9]+\.[0-9]+\] /, "", s)
	gsub(/CPU: [0-9]+/, "CPU: N", s)
	gsub(/PID: [0-9]+/, "PID: N", s)
	gsub(/0x[0-9a-fA-F]+/, "0x?", s)
	gsub(/[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]+/, "?", s)
	gsub(/\[#[0-9]+\]/, "[#N]", s)
	return s
}
{
	hit = ($0 ~ pat) && !($0 ~ ign)
	if (hit) {
		k = key($0)
		rep = (k in seen)
		if (!rep) { seen[k] = 0; order[++n] = k }
	}
	if (hit && rep) {
		# A repeat of a line already printed: count it, skip its context.
		seen[k]++; mode = "skip"; left = ctx; next
	}
	if (hit && left > 0 && mode == "print" && glines < 100) {
		# Part of the splat being printed.
		print; glines++; left = ctx; next
	}
	if (hit) {
		if (printed) print "--"
		print; printed = 1; glines = 1; mode = "print"; left = ctx; next
	}
	if (left > 0) {
		left--
		if (mode == "print") { print; glines++ }
	}
}
END {
	for (i = 1; i <= n; i++)
		if (seen[order[i]] > 0)
			printf "-- (%d more like: %s)\n", seen[order[i]], order[i]
	exit (n > 0)
}' "$1"
