#!/bin/bash
# What 'make check' runs inside the VM: the series' kselftest (TAP of its
# own), veth.sh as a regression guard (one TAP line from its exit status,
# as the kselftest runner reports it), the netlink bad-input test, the
# iproute2 and YNL checks, a stock ptp CNI plugin's Pod switched live, and
# the Go netlink library's and the patched ptp plugin's bpf-xmit tests. The
# host counts the results.
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top/build/selftests/net" || exit 1

# Run a TAP-printing test; one that prints no plan (it died first) is a
# failure of its own.
tap_run() {	# name cmd...
	local name=$1 out rc
	shift
	out=$(mktemp)
	echo "# $name"
	timeout 1200 "$@" | tee "$out"
	rc=${PIPESTATUS[0]}
	if ! grep -q '^1\.\.[0-9]' "$out"; then
		echo "1..1"
		echo "not ok 1 $name printed no TAP plan # exit=$rc"
	fi
	rm -f "$out"
}

tap_run "selftests: net: veth_bpf_xmit.sh" ./veth_bpf_xmit.sh

echo "# selftests: net: veth.sh"
echo "1..1"
timeout 1200 ./veth.sh 2>&1 | sed 's/^/# /'
rc=${PIPESTATUS[0]}
case $rc in
0) echo "ok 1 selftests: net: veth.sh" ;;
4) echo "ok 1 selftests: net: veth.sh # SKIP" ;;
*) echo "not ok 1 selftests: net: veth.sh # exit=$rc" ;;
esac

tap_run "netlink bad input" "$top/guest/nl-badinput.py"
tap_run "iproute2" "$top/guest/iproute2.sh"
tap_run "ynl" "$top/guest/ynl.sh" "$top/build/linux"
tap_run "cni live switch" "$top/guest/cni-live.sh"
tap_run "netlink-go" "$top/guest/netlink-go.sh"
tap_run "cni: ptp bpfXmit" "$top/guest/cni-bpfxmit.sh"
exit 0
