#!/bin/bash
# make bench: veth bpf-xmit against veth today, netkit and the host itself,
# on the patched kernel, in one VM boot, interleaved runs, medians, ratios.
#
# Usage: bench/run.sh [--reps N] [--secs S] [--scenarios a,b,...]
#                     [--metrics udp1,udp2,tcp,rr,softirq] [--clock icount|host]
#                     [--smoke] [--profile]
#
# Scenarios (one pod-side path each; the uplink, a veth into a "remote"
# netns with the receivers, is the same in a to d):
#   a  the host sends straight to the uplink (the limit)
#   b  pod -> veth -> tcx ingress program on the host side redirects to the
#      uplink, bpf-xmit off (veth today)
#   c  the same with bpf-xmit on
#   d  pod -> netkit, the same program as netkit peer program
#   e  overhead: pod -> veth -> host netns receiver, no program,
#      bpf-xmit off (e_off) and on (e_on)
#   p  pod to pod: pod A -> veth -> tcx ingress program on the host side
#      bpf_redirect_peer()s to pod B's veth -> pod B (replies the same way
#      back), bpf-xmit off (p_off) and on (p_on, both pairs); and netkit's
#      closest equivalent (p_nk): pod A's netkit peer program bpf_redirect()s
#      to pod B's netkit primary, whose xmit delivers to pod B
# Metrics: udp1, udp2 (UDP pps, 32-byte datagrams, 1 and 2 flows), tcp
# (iperf3 Mbit/s), rr (UDP ping-pong p50/p99 us), softirq (NET_RX softirqs
# and receive-path passes per packet, from the udp1 run).
#
# Clock: under TCG the guest's clock is the host's, and other work on the
# host (2 cores) swings rates by +-50% from run to run. --clock icount (the
# default) makes QEMU count guest time in instructions instead (-icount
# shift=2,sleep=off: 4 ns per instruction executed on either vCPU, idle
# time skipped): a rate is then packets per instruction budget, the inverse
# of the per-packet CPU cost in the emulated machine, repeatable to ~1%, and
# blind to caches, memory and true parallelism (the vCPUs take turns).
# scripts/vm.sh passes them to QEMU through vng (VM_QEMU_OPTS). --clock
# host: plain TCG.
#
# --profile: instead of rates, the exact number of instructions each kernel
# function runs per packet in udp1 runs (default: scenarios c,d, 1
# repetition of 4 s), counted by a QEMU plugin (bench/tbcount.c, built
# against qemu-plugin.h from the Debian source package of the installed
# QEMU) and written to bench/results/profile.md by bench/profile.py. perf
# is no help here: in a TCG guest it can only sample on a timer, and QEMU
# ends its translated blocks where the timer lands, which skews it.
#
# Builds the tools into build/bench/, boots scripts/vm.sh once with
# bench/guest.sh, and writes bench/results/latest.{md,json,png,log}
# (--smoke: build/bench/results/smoke.*). Exit status: 0, 1 on failure, 2 on bad
# usage.
set -euo pipefail
. "$(dirname "$0")/../scripts/common.sh"

ALL_SCENARIOS=(a b c d e p)
ALL_METRICS=(udp1 udp2 tcp rr softirq)

usage() {
	sed -n '/^# Usage:/,/^#$/s/^# \?//p' "$0" >&2
	echo "scenarios: ${ALL_SCENARIOS[*]}; metrics: ${ALL_METRICS[*]}" >&2
	exit "${1:-2}"
}

# check_list WHAT LIST VALID...: every name of the comma-separated LIST is valid
check_list() {
	local what=$1 list=$2 name
	shift 2
	[ -n "$list" ] || { echo "bench: empty $what list; valid: $*" >&2; exit 2; }
	IFS=, read -ra names <<< "$list"
	for name in "${names[@]}"; do
		[[ " $* " == *" $name "* ]] && continue
		echo "bench: unknown $what '$name'; valid: $*" >&2
		exit 2
	done
}

