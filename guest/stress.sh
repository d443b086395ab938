#!/bin/bash
# The bpf-xmit stress, run by 'make stress' on the debug kernel. Traffic
# (TCP and UDP) runs through bpf-xmit veth pairs the whole time while loops
# flip each end's flag, attach/replace/detach tcx programs (by
# bpf_prog_attach and by bpf_link), add/remove clsact filters,
# attach/remove XDP on the host end, move an end between netns, take links
# down/up and change MTU, and delete/recreate a pair. Then two counted
# phases (pass-only: nothing may be lost; flag flips under load: nothing
# lost or duplicated), two more that run SECONDS each, and a kmemleak scan:
# - cross-connected pods: pods xa and xb on pairs whose host ends (ifindex
#   4545, 4646) bpf_redirect_peer() each pod's packets into the other pod,
#   so a receive runs nested in the other pod's transmit. TCP bulk both
#   ways (sha256 of each stream checked) and a request/response loop (two
#   10-byte writes, a 1-byte reply; Nagle and delayed ACKs as by default:
#   the delayed-ACK timer transmits with the socket locked, and the held
#   write would come back to that socket inline). STRESS_CROSS_XMIT=off
#   turns bpf-xmit off on these pairs (on a kernel where they deadlock).
# - guest/stress-tproxy.sh: bpf_sk_assign() inline while RPS queues the
#   packets to the other CPU and the host closes and reopens the assigned
#   sockets, then the same through each exit that leaves the receive path
#   after the assignment, with the mode off and on; each followed by a
#   stall that holds the packets in CPU 1's backlog until the sockets are
#   freed (on a kernel booted with thread_backlog_napi).
#
# A debug kernel under TCG takes a second or more to start a process, so the
# loops batch their changes (ip -b, tc -b, bpftool batch): one round is
# ROUND changes of each kind from one process, and the counts are changes.
# Usage: guest/stress.sh [SECONDS]
set -u
secs=${1:-180}
top=$(cd "$(dirname "$0")/.." && pwd)
obj=$top/build/selftests/net/veth_bpf_xmit.bpf.o
xdp=$top/build/selftests/net/lib/xdp_dummy.bpf.o
link=$top/build/selftests/net/veth_bpf_xmit_link
ROUND=10
pin=/sys/fs/bpf/stress
cnt=/tmp/stress
mkdir -p $cnt $pin
. "$top/guest/xmit-count.sh"
cleanup() {
	pkill -P $$ 2>/dev/null
	for ns in pod host host2 remote xa xb; do ip netns del $ns 2>/dev/null; done
	rm -rf $pin
	xc_close stress
}
trap cleanup EXIT

for ns in pod host host2 remote xa xb; do
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
bpftool prog load "$xdp" $pin/xdp
H="nsenter --net=/run/netns/host"

# The UDP tools are python, which takes a long time to start on a debug
# guest: they signal through files in $cnt named for a TAG.
udp_sink() {	# ns addr port TAG: bind, touch TAG.ready; count until TAG.done
	ip netns exec "$1" python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
s.bind((sys.argv[1], int(sys.argv[2])))
s.settimeout(2)
open(sys.argv[3] + ".ready", "w").close()
n = 0
while True:
	try:
		s.recv(64); n += 1
	except socket.timeout:
		if os.path.exists(sys.argv[3] + ".done"):
			break
print(n)' "$2" "$3" "$cnt/$4"
}
udp_send() {	# ns addr port count|0 TAG: touch TAG.started once sending;
		# send count datagrams, or (0) until TAG.stop appears
	ip netns exec "$1" python3 -c '
import os, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
dst = (sys.argv[1], int(sys.argv[2])); n = int(sys.argv[3]); tag = sys.argv[4]
i = k = 0
while (n and i < n) or (not n and not (k % 64 == 0 and os.path.exists(tag + ".stop"))):
	k += 1
	try:
		s.sendto(i.to_bytes(4, "big"), dst); i += 1
		if i == 1:
			open(tag + ".started", "w").close()
	except OSError:
		time.sleep(0.001)
	if k % 64 == 0:
		time.sleep(0.0005)
print(i)' "$2" "$3" "$4" "$cnt/$5"
}
wait_for() {	# file
	while [ ! -e "$1" ]; do sleep 0.2; done
}
loop() {	# name changes-per-round cmd...: run rounds until the deadline,
	# one at least (a debug guest can take longer than a short SECONDS to
	# start the loops), count the changes of the rounds that succeeded, and
	# the rounds that failed
	local name=$1 per=$2 n=0 f=0
	shift 2
	while :; do
		if "$@" >/dev/null 2>$cnt/$name.err; then
			n=$((n + per))
		else
			f=$((f + 1))
			[ -s $cnt/$name.first ] || cp $cnt/$name.err $cnt/$name.first
		fi
		[ "$(date +%s)" -lt "$end" ] || break
	done
	echo $n > $cnt/$name
	echo $f > $cnt/$name.failed
}
# lines N LINE...: the lines, N times over (for a batch file)
lines() {
	local n=$1 i
	shift
	for ((i = 0; i < n; i++)); do printf '%s\n' "$@"; done
}

