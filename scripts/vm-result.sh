#!/bin/bash
# The end of a VM run of scripts/vm.sh or scripts/vm-qemu.sh: keep the run's
# console and dmesg as build/vm/last-console.txt and last-dmesg.txt, explain
# a guest that did not finish, scan its dmesg for splats
# (scripts/splat-scan.sh), and exit with the guest command's status, or 1
# if the guest did not finish or the kernel logged a splat.
# Usage: scripts/vm-result.sh NAME SHARE RUNNER_EXIT TIMEOUT ELAPSED
set -euo pipefail
. "$(dirname "$0")/common.sh"
[ $# = 5 ] || die "usage: $0 NAME SHARE RUNNER_EXIT TIMEOUT ELAPSED"
name=$1 share=$2 rc=$3 timeout_s=$4 elapsed=$5
console=$share/console.txt

# Keep the last run's logs (atomically: runs may overlap).
for f in console dmesg; do
	src=$share/$f.txt
	if [ -f "$src" ]; then
		cp "$src" "$BUILD/vm/.last-$f.$$" && mv -f "$BUILD/vm/.last-$f.$$" "$BUILD/vm/last-$f.txt"
	else
		rm -f "$BUILD/vm/last-$f.txt"
	fi
done

if [ ! -f "$share/status" ]; then
	if [ "$rc" = 0 ] && ! grep -qE 'Kernel panic|Oops|BUG:' "$console" 2>/dev/null; then
		echo "$name: QEMU quit before the guest powered off" >&2
		exit 1
	fi
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		why="$name: guest timed out after $timeout_s s"
	else
		why="$name: guest did not finish (panic or timeout) after $elapsed s (exit $rc)"
	fi
	{
		echo "$why"
		if [ -s "$console" ]; then
			echo "$name: last console lines ($BUILD/vm/last-console.txt):"
			tail -n 30 "$console" | tr -d '\r' | sed 's/^/  | /'
			if grep -qE 'Kernel panic|Oops|BUG:' "$console"; then
				echo "$name: kernel panic:"
				tr -d '\r' < "$console" |
					grep -E 'Kernel panic|Oops|BUG:|kernel BUG|RIP:|Comm:' |
					head -n 10 | sed 's/^/  | /'
			fi
			echo "$why"
		fi
	} >&2
	exit 1
fi
status=$(cat "$share/status")
[[ "$status" =~ ^[0-9]+$ ]] || die "$name: bad guest exit status '$status'"
[ -f "$share/dmesg.txt" ] || die "$name: the guest saved no dmesg"

if ! splats=$("$SCRIPTS/splat-scan.sh" "$share/dmesg.txt"); then
	{
		echo "$name: kernel splat in dmesg ($BUILD/vm/last-dmesg.txt):"
		printf '%s\n' "$splats" | sed 's/^/  | /'
		echo "$name: kernel splat in dmesg (guest command exit status $status)"
	} >&2
	exit 1
fi
exit "$status"
