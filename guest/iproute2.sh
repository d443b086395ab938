#!/bin/bash
# TAP test of ip's veth bpf-xmit option (patches/iproute2) against the
# kernel's IFLA_VETH_BPF_XMIT (patches/linux). Runs as root, on the patched
# kernel, with the built ip first in PATH; everything happens in a netns of
# its own. The man page case needs the iproute2 source tree: IPROUTE2_SRC,
# or the tree the ip in PATH was built in.
# Usage: guest/iproute2.sh
set -u

NS=bpfxmit-ip-$$
. "$(dirname "$0")/tap.sh"
tap_start 11
echo "# ip: $(command -v ip) ($(ip -V 2>&1)), kernel $(uname -r)"
if ! ip netns add "$NS"; then
	echo "Bail out! cannot create netns $NS (not root?)"
	exit 1
fi

ipn() { ip -n "$NS" "$@"; }
no_veth() { [ -z "$(ipn -o link show type veth)" ]; }
nlines() { printf '%s' "$1" | awk 'END { print NR }'; }

# A bad command line fails with exactly one line on stderr naming
# bpf-xmit, before anything reaches the kernel: no device appears.
parse_error() { # parse_error DESC ARGS...
	local desc=$1 err rc
	shift
	err=$(ipn link add "$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" -ne 0 ] && [ "$(nlines "$err")" -eq 1 ] &&
	   [[ $err == *bpf-xmit* ]] && no_veth; then
		ok "$desc"
	else
		not_ok "$desc"
		echo "exit $rc, stderr:" | diag
		printf '%s\n' "$err" | diag
		ipn -o link show type veth | diag
	fi
	ipn link del vp0 2>/dev/null
}
parse_error "bad value: bpf-xmit yes" vp0 type veth bpf-xmit yes peer name vp1
parse_error "missing value: bpf-xmit at the end" vp0 type veth bpf-xmit
parse_error "trailing garbage: bpf-xmit on on" vp0 type veth bpf-xmit on on peer name vp1

check "usage documents [ bpf-xmit { on | off } ]" \
	grep -qF '[ bpf-xmit { on | off } ]' <(ip link help veth 2>&1)

# What ip -d link show prints for DEV: "on", "off", or nothing.
text() { ipn -d link show dev "$1" | grep -o 'bpf-xmit [a-z]*' | cut -d' ' -f2 | paste -sd,; }
# What ip -j -d link show reports for DEV: true, false, or missing.
json() {
	ipn -j -d link show dev "$1" | python3 -c '
import json, sys
v = json.load(sys.stdin)[0].get("linkinfo", {}).get("info_data", {}).get("bpf_xmit")
print("missing" if v is None else json.dumps(v))'
}
# both_text WANT DEV1 DEV2 / both_json WANT DEV1 DEV2 / both TEXT JSON DEV1 DEV2
both_text() {
	local a b
	a=$(text "$2")
	b=$(text "$3")
	[ "$a" = "$1" ] && [ "$b" = "$1" ] && return 0
	echo "$2: bpf-xmit '$a', $3: bpf-xmit '$b', want '$1'" | diag
	ipn -d link show dev "$2" | diag
	return 1
}
both_json() {
	local a b
	a=$(json "$2")
	b=$(json "$3")
	[ "$a" = "$1" ] && [ "$b" = "$1" ] && return 0
	echo "$2: bpf_xmit $a, $3: bpf_xmit $b, want $1" | diag
	return 1
}
both() { both_text "$1" "$3" "$4" && both_json "$2" "$3" "$4"; }

kernel_cases=(
	"add bpf-xmit on: ip -d link show prints bpf-xmit on on both ends"
	"ip -j -d link show: \"bpf_xmit\": true on both ends"
	"set bpf-xmit off on the peer end: both ends off"
	"set bpf-xmit on without peer: both ends on"
	"set bpf-xmit yes: one error line, nothing changes"
	"add without bpf-xmit: both ends report bpf-xmit off"
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
	check "${kernel_cases[0]}" both_text on va vb
	check "${kernel_cases[1]}" both_json true va vb

	ipn link set dev vb type veth bpf-xmit off 2>&1 | diag
	check "${kernel_cases[2]}" both off false va vb

	ipn link set dev va type veth bpf-xmit on 2>&1 | diag
	check "${kernel_cases[3]}" both on true va vb

	set_rejected() {
		local err rc
		err=$(ipn link set dev va type veth bpf-xmit yes 2>&1 >/dev/null)
		rc=$?
		printf '%s\n' "$err" | diag
		[ "$rc" -ne 0 ] && [ "$(nlines "$err")" -eq 1 ] &&
			[[ $err == *bpf-xmit* ]] && both on true va vb
	}
	check "${kernel_cases[4]}" set_rejected

	ipn link add vc type veth peer name vd 2>&1 | diag
	check "${kernel_cases[5]}" both_text off vc vd
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
			grep -q "bpf-xmit on peer name veth1" "$page"
	}
	check "$desc" renders
	rm -f "/tmp/$NS-ip-link.8"
fi

[ "$n" -eq "$TESTS" ] || { echo "# ran $n tests, planned $TESTS"; exit 1; }
[ "$failed" -eq 0 ]
