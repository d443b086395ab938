#!/bin/bash
# TAP run of the patched vishvananda/netlink's veth tests (patches/netlink-go)
# on the running kernel: the test binary scripts/cni.sh built
# (build/cni/netlink.test), as root; each Go test makes a netns of its own.
# One TAP line per Go test. A Go test that skips is a TAP skip, which
# make check counts as a failure: the mode went untested.
# Usage: guest/netlink-go.sh [--old-kernel]
#   --old-kernel: the kernel has no bpf-xmit mode (the pristine veth.c):
#   run the test of what the library does there instead of the mode's.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$top/build/cni/netlink.test

# The veth tests that were there, the one for LinkModify, then the mode's.
tests=(TestLinkAddDelVeth TestLinkAddVethWithDefaultTxQLen
	TestLinkAddVethWithZeroTxQLen TestVethPeerNs TestVethPeerNs2
	TestVethPeerIndex TestLinkModifyVeth)
case "${1:-}" in
"") tests+=(TestVethBpfXmitCreate TestVethBpfXmitModify TestVethBpfXmitSubscribe
	TestVethBpfXmitUnset) ;;
--old-kernel) tests+=(TestVethBpfXmitUnsupported) ;;
*) echo "usage: $0 [--old-kernel]" >&2; exit 2 ;;
esac

. "$top/guest/tap.sh"
echo "TAP version 13"
echo "1..${#tests[@]}"
echo "# $bin on $(uname -r)"
if [ ! -x "$bin" ]; then
	echo "Bail out! $bin missing: run 'make cni'"
	exit 1
fi

out=$(mktemp)
trap 'rm -f "$out"' EXIT
re="^($(IFS='|'; echo "${tests[*]}"))\$"
# From the source tree, as go test runs it (for anything in testdata/).
(cd "$top/build/netlink-go" && timeout 600 "$bin" -test.run "$re" -test.v -test.count=1) > "$out" 2>&1
rc=$?
diag < "$out"
for t in "${tests[@]}"; do
	line=$(grep -E -m1 "^--- (PASS|FAIL|SKIP): $t \(" "$out")
	case "$line" in
	"--- PASS:"*) ok "$t" ;;
	# go test -v prints t.Skip's message just before the result
	"--- SKIP:"*) skip "$t" "$(grep -B1 -m1 -F -- "$line" "$out" | sed -n '1s/^[[:space:]]*//p')" ;;
	"--- FAIL:"*) not_ok "$t" ;;
	*) not_ok "$t: no result (test binary exit $rc)" ;;
	esac
done
[ "$failed" = 0 ]
