#!/bin/bash
# A Pod made by Debian's unmodified CNI ptp plugin (host-local IPAM), switched
# to bpf-xmit and back while traffic runs; TAP. The plugin is called the way a
# runtime calls it (CNI_COMMAND=ADD, the config on stdin, a netns as the Pod)
# from a "host" netns of the test's own, so that the VM's netns is untouched.
# UDP and TCP then run from the Pod to a "remote" netns behind an uplink (up0,
# ifindex 4242), through seven phases:
#   0 off            baseline: bpf-xmit off, no program; the host routes
#   1 switching-on   `ip link set <host end> type veth bpf-xmit on` runs
#   2 on             on, no program: nothing to run inline, the backlog as before
#   3 attaching      `bpftool net attach tcx_ingress` attaches vbx_redirect
#                    (bpf_redirect() to up0's egress) on the host end
#   4 on+redirect    the Pod's packets are redirected in its own xmit
#   5 switching-off  `ip link set <host end> type veth bpf-xmit off` runs
#   6 off+program    the program stays attached: the switch alone changes back,
#                    and the same program runs from the backlog, as on any
#                    veth; DEL then removes it with the device
# In phases 1, 3 and 5 the command runs while the Pod sends: FLOW packets
# before it, on while it runs, FLOW more after it. Between two phases the
# traffic pauses: the sender stops writing, every byte of its TCP stream is
# acknowledged, and the counters are read once nothing moves any more (see
# "The backlog arithmetic"); then it resumes. So every packet is counted in
# the phase it was sent in, by each counter, and the checks are exact: that
# not one UDP datagram (sequence numbers) or TCP byte (one stream: bytes per
# phase on both sides, and sha256) is lost and nothing is dropped on the
# way; that none of the Pod's packets goes through the host's backlog while
# they are redirected inline, and all of them do otherwise (softnet_stat
# arithmetic; the kernel's net:netif_receive_skb events on the host end);
# and, on a kernel with net:netif_ingress_xmit, that the hook ran inline and
# redirected each of them (guest/xmit-count.sh). Finally CNI_COMMAND=DEL
# cleans up as usual.
#
# vbx_redirect redirects every frame, ARP included, so neighbour resolution
# across the Pod's link would stop once it is attached: both ends' entries
# are made permanent before the baseline (a real loader answers or passes
# ARP). The remote end has the host end's MAC, so the Pod's frames, which the
# L2 redirect leaves as they are, are delivered; the remote answers through
# the host's normal routing (only Pod -> remote is redirected). The uplink's
# entries are permanent too: no ARP at all, the traffic is the test's only.
#
# Runs as root in the VM (scripts/vm.sh), with the patched ip first in PATH.
# / is read-only there: the CNI state (host-local's dataDir) lives in a
# temporary directory under /tmp. Everything is removed on exit, failed or
# not: the CNI state by DEL, the netns, the pinned objects, the tracing
# instances.
# Usage: guest/cni-live.sh [SECONDS]   (length of the steady phases, 1-60; default 3)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)

usage() {
	echo "usage: $0 [SECONDS]   (length of the steady phases, 1-60; default 3)" >&2
	exit 2
}
case $# in
0) secs=3 ;;
1) secs=$1 ;;
*) usage ;;
esac
case $secs in '' | *[!0-9]*) usage ;; esac
if [ "$secs" -lt 1 ] || [ "$secs" -gt 60 ]; then usage; fi

. "$top/guest/tap.sh"
[ -f "$top/guest/xmit-count.sh" ] && . "$top/guest/xmit-count.sh"

