#!/bin/bash
# Build the instruction-counting QEMU plugin (bench/tbcount.c) for
# `bench/run.sh --profile` into OUTDIR and print its path. Its one
# dependency, qemu-plugin.h, comes from the Debian source package of the
# installed QEMU (fetched once into build/src/ through scripts/apt.sh, from
# the machine's own suite), so that the plugin API
# matches the binary.
# Usage: bench/build-tbcount.sh OUTDIR
set -euo pipefail
. "$(dirname "$0")/../scripts/common.sh"

[ $# = 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
out=$1
ver=$(dpkg-query -W -f '${source:Version}' qemu-system-x86 2>/dev/null) ||
	die "tbcount: qemu-system-x86 is not installed (make deps)"
inc=$BUILD/src/qemu-${ver#*:}/include
if [ ! -f "$inc/qemu-plugin.h" ]; then
	dl=$BUILD/src/qemu-${ver#*:}/dl
	mkdir -p "$dl" "$inc"
	(cd "$dl" && "$SCRIPTS/apt.sh" source -qq --download-only "qemu=$ver" >&2 2>/dev/null) ||
		die "tbcount: source package qemu=$ver not available (run 'make deps')"
	orig=$(ls "$dl"/qemu_*.orig.tar.* | head -n 1)
	tar -xf "$orig" -C "$inc" --wildcards --strip-components=3 '*/include/qemu/qemu-plugin.h'
	rm -rf "$dl"
fi
gcc -O2 -Wall -shared -fPIC -I "$inc" "$TOP/bench/tbcount.c" -o "$out/tbcount.so"
echo "$out/tbcount.so"
