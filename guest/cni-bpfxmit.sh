#!/bin/bash
# TAP test of the patched ptp plugin's "bpfXmit" option (patches/cni-plugins,
# on patches/netlink-go), as root on the running kernel:
#  - ptp's own tests (build/cni/ptp.test, ginkgo), the bpfXmit specs;
#  - build/cni/ptp run as a runtime runs it, on a Pod netns: with
#    "bpfXmit": true the mode is on at the host end and off at the Pod's
#    eth0 (per end; ip -d link show) and the Pod reaches its gateway; DEL
#    removes it all; "yes" and 2 are a CNI error (code 7) that names the
#    option, and leave no veth on the host, no eth0 in the Pod and no
#    address taken, and a DEL after them works.
# host-local comes from Debian's containernetworking-plugins (/usr/lib/cni).
# Usage: guest/cni-bpfxmit.sh [--old-kernel]
#   --old-kernel: the kernel has no bpf-xmit mode (the pristine veth.c):
#   "bpfXmit": true must fail, say why, and leave nothing behind.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cni=$top/build/cni
old=0
case "${1:-}" in
"") ;;
--old-kernel) old=1 ;;
*) echo "usage: $0 [--old-kernel]" >&2; exit 2 ;;
esac

NS=bx-pod-$$
. "$top/guest/tap.sh"
if [ $old = 0 ]; then tap_start 14; else tap_start 11; fi
echo "# $cni/ptp on $(uname -r); ip: $(command -v ip)"
for f in ptp ptp.test; do
	[ -x "$cni/$f" ] || { echo "Bail out! $cni/$f missing: run 'make cni'"; exit 1; }
done
[ -x /usr/lib/cni/host-local ] || { echo "Bail out! /usr/lib/cni/host-local missing (make deps)"; exit 1; }
tmp=$(mktemp -d)
trap 'ip netns del "$NS" 2>/dev/null; rm -rf "$tmp"' EXIT
ip netns add "$NS" || { echo "Bail out! cannot create netns $NS (not root?)"; exit 1; }

# ptp's tests ping with the ping in PATH, and find host-local in PATH.
mkdir -p "$tmp/bin"
ln -s /bin/busybox "$tmp/bin/ping"
ginkgo() { # ginkgo DESC SPECS FOCUS: the FOCUS specs, SPECS of them, all pass
	local desc=$1 want=$2 focus=$3 out sum
	out=$(cd "$top/build/cni-plugins/plugins/main/ptp" &&
		PATH=$tmp/bin:/usr/lib/cni:$PATH timeout 600 "$cni/ptp.test" \
		-ginkgo.focus="$focus" -ginkgo.noColor 2>&1)
	sum=$(printf '%s\n' "$out" | grep -E '^(SUCCESS|FAIL)! -- ')
	if [[ $sum == "SUCCESS! -- $want Passed | 0 Failed"* ]]; then
		ok "$desc"
		printf '%s\n' "$sum" | diag
	else
		not_ok "$desc"
		printf '%s\n' "$out" | tail -n 60 | diag
	fi
}
if [ $old = 0 ]; then
	ginkgo "ptp.test: a bpfXmit link in each of the 6 spec versions: host end on, Pod end off, gateway answers, CHECK, DEL" \
		6 'configures and deconfigures a ptp link with bpfXmit'
fi
ginkgo "ptp.test: bpfXmit \"yes\" and 2 are code 7 and leave nothing; DEL after them works" \
	1 'refuses a bpfXmit that is not true or false'
if [ $old = 1 ]; then
	ginkgo "ptp.test: bpfXmit on a kernel without the mode fails and leaves nothing" \
		1 'fails with bpfXmit on a kernel without veth bpf-xmit'
fi

