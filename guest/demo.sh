#!/bin/bash
# make demo: the scenario bpf-xmit exists for. A "pod" netns sends UDP
# through a veth pair to the host netns, where a tc program attached with
# an unmodified loader (bpftool, tcx ingress) on the host-side end
# redirects it to the "uplink", a veth into a "remote" netns whose
# receiver counts. The same traffic runs with bpf-xmit off and on.
# Usage: guest/demo.sh [PACKETS]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-20000}
case "$N" in ''|*[!0-9]*) echo "usage: $0 [PACKETS]" >&2; exit 2 ;; esac
obj=$top/build/selftests/net/veth_bpf_xmit.bpf.o
[ -f "$obj" ] || { echo "demo: $obj missing: run 'make check' or scripts/selftests.sh" >&2; exit 1; }
pin=/sys/fs/bpf/demo
. "$top/guest/xmit-count.sh"

for ns in pod host remote; do
	ip netns add $ns
	ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n $ns link set lo up
done
trap 'for ns in pod host remote; do ip netns del $ns; done; rm -rf $pin; xc_close demo' EXIT
ip -n host link add hv0 type veth peer name eth0 netns pod
ip -n host link add up0 index 4242 type veth peer name eth0 netns remote
mac=$(ip -n host -br link show hv0 | awk '{ print $3 }')
ip -n remote link set eth0 address "$mac"
ip -n pod addr add 192.0.2.1/24 dev eth0
ip -n remote addr add 192.0.2.3/24 dev eth0
ip -n pod neigh add 192.0.2.3 lladdr "$mac" dev eth0
for d in "host hv0" "host up0" "pod eth0" "remote eth0"; do ip -n ${d% *} link set ${d#* } up; done
mkdir -p $pin
bpftool prog loadall "$obj" $pin type classifier pinmaps $pin
nsenter --net=/run/netns/host bpftool net attach tcx_ingress pinned $pin/vbx_redirect dev hv0

ip netns exec remote python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)  # SO_RCVBUFFORCE: past rmem_max
s.bind(("192.0.2.3", 9))
while True:
	s.recv(64)' &
sleep 1

processed() { local s=0 p; while read -r p _; do s=$((s + 0x$p)); done < /proc/net/softnet_stat; echo $s; }
rcvd() { ip netns exec remote awk '/^Udp:/ { if (h) { print $2; exit } h = 1 }' /proc/net/snmp; }
xc_open demo
stat() { xc_get demo hv0 "$1"; }

echo "demo: pod -> hv0 (tcx ingress: bpf_redirect to up0) -> remote, $N UDP packets per mode"
printf '%-9s %10s %10s %10s %10s %10s %10s\n' bpf-xmit sent delivered backlog inline redirect deferred
for mode in off on; do
	ip -n host link set hv0 type veth bpf-xmit $mode
	r0=$(rcvd); p0=$(processed); i0=$(stat inline); d0=$(stat redirect); f0=$(stat defer)
	ip netns exec pod python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(int(sys.argv[1])):
	s.sendto(b"x" * 32, ("192.0.2.3", 9))' "$N"
	# until the remote end has had all, or nothing more came for a second
	got=-1
	until [ $got = $(($(rcvd) - r0)) ] || [ $got = "$N" ]; do
		got=$(($(rcvd) - r0))
		sleep 1
	done
	# Every packet is received once by the remote end; whatever the
	# receive path processed beyond that went through the host's backlog.
	backlog=$(($(processed) - p0 - got))
	printf '%-9s %10s %10s %10s %10s %10s %10s\n' $mode $N $got $backlog \
		$(($(stat inline) - i0)) $(($(stat redirect) - d0)) $(($(stat defer) - f0))
done
echo "backlog: packets the host-side receive path processed from the per-CPU backlog"
echo "inline/redirect/deferred: hv0's net:netif_ingress_xmit trace events (the hook ran in the pod's xmit / and redirected / left to the receive path), counted by guest/xmit-count.sh"
echo "rates: 'make bench' compares them (counting the events here costs the 'on' run time, so the demo times nothing)"
