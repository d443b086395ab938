#!/bin/bash
# Build the kselftests the check runs (their BPF objects through the net
# selftests' own bpf.mk) and stage them with their helpers in
# build/selftests/, laid out as an installed kselftest tree: the guest runs
# them with its run_kselftest.sh, as netdev's CI does.
set -euo pipefail
. "$(dirname "$0")/common.sh"
logged selftests "$@"

src=$BUILD/linux/tools/testing/selftests
out=$BUILD/selftests
[ -d "$src/net" ] || die "selftests: $src missing: run 'make tree'"
mkdir -p "$out/net/lib/sh" "$out/kselftest"

step "selftests: net BPF objects"
objs=()
for c in "$src"/net/*.bpf.c; do
	objs+=("$out/net/$(basename "${c%.c}").o")
done
make -C "$src/net" OUTPUT="$out/net" "${objs[@]}" ||
	die "selftests: building the net BPF objects failed"
# veth.sh's and the kselftest's XDP program
make -C "$src/net/lib" OUTPUT="$out/net/lib" "$out/net/lib/xdp_dummy.bpf.o" ||
	die "selftests: building net/lib/xdp_dummy.bpf.o failed"

step "selftests: net helper programs (veth.sh, veth_bpf_xmit.sh)"
make -C "$src/net" OUTPUT="$out/net" "$out/net/udpgso_bench_rx" \
	"$out/net/udpgso_bench_tx" "$out/net/veth_bpf_xmit_link" ||
	die "selftests: building udpgso_bench_rx/tx, veth_bpf_xmit_link failed"

step "selftests: stage scripts and the kselftest runner"
# A new file, not one rewritten in place: bash reads a script as it runs
# it, so a guest still running the old one (make stress) keeps it intact.
stage() { cp --remove-destination "$@"; }
stage "$src/run_kselftest.sh" "$out/"
for f in runner.sh prefix.pl ktap_helpers.sh; do
	stage "$src/kselftest/$f" "$out/kselftest/"
done
stage "$src/net/settings" "$out/net/"
stage "$src/net/lib/sh/defer.sh" "$out/net/lib/sh/"
stage "$src/net/lib.sh" "$out/net/"
# The tests the guest runs, and what 'make install' would list for them
tests=(tc_redirect_sk_assign.sh veth_bpf_xmit.sh veth.sh)
: > "$out/kselftest-list.txt"
for f in "${tests[@]}"; do
	[ -f "$src/net/$f" ] || die "selftests: net/$f not found"
	stage "$src/net/$f" "$out/net/"
	echo "net:$f" >> "$out/kselftest-list.txt"
done
echo "selftests: $out"