# a second pair that moves, bounces and changes MTU, with its own traffic
ip -n host link add hm0 type veth bpf-xmit on peer name eth1 netns pod
ip -n host addr add 203.0.113.254/24 dev hm0
ip -n pod addr add 203.0.113.1/24 dev eth1
ip -n host link set hm0 up; ip -n pod link set eth1 up
$H bpftool net attach tcx_ingress pinned $pin/vbx_pass dev hm0
# UDP traffic first; the clock starts once it flows, with TCP and the churn
ip netns exec remote iperf3 -s -D -1 -B 198.51.100.1 >/dev/null 2>&1
udp_sink remote 198.51.100.1 9 udp > $cnt/udp_rcvd &
wait_for $cnt/udp.ready
{ udp_send pod 198.51.100.1 9 0 udp > $cnt/udp_sent; touch $cnt/udp.done; } &
udp_send pod 203.0.113.254 9 0 move > $cnt/move_sent &
wait_for $cnt/udp.started
wait_for $cnt/move.started
end=$(($(date +%s) + secs))
echo "stress: ${secs}s of traffic and churn on $(uname -r)"
ip netns exec pod iperf3 -c 198.51.100.1 -t "$secs" -P 2 -J > $cnt/iperf.json 2>&1 &

flip() {	# ROUND flips from each end, ending with the flag on
	lines $ROUND "link set hv0 type veth bpf-xmit off" "link set hv0 type veth bpf-xmit on" |
		ip -n host -b - &&
	lines $ROUND "link set eth0 type veth bpf-xmit off" "link set eth0 type veth bpf-xmit on" |
		ip -n pod -b -
}
tcx() {		# ROUND x bpf_prog_attach of two programs (a chain), detach
	# both; then one bpf_link attach/detach. (bpftool cannot replace a tcx
	# program: its "overwrite" is ignored for tcx.)
	lines $ROUND "net attach tcx_ingress pinned $pin/vbx_pass dev hv0" \
		"net attach tcx_ingress pinned $pin/vbx_drop dev hv0" \
		"net detach tcx_ingress dev hv0" "net detach tcx_ingress dev hv0" > $cnt/tcx.batch
	$H bpftool batch file $cnt/tcx.batch &&
	$H "$link" "$obj" vbx_pass hv0 $pin/link && rm -f $pin/link
}
clsact() {	# ROUND x clsact, a filter, the filter's program replaced, clsact gone
	lines $ROUND "qdisc add dev hv0 clsact" \
		"filter add dev hv0 ingress pref 1 handle 1 bpf direct-action pinned $pin/vbx_pass" \
		"filter replace dev hv0 ingress pref 1 handle 1 bpf direct-action pinned $pin/vbx_drop" \
		"qdisc del dev hv0 clsact" | $H tc -b -
}
xdp() {
	lines $ROUND "net attach xdp pinned $pin/xdp dev hv0" "net detach xdp dev hv0" > $cnt/xdp.batch
	$H bpftool batch file $cnt/xdp.batch
}
move() {
	ip -n host link set hm0 netns host2 && ip -n host2 link set hm0 up &&
	ip -n host2 link set hm0 netns host && ip -n host link set hm0 up &&
	ip -n host addr replace 203.0.113.254/24 dev hm0
}
bounce() {
	lines $ROUND "link set eth1 down" "link set eth1 mtu 1400" "link set eth1 up" \
		"link set eth1 mtu 1500" | ip -n pod -b -
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
loop flips $((4 * ROUND)) flip & loop tcx $((ROUND + 1)) tcx & loop clsact $ROUND clsact &
loop xdp $ROUND xdp & loop moves 2 move & loop bounces $ROUND bounce & loop recreates 1 recreate &
while [ "$(date +%s)" -lt "$end" ]; do sleep 1; done
touch $cnt/udp.stop $cnt/move.stop
wait
echo "stress: changes: flag flips $(cat $cnt/flips) (half from each end)," \
	"tcx attach x2/detach x2 cycles $(cat $cnt/tcx) (1 in $((ROUND + 1)) a bpf_link attach/detach)," \
	"clsact add/filter/replace/del cycles $(cat $cnt/clsact), xdp on/off $(cat $cnt/xdp)," \
	"netns moves $(cat $cnt/moves), down/mtu/up/mtu cycles $(cat $cnt/bounces)," \
	"pair delete/recreate $(cat $cnt/recreates);" \
	"rounds that failed: $(($(cat $cnt/*.failed | paste -sd+)))"
for f in $cnt/*.first; do	# the first error of each loop that had one
	[ -s "$f" ] && echo "stress: $(basename "$f" .first) failed first with: $(head -c 300 "$f" | tr '\n' ' ')"
done
echo "stress: traffic: udp sent $(cat $cnt/udp_sent) received $(cat $cnt/udp_rcvd) (loss here is the disruption's)," \
	"udp through the moving pair sent $(cat $cnt/move_sent)," \
	"tcp $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.1f Mbit/s" % (d["end"]["sum_received"]["bits_per_second"]/1e6))' $cnt/iperf.json 2>/dev/null || echo "failed")"

fail=0
# Count the hook's inline runs from here on only: a histogram trigger on
# every packet would slow the debug kernel's churn above to a crawl
xc_open stress || { echo "stress: cannot count netif_ingress_xmit events (CONFIG_HIST_TRIGGERS?)"; exit 1; }
inline() {	# dev: packets whose hook ran inline (netif_ingress_xmit events)
	xc_get stress "$1" inline
}
phase() {	# name flip(0|1): N packets pod -> remote, pass program on hv0
	local n=1000 sent got i0
	ip -n host link set hv0 type veth bpf-xmit on
	i0=$(inline hv0)
	rm -f $cnt/p.*
	udp_sink remote 198.51.100.1 10 p > $cnt/p_got &
	wait_for $cnt/p.ready
	if [ "$2" = 1 ]; then
		(while [ ! -e $cnt/p.done ]; do flip; done) &
	fi
	udp_send pod 198.51.100.1 10 $n p > $cnt/p_sent
	touch $cnt/p.done
	wait
	sent=$(cat $cnt/p_sent); got=$(cat $cnt/p_got)
	echo "stress: phase '$1': sent $sent received $got" \
		"(the program ran inline for $(($(inline hv0) - i0)) packets)"
	[ "$sent" = "$got" ] || fail=1
}
end=$(($(date +%s) + 3600))
# The churn's tcx rounds leave hv0 without programs
$H bpftool net attach tcx_ingress pinned $pin/vbx_pass dev hv0 || fail=1
phase "pass-only, no disruption" 0
phase "flag flips under load" 1

xpod() {	# ns addr peer client|server: for $secs s, TCP bulk to and from
	# the peer at once, and the request/response loop (the client counts
	# rounds). Socket timeouts bound every wait. Prints
	# "SENT RECEIVED ROUNDS ERRORS", SENT and RECEIVED as bytes:sha256.
	ip netns exec "$1" python3 -c '
import hashlib, os, socket, sys, threading, time
me, peer, role, secs = sys.argv[1:5]
end = time.time() + int(secs)
socket.setdefaulttimeout(30)
out = {"sent": "-", "received": "-", "rounds": 0}
errs = []
def accept(port):
	with socket.create_server((me, port)) as s:
		return s.accept()[0]
def connect(port):
	while True:
		try:
			return socket.create_connection((peer, port))
		except ConnectionRefusedError:	# the peer is not listening yet
			if time.time() > end:
				raise
			time.sleep(0.2)
def bulk_in():
	c = accept(5001); h = hashlib.sha256(); n = 0
	while b := c.recv(1 << 16):
		h.update(b); n += len(b)
	out["received"] = "%d:%s" % (n, h.hexdigest())
def bulk_out():
	c = connect(5001); h = hashlib.sha256(); n = 0
	while time.time() < end:
		b = os.urandom(1 << 16); c.sendall(b); h.update(b); n += len(b)
	c.shutdown(socket.SHUT_WR)
	out["sent"] = "%d:%s" % (n, h.hexdigest())
def rr_client():
	c = connect(5002)
	while time.time() < end:
		c.sendall(b"q" * 10); c.sendall(b"q" * 10)
		if c.recv(1) != b"r":
			raise EOFError("no reply")
		out["rounds"] += 1
def rr_server():
	c = accept(5002)
	while True:
		n = 0
		while n < 20:
			b = c.recv(20 - n)
			if not b:
				return
			n += len(b)
		c.sendall(b"r")
def run(f):
	try:
		f()
	except Exception as e:
		errs.append("%s: %r" % (f.__name__, e))
ts = [threading.Thread(target=run, args=(f,), name=f.__name__, daemon=True)
	for f in (bulk_in, bulk_out, rr_client if role == "client" else rr_server)]
for t in ts:
	t.start()
for t in ts:
	t.join(max(0, end + 60 - time.time()))
errs += [t.name + ": still running" for t in ts if t.is_alive()]
print(out["sent"], out["received"], out["rounds"], "; ".join(errs) or "none")' \
	"$2" "$3" "$4" "$secs"
}
# xa and xb: each pod's device has the MAC of the host end its packets
# enter (bpf_redirect_peer() keeps pkt_type), and the other pod's MAC as
# a permanent neighbour
xmit=${STRESS_CROSS_XMIT:-on} ma=02:00:0a:09:00:01 mb=02:00:0a:09:00:02
printf '%s\n' "link add hxa index 4545 address $mb type veth bpf-xmit $xmit peer name eth0 address $ma netns xa" \
	"link add hxb index 4646 address $ma type veth bpf-xmit $xmit peer name eth0 address $mb netns xb" \
	"link set hxa up" "link set hxb up" | ip -n host -b -
for p in "xa 10.9.0.1 10.9.0.2 $mb" "xb 10.9.0.2 10.9.0.1 $ma"; do
	read -r ns me peer mac <<< "$p"
	printf '%s\n' "addr add $me/24 dev eth0" "link set eth0 up" \
		"neigh replace $peer lladdr $mac dev eth0 nud permanent" | ip -n "$ns" -b -
done
printf '%s\n' "net attach tcx_ingress pinned $pin/vbx_to_xb dev hxa" \
	"net attach tcx_ingress pinned $pin/vbx_to_xa dev hxb" > $cnt/x.batch
$H bpftool batch file $cnt/x.batch >/dev/null || fail=1
xpod xa 10.9.0.1 10.9.0.2 client > $cnt/xa &
xpod xb 10.9.0.2 10.9.0.1 server > $cnt/xb
wait
read -r a_sent a_got rounds a_err < $cnt/xa
read -r b_sent b_got _ b_err < $cnt/xb
intact() { [ "$1" = "$2" ] && [ "${1%%:*}" -gt 0 ] 2>/dev/null; }
intact "$a_sent" "$b_got" && intact "$b_sent" "$a_got" && match=yes || match=no
echo "stress: phase 'cross-connected pods' (bpf-xmit $xmit): tcp bulk" \
	"xa->xb ${a_sent%%:*} bytes, xb->xa ${b_sent%%:*} bytes, sha256 matched: $match;" \
	"request/response rounds ${rounds:-0}; errors: xa ${a_err:-no output}, xb ${b_err:-no output}" \
	"(the programs ran inline for $(($(inline hxa) + $(inline hxb))) packets)"
[ $match = yes ] && [ "${rounds:-0}" -gt 0 ] && [ "$a_err" = none ] && [ "$b_err" = none ] || fail=1

# The bpf_sk_assign() phases, on pairs of their own
"$top/guest/stress-tproxy.sh" "$secs" || fail=1

kml=/sys/kernel/debug/kmemleak
if [ -w $kml ]; then
	echo scan > $kml
	sleep 5
	echo scan > $kml
	leaks=$(grep -c "^unreferenced object" $kml)
	echo "stress: kmemleak: ${leaks:-0} suspected leaks"
	[ "${leaks:-0}" = 0 ] || { head -40 $kml; fail=1; }
else
	echo "stress: kmemleak: not in this kernel, no leak scan"
fi
[ $fail = 0 ] && echo "stress: PASS (no loss; dmesg is checked by the VM runner)" || echo "stress: FAIL"
exit $fail
