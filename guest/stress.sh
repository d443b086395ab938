#!/bin/bash
# The bpf-xmit stress, run by 'make stress' on the debug kernel. Traffic
# (TCP and UDP) runs through bpf-xmit veth pairs the whole time while loops
# flip the flag from either end, attach/replace/detach tcx programs,
# add/remove clsact filters, attach/remove XDP on the host end, move an end
# between netns, take links down/up and change MTU, and delete/recreate a
# pair. Then two counted phases (pass-only: nothing may be lost; flag flips
# under load: nothing lost or duplicated) and a kmemleak scan.
# Usage: guest/stress.sh [SECONDS]
set -u
secs=${1:-180}
top=$(cd "$(dirname "$0")/.." && pwd)
obj=$top/build/selftests/net/veth_bpf_xmit.bpf.o
xdp=$top/build/selftests/net/xdp_dummy.bpf.o
pin=/sys/fs/bpf/stress
cnt=/tmp/stress
mkdir -p $cnt $pin
cleanup() {
	pkill -P $$ 2>/dev/null
	for ns in pod host host2 remote; do ip netns del $ns 2>/dev/null; done
	rm -rf $pin
}
trap cleanup EXIT

for ns in pod host host2 remote; do
	ip netns add $ns
	ip -n $ns link set lo up
	ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1
done
ip netns exec host sysctl -qw net.ipv4.ip_forward=1
# pod -- hv0 (host, programs) -- up0 -- remote
ip -n host link add hv0 type veth bpf-xmit on peer name eth0 netns pod
ip -n host link add up0 type veth peer name eth0 netns remote
ip -n host addr add 192.0.2.254/24 dev hv0
ip -n host addr add 198.51.100.254/24 dev up0
ip -n pod addr add 192.0.2.1/24 dev eth0
ip -n remote addr add 198.51.100.1/24 dev eth0
for d in "host hv0" "host up0" "pod eth0" "remote eth0"; do ip -n ${d% *} link set ${d#* } up; done
ip -n pod route add default via 192.0.2.254
ip -n remote route add default via 198.51.100.254
bpftool prog loadall "$obj" $pin type classifier pinmaps $pin
H="nsenter --net=/run/netns/host"

udp_sink() {	# ns addr port
	ip netns exec "$1" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
s.bind((sys.argv[1], int(sys.argv[2])))
s.settimeout(5)
n = 0
try:
	while True:
		s.recv(64); n += 1
except socket.timeout:
	pass
print(n)' "$2" "$3"
}
udp_send() {	# ns addr port count|0(until end) rate-limit-every
	ip netns exec "$1" python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
dst = (sys.argv[1], int(sys.argv[2])); n = int(sys.argv[3]); end = float(sys.argv[4])
i = 0
while (n and i < n) or (not n and time.time() < end):
	try:
		s.sendto(i.to_bytes(4, "big"), dst); i += 1
	except OSError:
		time.sleep(0.001)
	if i % 64 == 0:
		time.sleep(0.0005)
print(i)' "$2" "$3" "$4" "$end"
}
loop() {	# name cmd...: run until the deadline, count rounds
	local name=$1 n=0
	shift
	while [ "$(date +%s)" -lt "$end" ]; do
		"$@" >/dev/null 2>&1
		n=$((n + 1))
	done
	echo $n > $cnt/$name
}

# a second pair that moves, bounces and changes MTU, with its own traffic
ip -n host link add hm0 type veth bpf-xmit on peer name eth1 netns pod
ip -n host addr add 203.0.113.254/24 dev hm0
ip -n pod addr add 203.0.113.1/24 dev eth1
ip -n host link set hm0 up; ip -n pod link set eth1 up
$H bpftool net attach tcx_ingress pinned $pin/vbx_pass dev hm0
# The clock starts once everything is set up (slow on a debug kernel)
end=$(($(date +%s) + secs))
echo "stress: ${secs}s of traffic and churn on $(uname -r)"
ip netns exec remote iperf3 -s -D -1 -B 198.51.100.1 >/dev/null 2>&1
sleep 1
ip netns exec pod iperf3 -c 198.51.100.1 -t "$secs" -P 2 -J > $cnt/iperf.json 2>&1 &
udp_sink remote 198.51.100.1 9 > $cnt/udp_rcvd &
udp_send pod 198.51.100.1 9 0 > $cnt/udp_sent &

flip() {
	ip -n host link set hv0 type veth bpf-xmit off
	ip -n pod link set eth0 type veth bpf-xmit on
}
tcx() {
	$H bpftool net attach tcx_ingress pinned $pin/vbx_pass dev hv0
	$H bpftool net attach tcx_ingress pinned $pin/vbx_pass dev hv0 overwrite
	$H bpftool net detach tcx_ingress dev hv0
}
clsact() {
	$H tc qdisc add dev hv0 clsact
	$H tc filter add dev hv0 ingress bpf direct-action pinned $pin/vbx_pass
	$H tc qdisc del dev hv0 clsact
}
xdp() {
	ip -n host link set hv0 xdp obj "$xdp" sec xdp
	ip -n host link set hv0 xdp off
}
move() {
	ip -n host link set hm0 netns host2 && ip -n host2 link set hm0 up &&
	ip -n host2 link set hm0 netns host && ip -n host link set hm0 up &&
	ip -n host addr replace 203.0.113.254/24 dev hm0
}
bounce() {
	ip -n pod link set eth1 down; ip -n pod link set eth1 mtu 1400
	ip -n pod link set eth1 up; ip -n pod link set eth1 mtu 1500
}
recreate() {
	ip -n host link add hr0 type veth bpf-xmit on peer name eth2 netns pod
	ip -n host link set hr0 up; ip -n pod link set eth2 up
	ip -n pod addr add 198.18.0.1/24 dev eth2 2>/dev/null
	$H bpftool net attach tcx_ingress pinned $pin/vbx_drop dev hr0
	ip -n pod neigh replace 198.18.0.2 lladdr 02:00:00:00:00:01 dev eth2
	ip netns exec pod timeout 1 ping -q -i 0.01 -c 20 198.18.0.2
	ip -n host link del hr0
}
udp_send pod 203.0.113.254 9 0 > $cnt/move_sent &
loop flips flip & loop tcx tcx & loop clsact clsact & loop xdp xdp &
loop moves move & loop bounces bounce & loop recreates recreate &
wait
echo "stress: churn rounds: flag flips $(cat $cnt/flips) (x2 ends), tcx attach/replace/detach $(cat $cnt/tcx)," \
	"clsact add/del $(cat $cnt/clsact), xdp on/off $(cat $cnt/xdp), netns moves $(cat $cnt/moves) (x2)," \
	"down/up+mtu $(cat $cnt/bounces), pair delete/recreate $(cat $cnt/recreates)"
echo "stress: traffic: udp sent $(cat $cnt/udp_sent) received $(cat $cnt/udp_rcvd) (loss here is the disruption's)," \
	"tcp $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.1f Mbit/s" % (d["end"]["sum_received"]["bits_per_second"]/1e6))' $cnt/iperf.json 2>/dev/null || echo "failed")"

