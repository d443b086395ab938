#!/bin/bash
# TAP test of ip's veth bpf-xmit option (patches/iproute2) against the
# kernel's IFLA_VETH_BPF_XMIT (patches/linux), v3: the mode is per end. The
# new device's value comes from the top-level veth data, the peer's from
# "peer ... type veth bpf-xmit on|off"; "ip link set A type veth bpf-xmit"
# changes A only. Runs as root, on the patched kernel, with the built ip
# first in PATH; everything happens in a netns of its own. The man page case
# needs the iproute2 source tree: IPROUTE2_SRC, or the tree the ip in PATH
# was built in.
# Usage: guest/iproute2-v3.sh
set -u

NS=bpfxmit-ip-$$
. "$(dirname "$0")/tap.sh"
tap_start 20
echo "# ip: $(command -v ip) ($(ip -V 2>&1)), kernel $(uname -r)"
if ! ip netns add "$NS"; then
	echo "Bail out! cannot create netns $NS (not root?)"
	exit 1
fi

ipn() { ip -n "$NS" "$@"; }
no_veth() { [ -z "$(ipn -o link show type veth)" ]; }
nlines() { printf '%s' "$1" | awk 'END { print NR }'; }

# A bad command line fails with exactly one line on stderr naming WORD
# (bpf-xmit or the wrong word), before anything reaches the kernel: no
# device appears.
parse_error() { # parse_error DESC WORD ARGS...
	local desc=$1 word=$2 err rc
	shift 2
	err=$(ipn link add "$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" -ne 0 ] && [ "$(nlines "$err")" -eq 1 ] &&
	   [[ $err == *"$word"* ]] && no_veth; then
		ok "$desc"
	else
		not_ok "$desc"
		echo "exit $rc, stderr:" | diag
		printf '%s\n' "$err" | diag
		ipn -o link show type veth | diag
	fi
	ipn link del vp0 2>/dev/null
}
parse_error "bad value: bpf-xmit yes" bpf-xmit \
	vp0 type veth bpf-xmit yes peer name vp1
parse_error "missing value: bpf-xmit at the end" bpf-xmit \
	vp0 type veth bpf-xmit
parse_error "trailing garbage: bpf-xmit on on" bpf-xmit \
	vp0 type veth bpf-xmit on on peer name vp1
# The same for the peer's own options, after "peer ... type veth".
parse_error "peer: bad value: type veth bpf-xmit yes" bpf-xmit \
	vp0 type veth peer name vp1 type veth bpf-xmit yes
parse_error "peer: missing value: type veth bpf-xmit at the end" bpf-xmit \
	vp0 type veth peer name vp1 type veth bpf-xmit
parse_error "peer: trailing garbage: type veth bpf-xmit on on" bpf-xmit \
	vp0 type veth peer name vp1 type veth bpf-xmit on on
parse_error "peer: another type than veth: type bridge" bridge \
	vp0 type veth peer name vp1 type bridge
parse_error "peer: unknown option after type veth: foo" foo \
	vp0 type veth peer name vp1 type veth foo
parse_error "peer: no nested peer: type veth peer name vp2" peer \
	vp0 type veth peer name vp1 type veth peer name vp2

check "usage documents [ bpf-xmit { on | off } ]" \
	grep -qF '[ bpf-xmit { on | off } ]' <(ip link help veth 2>&1)
check "usage documents peer <options> [ type veth ... ]" \
	grep -qF 'peer <options> [ type veth' <(ip link help veth 2>&1)

# What ip -d link show prints for DEV: "on", "off", or nothing.
text() { ipn -d link show dev "$1" | grep -o 'bpf-xmit [a-z]*' | cut -d' ' -f2 | paste -sd,; }
# What ip -j -d link show reports for DEV: true, false, or missing.
json() {
	ipn -j -d link show dev "$1" | python3 -c '
import json, sys
v = json.load(sys.stdin)[0].get("linkinfo", {}).get("info_data", {}).get("bpf_xmit")
print("missing" if v is None else json.dumps(v))'
}
# Each end reports its own value.
# ends_text DEV1 WANT1 DEV2 WANT2: ip -d link show prints "bpf-xmit WANTn"
# (on or off) for DEVn; ends_json: ip -j reports the matching true/false;
# ends: both.
ends_text() {
	local a b
	a=$(text "$1")
	b=$(text "$3")
	[ "$a" = "$2" ] && [ "$b" = "$4" ] && return 0
	echo "$1: bpf-xmit '$a' (want '$2'), $3: bpf-xmit '$b' (want '$4')" | diag
	ipn -d link show dev "$1" | diag
	ipn -d link show dev "$3" | diag
	return 1
}
jbool() { if [ "$1" = on ]; then echo true; else echo false; fi; }
ends_json() {
	local a b
	a=$(json "$1")
	b=$(json "$3")
	[ "$a" = "$(jbool "$2")" ] && [ "$b" = "$(jbool "$4")" ] && return 0
	echo "$1: bpf_xmit $a (want $(jbool "$2")), $3: bpf_xmit $b (want $(jbool "$4"))" | diag
	return 1
}
ends() { ends_text "$@" && ends_json "$@"; }

