#!/bin/bash
# The guest half of `make bench`: bench/run.sh boots the VM (scripts/vm.sh)
# with this script. It builds the topology once, then measures every
# selected metric on every selected scenario, interleaved (for each
# repetition, for each metric: a, b, c, d, e_off, e_on, p_off, p_on, p_nk),
# and prints one line per result on stdout, which run.sh parses:
#   @@ REP SCENARIO METRIC VALUE      a result
#   @# ...                            details for the report
#   @! ...                            a run or step that failed
#
# Usage: bench/guest.sh BINDIR REPS SECS SCENARIOS METRICS WARMUP [PROFILE]
#   SCENARIOS, METRICS: comma-separated (validated by run.sh). WARMUP: the
#   seconds of one udp1 run per scenario first (repetition 0: details, not
#   results), 0 for none. PROFILE=1 (run.sh --profile): call sync(2), the
#   instruction counter's mark (bench/tbcount.c), right before and after
#   each UDP run, and print the symbols of modules and BPF programs
#   ("@K ADDR TYPE NAME").
#
# The VM's own netns is "the host"; every pod has its own netns:
#   remote  up1  198.51.100.2/24 <- veth uplink, the same for all -> up0  198.51.100.1/24
#   b, c:   pv   eth0 192.0.2.2/28  <- veth, program  -> hv0  192.0.2.1
#   d:      pn   nk0  192.0.2.18/28 <- netkit (l2), program -> nkh  192.0.2.17
#   e:      pe   eth0 192.0.2.34/28 <- veth, no program -> hve  192.0.2.33
#   p_off, p_on (pod to pod over veth, a program on both host sides):
#           pa   eth0 192.0.2.50/28 <- veth -> hva  192.0.2.49
#           pb   eth0 192.0.2.66/28 <- veth -> hvb  192.0.2.65
#   p_nk (pod to pod over netkit, l2, a peer program on both):
#           pka  nk1  192.0.2.82/28 <- netkit -> nka  192.0.2.81
#           pkb  nk2  192.0.2.98/28 <- netkit -> nkb  192.0.2.97
# b and c differ only in the host end's bpf-xmit flag, which is flipped between
# runs, as are e_off and e_on, and p_off and p_on (both host ends). "program":
# bench/redir.bpf.o as tcx ingress on hv0 and as the netkit peer program of
# nkh; it sends IPv4 out of up0 (bpf_redirect, egress) with the MACs up1
# expects. a: the host sends to 198.51.100.2; b, c, d: the pod sends to
# 198.51.100.2 (receivers in remote); e: the pod sends to 192.0.2.33
# (receivers in the host). p: pod A (pa, pka) sends to pod B (pb, pkb:
# receivers there), and pod B's replies go back the same way: tcx ingress
# on hva sends IPv4 to pod B with bpf_redirect_peer(hvb), and hvb's to pod
# A with bpf_redirect_peer(hva); netkit programs cannot redirect to a peer
# (that needs tc ingress), so the peer program of nka sends to nkb's egress
# (bpf_redirect), whose xmit hands the packet to nk2, and nkb's sends to
# nka. Neighbours are static: no ARP.
set -u
[ $# = 6 ] || [ $# = 7 ] ||
	{ echo "usage: $0 BINDIR REPS SECS SCENARIOS METRICS WARMUP [PROFILE]" >&2; exit 2; }
B=$1 REPS=$2 SECS=$3 METRICS=$5 WARMUP=$6 PROFILE=${7:-0}
IFS=, read -ra SCENARIOS <<< "$4"
LINUX=$(cd "${BASH_SOURCE[0]%/*}/.." && pwd)/build/linux
# The servers' lifetime: a bound only (vm.sh's timeout is the real one);
# with -icount,sleep=off the guest's clock jumps ahead whenever it is idle.
LIFE=$((REPS * 100000))
UDP_PORT=9000 RR_PORT=9100 RR_CPU=0
REMOTE=198.51.100.2

fail() { echo "@! setup: $*"; exit 1; }
. "$(dirname "$0")/../guest/xmit-count.sh"
want() { [[ ",$2," == *",$1,"* ]]; }

# --- topology -------------------------------------------------------------
# per scenario: sender netns (TX), receiver netns (RX), destination (TO),
# host-side device(s) (DEV: the first one's bpf-xmit verdicts are checked)
# and their bpf-xmit flag (FLAG)
declare -A TX=([a]=host [b]=pv [c]=pv [d]=pn [e_off]=pe [e_on]=pe
	[p_off]=pa [p_on]=pa [p_nk]=pka)
declare -A RX=([a]=remote [b]=remote [c]=remote [d]=remote [e_off]=host [e_on]=host
	[p_off]=pb [p_on]=pb [p_nk]=pkb)
declare -A TO=([a]=$REMOTE [b]=$REMOTE [c]=$REMOTE [d]=$REMOTE
	[e_off]=192.0.2.33 [e_on]=192.0.2.33
	[p_off]=192.0.2.66 [p_on]=192.0.2.66 [p_nk]=192.0.2.98)
declare -A DEV=([b]=hv0 [c]=hv0 [d]=nkh [e_off]=hve [e_on]=hve
	[p_off]="hva hvb" [p_on]="hva hvb" [p_nk]=nka)
declare -A FLAG=([b]=off [c]=on [e_off]=off [e_on]=on [p_off]=off [p_on]=on)

ip -b - <<-EOF || fail "netns"
	netns add remote
	netns add pv
	netns add pn
	netns add pe
	netns add pa
	netns add pb
	netns add pka
	netns add pkb
	EOF
# netkit: iproute2 6.1 does not know it; the tree's YNL CLI does (one
# newlink per pair, in one exec). peer-info: an empty ifinfomsg and
# IFLA_IFNAME "nkN".
nk=() n=0
for primary in nkh nka nkb; do	# peers nk0, nk1, nk2
	nk+=(--multi newlink '{"ifname": "'"$primary"'", "linkinfo": {"kind": "netkit",
	"data": {"mode": "l2", "peer-info": "00000000000000000000000000000000080003006e6b3'"$n"'00"}}}')
	n=$((n + 1))