fail=0
phase() {	# name flip(0|1): N packets pod -> remote, pass program on hv0
	local n=1000 sent got
	$H bpftool net attach tcx_ingress pinned $pin/vbx_pass dev hv0 overwrite 2>/dev/null ||
		$H bpftool net attach tcx_ingress pinned $pin/vbx_pass dev hv0
	ip -n host link set hv0 type veth bpf-xmit on
	udp_sink remote 198.51.100.1 10 > $cnt/p_got &
	sleep 1
	if [ "$2" = 1 ]; then
		(while [ ! -s $cnt/p_sent ]; do flip; done) &
	fi
	udp_send pod 198.51.100.1 10 $n 0 > $cnt/p_sent
	wait
	sent=$(cat $cnt/p_sent); got=$(cat $cnt/p_got); rm -f $cnt/p_sent
	echo "stress: phase '$1': sent $sent received $got"
	[ "$sent" = "$got" ] || fail=1
}
end=$(($(date +%s) + 3600))
phase "pass-only, no disruption" 0
phase "flag flips under load" 1

echo scan > /sys/kernel/debug/kmemleak 2>/dev/null
sleep 5
echo scan > /sys/kernel/debug/kmemleak 2>/dev/null
leaks=$(grep -c "^unreferenced object" /sys/kernel/debug/kmemleak 2>/dev/null || echo 0)
echo "stress: kmemleak: $leaks suspected leaks"
[ "$leaks" = 0 ] || { head -40 /sys/kernel/debug/kmemleak; fail=1; }
[ $fail = 0 ] && echo "stress: PASS (no loss; dmesg is checked by the VM runner)" || echo "stress: FAIL"
exit $fail