CNI_BIN=/usr/lib/cni
OBJ=$top/build/selftests/net/veth_bpf_xmit.bpf.o
TRACEFS=/sys/kernel/tracing
SUBNET=10.244.1.0/24		# the Pod network (host-local)
UP_ADDR=192.0.2.1		# the host's uplink address
REMOTE=192.0.2.2		# the remote end
PORT=9000			# UDP and TCP
RATE=200			# UDP datagrams/s, each with a 4000-byte TCP write
PHASES=(off switching-on on attaching on+redirect switching-off off+program)
NPH=${#PHASES[@]}
FLOW=40				# packets the Pod sends before and after each switch
STILL=0.25			# seconds; see "The backlog arithmetic"
SETTLE=60			# seconds the counters may take to settle, at most

NP=cnilive-pod-$$ NH=cnilive-host-$$ NR=cnilive-remote-$$
PIN=/sys/fs/bpf/cnilive_$$
RXT=$TRACEFS/instances/cnilive_rx_$$	# net:netif_receive_skb on the host end
XC=cnilive_xc_$$			# guest/xmit-count.sh's instance
tmp=''
added=0 deleted=0
spid='' rpid='' hp='' hh='' hr=''

cni() {	# cni ADD|DEL: call ptp as a runtime does, from the host netns
	ip netns exec "$NH" env CNI_COMMAND="$1" CNI_CONTAINERID=cnilive-$$ \
		CNI_NETNS="/run/netns/$NP" CNI_IFNAME=eth0 CNI_PATH=$CNI_BIN \
		"$CNI_BIN/ptp" < "$tmp/net.conf"
}

# shellcheck disable=SC2317  # run by the trap
cleanup() {
	local p
	for p in $spid $rpid $hp $hh $hr; do kill "$p" 2> /dev/null; done
	for p in $spid $rpid $hp $hh $hr; do wait "$p" 2> /dev/null; done
	if [ $added = 1 ] && [ $deleted = 0 ]; then cni DEL > /dev/null 2>&1; fi
	for p in "$NP" "$NH" "$NR"; do ip netns del "$p" 2> /dev/null; done
	rm -rf "$PIN"
	if [ -d "$RXT" ]; then
		echo 0 > "$RXT/events/net/netif_receive_skb/enable"
		echo 0 > "$RXT/events/skb/kfree_skb/enable"
		rmdir "$RXT"
	fi
	if declare -F xc_close > /dev/null; then xc_close "$XC" 2> /dev/null; fi
	if [ -n "$tmp" ]; then rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "TAP version 13"
echo "1..13"
bail() { echo "Bail out! $*"; exit 1; }
[ "$(id -u)" = 0 ] || bail "not root"
for f in "$CNI_BIN/ptp" "$CNI_BIN/host-local" "$OBJ"; do
	[ -e "$f" ] || bail "no $f (containernetworking-plugins; make check builds the object)"
done
ip link help veth 2>&1 | grep -q bpf-xmit ||
	bail "$(command -v ip) has no bpf-xmit (the patched ip must come first in PATH)"
tmp=$(mktemp -d /tmp/cni-live.XXXXXX) || bail "mktemp"
echo "# ptp $(dpkg-query -W -f '${Version}' containernetworking-plugins 2> /dev/null)," \
	"kernel $(uname -r); steady phases $secs s;" \
	"the Pod sends $RATE UDP datagrams/s and $((RATE * 4000)) TCP bytes/s"

# The traffic: "send" in the Pod, "recv" in the remote. A UDP datagram
# carries its sequence number and the sender's phase; the TCP stream is one
# connection, hashed on both sides. Each side takes commands, one a line, on
# its control fifo and answers each on its ack fifo:
#   send: "hold"  stop writing, wait until every byte written is acknowledged
#                 (SIOCOUTQ 0: nothing of the stream in flight), then answer
#                 (the sender starts held); "go" (when held): start the next
#                 phase; "stop" (when held): write the totals, close the
#                 stream, wait for the other side to close
#   recv: "next"  (the sender held, the counters read) take what has arrived
#                 into this phase, start the next one
# The receiver ends when the stream does.
cat > "$tmp/traffic.py" << 'EOF'
import fcntl, hashlib, os, select, socket, struct, sys, termios, time
HDR = struct.Struct("!IB")
DGRAM, CHUNK = 64, 4000
role, addr, port, ctlp, ackp, outp = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
ctl = open(ctlp, "rb", buffering=0)
ack = open(ackp, "w", buffering=1)

if role == "send":
	rate = int(sys.argv[7])
	seq = tcp = 0
	per = []			# per phase: datagrams, their bytes, TCP bytes
	u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	u.connect((addr, port))
	t = socket.create_connection((addr, port), timeout=60)
	block = os.urandom(1 << 16)
	block2 = block + block
	h = hashlib.sha256()
	off = 0
	def unacked():		# bytes written and not yet acknowledged
		return struct.unpack("i", fcntl.ioctl(t, termios.TIOCOUTQ, bytes(4)))[0]
	step = 1.0 / rate
	held = True
	while True:
		if held:
			t0 = time.monotonic()
			while unacked() and time.monotonic() - t0 < 30:
				time.sleep(0.01)
			ack.write("held at UDP seq %d, TCP byte %d (%d bytes unacknowledged after %.2f s)\n"
				% (seq, tcp, unacked(), time.monotonic() - t0))
			if ctl.readline().strip() != b"go":
				break
			held = False
			per.append([0, 0, 0])
			ph = len(per) - 1
			ack.write("phase %d\n" % ph)
			nxt = time.monotonic()
		u.send(HDR.pack(seq, ph).ljust(DGRAM, b"\0"))
		per[ph][0] += 1
		per[ph][1] += DGRAM
		seq += 1
		chunk = block2[off:off + CHUNK]
		off = (off + CHUNK) % len(block)
		t.sendall(chunk)
		h.update(chunk)
		per[ph][2] += CHUNK
		tcp += CHUNK
		nxt += step
		d = nxt - time.monotonic()
		if d < -0.2:
			nxt = time.monotonic()
		# wait for the next datagram's time, or a command ("hold")
		if select.select([ctl], [], [], max(d, 0))[0]:
			held = ctl.readline().strip() == b"hold"
	with open(outp, "w") as f:
		f.write("total %d %d %s\n" % (seq, tcp, h.hexdigest()))
		for k, p in enumerate(per):
			f.write("phase %d %d %d %d\n" % (k, *p))
	t.shutdown(socket.SHUT_WR)
	t.settimeout(60)
	while t.recv(4096):
		pass
	ack.write("done\n")
else:
	sendp = sys.argv[7]
	l = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
	l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	l.bind((addr, port))
	l.listen(1)
	u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	# a big receive buffer (SO_RCVBUFFORCE: root), so none overflows
	u.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_RCVBUFFORCE", 33), 16 << 20)
	u.bind((addr, port))
	u.setblocking(False)
	tcpper = [0]
	ack.write("ready\n")
	c, _ = l.accept()
	h = hashlib.sha256()
	seen = bytearray(1 << 16)
	udp = {}			# the sender's phase -> [datagrams, bytes]
	dups = reord = 0
	top = -1
	def take_udp():		# every datagram waiting
		global dups, reord, top
		while True:
			try:
				d = u.recv(2048)
			except BlockingIOError:
				return
			s, ph = HDR.unpack_from(d)
			while s >= len(seen):
				seen.extend(bytearray(len(seen)))
			if seen[s]:
				dups += 1
				continue
			seen[s] = 1
			if s < top:
				reord += 1
			top = max(top, s)
			v = udp.setdefault(ph, [0, 0])
			v[0] += 1
			v[1] += len(d)
	def take_tcp(flags=0):	# one read of the stream; False once it has ended
		global c
		d = c.recv(1 << 16, flags)
		if not d:
			c.close()
			c = None
			return False
		h.update(d)
		tcpper[-1] += len(d)
		return True
	while c:
		r, _, _ = select.select([u, c, ctl], [], [])
		if u in r:
			take_udp()
		if c in r:
			take_tcp()
		if ctl in r:
			if not ctl.readline():
				break		# the script has gone
			# every byte the sender wrote is acknowledged, so waiting here
			take_udp()
			try:
				while c and take_tcp(socket.MSG_DONTWAIT):
					pass
			except BlockingIOError:
				pass
			tcpper.append(0)
			ack.write("phase %d: TCP byte %d\n" % (len(tcpper) - 1, sum(tcpper)))
	# the stream ended after the last phase, once everything had arrived
	take_udp()
	n = int(open(sendp).readline().split()[1])
	missing = [s for s in range(n) if not seen[s]]
	with open(outp, "w") as f:
		f.write("total %d %d %s\n" % (n - len(missing), sum(tcpper), h.hexdigest()))
		f.write("missing %d %s\n" % (len(missing), ",".join(map(str, missing[:10]))))
		f.write("dups %d\nreordered %d\n" % (dups, reord))
		for k in range(max(len(tcpper), max(udp, default=0) + 1)):
			v = udp.get(k, [0, 0])
			f.write("phase %d %d %d %d\n" % (k, v[0], v[1], tcpper[k] if k < len(tcpper) else 0))
	ack.write("done\n")
EOF

# --- the Pod, as a runtime makes it ---
for ns in "$NP" "$NH" "$NR"; do
	ip netns add "$ns" || bail "cannot create netns $ns"
	# IPv4 only: no IPv6 autoconfiguration chatter in the counts
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
cat > "$tmp/net.conf" << EOF
{
	"cniVersion": "1.0.0",
	"name": "cni-live",
	"type": "ptp",
	"ipMasq": false,
	"ipam": {
		"type": "host-local",
		"ranges": [[{ "subnet": "$SUBNET" }]],
		"routes": [{ "dst": "0.0.0.0/0" }],
		"dataDir": "$tmp/ipam"
	}
}
EOF
res=$(cni ADD 2>&1)
rc=$?
[ $rc = 0 ] && added=1
# The result lists the host end first, then the Pod's eth0.
hv='' podip='' gw=''
[[ $res =~ \"name\":\ *\"([^\"]+)\" ]] && hv=${BASH_REMATCH[1]}
[[ $res =~ \"address\":\ *\"([0-9.]+)/ ]] && podip=${BASH_REMATCH[1]}
[[ $res =~ \"gateway\":\ *\"([0-9.]+)\" ]] && gw=${BASH_REMATCH[1]}
hvmac='' podmac='' mode=''
if [ -n "$hv" ]; then
	read -r _ _ hvmac _ < <(ip -n "$NH" -br link show dev "$hv" 2> /dev/null)
	mode=$(ip -n "$NH" -d link show dev "$hv" 2> /dev/null | grep -o 'bpf-xmit [a-z]*')
fi
read -r _ _ podmac _ < <(ip -n "$NP" -br link show dev eth0 2> /dev/null)
if [ $rc = 0 ] && [ -n "$podip" ] && [ -n "$gw" ] && [ -n "$hvmac" ] && [ -n "$podmac" ] &&
	[ "$mode" = "bpf-xmit off" ] && [ -f "$tmp/ipam/cni-live/$podip" ] &&
	ip -n "$NP" -4 -o addr show dev eth0 | grep -q " $podip/"; then
	ok "ADD: ptp made the Pod: eth0 $podip, gateway $gw on the host end $hv ($mode); host-local reserved it"
else
	not_ok "ADD: ptp made the Pod (exit $rc)"
	printf '%s\n' "$res" | diag
	bail "no Pod"
fi
{ ip -n "$NP" route; ip -n "$NH" route; } | sed 's/^/# /; s/ *$//'

# --- the uplink and the remote ---
upmac=''
ip -n "$NH" link add up0 index 4242 type veth peer name eth0 netns "$NR" &&
	read -r _ _ upmac _ < <(ip -n "$NH" -br link show dev up0) &&
	ip -n "$NR" link set eth0 address "$hvmac" &&
	ip -n "$NH" addr add "$UP_ADDR/24" dev up0 &&
	ip -n "$NR" addr add "$REMOTE/24" dev eth0 &&
	ip -n "$NH" link set up0 up &&
	ip -n "$NR" link set eth0 up &&
	ip -n "$NR" route add "$SUBNET" via "$UP_ADDR" &&
	ip -n "$NP" neigh replace "$gw" lladdr "$hvmac" dev eth0 nud permanent &&
	ip -n "$NH" neigh replace "$podip" lladdr "$podmac" dev "$hv" nud permanent &&
	ip -n "$NH" neigh replace "$REMOTE" lladdr "$hvmac" dev up0 nud permanent &&
	ip -n "$NR" neigh replace "$UP_ADDR" lladdr "$upmac" dev eth0 nud permanent &&
	mkdir -p "$PIN" &&
	bpftool prog loadall "$OBJ" "$PIN" type classifier pinmaps "$PIN" ||
	bail "setting up the uplink or loading $OBJ failed"

# A trace of net:netif_receive_skb on the host end, with a marker at each
# phase change: the exact count, per phase, of the host end's packets that a
# receive path took from a backlog (veth has no NAPI here: no XDP, no GRO);
# and of skb:kfree_skb, every packet the kernel dropped, anywhere.
rxt=0
if mkdir "$RXT" 2> /dev/null &&
	echo mono > "$RXT/trace_clock" &&
	echo 8192 > "$RXT/buffer_size_kb" &&
	echo "name == \"$hv\"" > "$RXT/events/net/netif_receive_skb/filter" &&
	echo 1 > "$RXT/events/net/netif_receive_skb/enable" &&
	echo 1 > "$RXT/events/skb/kfree_skb/enable"; then
	rxt=1
else
	echo "# cannot trace net:netif_receive_skb and skb:kfree_skb in $RXT: counters only"
fi
# net:netif_ingress_xmit, with guest/xmit-count.sh: what the hook did inline
if [ ! -d "$TRACEFS/events/net/netif_ingress_xmit" ]; then
	xc=none		# a kernel without the tracepoint
elif declare -F xc_open > /dev/null && xc_open "$XC"; then
	xc=1
else
	xc=0
fi

# A task in each netns, for /proc/PID/net/{dev,snmp} (ip netns exec execs
# the command itself: $! is it)
ip netns exec "$NP" sleep 3600 &
hp=$!
ip netns exec "$NH" sleep 3600 &
hh=$!
ip netns exec "$NR" sleep 3600 &
hr=$!

# --- traffic ---
# Each side's control and ack fifos, held open here read-write (so that no
# open blocks), and one nothing is written to, for nap
mkfifo "$tmp/sctl" "$tmp/sack" "$tmp/rctl" "$tmp/rack" "$tmp/nap" || bail "mkfifo"
exec {sctl}<> "$tmp/sctl" {sfd}<> "$tmp/sack" {rctl}<> "$tmp/rctl" {rfd}<> "$tmp/rack" {nfd}<> "$tmp/nap"
# nap SECONDS: sleep without an exec (each costs ~0.1 s under TCG)
nap() { read -r -t "$1" -u "$nfd" _; }
# ack FD PID: PID's next ack line into $line, waiting while PID lives
ack() {
	local i
	for ((i = 0; i < 60; i++)); do
		read -r -t 1 -u "$1" line && return 0
		kill -0 "$2" 2> /dev/null || { read -r -t 1 -u "$1" line; return; }
	done
	return 1
}
ip netns exec "$NR" python3 "$tmp/traffic.py" recv "$REMOTE" $PORT "$tmp/rctl" "$tmp/rack" "$tmp/recv.out" "$tmp/send.out" &
rpid=$!
ack $rfd $rpid && [ "$line" = ready ] || bail "the receiver did not start"
ip netns exec "$NP" python3 "$tmp/traffic.py" send "$REMOTE" $PORT "$tmp/sctl" "$tmp/sack" "$tmp/send.out" $RATE &
spid=$!
ack $sfd $spid && [[ $line == held* ]] || bail "the sender did not start"

# --- counters ---
#
# The backlog arithmetic. /proc/net/softnet_stat's first column counts, per
# CPU, the packets __netif_receive_skb_core() processed; veth has no NAPI
# here, so that is every packet any veth end (or lo) took from a per-CPU
# backlog, each once. Every other device's received packets go that way:
# nothing runs inline for them. veth counts a packet it hands over as its
# peer's rx (rx_packets(X) = tx_packets(peer of X)), so the host netns's
# counters alone give every device's: the Pod's eth0 received tx(host end),
# the remote's eth0 tx(up0), up0 rx(up0); the only other device up is the
# VM's lo. So over a phase:
#   backlog(host end) = d(processed) - d(tx(host end) + tx(up0) + rx(up0) + rx(lo))
# The host end's rx counts every packet the Pod sent it, also those its hook
# consumed in the Pod's xmit (redirected or dropped), which never reach a
# backlog: that is what the mode is for; inline = d(rx(host end)) - backlog.
#
# veth counts a packet as its peer's rx in the sender's veth_xmit(), which
# queues it to a backlog; a receive path takes it from there later, maybe on
# the other CPU (processed, the net:netif_receive_skb event); and TCP sends
# segments of its own (what its buffer holds, retransmissions) after the
# sender stops writing. Counters read while packets are on their way would
# count some of them on one side of a phase change and the rest on the
# other. So they are read when nothing moves: the sender holds, every byte
# of its stream acknowledged; then the counters of the arithmetic are read
# (shell builtins), the trace marker written, netif_ingress_xmit's histogram
# read, and the counters read again STILL seconds later, until the two
# readings are the same and every CPU's backlog is empty (softnet_stat's
# column 12), SETTLE seconds at most. Nothing was counted between the two
# readings, and no packet was half-way: the counters, the marker and the
# histogram all stand at one instant between two packets, so every count,
# per phase, is exact.
declare -a S_PROC S_SNDROP S_OTHER S_HV S_DROPS S_RETR XCH S_SETTLE
sample() {	# sample K: the counters at the start of phase K (K=$NPH: the end)
	local k=$1 sn dh dl dp dr snmp a b q x name rest other=0 hvrx=0 drops=0 sum=0 sd=0 queued
	local try=0 t0=${EPOCHREALTIME//[!0-9]/} t1
	local -a hdr val
	while :; do
		try=$((try + 1))
		IFS= read -r -d '' dh < "/proc/$hh/net/dev"
		IFS= read -r -d '' dl < /proc/self/net/dev
		IFS= read -r -d '' sn < /proc/net/softnet_stat
		[ "$xc" = 1 ] && IFS= read -r -d '' "XCH[$k]" < "$TRACEFS/instances/$XC/events/net/netif_ingress_xmit/hist"
		[ $rxt = 1 ] && echo "cnilive phase $k try $try" > "$RXT/trace_marker"
		nap $STILL
		a=$dh$dl$sn
		IFS= read -r -d '' x < "/proc/$hh/net/dev"
		b=$x
		IFS= read -r -d '' x < /proc/self/net/dev
		b+=$x
		IFS= read -r -d '' x < /proc/net/softnet_stat
		b+=$x
		queued=0
		while read -r _ _ _ _ _ _ _ _ _ _ _ q _; do
			queued=$((queued + 0x${q:-0}))
		done <<< "$sn"
		t1=${EPOCHREALTIME//[!0-9]/}
		[ "$a" = "$b" ] && [ $queued = 0 ] && break
		[ $((t1 - t0)) -lt $((SETTLE * 1000000)) ] ||
			bail "phase $k: the counters did not settle in $SETTLE s ($try tries)"
	done
	S_SETTLE[$k]="in $(((t1 - t0) / 1000)) ms, try $try"
	IFS= read -r -d '' dp < "/proc/$hp/net/dev"
	IFS= read -r -d '' dr < "/proc/$hr/net/dev"
	IFS= read -r -d '' snmp < "/proc/$hp/net/snmp"
	while read -r a b _; do
		sum=$((sum + 0x$a)) sd=$((sd + 0x$b))
	done <<< "$sn"
	for x in host:"$dh" root:"$dl" pod:"$dp" remote:"$dr"; do
		while IFS=: read -r name rest; do
			name=${name// /}
			case $rest in '' | *'|'*) continue ;; esac
			# shellcheck disable=SC2086
			set -- $rest	# rx: bytes packets errs drop ... (1-8); tx: the same (9-16)
			drops=$((drops + $4 + ${12}))
			case ${x%%:*}/$name in
			host/"$hv") hvrx=$2 other=$((other + ${10})) ;;
			host/up0) other=$((other + $2 + ${10})) ;;
			root/*) other=$((other + $2)) ;;
			esac
		done <<< "${x#*:}"
	done
	while read -r -a hdr && read -r -a val; do
		[ "${hdr[0]}" = Tcp: ] || continue
		for x in "${!hdr[@]}"; do
			[ "${hdr[$x]}" = RetransSegs ] && S_RETR[$k]=${val[$x]}
		done
	done <<< "$snmp"
	S_PROC[$k]=$sum S_SNDROP[$k]=$sd S_OTHER[$k]=$other S_HV[$k]=$hvrx S_DROPS[$k]=$drops
}
# snmp FILE NAME: the counter NAME ("TcpExt:TCPLossProbes") of a /proc/PID/net/{snmp,netstat}
snmp() {
	local -a hdr val
	local i
	while read -r -a hdr && read -r -a val; do
		[ "${hdr[0]}" = "${2%%:*}:" ] || continue
		for i in "${!hdr[@]}"; do
			[ "${hdr[$i]}" = "${2#*:}" ] && { echo "${val[$i]}"; return; }
		done
	done < "$1"
	echo "?"
}
# boundary K: phase K starts (K=$NPH: the end). The sender holds (its ack
# says where its streams were), the counters are read once nothing moves,
# the receiver takes what has arrived into the phase before and starts
# phase K, and the sender starts it.
boundary() {
	local k=$1 s=$line r=''
	if [ "$k" -gt 0 ]; then
		echo hold >&"$sctl"
		ack $sfd "$spid" && s=$line || bail "the sender did not hold before phase $k"
	fi
	sample "$k"
	if [ "$k" -gt 0 ] && [ "$k" -lt $NPH ]; then
		echo next >&"$rctl"
		ack $rfd "$rpid" && r="; receiver at ${line#*: }" || bail "the receiver did not start phase $k"
	fi
	if [ "$k" -lt $NPH ]; then
		echo go >&"$sctl"
		ack $sfd "$spid" && [ "$line" = "phase $k" ] || bail "the sender did not start phase $k"
	fi
	echo "# phase $k (${PHASES[k]:-the end}): sender $s$r; counters settled ${S_SETTLE[k]}"
}
# rx_now: the host end's rx packets (all the Pod sent it) into $rx
rx_now() {
	local name rest
	while IFS=: read -r name rest; do
		[ "${name// /}" = "$hv" ] || continue
		read -r _ rx _ <<< "$rest"
		return 0
	done < "/proc/$hh/net/dev"
	return 1
}
# flow: wait until the Pod has sent FLOW more packets (SETTLE seconds at
# most); how many it sent in $flowed
flow() {
	local r0 t0=$SECONDS
	rx_now
	r0=$rx
	while rx_now && [ $((rx - r0)) -lt $FLOW ] && [ $((SECONDS - t0)) -lt $SETTLE ]; do
		nap 0.05
	done
	flowed=$((rx - r0))
}
# switch K DESC CMD...: phase K, in which CMD runs while the Pod sends; its
# output in $out; the Pod's packets before, while and after it ran in
# F_BEFORE, F_DURING and F_AFTER[K]
declare -a F_BEFORE F_DURING F_AFTER
switch() {
	local k=$1 desc=$2 rc r0
	shift 2
	boundary "$k"
	flow
	F_BEFORE[k]=$flowed
	rx_now
	r0=$rx
	out=$("$@" 2>&1)
	rc=$?
	rx_now
	F_DURING[k]=$((rx - r0))
	flow
	F_AFTER[k]=$flowed
	boundary $((k + 1))
	echo "# $desc: exit $rc; the Pod sent ${F_BEFORE[k]} packets before, ${F_DURING[k]} while it ran, ${F_AFTER[k]} after"
	return $rc
}
H() { nsenter --net="/run/netns/$NH" "$@"; }
bpfxmit() { ip -n "$1" -d link show dev "$2" | grep -o 'bpf-xmit [a-z]*'; }

boundary 0
nap "$secs"

if switch 1 "ip link set $hv type veth bpf-xmit on" ip -n "$NH" link set "$hv" type veth bpf-xmit on &&
	[ "$(bpfxmit "$NH" "$hv")" = "bpf-xmit on" ] && [ "$(bpfxmit "$NP" eth0)" = "bpf-xmit off" ]; then
	ok "switch on under traffic: ip link set $hv type veth bpf-xmit on; $hv says bpf-xmit on, the Pod's eth0 stays off (per end)"
else
	not_ok "switch on under traffic: ip link set $hv type veth bpf-xmit on"
	printf '%s\n' "$out" | diag
fi
nap "$secs"

# one bpftool process for both (each bpftool start takes seconds under TCG)
printf 'net attach tcx_ingress pinned %s dev %s\nnet show dev %s\n' "$PIN/vbx_redirect" "$hv" "$hv" > "$tmp/attach"
if switch 3 "bpftool net attach tcx_ingress pinned .../vbx_redirect dev $hv" H bpftool batch file "$tmp/attach" &&
	grep -q 'tcx/ingress vbx_redirect' <<< "$out"; then
	ok "attach under traffic: bpftool net attach tcx_ingress pinned vbx_redirect dev $hv"
else
	not_ok "attach under traffic: bpftool net attach tcx_ingress vbx_redirect dev $hv"
fi
grep -v '^$' <<< "$out" | diag
nap "$secs"

if switch 5 "ip link set $hv type veth bpf-xmit off" ip -n "$NH" link set "$hv" type veth bpf-xmit off &&
	[ "$(bpfxmit "$NH" "$hv")" = "bpf-xmit off" ] && [ "$(bpfxmit "$NP" eth0)" = "bpf-xmit off" ] &&
	out=$(H bpftool net show dev "$hv") && grep -q 'tcx/ingress vbx_redirect' <<< "$out"; then
	ok "switch back off under traffic: $hv says bpf-xmit off (the Pod's eth0 never was on); vbx_redirect stays attached"
else
	not_ok "switch back off under traffic: ip link set $hv type veth bpf-xmit off"
fi
grep -v '^$' <<< "$out" | diag
nap "$secs"

# The end: the counters, once the traffic has stopped; then the sender
# writes its side and closes the stream, and the receiver reads to the end
# and compares.
boundary $NPH
echo stop >&"$sctl"
ack $sfd "$spid" && [ "$line" = "done" ] || echo "# the sender did not finish"
ack $rfd "$rpid" && [ "$line" = "done" ] || echo "# the receiver did not finish"
wait "$spid" "$rpid"
spid='' rpid=''

# --- what each side saw ---
declare -A SND RCV
# shellcheck disable=SC2034  # arr is a nameref
rd() {	# rd FILE ARRAY: "phase K ..." -> ARRAY[phaseK]="...", "KEY ..." -> ARRAY[KEY]="..."
	local -n arr=$2
	local key k rest
	while read -r key k rest; do
		case $key in
		phase) arr[$key$k]=$rest ;;
		*) arr[$key]="$k $rest" ;;
		esac
	done < "$1"
}
[ -f "$tmp/send.out" ] && rd "$tmp/send.out" SND
[ -f "$tmp/recv.out" ] && rd "$tmp/recv.out" RCV
read -r s_n s_tcp s_sha <<< "${SND[total]:-0 0 -}"
read -r r_n r_tcp r_sha <<< "${RCV[total]:-0 0 -}"
read -r missing missing_list <<< "${RCV[missing]:-? ?}"
read -r dups _ <<< "${RCV[dups]:-?}"
read -r reord _ <<< "${RCV[reordered]:-?}"

# The trace, per phase (from the last marker of a phase, written when nothing
# moved, to the next's):
# net:netif_receive_skb events on the host end (TR); skb:kfree_skb events,
# every skb the kernel dropped, with its reason, of which the only ones
# expected are TCP discarding what it already had (KU: duplicates of data
# from retransmissions that were not needed, an ACK overtaken by a later
# one), the others (KD) are losses. Used only if the trace kept every event
# ("# entries-in-buffer/entries-written: N/M" with N = M).
declare -a TR KU KD
tr_ok=0
if [ $rxt = 1 ]; then
	echo 0 > "$RXT/events/net/netif_receive_skb/enable"
	echo 0 > "$RXT/events/skb/kfree_skb/enable"
	while read -r what k cnt; do
		case $what in
		lost) [ "$cnt" = 0 ] && tr_ok=1 ;;
		rx) TR[k]=$cnt ;;
		dup) KU[k]=$cnt ;;
		drop) KD[k]=$cnt ;;
		*) echo "# phase $k: $cnt dropped at $what" ;;
		esac
	done < <(awk 'NR == FNR { if (/tracing_mark_write: cnilive phase/) last[$(NF - 2)] = FNR; next }
		/^# entries-in-buffer\/entries-written:/ { split($3, a, "/"); print "lost", 0, a[2] - a[1] }
		/tracing_mark_write: cnilive phase/ {
			if (FNR == last[$(NF - 2)]) { p = $(NF - 2); rx[p] += 0; dup[p] += 0; drop[p] += 0 }
			next
		}
		p == "" { next }
		/ netif_receive_skb: / { rx[p]++ }
		/ kfree_skb: / {
			# TCP throwing away what it already had; RFC7323_PAWS: a
			# segment older than the timestamp TCP last took in order,
			# an original its own retransmission overtook at a switch
			if ($NF ~ /^TCP_(OLD_DATA|OLD_SEQUENCE|OFOMERGE|OLD_ACK|RFC7323_PAWS)$/) { dup[p]++; next }
			drop[p]++
			match($0, /location=[^ ]*/)
			where[substr($0, RSTART + 9, RLENGTH - 9) " (" $NF ")", p]++
		}
		END {
			for (k in rx) print "rx", k, rx[k]
			for (k in dup) print "dup", k, dup[k]
			for (k in drop) print "drop", k, drop[k]
			for (k in where) { split(k, w, SUBSEP); print w[1], w[2], where[k] }
		}' "$RXT/trace" "$RXT/trace")
	[ $tr_ok = 1 ] || echo "# the trace lost events: its counts are left out"
fi
# net:netif_ingress_xmit per phase, from the histograms read at each phase
# change (kept in memory, parsed here by xmit-count.sh's xc_get)
declare -a XI XR
if [ "$xc" = 1 ]; then
	for ((k = 0; k <= NPH; k++)); do
		d=$tmp/xc$k/instances/$XC/events/net/netif_ingress_xmit
		mkdir -p "$d" && printf '%s' "${XCH[k]}" > "$d/hist"
		XI[k]=$(XC_TRACEFS=$tmp/xc$k xc_get "$XC" "$hv" inline)
		XR[k]=$(XC_TRACEFS=$tmp/xc$k xc_get "$XC" "$hv" redirect)
	done
fi

echo "# UDP: $s_n datagrams sent, $r_n received ($missing missing${missing_list:+: $missing_list}," \
	"$dups duplicated, $reord out of order)"
echo "# TCP: $s_tcp bytes sent, $r_tcp received; sha256 sent     $s_sha"
echo "#                                             received $r_sha"
echo "# Per phase: UDP by the phase the sender was in; TCP bytes the sender wrote in the phase"
echo "# and the receiver read before the next (every byte is acknowledged at each change)."
printf '# %-16s %19s %21s %23s\n' phase "UDP sent/rcvd" "UDP bytes sent/rcvd" "TCP bytes sent/rcvd"
declare -a T_S T_R
udp_ok=1
for ((k = 0; k < NPH; k++)); do
	read -r sp sb st <<< "${SND[phase$k]:-0 0 0}"
	read -r rp rb rt <<< "${RCV[phase$k]:-0 0 0}"
	T_S[k]=$st T_R[k]=$rt
	[ "$sp" = "$rp" ] && [ "$sb" = "$rb" ] || udp_ok=0
	printf '# %-16s %9s/%-9s %10s/%-10s %11s/%-11s\n' "$k ${PHASES[k]}" "$sp" "$rp" "$sb" "$rb" "$st" "$rt"
done
echo "# The host end, per phase: packets the Pod sent it (rx); of those, taken from a backlog by"
echo "# the softnet arithmetic and by net:netif_receive_skb events; the rest (inline = rx - backlog);"
echo "# net:netif_ingress_xmit inline and redirect (xmit-count.sh). Drops anywhere: softnet's and"
echo "# every device's counters (drops), skb:kfree_skb events (kfree) but TCP discarding what it"
echo "# already had (dup: TCP_OLD_DATA, _OLD_SEQUENCE, _OFOMERGE, _OLD_ACK, _RFC7323_PAWS); TCP segments the Pod"
echo "# retransmitted."
printf '# %-16s %6s %7s %6s %6s %6s %6s %5s %5s %3s %7s\n' phase rx backlog events inline xc-inl xc-red drops kfree dup retrans
declare -a RX BL IN RT DR
for ((k = 0; k < NPH; k++)); do
	j=$((k + 1))
	RX[k]=$((S_HV[j] - S_HV[k]))
	BL[k]=$(((S_PROC[j] - S_PROC[k]) - (S_OTHER[j] - S_OTHER[k])))
	IN[k]=$((RX[k] - BL[k]))
	RT[k]=$((S_RETR[j] - S_RETR[k]))
	DR[k]=$(((S_DROPS[j] - S_DROPS[k]) + (S_SNDROP[j] - S_SNDROP[k])))
	xi=- xr=-
	[ "$xc" = 1 ] && xi=$((XI[j] - XI[k])) xr=$((XR[j] - XR[k]))
	printf '# %-16s %6s %7s %6s %6s %6s %6s %5s %5s %3s %7s\n' "$k ${PHASES[k]}" "${RX[k]}" "${BL[k]}" \
		"${TR[k]:--}" "${IN[k]}" "$xi" "$xr" "${DR[k]}" "${KD[k]:--}" "${KU[k]:--}" "${RT[k]}"
done
echo "# softnet processed $((S_PROC[NPH] - S_PROC[0])) in all; the other devices received $((S_OTHER[NPH] - S_OTHER[0]))"
# Retransmissions happen under TCG (tail loss probes on a slow, jittery
# guest; segments reordered between the two CPUs' backlogs): the remote's
# DSACKs say whether each was a duplicate of data it already had.
echo "# TCP: the Pod retransmitted $((S_RETR[NPH] - S_RETR[0])) segments" \
	"(tail loss probes $(snmp "/proc/$hp/net/netstat" TcpExt:TCPLossProbes)," \
	"fast retransmits $(snmp "/proc/$hp/net/netstat" TcpExt:TCPFastRetrans));" \
	"the remote had them already (DSACKs sent: $(snmp "/proc/$hr/net/netstat" TcpExt:TCPDSACKOldSent)," \
	"segments queued out of order: $(snmp "/proc/$hr/net/netstat" TcpExt:TCPOFOQueue))"

# 5. UDP: every sequence number, once, in every phase
[ "$s_n" -gt 0 ] && [ "$missing" = 0 ] && [ "$dups" = 0 ] && [ "$r_n" = "$s_n" ] || udp_ok=0
check "UDP: all $s_n datagrams arrived, each once, in every phase" [ $udp_ok = 1 ]

# 6. each command ran while the Pod was sending; nothing was dropped
sw_ok=1 sw=''
for k in 1 3 5; do
	[ "${F_BEFORE[k]}" -ge $FLOW ] && [ "${F_AFTER[k]}" -ge $FLOW ] || sw_ok=0
	sw+="${sw:+, }${F_BEFORE[k]}/${F_DURING[k]}/${F_AFTER[k]}"
done
for ((k = 0; k < NPH; k++)); do
	[ "${DR[k]}" = 0 ] || sw_ok=0
	[ $tr_ok = 0 ] || [ "${KD[k]:-x}" = 0 ] || sw_ok=0
done
check "each change ran while the Pod was sending (its packets before/while/after each: $sw); nothing dropped in any phase" [ $sw_ok = 1 ]

# 7. TCP: one stream, every byte
tcp_ok=0
[ "$s_tcp" -gt 0 ] && [ "$s_tcp" = "$r_tcp" ] && [ "$s_sha" = "$r_sha" ] && tcp_ok=1
check "TCP: $s_tcp bytes sent, $r_tcp received, sha256 equal" [ $tcp_ok = 1 ]

# 8. TCP kept going through every phase, and what was written in a phase
# arrived in it
tcp_ok=1
for ((k = 0; k < NPH; k++)); do
	[ "${T_R[k]}" -gt 0 ] && [ "${T_R[k]}" = "${T_S[k]}" ] || tcp_ok=0
done
check "TCP: every phase's bytes arrived in that phase (${T_R[*]})" [ $tcp_ok = 1 ]

# the events on the host end in phase K are N (left out if the trace lost events)
tr_is() { [ $tr_ok = 0 ] || [ "${TR[$1]:-x}" = "$2" ]; }

# 9. off, and on without a program: every packet through the backlog
ok9=1
for k in 0 2; do
	[ "${RX[k]}" -gt 0 ] && [ "${BL[k]}" = "${RX[k]}" ] && tr_is $k "${RX[k]}" || ok9=0
done
check "off, and on with no program: the Pod's packets went through the host's backlog (softnet ${BL[0]}, events ${TR[0]:--}, of ${RX[0]}; ${BL[2]}, ${TR[2]:--}, of ${RX[2]})" [ $ok9 = 1 ]

# 10. on, redirecting: none through the backlog
ok10=1
[ "${RX[4]}" -gt 0 ] && [ "${BL[4]}" = 0 ] && tr_is 4 0 || ok10=0
check "on, redirecting: none of the Pod's ${RX[4]} packets went through the host's backlog (softnet ${BL[4]}, events ${TR[4]:--})" [ $ok10 = 1 ]

# 11. back off, program kept: through the backlog again
ok11=0
[ "${RX[6]}" -gt 0 ] && [ "${BL[6]}" = "${RX[6]}" ] && tr_is 6 "${RX[6]}" && ok11=1
check "back off, program kept: through the backlog again (softnet ${BL[6]}, events ${TR[6]:--}, of ${RX[6]})" [ $ok11 = 1 ]

# 12. the kernel's own count of what the hook did in the Pod's xmit
case $xc in
none) skip "net:netif_ingress_xmit: inline runs and redirects" "kernel without the tracepoint" ;;
0) not_ok "net:netif_ingress_xmit: cannot count it (guest/xmit-count.sh, CONFIG_HIST_TRIGGERS)" ;;
1)
	xi4=$((XI[5] - XI[4])) xr4=$((XR[5] - XR[4]))
	ok12=0
	[ $xi4 = "${RX[4]}" ] && [ $xr4 = "${RX[4]}" ] &&
		[ $((XI[1] - XI[0])) = 0 ] && [ $((XI[3] - XI[2])) = 0 ] && [ $((XI[7] - XI[6])) = 0 ] && ok12=1
	check "net:netif_ingress_xmit: on, redirecting, the hook ran inline for all ${RX[4]} and redirected them ($xi4, $xr4); none inline in off, on with no program, off+program" [ $ok12 = 1 ]
	;;
esac

# 13. DEL, as a runtime calls it when the Pod goes; again, as runtimes may
out=$(cni DEL 2>&1)
rc=$?
[ $rc = 0 ] && deleted=1
out2=$(cni DEL 2>&1)
rc2=$?
if [ $rc = 0 ] && [ $rc2 = 0 ] && ! ip -n "$NH" link show dev "$hv" > /dev/null 2>&1 &&
	! ip -n "$NP" link show dev eth0 > /dev/null 2>&1 &&
	[ -z "$(ip -n "$NH" route show "$podip")" ] && [ ! -e "$tmp/ipam/cni-live/$podip" ]; then
	ok "DEL: the host end $hv and the Pod's eth0 are gone, and the host route; $podip is released; DEL again: exit 0"
else
	not_ok "DEL (exit $rc, again: $rc2)"
	printf '%s\n%s\n' "$out" "$out2" | diag
	ip -n "$NH" link | diag
	ls -la "$tmp/ipam/cni-live" 2>&1 | diag
fi
exit 0