# The plugin as a runtime runs it.
conf() { # conf BPFXMIT
	printf '{"cniVersion":"1.0.0","name":"bx","type":"ptp","bpfXmit":%s,"ipam":{"type":"host-local","subnet":"10.77.0.0/24","dataDir":"%s"}}' \
		"$1" "$tmp/ipam"
}
run_cni() { # run_CNI COMMAND CONF: the plugin's stdout in $tmp/out
	CNI_COMMAND=$1 CNI_CONTAINERID=bx-$$ CNI_NETNS=/run/netns/$NS CNI_IFNAME=eth0 \
		CNI_PATH=$cni:/usr/lib/cni "$cni/ptp" <<< "$2" > "$tmp/out" 2> "$tmp/err"
}
show() { { cat "$tmp/out"; echo; cat "$tmp/err"; } | diag; }
json() { # json EXPR: EXPR of the plugin's JSON output (r)
	python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$tmp/out" "$1" 2>/dev/null
}
pod_ping() { # pod_ping ADDR: one ping from the Pod, its output as diagnostics
	ip netns exec "$NS" busybox ping -c 1 -W 10 "$1" 2>&1 | diag
	return "${PIPESTATUS[0]}"
}
host_veths() { ip -o link show type veth | awk -F': ' '{ print $2 }' | cut -d@ -f1 | sort; }
no_pod_eth0() { ! ip -n "$NS" link show eth0 >/dev/null 2>&1; }
taken() { ls "$tmp/ipam/bx" 2>/dev/null | grep -E '^[0-9a-f.:]+$'; }
mode() { # mode DEV [NETNS]: bpf-xmit on|off as ip -d link show prints it
	ip ${2:+-n "$2"} -d link show dev "$1" 2>/dev/null | grep -o 'bpf-xmit [a-z]*' | cut -d' ' -f2
}

before=$(host_veths)
if [ $old = 0 ]; then
	if run_cni ADD "$(conf true)"; then
		ok "ADD with \"bpfXmit\": true succeeds"
	else
		not_ok "ADD with \"bpfXmit\": true succeeds"
	fi
	show
	host=$(json 'r["interfaces"][0]["name"]')
	gw=$(json 'r["ips"][0]["gateway"]')
	m=$(mode eth0 "$NS")
	check "the Pod's eth0: bpf-xmit off, the mode is per end (ip -d link show: '$m')" [ "$m" = off ]
	m=$(mode "$host")
	check "the host end $host: bpf-xmit on (ip -d link show: '$m')" [ "$m" = on ]
	check "the Pod reaches its gateway $gw through the pair" pod_ping "$gw"
	if run_cni DEL "$(conf true)"; then ok "DEL succeeds"; else not_ok "DEL succeeds"; show; fi
	check "after DEL: no eth0 in the Pod, $host gone, the address released" \
		eval 'no_pod_eth0 && ! ip link show "$host" >/dev/null 2>&1 && [ -z "$(taken)" ]'
else
	run_cni ADD "$(conf true)"
	rc=$?
	show
	msg=$(json 'r["msg"]')
	check "ADD with \"bpfXmit\": true fails, saying the kernel has no bpf-xmit mode" \
		eval '[ $rc != 0 ] && [[ $msg == *"no veth bpf-xmit mode"* ]]'
	check "after it: no veth left on the host, no eth0 in the Pod, no address taken" \
		eval '[ "$(host_veths)" = "$before" ] && no_pod_eth0 && [ -z "$(taken)" ]'
	if run_cni DEL "$(conf true)"; then ok "DEL after it succeeds"; else not_ok "DEL after it succeeds"; show; fi
fi

for bad in '"yes"' 2; do
	run_cni ADD "$(conf "$bad")"
	rc=$?
	show
	code=$(json 'r["code"]')
	msg=$(json 'r["msg"]')
	check "ADD with \"bpfXmit\": $bad fails: CNI error $code, '$msg'" \
		eval '[ $rc != 0 ] && [ "$code" = 7 ] && [ "$msg" = "bpfXmit must be true or false, not $bad" ]'
	check "after it: no veth left on the host, no eth0 in the Pod, no address taken" \
		eval '[ "$(host_veths)" = "$before" ] && no_pod_eth0 && [ -z "$(taken)" ]'
	if run_cni DEL "$(conf "$bad")"; then ok "DEL after it succeeds"; else not_ok "DEL after it succeeds"; show; fi
done
[ "$failed" = 0 ]
