#!/bin/bash
# Fetch and unpack the pinned iproute2 source into build/src/ (once) and
# print the unpacked directory. The registry serves the upstream tarball of
# Debian's iproute2 $IPROUTE2_VERSION but not its Debian part (404), so the
# base is the pristine upstream release, checked against the signed
# source index.
set -euo pipefail
. "$(dirname "$0")/common.sh"

upstream=${IPROUTE2_VERSION%-*}
dir=$BUILD/src/iproute2-$upstream
orig=iproute2_$upstream.orig.tar.xz
if [ ! -d "$dir" ]; then
	mkdir -p "$BUILD/src"
	cd "$BUILD/src"
	# apt checks each file it fetches against the signed index; the Debian
	# part's 404 fails the command after the .dsc and the tarball arrived,
	# so check the tarball against the .dsc here.
	"$SCRIPTS/apt.sh" source --download-only "iproute2=$IPROUTE2_VERSION" >&2 || true
	dsc=iproute2_$IPROUTE2_VERSION.dsc
	[ -f "$dsc" ] && [ -f "$orig" ] ||
		die "iproute2: iproute2=$IPROUTE2_VERSION: $dsc or $orig could not be fetched"
	want=$(awk -v f="$orig" '/^Checksums-Sha256:/ { on = 1; next }
		/^[^ ]/ { on = 0 } on && $3 == f { print $1 }' "$dsc")
	[ -n "$want" ] || die "iproute2: $dsc lists no SHA256 for $orig"
	echo "$want  $orig" | sha256sum -c --quiet - >&2 ||
		die "iproute2: $orig does not match $dsc"
	tmp=$(mktemp -d "$BUILD/src/.unpack.XXXXXX")
	tar -C "$tmp" -xf "$orig"
	mv "$tmp/iproute2-$upstream" "$dir"
	rmdir "$tmp"
fi
echo "$dir"
