#!/bin/bash
# Fetch the pinned linux-source .deb from Debian's unstable suite (once,
# into build/src/, through scripts/apt.sh), take its source tarball out
# without installing the package, and print the tarball's path.
set -euo pipefail
. "$(dirname "$0")/common.sh"

deb=$BUILD/src/linux-source-${LINUX_SERIES}_${LINUX_VERSION}_all.deb
tarball=$BUILD/src/linux-source-$LINUX_SERIES-$LINUX_VERSION.tar.xz
if [ ! -f "$tarball" ]; then
	mkdir -p "$BUILD/src"
	if [ ! -f "$deb" ]; then
		(cd "$BUILD/src" && "$SCRIPTS/apt.sh" download \
			"linux-source-$LINUX_SERIES=$LINUX_VERSION") >&2 ||
			die "linux: linux-source-$LINUX_SERIES=$LINUX_VERSION not available from the unstable suite"
	fi
	# apt-get download checked the .deb against the signed index.
	dpkg-deb --fsys-tarfile "$deb" |
		tar -xO "./usr/src/linux-source-$LINUX_SERIES.tar.xz" > "$tarball.part" ||
		die "linux: no usr/src/linux-source-$LINUX_SERIES.tar.xz in $deb"
	mv "$tarball.part" "$tarball"
fi
echo "$tarball"
