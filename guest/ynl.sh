#!/bin/bash
# TAP test of veth's IFLA_VETH_BPF_XMIT through the YNL CLI and the rt-link
# spec (linkinfo-veth-attrs): create a pair with bpf-xmit on for the new
# end, check that end and its peer (off: the mode is per end) with ip -d link
# and YNL getlink, turn the peer's on and the first end's off, check again,
# and check that the kernel refuses bad input. Runs as root on the
# patched kernel (python3 with PyYAML, the patched ip first in PATH), in a
# netns of its own.
# Usage: guest/ynl.sh [LINUX_TREE]   (holds the spec and tools/net/ynl/pyynl/cli.py;
#        default: build/linux next to this script's directory)
set -u

TREE=${1:-$(dirname "$0")/../build/linux}
SPEC=$TREE/Documentation/netlink/specs/rt-link.yaml
CLI=$TREE/tools/net/ynl/pyynl/cli.py
NS=bpfxmit-ynl-$$
. "$(dirname "$0")/tap.sh"
tap_start 14
echo "# tree: $TREE, ip: $(command -v ip), kernel $(uname -r)"
for f in "$SPEC" "$CLI"; do
	[ -f "$f" ] || { echo "Bail out! no $f"; exit 1; }
done
if ! ip netns add "$NS"; then
	echo "Bail out! cannot create netns $NS (not root?)"
	exit 1
fi

ynl() { ip netns exec "$NS" python3 "$CLI" --spec "$SPEC" --no-schema "$@"; }

# The peer: a zeroed struct ifinfomsg, then IFLA_IFNAME (3) "veth1\0",
# padded to 4 bytes: len 10, type 3.
PEER_HEX=00000000000000000000000000000000$(printf '0a000300%s000000' \
	"$(printf 'veth1' | od -An -tx1 | tr -d ' \n')")

# yn DESC EXPECT ARGS...: run YNL, ok if its exit status is 0 (EXPECT=pass)
# or not 0 (EXPECT=fail); its output is kept in $out.
out=
yn() {
	local desc=$1 expect=$2 rc
	shift 2
	out=$(ynl "$@" 2>&1)
	rc=$?
	if { [ "$expect" = pass ] && [ $rc -eq 0 ]; } ||
	   { [ "$expect" = fail ] && [ $rc -ne 0 ]; }; then
		ok "$desc"
	else
		not_ok "$desc"
		echo "ynl $* -> exit $rc:" | diag
		printf '%s\n' "$out" | diag
	fi
}

# ip_says DEV on|off: ip -d link show DEV prints "bpf-xmit on|off"
ip_says() {
	local dev=$1 want=$2 line
	line=$(ip -n "$NS" -d -o link show dev "$dev" 2>&1)
	if [[ $line == *"bpf-xmit $want"* ]]; then
		ok "ip -d link: $dev says bpf-xmit $want"
	else
		not_ok "ip -d link: $dev says bpf-xmit $want"
		printf '%s\n' "$line" | diag
	fi
}

# ynl_says DEV 0|1: YNL getlink DEV reports linkinfo data bpf-xmit 0|1
ynl_says() {
	local dev=$1 want=$2 got
	out=$(ynl --process-unknown --output-json --do getlink \
		--json "{\"ifname\": \"$dev\"}" 2>&1)
	got=$(printf '%s' "$out" | grep -o '"bpf-xmit": [0-9]*' | head -n 1)
	echo "# getlink $dev: linkinfo kind veth, data: {${got:-no bpf-xmit}}"
	if [[ $out == *'"kind": "veth"'* ]] && [ "$got" = "\"bpf-xmit\": $want" ]; then
		ok "ynl getlink: $dev linkinfo data bpf-xmit $want"
	else
		not_ok "ynl getlink: $dev linkinfo data bpf-xmit $want"
		printf '%s\n' "$out" | head -n 20 | diag
	fi
}

yn "ynl newlink --create veth0 (bpf-xmit 1, peer veth1)" pass \
	--do newlink --create --excl --json "{\"ifname\": \"veth0\",
	\"linkinfo\": {\"kind\": \"veth\", \"data\": {\"bpf-xmit\": 1,
	\"peer\": \"$PEER_HEX\"}}}"
ip_says veth0 on
ip_says veth1 off
ynl_says veth0 1
ynl_says veth1 0

yn "ynl newlink veth1 (no --create): bpf-xmit 1 for the peer's end" pass \
	--do newlink --json '{"ifname": "veth1",
	"linkinfo": {"kind": "veth", "data": {"bpf-xmit": 1}}}'
yn "ynl newlink veth0 (no --create): bpf-xmit 0 for the first end" pass \
	--do newlink --json '{"ifname": "veth0",
	"linkinfo": {"kind": "veth", "data": {"bpf-xmit": 0}}}'
ip_says veth0 off
ip_says veth1 on
ynl_says veth0 0
ynl_says veth1 1

# Bad input: the kernel refuses it with an extack pointing into linkinfo
# data, and nothing changes (checked below). YNL of this tree prints the
# error ("Netlink error: ...") or, as its extack path decoder cannot dive
# into sub-messages (linkinfo data), dies with "Can't dive into 2 (data) for
# extack" once the kernel's error has arrived: accept both, nothing else.
refused() { # refused DESC JSON
	local desc=$1 json=$2 rc
	out=$(ynl --do newlink --json "$json" 2>&1)
	rc=$?
	if [ $rc -ne 0 ] && [[ $out == *"Netlink error"* ||
	     $out == *"Can't dive into 2 (data) for extack"* ]]; then
		ok "$desc"
		printf '%s\n' "$out" | tail -n 1 | diag
	else
		not_ok "$desc"
		echo "exit $rc:" | diag
		printf '%s\n' "$out" | diag
	fi
}
refused "ynl newlink veth0: bpf-xmit 2 is refused" \
	'{"ifname": "veth0", "linkinfo": {"kind": "veth", "data": {"bpf-xmit": 2}}}'
refused "ynl newlink veth0: a peer is refused after creation" \
	"{\"ifname\": \"veth0\", \"linkinfo\": {\"kind\": \"veth\",
	\"data\": {\"bpf-xmit\": 1, \"peer\": \"$PEER_HEX\"}}}"
ynl_says veth0 0

[ "$n" -eq "$TESTS" ] || { echo "# ran $n tests, planned $TESTS"; failed=$((failed + 1)); }
[ "$failed" -eq 0 ]
