#!/bin/bash
# Boot the guest kernel in QEMU (TCG) with the host's / as a read-only 9p root
# and run one command in it (or an interactive shell with -i).
#
# Usage: scripts/vm.sh [-i] [-t TIMEOUT_SECONDS] [-k BZIMAGE] [--] CMD [ARGS...]
#
# The command runs as root in the caller's cwd with $TOP/build/bin first in
# PATH; its output streams to stdout (console, ttyS0). Exit status: the
# command's, or 1 if the guest did not finish (panic, timeout) or the kernel
# logged a splat (see scripts/splat-scan.sh). The last run's dmesg and console
# log are kept in build/vm/last-dmesg.txt and build/vm/last-console.txt.
# Environment: KOUT (kernel build dir, for bzImage and veth.ko), VM_MEM (2G),
# VM_SMP (2), VM_APPEND (extra kernel command line; VM_APPEND=VM_TRACE=1
# traces guest/init.sh with timestamps), VM_TCG_THREAD (multi, the default:
# one host thread per vCPU; single: all vCPUs take turns on one thread).
# shellcheck disable=SC2054  # commas in QEMU options
set -euo pipefail
. "$(dirname "$0")/common.sh"

usage() {
	echo "usage: $0 [-i] [-t TIMEOUT_SECONDS] [-k BZIMAGE] [--] CMD [ARGS...]" >&2
	exit 2
}

interactive=0
timeout_s=
bzimage=
while [ $# -gt 0 ]; do
	case "$1" in
	-i) interactive=1; shift ;;
	-t) [ $# -ge 2 ] || usage; timeout_s=$2; shift 2 ;;
	-t*) timeout_s=${1#-t}; shift ;;
	-k) [ $# -ge 2 ] || usage; bzimage=$2; shift 2 ;;
	-k*) bzimage=${1#-k}; shift ;;
	-h|--help) usage ;;
	--) shift; break ;;
	-*) echo "vm: unknown option: $1" >&2; usage ;;
	*) break ;;
	esac
done
[[ -z "$timeout_s" || "$timeout_s" =~ ^[0-9]+$ && "$timeout_s" -gt 0 ]] ||
	{ echo "vm: bad timeout: $timeout_s" >&2; usage; }
