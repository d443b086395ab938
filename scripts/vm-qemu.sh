#!/bin/bash
# Boot a kernel in QEMU (TCG) without virtme-ng and run one command in it:
# what 'make stress' uses for the debug kernel. vng's init (udev coldplug,
# overlays, about a hundred execs) takes over half an hour on a KASAN +
# lockdep kernel under TCG before the command starts; guest/init.sh mounts
# everything in one exec. Everything else boots through scripts/vm.sh (vng).
#
# Usage: scripts/vm-qemu.sh [-t TIMEOUT_SECONDS] -k BZIMAGE [--] CMD [ARGS...]
#
# The root is the host's / (read-only 9p); the command runs as root in the
# caller's cwd with $TOP/build/bin first in PATH; its output streams to
# stdout (the serial console). Exit status: the command's, or 1 if the guest
# did not finish (panic, timeout) or the kernel logged a splat
# (scripts/splat-scan.sh). The last run's dmesg and console are kept in
# build/vm/last-dmesg.txt and build/vm/last-console.txt.
# Environment: VM_MEM (2G), VM_SMP (2), VM_APPEND (extra kernel command
# line; VM_APPEND=VM_TRACE=1 traces guest/init.sh), VM_TCG_THREAD (multi:
# one host thread per vCPU; single, the default here: the vCPUs take turns).
# shellcheck disable=SC2054  # commas in QEMU options
set -euo pipefail
. "$(dirname "$0")/common.sh"

usage() {
	echo "usage: $0 [-t TIMEOUT_SECONDS] -k BZIMAGE [--] CMD [ARGS...]" >&2
	exit 2
}

timeout_s=1800
bzimage=
while [ $# -gt 0 ]; do
	case "$1" in
	-t) [ $# -ge 2 ] || usage; timeout_s=$2; shift 2 ;;
	-k) [ $# -ge 2 ] || usage; bzimage=$2; shift 2 ;;
	-h|--help) usage ;;
	--) shift; break ;;
	-*) echo "vm-qemu: unknown option: $1" >&2; usage ;;
	*) break ;;
	esac
done
[[ "$timeout_s" =~ ^[0-9]+$ && "$timeout_s" -gt 0 ]] ||
	{ echo "vm-qemu: bad timeout: $timeout_s" >&2; usage; }
if [ $# = 0 ] || [ -z "$bzimage" ]; then usage; fi
[ -f "$bzimage" ] || die "vm-qemu: no kernel image $bzimage"
bzimage=$(realpath "$bzimage")
kdir=${bzimage%/arch/x86/boot/bzImage}
case ${VM_TCG_THREAD:=single} in
single|multi) ;;
*) die "vm-qemu: VM_TCG_THREAD is single or multi, not '$VM_TCG_THREAD'" ;;
esac
command -v qemu-system-x86_64 >/dev/null || die "vm-qemu: qemu-system-x86_64 not installed (make deps)"
case "$TOP$PWD" in
*[[:space:],]*) die "vm-qemu: paths with whitespace or commas are not supported ($TOP, $PWD)" ;;
esac
# guest/init.sh mounts a tmpfs on these, which hides a path below one.
for p in "$TOP" "$PWD"; do
	case "$p/" in
	/tmp/*|/var/tmp/*|/run/*|/root/*|/var/log/*)
		die "vm-qemu: $p is hidden in the guest, which mounts a tmpfs on /tmp, /var/tmp, /run, /root and /var/log: use a checkout elsewhere" ;;
	esac
done

mkdir -p "$BUILD/vm"
share=$(mktemp -d "$BUILD/vm/run.XXXXXX")
trap 'rm -rf "$share"' EXIT

# What guest/init.sh needs: the environment, sourced, and the command.
veth=
[ -f "$kdir/drivers/net/veth.ko" ] && veth=$kdir/drivers/net/veth.ko
printf 'VM_TOP=%q\nVM_VETH=%q\nVM_CWD=%q\n' "$TOP" "$veth" "$PWD" > "$share/env"
printf '%q ' "$@" > "$share/cmd"
echo >> "$share/cmd"

console=$share/console.txt
append="console=ttyS0 loglevel=4 panic=-1 root=/dev/root rootfstype=9p"
# cache=loose: the guest caches the read-only root's lookups, attributes
# and pages. Without it every exec walks its binary, libraries and (for
# python) each module over 9p: on the debug kernel under TCG, python3 -c
# pass took 27 s and `ip link show` 6.8 s; with it, 3.6 s and 1.4 s. The
# host must not change files the guest uses while it runs (it would not
# see the change); the results share is mounted without a cache.
append+=" rootflags=trans=virtio,version=9p2000.L,msize=512000,cache=loose ro"
append+=" init=$TOP/guest/init.sh VM_SHARE=$share ${VM_APPEND:-}"
qemu=(qemu-system-x86_64 -accel "tcg,thread=$VM_TCG_THREAD" -cpu max -smp "${VM_SMP:-2}" -m "${VM_MEM:-2G}"
	-nodefaults -display none -no-reboot
	-kernel "$bzimage" -append "$append"
	-fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap
	-device virtio-9p-pci,fsdev=root,mount_tag=/dev/root
	-fsdev "local,id=share,path=$share,security_model=none"
	-device virtio-9p-pci,fsdev=share,mount_tag=vmshare
	-chardev "stdio,id=c0,signal=off,logfile=$console" -serial chardev:c0)

rc=0
start=$(date +%s)
# In the background so that a signal to this script stops QEMU at once
# (timeout passes it on).
timeout --foreground -k 10 "$timeout_s" "${qemu[@]}" </dev/null &
qpid=$!
for sig in INT TERM HUP; do
	# shellcheck disable=SC2064
	trap "kill -$sig $qpid 2>/dev/null; wait $qpid; exit $((128 + $(kill -l $sig)))" $sig
done
wait $qpid || rc=$?
elapsed=$(($(date +%s) - start))

[ $rc = 0 ] || [ ! -f "$share/status" ] || echo "vm-qemu: warning: qemu exited with status $rc" >&2
status=0
"$SCRIPTS/vm-result.sh" vm-qemu "$share" "$rc" "$timeout_s" "$elapsed" || status=$?
exit $status