kernel_cases=(
	"add bpf-xmit on: ip -d link show prints on for the device, off for its peer"
	"ip -j -d link show: \"bpf_xmit\": true for the device, false for its peer"
	"add peer ... type veth bpf-xmit on: device off, peer on"
	"add bpf-xmit on peer ... mtu 1400 type veth bpf-xmit on: both on, peer mtu 1400"
	"add without bpf-xmit: both ends report bpf-xmit off"
	"set bpf-xmit on on a device: it is on, its peer stays off"
	"set bpf-xmit off on a peer end: it is off, the other end stays on"
	"set bpf-xmit yes: one error line, nothing changes"
)
err=$(ipn link add va type veth bpf-xmit on peer name vb 2>&1)
rc=$?
if [ "$rc" -ne 0 ]; then
	printf '%s\n' "$err" | diag
	case "$err" in
	*"not supported"*) why="kernel without support (CONFIG_NET_XGRESS?)" ;;
	*) why="" ;;
	esac
	for c in "${kernel_cases[@]}"; do
		if [ -n "$why" ]; then skip "$c" "$why"; else not_ok "$c"; fi
	done
else
	check "${kernel_cases[0]}" ends_text va on vb off
	check "${kernel_cases[1]}" ends_json va on vb off

	ipn link add vc type veth peer name vd type veth bpf-xmit on 2>&1 | diag
	check "${kernel_cases[2]}" ends vc off vd on

	ipn link add ve type veth bpf-xmit on \
		peer name vf mtu 1400 type veth bpf-xmit on 2>&1 | diag
	both_on_mtu() {
		ends ve on vf on || return 1
		ipn -o link show dev vf | grep -q ' mtu 1400 ' && return 0
		ipn -o link show dev vf | diag
		return 1
	}
	check "${kernel_cases[3]}" both_on_mtu

	ipn link add vg type veth peer name vh 2>&1 | diag
	check "${kernel_cases[4]}" ends vg off vh off

	ipn link set dev vg type veth bpf-xmit on 2>&1 | diag
	check "${kernel_cases[5]}" ends vg on vh off

	ipn link set dev vf type veth bpf-xmit off 2>&1 | diag
	check "${kernel_cases[6]}" ends vf off ve on

	set_rejected() {
		local err rc
		err=$(ipn link set dev va type veth bpf-xmit yes 2>&1 >/dev/null)
		rc=$?
		printf '%s\n' "$err" | diag
		[ "$rc" -ne 0 ] && [ "$(nlines "$err")" -eq 1 ] &&
			[[ $err == *bpf-xmit* ]] && ends va on vb off
	}
	check "${kernel_cases[7]}" set_rejected
fi

# ip-link(8) renders without warnings. The build makes ip-link.8 from
# ip-link.8.in with sed; use it unless it is older than the .in.
man_page() {
	local src=${IPROUTE2_SRC:-}
	if [ -z "$src" ]; then
		src=$(readlink -f "$(command -v ip)")
		src=${src%/ip/ip}
	fi
	[ -f "$src/man/man8/ip-link.8.in" ] || return 1
	if [ -f "$src/man/man8/ip-link.8" ] &&
	   ! [ "$src/man/man8/ip-link.8.in" -nt "$src/man/man8/ip-link.8" ]; then
		echo "$src/man/man8/ip-link.8"
	else
		sed -e 's|@NETNS_ETC_DIR@|/etc/netns|g' \
		    -e 's|@NETNS_RUN_DIR@|/var/run/netns|g' \
		    -e 's|@SYSCONFDIR@|/etc/iproute2|g' \
		    "$src/man/man8/ip-link.8.in" > "/tmp/$NS-ip-link.8" || return 1
		echo "/tmp/$NS-ip-link.8"
	fi
}
desc="ip-link(8) documents bpf-xmit and renders without warnings"
if ! command -v groff >/dev/null; then
	skip "$desc" "groff not installed"
elif ! page=$(man_page); then
	skip "$desc" "iproute2 source not found (set IPROUTE2_SRC)"
else
	renders() {
		local warn rc
		warn=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
		rc=$?
		printf '%s\n' "$warn" | diag
		[ "$rc" -eq 0 ] && [ -z "$warn" ] &&
			grep -q "bpf-xmit on peer name veth1" "$page" &&
			grep -q "peer name veth1 type veth bpf-xmit on" "$page"
	}
	check "$desc" renders
	rm -f "/tmp/$NS-ip-link.8"
fi

[ "$n" -eq "$TESTS" ] || { echo "# ran $n tests, planned $TESTS"; exit 1; }
[ "$failed" -eq 0 ]
