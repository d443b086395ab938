#!/bin/bash
# Fetch and unpack the pinned iproute2 Debian source package into
# build/src/ (once) and print the unpacked directory.
set -euo pipefail
. "$(dirname "$0")/common.sh"

dir=$BUILD/src/iproute2-${IPROUTE2_VERSION%-*}
if [ ! -d "$dir" ]; then
	mkdir -p "$BUILD/src"
	cd "$BUILD/src"
	apt-get source -q "iproute2=$IPROUTE2_VERSION" >&2 ||
		die "iproute2: source package iproute2=$IPROUTE2_VERSION not available (run 'make deps'; is the version still served?)"
	[ -d "$dir" ] || die "iproute2: $dir not found after apt-get source"
fi
echo "$dir"
