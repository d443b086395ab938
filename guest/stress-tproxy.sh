#!/bin/bash
# The bpf_sk_assign() phases of 'make stress', also run alone (on a kernel
# without patch 1's fix, see the README). A pod sends UDP datagrams and TCP
# connects to port 4321 of its host; a tcx program on the host end hv0
# assigns them the host's UDP socket or TCP listener on port 1234 (a
# tproxy), while the host closes and reopens both every 25 ms, so that a
# socket carried past its RCU read-side section is used after it is freed:
# - passed (SECONDS), with bpf-xmit on: the program runs inline in the
#   sender on CPU 0, RPS queues the packets to CPU 1; the socket is held
#   across the backlog, the proxy gets packets;
# - through each exit that leaves hv0's receive path after the assignment
#   (SECONDS/2 each, bpf-xmit off, then on): mirred ingress to hx1
#   (ifindex 4343, hv0's MAC), an ingress redirect to hx1, a peer redirect
#   into host2 (hv0's address too). The program runs on CPU 0 (inline in
#   the sender, or with the mode off in CPU 0's backlog), RPS queues the
#   packets to CPU 1 on the target. The assignment must be dropped at the
#   exit: nothing reaches the proxy's sockets. With the mode off this is
#   the kernel's path without the series.
# After each phase, the same exit with the race made certain ('stall', on a
# kernel booted with thread_backlog_napi, as make stress does): CPU 1's
# backlog thread is kept off its CPU by a SCHED_FIFO loop while the pod
# sends, the proxy's sockets are closed and two RCU grace periods pass
# (membarrier(MEMBARRIER_CMD_GLOBAL) is synchronize_rcu()), so an
# unreferenced socket in a waiting packet is freed memory when the loop
# ends and the backlog runs.
# KASAN must stay silent (the VM runner scans dmesg).
# Usage: guest/stress-tproxy.sh [SECONDS]   (0: the stall phases only)
set -u
secs=${1:-60}
case "$secs" in ''|*[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;; esac
top=$(cd "$(dirname "$0")/.." && pwd)
obj=$top/build/selftests/net/veth_bpf_xmit.bpf.o
pin=/sys/fs/bpf/stress-tproxy
. "$top/guest/xmit-count.sh"
cleanup() {
	for ns in tp-pod tp-host tp-host2; do ip netns del $ns 2>/dev/null; done
	rm -rf $pin
	xc_close tproxy
}
trap cleanup EXIT
H="nsenter --net=/run/netns/tp-host"
mac=02:00:c0:00:02:fe
rps() {	# ns dev cpumask
	ip netns exec "$1" sh -c "echo $3 > /sys/class/net/$2/queues/rx-0/rps_cpus"
}
fail=0
for ns in tp-pod tp-host tp-host2; do ip netns add $ns || fail=1; done
printf '%s\n' "link add hv0 address $mac type veth bpf-xmit on peer name eth0 netns tp-pod" \
	"link add hx1 index 4343 address $mac type veth peer name eth0 netns tp-host2" \
	"addr add 192.0.2.254/24 dev hv0" "link set hv0 up" "link set hx1 up" "link set lo up" |
	ip -n tp-host -b - || fail=1
for ns in tp-pod tp-host2; do
	a=192.0.2.254
	[ $ns = tp-pod ] && a=192.0.2.1
	printf '%s\n' "addr add $a/24 dev eth0" "link set eth0 up" "link set lo up" |
		ip -n $ns -b - || fail=1
done
# no ARP: a stall must not hold the resolution of the address it sends to
ip -n tp-pod neigh add 192.0.2.254 lladdr $mac dev eth0 nud permanent || fail=1
mkdir -p $pin
bpftool prog loadall "$obj" $pin type classifier pinmaps $pin || fail=1
xc_open tproxy || { echo "stress: cannot count netif_ingress_xmit events (CONFIG_HIST_TRIGGERS?)"; exit 1; }
inline() { xc_get tproxy hv0 inline; }
attach() {	# program: the only tcx ingress program on hv0
	{
		$H bpftool net detach tcx_ingress dev hv0 2>/dev/null
		$H bpftool net attach tcx_ingress pinned "$pin/$1" dev hv0
	} >/dev/null
}

tp_server() {	# addr: for $secs s, open a TCP listener and a UDP socket on
	# addr port 1234, take what comes for 20 ms, close both, sleep 5 ms,
	# again. Prints "DATAGRAMS ACCEPTED CYCLES"
	ip netns exec tp-host python3 -c '
import select, socket, sys, time
addr = (sys.argv[1], 1234); end = time.time() + int(sys.argv[2])
got = acc = cycles = 0
while time.time() < end:
	t = socket.create_server(addr)
	u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(addr)
	t.setblocking(False); u.setblocking(False)
	stop = time.time() + 0.02
	while (left := stop - time.time()) > 0:
		for s in select.select([t, u], [], [], left)[0]:
			try:
				if s is u:
					u.recv(64); got += 1
				else:
					t.accept()[0].close(); acc += 1
			except BlockingIOError:
				pass
	t.close(); u.close(); cycles += 1
	time.sleep(0.005)
print(got, acc, cycles)' "$1" "$secs"
}
tp_client() {	# addr: for $secs s from CPU 0 of pod, UDP datagrams and
	# nonblocking TCP connects to addr port 4321. Prints "DATAGRAMS CONNECTS"
	ip netns exec tp-pod taskset -c 0 python3 -c '
import socket, struct, sys, time
dst = (sys.argv[1], 4321); end = time.time() + int(sys.argv[2])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
conns = []; sent = tried = 0
while time.time() < end:
	for _ in range(8):
		try:
			u.sendto(b"x", dst); sent += 1
		except OSError:
			pass
	c = socket.socket(); c.setblocking(False)
	c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
	c.connect_ex(dst); tried += 1
	conns.append(c)
	if len(conns) > 16:
		conns.pop(0).close()	# a reset, leaving no TIME_WAIT
	time.sleep(0.002)
print(sent, tried)' "$1" "$secs"
}
run() {		# label: one run of the server and the client; sets sent tried
	# got acc cycles and prints them
	local i0
	i0=$(inline)
	tp_server 192.0.2.254 > /tmp/stress-tp.server &
	tp_client 192.0.2.254 > /tmp/stress-tp.client
	wait
	read -r sent tried < /tmp/stress-tp.client
	read -r got acc cycles < /tmp/stress-tp.server
	echo "stress: phase '$1': udp sent ${sent:-?} to the proxy's socket ${got:-?}," \
		"tcp connects ${tried:-?} accepted ${acc:-?}, close/reopen cycles ${cycles:-?}" \
		"(inline for $(($(inline) - i0)) packets)"
}

stall() {	# label XMIT: the pod sends 32 datagrams and 8 SYNs while CPU 1's
	# backlog cannot run; the sockets they are assigned are freed before it
	# runs. Fails if CPU 1 received a packet before that; prints the
	# packets CPU 1 received after (sets after). XMIT: bpf-xmit of hv0
	local out held
	after=
	if ! grep -qw thread_backlog_napi /proc/cmdline; then
		echo "stress: phase '$1 (stall)' skipped: no thread_backlog_napi"
		return
	fi
	out=$(taskset -c 0 python3 -c '
import ctypes, os, signal, socket, sys, time
libc = ctypes.CDLL(None, use_errno=True)
def enter(ns):	# the next sockets are made in netns ns
	with open("/run/netns/" + ns) as f:
		if libc.setns(f.fileno(), 0x40000000):	# CLONE_NEWNET
			raise OSError(ctypes.get_errno(), "setns " + ns)
def processed(cpu):	# packets the receive path took on cpu so far
	with open("/proc/net/softnet_stat") as f:
		return int(f.readlines()[cpu].split()[0], 16)
fair = "/sys/kernel/debug/sched/fair_server/cpu1/runtime"
addr = ("192.0.2.254", 1234); dst = ("192.0.2.254", 4321)
with open(fair) as f:	# off: it would run the fair threads of CPU 1
	runtime = f.read().strip()	# after 950 ms at most
with open(fair, "w") as f:
	f.write("0")
hog = -1
try:
	hog = os.fork()
	if hog == 0:
		try:
			os.sched_setaffinity(0, {1})
			os.sched_setscheduler(0, os.SCHED_FIFO,
					      os.sched_param(1))
			end = time.monotonic() + 30
			while time.monotonic() < end:
				pass
		finally:
			os._exit(0)
	time.sleep(0.2)
	enter("tp-host")	# after the fork: only this process has them
	t = socket.create_server(addr)
	u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(addr)
	enter("tp-pod")
	p0, q0 = processed(1), processed(0)
	c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	for _ in range(32):
		c.sendto(b"x", dst)
	syns = [socket.socket() for _ in range(8)]
	for s in syns:
		s.setblocking(False); s.connect_ex(dst)
	end = time.monotonic() + 10	# bpf-xmit off: the program runs in
	while sys.argv[1] == "off" and processed(0) - q0 < 40 and \
	      time.monotonic() < end:	# the backlog of CPU 0
		time.sleep(0.1)
	t.close(); u.close()
	for _ in range(2):
		if libc.syscall(324, 1, 0, 0):	# membarrier(MEMBARRIER_CMD_GLOBAL)
			raise OSError(ctypes.get_errno(), "membarrier")
	held = processed(1) - p0
finally:
	if hog > 0:	# also when this fails: the loop must not outlive it
		os.kill(hog, signal.SIGKILL); os.waitpid(hog, 0)
	with open(fair, "w") as f:
		f.write(runtime)
end = time.monotonic() + 10
while processed(1) - p0 < 40 and time.monotonic() < end:
	time.sleep(0.1)
print(held, processed(1) - p0 - held)' "$2")
	read -r held after <<< "$out"
	echo "stress: phase '$1 (stall)': CPU 1 received ${held:-?} packets before the" \
		"sockets were freed, ${after:-?} after"
	[ "${held:-1}" = 0 ] || fail=1
}

attach vbx_sk_assign || fail=1
rps tp-host hv0 2 || fail=1
if [ "$secs" -gt 0 ]; then
	run "tproxy sockets closed under load (bpf-xmit on)"
	[ "${got:-0}" -gt 0 ] && [ "${acc:-0}" -gt 0 ] || fail=1
fi
stall "tproxy (bpf-xmit on)" on
[ -z "$after" ] || [ "$after" -ge 40 ] || fail=1

rps tp-host hv0 1 && rps tp-host hx1 2 && rps tp-host2 eth0 2 || fail=1
all=$secs
secs=$(((all + 1) / 2))
for exit in mirred ingress peer; do
	prog=vbx_sk_assign_$exit
	[ $exit = mirred ] && prog=vbx_sk_assign_next
	attach $prog || fail=1
	if [ $exit = mirred ]; then
		$H tc qdisc add dev hv0 clsact &&
		$H tc filter add dev hv0 ingress matchall \
			action mirred ingress redirect dev hx1 || fail=1
	fi
	for xmit in off on; do
		ip -n tp-host link set hv0 type veth bpf-xmit $xmit || fail=1
		if [ "$secs" -gt 0 ]; then
			run "tproxy, then $exit (bpf-xmit $xmit)"
			# the assignment is dropped at the exit: nothing
			# reaches the proxy's socket
			[ "${got:-1}" = 0 ] && [ "${acc:-1}" = 0 ] &&
				[ "${cycles:-0}" -gt 0 ] || fail=1
		fi
		stall "tproxy, then $exit (bpf-xmit $xmit)" $xmit
		# all 40 waited on CPU 1, but for a peer redirect on the
		# kernel's path, which the target receives in the same softirq
		[ -z "$after" ] || [ "$exit $xmit" = "peer off" ] ||
			[ "$after" -ge 40 ] || fail=1
	done
	[ $exit = mirred ] && $H tc qdisc del dev hv0 clsact
done
[ $fail = 0 ] && echo "stress: tproxy PASS" || echo "stress: tproxy FAIL"
exit $fail
