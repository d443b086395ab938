#!/bin/bash
# Boot the guest kernel with virtme-ng (vng: the host's / as a read-only
# root, under TCG) and run one command in it, or an interactive shell (-i).
#
# Usage: scripts/vm.sh [-i] [-t TIMEOUT_SECONDS] [-k BZIMAGE] [--] CMD [ARGS...]
#
# The command runs as root in the caller's cwd through guest/vm-run.sh
# (bpffs, veth.ko, $TOP/build/bin first in PATH); its output (stderr merged)
# streams to stdout. What vng does not do stays here: a timeout, the choice
# of TCG threads, extra QEMU options, and the splat scan of the guest's
# dmesg (scripts/splat-scan.sh). Exit status: the command's, or 1 if the
# guest did not finish (panic, timeout) or the kernel logged a splat. The
# last run's dmesg and kernel console are kept in build/vm/last-dmesg.txt
# and build/vm/last-console.txt; the vng command line in build/vm/last-vng.txt.
# Environment: KOUT (kernel build dir, for bzImage and veth.ko), VM_MEM (2G),
# VM_SMP (2), VM_APPEND (extra kernel command line), VM_TCG_THREAD (multi,
# the default: one host thread per vCPU; single: the vCPUs take turns on
# one thread), VM_QEMU_OPTS (extra QEMU options, e.g. -icount).
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
case ${VM_TCG_THREAD:=multi} in
single|multi) ;;
*) die "vm: VM_TCG_THREAD is single or multi, not '$VM_TCG_THREAD'" ;;
esac

# The kernel: a build dir (vng finds its modules) or a bare image.
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
run=$bzimage
[ -f "$kdir/.config" ] && [ -f "$kdir/modules.order" ] && run=$kdir
veth=
[ -f "$kdir/drivers/net/veth.ko" ] && veth=$kdir/drivers/net/veth.ko
command -v vng >/dev/null || die "vm: vng (virtme-ng) not installed (make deps)"
command -v qemu-system-x86_64 >/dev/null || die "vm: qemu-system-x86_64 not installed (make deps)"
case "$TOP$PWD$veth" in
*[[:space:]]*) die "vm: paths with whitespace are not supported ($TOP, $PWD)" ;;
esac
# The guest mounts a tmpfs on these, which hides a path below one.
for p in "$TOP" "$PWD"; do
	case "$p/" in
	/var/tmp/*|/run/*|/root/*|/var/log/*|/var/cache/*)
		die "vm: $p is hidden in the guest, which mounts a tmpfs on /var/tmp, /run, /root, /var/log and /var/cache: use a checkout elsewhere" ;;
	esac
done

mkdir -p "$BUILD/vm"
share=$(mktemp -d "$BUILD/vm/run.XXXXXX")
trap 'rm -rf "$share"' EXIT
console=$share/console.txt

vng=(vng --run "$run" --disable-kvm --cpus "${VM_SMP:-2}" --memory "${VM_MEM:-2G}"
	--rwdir "$share" --cwd "$PWD" --name vm
	--qemu-opts="-accel tcg,thread=$VM_TCG_THREAD ${VM_QEMU_OPTS:-}"
	--append="VM_SHARE=$share${veth:+ VM_VETH=$veth} ${VM_APPEND:-}")
if [ $interactive = 1 ]; then
	vng+=(--shell "$TOP/guest/vm-run.sh")
else
	# -v: the kernel console (loglevel 4) on vng's stderr
	vng+=(-v --append=loglevel=4 --exec "$(printf '%q ' "$TOP/guest/vm-run.sh" "$@")")
fi
printf '%q ' "${vng[@]}" > "$BUILD/vm/last-vng.txt"
echo >> "$BUILD/vm/last-vng.txt"

rc=0
start=$(date +%s)
if [ $interactive = 1 ]; then
	echo "vm: booting $(basename "$bzimage") from $kdir with vng; type 'exit' or press Ctrl-D to power off (Ctrl-A X kills QEMU)" >&2
	if ! [ -t 0 ]; then
		# Not a terminal (echo CMDS | vm.sh -i): typeahead sent to the
		# console during the boot gets lost, so the shell reads it from a file.
		cat > "$share/input"
		exec </dev/null
	fi
	if [ -n "$timeout_s" ]; then
		timeout --foreground -k 10 "$timeout_s" "${vng[@]}" || rc=$?
	else
		"${vng[@]}" || rc=$?
	fi
	if [ -t 0 ]; then stty sane 2>/dev/null || true; fi
else
	# QEMU opens its stdout and stderr chardevs once each: through pipes,
	# not files, so that their writes append instead of overwriting each
	# other. timeout runs vng in a process group of its own and stops all
	# of it; a signal to this script goes to timeout, which passes it on.
	{
		timeout -k 10 "$timeout_s" "${vng[@]}" </dev/null 2> >(cat > "$console") &
		echo $! > "$share/timeout.pid"
		wait $!
		echo $? > "$share/vng.rc"
	} | cat &
	pipe=$!
	for sig in INT TERM HUP; do
		# shellcheck disable=SC2064
		trap "kill -$sig \$(cat '$share/timeout.pid') 2>/dev/null; wait $pipe; exit $((128 + $(kill -l $sig)))" $sig
	done
	wait $pipe || true
	rc=$(cat "$share/vng.rc" 2>/dev/null || echo 1)
fi
elapsed=$(($(date +%s) - start))

status=0
"$SCRIPTS/vm-result.sh" vm "$share" "$rc" "$timeout_s" "$elapsed" || status=$?
exit $status
