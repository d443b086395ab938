#!/bin/bash
# Build bpftool (with its static libbpf) from build/linux and link it as
# build/bin/bpftool. The guest kernel has no BTF, so bpftool is built
# without its CO-RE skeletons.
set -euo pipefail
. "$(dirname "$0")/common.sh"
logged tools "$@"

[ -d "$BUILD/linux/.git" ] || die "tools: build/linux missing: run 'make tree'"
out=$BUILD/tools/bpftool
mkdir -p "$out"
step "tools: bpftool and libbpf"
make -C "$BUILD/linux/tools/bpf/bpftool" OUTPUT="$out/" \
	feature-clang-bpf-co-re=0 -j"$(nproc)" ||
	die "tools: bpftool build failed"
[ -x "$out/bpftool" ] || die "tools: $out/bpftool was not built"
mkdir -p "$BUILD/bin"
ln -sfn "$out/bpftool" "$BUILD/bin/bpftool"
echo "tools: $("$BUILD/bin/bpftool" version | head -1)"