reps='' secs='' scenarios='' metrics='' smoke=0 profile=0
clock=icount icount=2
while [ $# -gt 0 ]; do
	case $1 in
	--reps|--secs|--scenarios|--metrics|--clock)
		[ $# -ge 2 ] || { echo "bench: $1 needs a value" >&2; usage; }
		declare "${1#--}=$2"
		shift 2 ;;
	--reps=*|--secs=*|--scenarios=*|--metrics=*|--clock=*)
		v=${1#--}; declare "${v%%=*}=${v#*=}"
		shift ;;
	--smoke) smoke=1; shift ;;
	--profile) profile=1; shift ;;
	-h|--help) usage 0 ;;
	*) echo "bench: unknown argument '$1'" >&2; usage ;;
	esac
done
warmup=1
if [ $smoke = 1 ]; then reps=1 secs=1 warmup=0; fi
if [ $profile = 1 ]; then
	[ -z "$metrics" ] || [ "$metrics" = udp1 ] ||
		{ echo "bench: --profile counts udp1 runs only" >&2; exit 2; }
	[ $smoke = 0 ] || { echo "bench: --profile and --smoke do not mix" >&2; exit 2; }
	: "${reps:=1}" "${secs:=4}" "${scenarios:=c,d}"
	metrics=udp1 warmup=0
fi
: "${reps:=5}" "${secs:=2}" "${scenarios:=a,b,c,d,e,p}" "${metrics:=udp1,udp2,tcp,rr,softirq}"
[[ "$reps" =~ ^[1-9][0-9]?$ ]] || { echo "bench: --reps takes 1..99" >&2; exit 2; }
[[ "$secs" =~ ^[1-9][0-9]?$ ]] || { echo "bench: --secs takes 1..99 (whole seconds)" >&2; exit 2; }
[[ "$clock" =~ ^(icount|host)$ ]] || { echo "bench: --clock takes icount or host" >&2; exit 2; }
check_list scenario "$scenarios" "${ALL_SCENARIOS[@]}"
check_list metric "$metrics" "${ALL_METRICS[@]}"

# What the run needs on the host (the guest runs the host's binaries).
missing=()
for c in clang gcc gnuplot iperf3 ethtool nsenter taskset timeout file modinfo qemu-system-x86_64; do
	command -v $c > /dev/null || missing+=("$c")
