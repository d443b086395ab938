#!/bin/bash
# PID 1 of the QEMU guest started by scripts/vm-qemu.sh (make stress's debug
# kernel); the root is the host's / (read-only 9p). Mounts the usual filesystems, loads veth, runs the command
# that vm.sh put in the results share (VM_SHARE= on the kernel command line:
# files env, cmd), writes the dmesg and the exit status (dmesg.txt, status)
# there and powers off. No `set -e`: PID 1 must not exit.
# Every exec costs ~0.1 s under TCG (binaries and libraries come over 9p):
# keep them few.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# VM_APPEND=VM_TRACE=1 scripts/vm-qemu.sh ...: trace this script with timestamps.
if [ -n "${VM_TRACE:-}" ]; then PS4='+ ${EPOCHREALTIME} '; set -x; fi

log() { echo "vm-init: $*" >&2; }

poweroff_now() {
	sync
	echo o > /proc/sysrq-trigger
	sleep 10
	poweroff -f -f
	sleep 10
	# Last resort: exiting PID 1 panics, and panic=-1 -no-reboot stops QEMU.
	exit 1
}

# /proc first, unconditionally: until it is ours, mount(8) would read the
# host's mountinfo through the 9p root.
mount -t proc -o nosuid,nodev,noexec proc /proc || log "mount proc failed"
if [ -z "${VM_SHARE:-}" ]; then
	read -r cmdline < /proc/cmdline
	for w in $cmdline; do
		case "$w" in VM_SHARE=*) VM_SHARE=${w#VM_SHARE=} ;; esac
	done
fi
[ -n "${VM_SHARE:-}" ] || { log "no VM_SHARE= on the kernel command line"; poweroff_now; }

# All the other mounts in one exec. libmount wants the fstab in a regular
# file: devtmpfs is already on /dev (CONFIG_DEVTMPFS_MOUNT), and writable.
# The results share goes on its host path, which exists on the root.
fstab=/dev/.vm-fstab
IFS= read -r -d '' fstab_text <<-EOF
	sysfs    /sys                sysfs    nosuid,nodev,noexec
	devtmpfs /dev                devtmpfs mode=0755,nosuid
	devpts   /dev/pts            devpts   X-mount.mkdir,gid=5,mode=620,ptmxmode=666
	tmpfs    /dev/shm            tmpfs    X-mount.mkdir,mode=1777,nosuid,nodev
	tmpfs    /run                tmpfs    mode=0755,nosuid,nodev
	tmpfs    /tmp                tmpfs    mode=1777,nosuid,nodev
	tmpfs    /var/tmp            tmpfs    mode=1777,nosuid,nodev
	tmpfs    /var/log            tmpfs    mode=0755,nosuid,nodev
	tmpfs    /root               tmpfs    mode=0700
	cgroup2  /sys/fs/cgroup      cgroup2  nsdelegate
	bpf      /sys/fs/bpf         bpf      mode=0700
	debugfs  /sys/kernel/debug   debugfs  defaults
	tracefs  /sys/kernel/tracing tracefs  defaults
	vmshare  $VM_SHARE 9p trans=virtio,version=9p2000.L,msize=512000
	EOF
if ! echo "$fstab_text" 2>/dev/null > $fstab; then
	mount -t devtmpfs -o mode=0755,nosuid devtmpfs /dev
	echo "$fstab_text" > $fstab
fi
mount -a -T $fstab || log "some mounts failed"
if ! : 2>/dev/null > "$VM_SHARE/booted"; then
	log "cannot mount the results share on $VM_SHARE"
	poweroff_now
fi
for l in fd:/proc/self/fd stdin:/proc/self/fd/0 stdout:/proc/self/fd/1 stderr:/proc/self/fd/2; do
	[ -e "/dev/${l%%:*}" ] || ln -s "${l#*:}" "/dev/${l%%:*}"
done

# VM_TOP VM_VETH VM_CWD
# shellcheck source=/dev/null
. "$VM_SHARE/env"
share=$VM_SHARE
unset VM_SHARE

finish() { # finish STATUS
	dmesg > "$share/dmesg.txt" 2>&1
	echo "$1" > "$share/status"
	poweroff_now
}

echo "4 4 1 7" > /proc/sys/kernel/printk
echo 0 > /proc/sys/kernel/panic_on_oops
echo vm > /proc/sys/kernel/hostname

[ -d "$VM_TOP/build/bin" ] && PATH=$VM_TOP/build/bin:$PATH
export PATH HOME=/root TMPDIR=/tmp LANG=C.UTF-8

ip link set lo up || log "ip link set lo up failed"

if [ -n "${VM_VETH:-}" ]; then
	if ! out=$(insmod "$VM_VETH" 2>&1); then
		log "insmod $VM_VETH failed: $out"
		finish 1
	fi
fi

cd "$VM_CWD" || { log "cannot cd to $VM_CWD"; finish 1; }

export TERM=dumb
# No "\r\n" in the command's output: the caller parses it.
stty -onlcr < /dev/console
# In a subshell of this shell (saves an exec), without init's functions.
(
	set +x
	unset -f log poweroff_now finish
	# shellcheck source=/dev/null
	. "$share/cmd"
) < /dev/null
rc=$?
finish $rc