done
/usr/bin/python3 "$LINUX/tools/net/ynl/pyynl/cli.py" --no-schema \
	--spec "$LINUX/Documentation/netlink/specs/rt-link.yaml" --create "${nk[@]}" \
	> /dev/null || fail "netkit"
# host_side DEV N: address, up, neighbour entry for pod N (192.0.2.16*(N-1)/28)
host_side() {
	local net=$((16 * ($2 - 1)))
	echo "addr add 192.0.2.$((net + 1))/28 dev $1"
	echo "link set $1 up"
	echo "neigh replace 192.0.2.$((net + 2)) lladdr 02:00:00:00:0$2:02 dev $1 nud permanent"
}
ip -b - <<-EOF || fail "host side"
	link add up0 address 02:00:00:00:00:01 type veth peer name up1 address 02:00:00:00:00:02 netns remote
	link add hv0 address 02:00:00:00:01:01 type veth bpf-xmit off peer name eth0 address 02:00:00:00:01:02 netns pv
	link set nkh address 02:00:00:00:02:01
	link set nk0 address 02:00:00:00:02:02 netns pn
	link add hve address 02:00:00:00:03:01 type veth bpf-xmit off peer name eth0 address 02:00:00:00:03:02 netns pe
	link add hva address 02:00:00:00:04:01 type veth bpf-xmit off peer name eth0 address 02:00:00:00:04:02 netns pa
	link add hvb address 02:00:00:00:05:01 type veth bpf-xmit off peer name eth0 address 02:00:00:00:05:02 netns pb
	link set nka address 02:00:00:00:06:01
	link set nk1 address 02:00:00:00:06:02 netns pka
	link set nkb address 02:00:00:00:07:01
	link set nk2 address 02:00:00:00:07:02 netns pkb
	addr add 198.51.100.1/24 dev up0
	link set up0 up
	neigh replace $REMOTE lladdr 02:00:00:00:00:02 dev up0 nud permanent
	$(host_side hv0 1)
	$(host_side nkh 2)
	$(host_side hve 3)
	$(host_side hva 4)
	$(host_side hvb 5)
	$(host_side nka 6)
	$(host_side nkb 7)
	EOF