done
/usr/bin/python3 -c 'import yaml' 2> /dev/null || missing+=(python3-yaml)
[ ${#missing[@]} = 0 ] ||
	die "bench: missing ${missing[*]} (make deps; Debian packages clang gnuplot-nox iperf3 ethtool util-linux file kmod python3-yaml qemu-system-x86)"
libbpf=$BUILD/tools/bpftool/libbpf
for f in "$KOUT/arch/x86/boot/bzImage" "$KOUT/drivers/net/veth.ko" "$BUILD/bin/ip" \
	"$libbpf/libbpf.a" "$BUILD/linux/tools/net/ynl/pyynl/cli.py"; do
	[ -e "$f" ] || die "bench: $f missing (make build)"
done

step "bench: build tools into build/bench"
out=$BUILD/bench
mkdir -p "$out"
uapi=$BUILD/linux/tools/include/uapi
clang -O2 -g -Wall -target bpf -I "$libbpf/include" -I "$uapi" \
	-idirafter /usr/include/x86_64-linux-gnu \
	-c "$TOP/bench/redir.bpf.c" -o "$out/redir.bpf.o"
gcc -O2 -Wall -I "$libbpf/include" -I "$uapi" "$TOP/bench/load.c" \
	"$libbpf/libbpf.a" -lelf -lz -o "$out/load"
gcc -O2 -Wall -pthread "$TOP/bench/udp.c" -o "$out/udp"
gcc -O2 -Wall "$TOP/bench/rr.c" -o "$out/rr"

# A copy of the kernel and veth.ko to boot: build/kernel may be rebuilt
# while this runs. They must be from the same build.
kcopy=$out/kernel
mkdir -p "$kcopy/arch/x86/boot" "$kcopy/drivers/net"
cp "$KOUT/arch/x86/boot/bzImage" "$kcopy/arch/x86/boot/bzImage"
cp "$KOUT/drivers/net/veth.ko" "$kcopy/drivers/net/veth.ko"
cp "$KOUT/System.map" "$kcopy/System.map"
kver=$(file -b "$kcopy/arch/x86/boot/bzImage" | sed -n 's/.*, version \([^ ]*\) .*/\1/p')
mver=$(modinfo -F vermagic "$kcopy/drivers/net/veth.ko" | cut -d' ' -f1)
[ -n "$kver" ] && [ "$kver" = "$mver" ] || # bzImage/veth.ko from two builds
	die "bench: bzImage ($kver) and veth.ko ($mver) are from different builds: is build/kernel being rebuilt? Try again."

if [ $profile = 1 ]; then
	plugin=$("$TOP/bench/build-tbcount.sh" "$out")
	mark=$(awk '$3 == "__x64_sys_sync" { print $1 }' "$kcopy/System.map")
	[ -n "$mark" ] || die "bench: no __x64_sys_sync in System.map"
	snaps=$out/profile
	rm -rf "$snaps"
	mkdir -p "$snaps"
	# One TCG thread (the plugin's counters are plain adds); no KASLR, so
	# that System.map holds.
	export VM_QEMU_OPTS="-plugin $plugin,mark=$mark,out=$snaps/snap" VM_TCG_THREAD=single \
		VM_APPEND="nokaslr ${VM_APPEND:-}"
elif [ "$clock" = icount ]; then
	export VM_QEMU_OPTS="-icount shift=$icount,sleep=off" VM_TCG_THREAD=single	# icount needs it
	clockdesc="icount (-icount shift=$icount,sleep=off: guest time counts instructions)"
else
	clockdesc="host (TCG, the guest's clock is the host's)"
fi

name=latest
results=$TOP/bench/results
[ $profile = 1 ] && name=profile
# The smoke only proves the benchmark still runs: keep its output in build/
[ $smoke = 1 ] && name=smoke results=$BUILD/bench/results
mkdir -p "$results"
log=$out/$name.log

# A generous bound for the guest: runs take about SECS (in guest time) plus
# a few seconds of process start-up under TCG.
nvar=0 nruns=0
for s in a b c d e p; do [[ ,$scenarios, == *,$s,* ]] && nvar=$((nvar + 1)); done
[[ ,$scenarios, == *,e,* ]] && nvar=$((nvar + 1))
[[ ,$scenarios, == *,p,* ]] && nvar=$((nvar + 2))
for m in udp1 udp2 tcp rr; do [[ ,$metrics, == *,$m,* ]] && nruns=$((nruns + 1)); done
[[ ,$metrics, == *,softirq,* && ,$metrics, != *,udp1,* ]] && nruns=$((nruns + 1))
timeout_s=$((180 + nvar * 15 + reps * nvar * nruns * (secs + 12)))
# The counting plugin slows the guest several times over, more on a busy host
[ $profile = 0 ] || timeout_s=$((timeout_s * 4))

[ $profile = 1 ] && clock=profile
step "bench: kernel $kver, $reps x {$scenarios} x {$metrics}, $secs s per run, clock $clock (guest timeout $timeout_s s)"
load0=$(cut -d' ' -f1-3 /proc/loadavg)
t0=$(date +%s)
rc=0
(cd "$TOP" && "$SCRIPTS/vm.sh" -t "$timeout_s" -k "$kcopy/arch/x86/boot/bzImage" -- bench/guest.sh "$out" "$reps" "$secs" \
	"$scenarios" "$metrics" "$warmup" "$profile") 2>&1 | tr -d '\r' | tee "$log" |
	grep --line-buffered -E '^(bench:|@!|vm:|error)' || rc=${PIPESTATUS[0]}
wall=$(($(date +%s) - t0))
load1=$(cut -d' ' -f1-3 /proc/loadavg)
[ "$rc" = 0 ] || die "bench: the guest failed (status $rc) after $wall s; console log: $log"

step "bench: report ($wall s in the VM)"
if [ $profile = 1 ]; then
	/usr/bin/python3 "$TOP/bench/profile.py" --map "$kcopy/System.map" --log "$log" \
		--snaps "$snaps/snap" --out "$results/profile.md"
	echo "bench: wrote $results/profile.md"
	exit 0
fi
grep -E '^@[@#!]' "$log" > "$results/$name.log"
/usr/bin/python3 "$TOP/bench/report.py" --log "$results/$name.log" --out "$results/$name" \
	--reps "$reps" --secs "$secs" --wall "$wall" --load "$load0 -> $load1" \
	--scenarios "$scenarios" --metrics "$metrics" --clock "$clockdesc"
echo "bench: wrote $results/$name.{md,json,png,log}"
