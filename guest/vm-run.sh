#!/bin/bash
# Run by scripts/vm.sh inside virtme-ng's guest (vng --exec, or as the
# shell of vng's interactive session): what vng's own init does not do.
# Mounts bpffs and a private /root, loads the veth.ko that came with the
# kernel, puts build/bin first in PATH, then runs CMD (stderr merged into
# stdout; vng's stderr carries the kernel console) or, without CMD, an
# interactive shell. It saves the dmesg and CMD's exit status in the
# results directory (VM_SHARE= on the kernel command line) for vm.sh's
# splat scan.
# Usage: guest/vm-run.sh [CMD [ARGS...]]
top=$(cd "$(dirname "$0")/.." && pwd)
share="" veth=""
read -r -a words < /proc/cmdline
for w in "${words[@]}"; do
	case "$w" in
	VM_SHARE=*) share=${w#VM_SHARE=} ;;
	VM_VETH=*) veth=${w#VM_VETH=} ;;
	esac
done
[ -d "$share" ] || { echo "vm-run: no results directory (VM_SHARE=)" >&2; exit 1; }

mountpoint -q /sys/fs/bpf || mount -t bpf -o mode=0700 bpf /sys/fs/bpf
mountpoint -q /root || mount -t tmpfs -o mode=0700 tmpfs /root
echo "4 4 1 7" > /proc/sys/kernel/printk
if [ -n "$veth" ] && [ ! -d /sys/module/veth ] && ! insmod "$veth"; then
	echo "vm-run: insmod $veth failed (is it from this kernel's build?)" >&2
	dmesg > "$share/dmesg.txt"
	echo 1 > "$share/status"
	exit 1
fi
export PATH=$top/build/bin:$PATH HOME=/root TMPDIR=/tmp LANG=C.UTF-8

if [ $# = 0 ]; then
	echo "vm: Linux $(uname -r), PATH=$PATH"
	if [ -f "$share/input" ]; then
		bash -i < "$share/input"	# vm.sh's stdin was not a terminal
	else
		bash -i
	fi
	rc=$?
else
	export TERM=dumb
	"$@" < /dev/null 2>&1
	rc=$?
fi
dmesg > "$share/dmesg.txt"
echo "$rc" > "$share/status"
exit "$rc"