ip -n remote -b - <<-EOF || fail "remote"
	link set lo up
	addr add $REMOTE/24 dev up1
	link set up1 up
	route add 192.0.2.0/24 via 198.51.100.1
	neigh replace 198.51.100.1 lladdr 02:00:00:00:00:01 dev up1 nud permanent
	EOF
pod() { # pod NS DEV N
	local net=$((16 * ($3 - 1)))
	ip -n "$1" -b - <<-EOF || fail "pod $1"
		link set lo up
		addr add 192.0.2.$((net + 2))/28 dev $2
		link set $2 up
		route add default via 192.0.2.$((net + 1))
		neigh replace 192.0.2.$((net + 1)) lladdr 02:00:00:00:0$3:01 dev $2 nud permanent
		EOF
}
pod pv eth0 1
pod pn nk0 2
pod pe eth0 3
pod pa eth0 4
pod pb eth0 5
pod pka nk1 6
pod pkb nk2 7
echo 1 > /proc/sys/net/ipv4/ip_forward
echo $((8 << 20)) > /proc/sys/net/core/rmem_max

# Name the JITed programs in /proc/kallsyms for the profile
[ "$PROFILE" = 1 ] && echo 1 > /proc/sys/net/core/bpf_jit_kallsyms
mkdir -p /sys/fs/bpf/bench
attach() { # attach TYPE DEV TARGET DST_MAC SRC_MAC: bench/load.c
	"$B/load" "$B/redir.bpf.o" "$@" "/sys/fs/bpf/bench/$2" || fail "attach $1 $2"
}
attach tcx hv0 up0 02:00:00:00:00:02 02:00:00:00:00:01
attach netkit nkh up0 02:00:00:00:00:02 02:00:00:00:00:01
# p: to the other pod, with the MACs it would have after routing in the host
attach tcx-peer hva hvb 02:00:00:00:05:02 02:00:00:00:05:01
attach tcx-peer hvb hva 02:00:00:00:04:02 02:00:00:00:04:01
attach netkit nka nkb 02:00:00:00:07:02 02:00:00:00:07:01
attach netkit nkb nka 02:00:00:00:06:02 02:00:00:00:06:01

# Echo and iperf3 servers for the whole run, in remote, in the host and in
# the pods B. The echo servers and the rr clients share one CPU: the
# ping-pong then measures the path, not how long TCG takes to wake an idle
# vCPU.
pids=()
"$B/rr" server - 0.0.0.0 $RR_PORT $LIFE $RR_CPU & pids+=($!)
timeout $LIFE iperf3 -s > /dev/null 2>&1 & pids+=($!)
for v in a p_off p_nk; do
	"$B/rr" server "/run/netns/${RX[$v]}" "${TO[$v]}" $RR_PORT $LIFE $RR_CPU & pids+=($!)
	nsenter --net="/run/netns/${RX[$v]}" timeout $LIFE iperf3 -s -B "${TO[$v]}" \
		> /dev/null 2>&1 & pids+=($!)
done
# shellcheck disable=SC2317
stop_servers() { kill "${pids[@]}" 2> /dev/null; wait; }
trap stop_servers EXIT

read -r osrelease < /proc/sys/kernel/osrelease
[ "$PROFILE" = 1 ] && grep -E '\[[a-z_]+\]$' /proc/kallsyms | sed 's/^/@K /'
echo "@# kernel $osrelease"

