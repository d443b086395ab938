#!/bin/bash
set -euo pipefail
. "$(dirname "$0")/common.sh"
logged iproute2 "$@"

# Build ip and tc (and the ip man pages) from build/iproute2, incrementally
# once configured, and link them as build/bin/ip and build/bin/tc.
# Usage: scripts/iproute2.sh

src=$BUILD/iproute2
[ -d "$src/.git" ] || die "iproute2: $src missing: run 'make tree'"
cd "$src"

# configure writes config.mk; rerun it only when it is missing or older than
# the configure script, so that rebuilds stay incremental.
if [ ! -f config.mk ] || [ configure -nt config.mk ]; then
	step "iproute2: configure"
	./configure > config.log.out 2>&1 ||
		{ cat config.log.out >&2; die "iproute2: configure failed"; }
	cat config.log.out
	# The kernel's extack messages are only printed with libmnl.
	grep -q '^libmnl support: yes' config.log.out ||
		die "iproute2: configure: libmnl not found (install libmnl-dev)"
fi

# The top-level Makefile sets the flags the subdirectories need; restrict it
# to what we use: lib, ip, tc, and man/man8 for ip-link.8 (built from .in).
step "iproute2: make lib ip tc man/man8"
make -j3 SUBDIRS="lib ip tc man/man8" || die "iproute2: make failed"
[ -x ip/ip ] || die "iproute2: make: ip/ip was not built"
[ -x tc/tc ] || die "iproute2: make: tc/tc was not built"

step "iproute2: link build/bin/ip, build/bin/tc"
mkdir -p "$BUILD/bin" || die "iproute2: link: cannot create $BUILD/bin"
ln -sfn "$src/ip/ip" "$BUILD/bin/ip" || die "iproute2: link: build/bin/ip"
ln -sfn "$src/tc/tc" "$BUILD/bin/tc" || die "iproute2: link: build/bin/tc"
echo "iproute2: $("$BUILD/bin/ip" -V)"
