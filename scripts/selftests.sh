#!/bin/bash
# Build the kselftests the check runs (their BPF objects through the net
# selftests' own bpf.mk) and stage them with their helpers in
# build/selftests/, laid out as an installed kselftest tree.
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

step "selftests: stage scripts"
cp "$src/kselftest/ktap_helpers.sh" "$out/kselftest/"
cp "$src/net/lib/sh/defer.sh" "$out/net/lib/sh/"
for f in lib.sh veth.sh veth_bpf_xmit.sh; do
	[ -f "$src/net/$f" ] || die "selftests: net/$f not found"
	cp "$src/net/$f" "$out/net/"
done
echo "selftests: $out"
