#!/bin/bash
# What 'make check' runs inside the VM: the series' kselftests and veth.sh
# (a regression guard) through the kselftest runner, the netlink bad-input
# test, the iproute2 and YNL checks, a stock ptp CNI plugin's Pod switched
# live, and the Go netlink library's and the patched ptp plugin's bpf-xmit
# tests. The host counts the results.
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

# The kselftests scripts/selftests.sh staged, through the kselftest
# runner, whose TAP (one line per test, the test's own TAP nested under it
# as comments) is what counts.
echo "# kselftest runner"
timeout 3600 ../run_kselftest.sh
rc=$?
[ $rc = 0 ] || echo "# run_kselftest.sh: exit $rc"

tap_run "netlink bad input" "$top/guest/nl-badinput.py"
tap_run "iproute2" "$top/guest/iproute2.sh"
tap_run "ynl" "$top/guest/ynl.sh" "$top/build/linux"
tap_run "cni live switch" "$top/guest/cni-live.sh"
tap_run "netlink-go" "$top/guest/netlink-go.sh"
tap_run "cni: ptp bpfXmit" "$top/guest/cni-bpfxmit.sh"
exit 0