if [ $interactive = 1 ]; then
	[ $# -eq 0 ] || { echo "vm: -i takes no command" >&2; usage; }
else
	[ $# -gt 0 ] || usage
	timeout_s=${timeout_s:-1800}
fi

# The kernel and its build dir (for modules).
kdir=$KOUT
if [ -n "$bzimage" ]; then
	[ -f "$bzimage" ] || die "vm: no kernel image $bzimage"
	bzimage=$(realpath "$bzimage")
	case "$bzimage" in
	*/arch/x86/boot/bzImage) kdir=${bzimage%/arch/x86/boot/bzImage} ;;
	esac
else
	bzimage=$KOUT/arch/x86/boot/bzImage
	[ -f "$bzimage" ] || die "vm: no kernel at $bzimage: run 'make kernel'"
fi
command -v qemu-system-x86_64 >/dev/null || die "vm: qemu-system-x86_64 not installed (make deps)"
case "$TOP$PWD" in
*[[:space:],]*) die "vm: paths with whitespace or commas are not supported ($TOP, $PWD)" ;;
esac
# guest/init.sh mounts a tmpfs on these, which hides a path below one.
for p in "$TOP" "$PWD"; do
	case "$p/" in
	/tmp/*|/var/tmp/*|/run/*|/root/*|/var/log/*)
		die "vm: $p is hidden in the guest, which mounts a tmpfs on /tmp, /var/tmp, /run, /root and /var/log: use a checkout elsewhere" ;;
	esac
done

mkdir -p "$BUILD/vm"
share=$(mktemp -d "$BUILD/vm/run.XXXXXX")
cleanup() { rm -rf "$share"; }
trap cleanup EXIT

# What the guest's init needs: sourced by guest/init.sh.
veth=
[ -f "$kdir/drivers/net/veth.ko" ] && veth=$kdir/drivers/net/veth.ko
{
	printf 'VM_TOP=%q\n' "$TOP"
	printf 'VM_KDIR=%q\n' "$kdir"
	printf 'VM_VETH=%q\n' "$veth"
	printf 'VM_CWD=%q\n' "$PWD"
	printf 'VM_INTERACTIVE=%q\n' "$interactive"
	if [ $interactive = 1 ]; then
		printf 'VM_TERM=%q\n' "${TERM:-vt100}"
		if [ -t 0 ] && size=$(stty size 2>/dev/null) && [ "${size% *}" -gt 0 ]; then
			printf 'VM_ROWS=%q\nVM_COLS=%q\n' "${size% *}" "${size#* }"
		fi
	fi
} > "$share/env"
if [ $interactive = 0 ]; then
	printf '%q ' "$@" > "$share/cmd"
	echo >> "$share/cmd"
elif ! [ -t 0 ]; then
	# Not a terminal (echo CMDS | vm.sh -i): typeahead sent to the serial
	# port during the boot gets lost, so the shell reads all of it from a file.
	cat > "$share/input"
fi

console=$share/console.txt
append="console=ttyS0 loglevel=4 panic=-1 root=/dev/root rootfstype=9p"
append+=" rootflags=trans=virtio,version=9p2000.L,msize=512000 ro"
append+=" init=$TOP/guest/init.sh VM_SHARE=$share ${VM_APPEND:-}"

case ${VM_TCG_THREAD:=multi} in
single|multi) ;;
*) die "vm: VM_TCG_THREAD is single or multi, not '$VM_TCG_THREAD'" ;;
esac
qemu=(qemu-system-x86_64 -accel "tcg,thread=$VM_TCG_THREAD" -cpu max -smp "${VM_SMP:-2}" -m "${VM_MEM:-2G}"
	-nodefaults -display none -no-reboot
	-kernel "$bzimage" -append "$append"
	-fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap
	-device virtio-9p-pci,fsdev=root,mount_tag=/dev/root
	-fsdev "local,id=share,path=$share,security_model=none"
	-device virtio-9p-pci,fsdev=share,mount_tag=vmshare)

rc=0
start=$(date +%s)
if [ $interactive = 1 ]; then
	# Serial multiplexed with the QEMU monitor: Ctrl-A X quits, Ctrl-A C
	# switches to the monitor; Ctrl-C goes to the guest.
	qemu+=(-chardev "stdio,id=c0,mux=on,signal=off,logfile=$console"
		-serial chardev:c0 -mon chardev=c0,mode=readline)
	echo "vm: booting $(basename "$bzimage") from $kdir; type 'exit' or press Ctrl-D to power off (Ctrl-A X kills QEMU)" >&2
	[ -t 0 ] || exec </dev/null
	if [ -n "$timeout_s" ]; then
		timeout --foreground -k 10 "$timeout_s" "${qemu[@]}" || rc=$?
	else
		"${qemu[@]}" || rc=$?
	fi
	# QEMU may leave the terminal raw if killed.
	if [ -t 0 ]; then stty sane 2>/dev/null || true; fi
else
	qemu+=(-chardev "stdio,id=c0,signal=off,logfile=$console" -serial chardev:c0)
	# In the background so that a signal to this script stops QEMU at once
	# (timeout passes it on).
	timeout --foreground -k 10 "$timeout_s" "${qemu[@]}" </dev/null &
	qpid=$!
	for sig in INT TERM HUP; do
		# shellcheck disable=SC2064
		trap "kill -$sig $qpid 2>/dev/null; wait $qpid; exit $((128 + $(kill -l $sig)))" $sig
	done
	wait $qpid || rc=$?
fi
elapsed=$(($(date +%s) - start))

# Keep the last run's logs (atomically: runs may overlap).
for f in console dmesg; do
	src=$share/$f.txt
	if [ -f "$src" ]; then
		cp "$src" "$BUILD/vm/.last-$f.$$" && mv -f "$BUILD/vm/.last-$f.$$" "$BUILD/vm/last-$f.txt"
	else
		rm -f "$BUILD/vm/last-$f.txt"
	fi
done

if [ ! -f "$share/status" ] && [ $interactive = 1 ] && [ $rc = 0 ] &&
	! grep -qE 'Kernel panic|Oops|BUG:' "$console" 2>/dev/null; then
	echo "vm: QEMU quit before the guest powered off" >&2
	exit 1
fi
if [ ! -f "$share/status" ]; then
	if [ $rc = 124 ] || [ $rc = 137 ]; then
		why="vm: guest timed out after $timeout_s s"
	else
		why="vm: guest did not finish (panic or timeout) after $elapsed s (qemu exit $rc)"
	fi
	{
		echo "$why"
		if [ -s "$console" ]; then
			echo "vm: last console lines ($BUILD/vm/last-console.txt):"
			tail -n 30 "$console" | tr -d '\r' | sed 's/^/  | /'
			if grep -qE 'Kernel panic|Oops|BUG:' "$console"; then
				echo "vm: kernel panic:"
				tr -d '\r' < "$console" |
					grep -E 'Kernel panic|Oops|BUG:|kernel BUG|RIP:|Comm:' |
					head -n 10 | sed 's/^/  | /'
			fi
			echo "$why"
		fi
	} >&2
	exit 1
fi
[ $rc = 0 ] || echo "vm: warning: qemu exited with status $rc" >&2
status=$(cat "$share/status")
[[ "$status" =~ ^[0-9]+$ ]] || die "vm: bad guest exit status '$status'"

if [ -f "$share/dmesg.txt" ]; then
	if ! splats=$("$SCRIPTS/splat-scan.sh" "$share/dmesg.txt"); then
		{
			echo "vm: kernel splat in dmesg ($BUILD/vm/last-dmesg.txt):"
			printf '%s\n' "$splats" | sed 's/^/  | /'
			echo "vm: kernel splat in dmesg (guest command exit status $status)"
		} >&2
		exit 1
	fi
else
	echo "vm: warning: guest saved no dmesg" >&2
fi
exit "$status"
