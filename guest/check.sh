#!/bin/bash
# What 'make check' runs inside the VM: the kselftests (the series' own and
# veth.sh as a regression guard), then the iproute2 and YNL checks. Each
# prints TAP; the host counts the results.
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top/build/selftests/net" || exit 1
for t in veth_bpf_xmit.sh veth.sh; do
	echo "# selftests: net: $t"
	timeout 900 ./"$t"
	echo "# selftests: net: $t: exit $?"
done
"$top/guest/iproute2.sh"
"$top/guest/ynl.sh" "$top/build/linux"
exit 0