# --- runs -----------------------------------------------------------------
declare -A CUR=([hv0]=off [hve]=off [hva]=off [hvb]=off)	# the flags as they are
# scenario S: sets the flag of its devices if S has one (an `ip` exec only
# when it changes); sets TXNS, RXNS (the sender's and the receivers' netns),
# TXP and RXP (their paths for bench/udp.c and rr.c, "-": the host), DST
scenario() {
	local dev flag=${FLAG[$1]:-}
	for dev in ${DEV[$1]:-}; do
		if [ -n "$flag" ] && [ "${CUR[$dev]}" != "$flag" ]; then
			ip link set "$dev" type veth bpf-xmit "$flag" || fail "bpf-xmit $flag on $dev"
			CUR[$dev]=$flag
		fi
	done
	TXNS=${TX[$1]} RXNS=${RX[$1]} DST=${TO[$1]}
	TXP=/run/netns/$TXNS RXP=/run/netns/$RXNS
	[ "$TXNS" = host ] && TXP=-
	[ "$RXNS" = host ] && RXP=-
	return 0
}

# counters: NETRX (NET_RX softirqs), SOFTNET (receive-path passes,
# softnet_stat "processed"), FWD (IP ForwDatagrams in the host), all CPUs
counters() {
	local line hdr=() v i
	NETRX=0 SOFTNET=0 FWD=0
	while read -r line; do
		case $line in NET_RX:*)
			for v in ${line#NET_RX:}; do NETRX=$((NETRX + v)); done ;;
		esac
	done < /proc/softirqs
	while read -r v line; do SOFTNET=$((SOFTNET + 16#$v)); done < /proc/net/softnet_stat
	while read -ra line; do
		[ "${line[0]}" = Ip: ] || continue
		if [ ${#hdr[@]} = 0 ]; then hdr=("${line[@]}"); continue; fi
		for i in "${!hdr[@]}"; do
			[ "${hdr[$i]}" = ForwDatagrams ] && FWD=${line[$i]}
		done
		break
	done < /proc/net/snmp
}
# per_pkt DELTA PACKETS: DELTA/PACKETS with 4 decimals
per_pkt() {
	local x=$(($1 * 10000 / ($2 > 0 ? $2 : 1)))
	printf '%d.%04d' $((x / 10000)) $((x % 10000))
}
# run_udp REP SCEN FLOWS SECS: one UDP packet-rate run. In the udp1
# warm-up (REP 0) of a veth scenario, also the check of its (first) host
# side's netif_ingress_xmit events: the program runs in veth's xmit in c
# and p_on only. The histogram trigger that counts them is on during that
# run only, so that no measured (or profiled) run pays for it.
run_udp() {
	local rep=$1 scen=$2 flows=$3 secs=$4 metric=udp$3 check=
	local out n0 s0 f0 _ tx rx pps
	[ "$flows" = 1 ] && [ "$rep" = 0 ] && [ -n "${FLAG[$scen]:-}" ] &&
		check=${DEV[$scen]%% *}
	[ -n "$check" ] && { xc_open bench_check || fail "cannot count netif_ingress_xmit events"; }
	counters
	n0=$NETRX s0=$SOFTNET f0=$FWD
	[ "$PROFILE" = 1 ] && sync
	out=$("$B/udp" "$TXP" "$RXP" "$DST" $UDP_PORT "$secs" "$flows" 32)
	[ "$PROFILE" = 1 ] && sync
	counters
	read -r _ tx rx pps <<< "$out"
	if [ -z "${pps:-}" ] || [ "$rx" = 0 ]; then
		echo "@! $rep $scen $metric: '$out'"
		return 1
	fi
	echo "@# $rep $scen $metric tx=$tx rx=$rx netrx=$((NETRX - n0)) softnet=$((SOFTNET - s0)) fwd=$((FWD - f0))"
	if [ -n "$check" ]; then
		echo "@# $rep $scen check $check: tx=$tx inline=$(xc_get bench_check "$check" inline)" \
			"redirect=$(xc_get bench_check "$check" redirect)" \
			"deferred=$(xc_get bench_check "$check" defer)"
		xc_close bench_check
	fi
	[ "$rep" = 0 ] && return 0
	want "$metric" "$METRICS" && echo "@@ $rep $scen $metric $pps"
	if [ "$flows" = 1 ] && want softirq "$METRICS"; then
		echo "@@ $rep $scen netrx_per_pkt $(per_pkt $((NETRX - n0)) "$tx")"
		echo "@@ $rep $scen softnet_per_pkt $(per_pkt $((SOFTNET - s0)) "$tx")"
	fi
	return 0
}

# run_tcp REP SCEN: iperf3 stream, Mbit/s at the receiver
run_tcp() {
	local ns=() out line word prev="" mbps=""
	[ "$TXNS" = host ] || ns=(nsenter --net="$TXP")
	out=$("${ns[@]}" iperf3 -c "$DST" -t "$SECS" -f m --connect-timeout 3000 2>&1)
	while read -r line; do
		[[ $line == *receiver* ]] || continue
		for word in $line; do
			[ "$word" = Mbits/sec ] && mbps=$prev
			prev=$word
		done
	done <<< "$out"
	[ -n "$mbps" ] || { echo "@! $1 $2 tcp: ${out//$'\n'/ | }"; return 1; }
	echo "@@ $1 $2 tcp $mbps"
}

# run_rr REP SCEN: UDP ping-pong, p50 and p99 in us
run_rr() {
	local out _ n lost p50 p99
	out=$("$B/rr" client "$TXP" "$DST" $RR_PORT "$SECS" $RR_CPU)
	read -r _ n lost p50 p99 <<< "$out"
	[ "${n:-0}" -gt 0 ] 2> /dev/null || { echo "@! $1 $2 rr: '$out'"; return 1; }
	echo "@# $1 $2 rr samples=$n lost=$lost"
	echo "@@ $1 $2 rr_p50 $p50"
	echo "@@ $1 $2 rr_p99 $p99"
}

# The selected scenarios as run (e is e_off and e_on, p is p_off, p_on and
# p_nk), and the runs (softirq comes from the udp1 run).
VARIANTS=()
for s in "${SCENARIOS[@]}"; do
	case $s in
	e) VARIANTS+=(e_off e_on) ;;
	p) VARIANTS+=(p_off p_on p_nk) ;;
	*) VARIANTS+=("$s") ;;
	esac
done
RUNS=()
for m in udp1 udp2 tcp rr; do
	if want $m "$METRICS" || { [ $m = udp1 ] && want softirq "$METRICS"; }; then
		RUNS+=("$m")
	fi
done

# The warm-up; without one, a 1 s run of each veth scenario for its check
for v in "${VARIANTS[@]}"; do
	[ "$WARMUP" -gt 0 ] || [ -n "${FLAG[$v]:-}" ] || continue
	scenario "$v"
	run_udp 0 "$v" 1 $((WARMUP > 0 ? WARMUP : 1)) || fail "warm-up of $v failed"
done
echo "@# setup $SECONDS"	# guest seconds (icount: they skip idle time)

start=$SECONDS
for ((rep = 1; rep <= REPS; rep++)); do
	for m in "${RUNS[@]}"; do
		echo "bench: repetition $rep/$REPS, $m" >&2
		for v in "${VARIANTS[@]}"; do
			scenario "$v"
			case $m in
			udp1) run_udp $rep "$v" 1 "$SECS" ;;
			udp2) run_udp $rep "$v" 2 "$SECS" ;;
			tcp) run_tcp $rep "$v" ;;
			rr) run_rr $rep "$v" ;;
			esac
		done
	done
done
echo "@# done $((SECONDS - start))"
