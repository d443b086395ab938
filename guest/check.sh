#!/bin/bash
# What 'make check' runs inside the VM: the series' kselftest (TAP of its
# own), veth.sh as a regression guard (one TAP line from its exit status,
# as the kselftest runner reports it), the netlink bad-input test and the
# iproute2 and YNL checks. The host counts the results.
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top/build/selftests/net" || exit 1

echo "# selftests: net: veth_bpf_xmit.sh"
timeout 1200 ./veth_bpf_xmit.sh

echo "# selftests: net: veth.sh"
echo "1..1"
timeout 1200 ./veth.sh 2>&1 | sed 's/^/# /'
rc=${PIPESTATUS[0]}
case $rc in
0) echo "ok 1 selftests: net: veth.sh" ;;
4) echo "ok 1 selftests: net: veth.sh # SKIP" ;;
*) echo "not ok 1 selftests: net: veth.sh # exit=$rc" ;;
esac

"$top/guest/nl-badinput.py"
"$top/guest/iproute2.sh"
"$top/guest/ynl.sh" "$top/build/linux"
exit 0
