#!/bin/bash
# Fetch and unpack the pinned Debian source of a Go series' base into
# build/src/ (once) and print the unpacked directory.
# Usage: scripts/fetch-go.sh netlink-go|cni-plugins
#   netlink-go:  golang-github-vishvananda-netlink $NETLINK_GO_VERSION
#   cni-plugins: golang-github-containernetworking-plugins $CNI_PLUGINS_VERSION
# Fetched through scripts/apt.sh (the machine's own suite's sources).
# Where the registry serves the source package's .dsc but not its upstream
# tarball (it happens: then apt-get source fails with a 404), the library
# falls back to the same Go source as Debian built it: the pinned
# golang-github-vishvananda-netlink-dev package's tree in /usr/share/gocode
# ('make deps' installs it), which has Debian's patches applied.
set -euo pipefail
. "$(dirname "$0")/common.sh"

case "${1:-}" in
netlink-go)
	pkg=golang-github-vishvananda-netlink
	version=$NETLINK_GO_VERSION
	dev=golang-github-vishvananda-netlink-dev
	gocode=/usr/share/gocode/src/github.com/vishvananda/netlink
	;;
cni-plugins)
	pkg=golang-github-containernetworking-plugins
	version=$CNI_PLUGINS_VERSION
	dev=
	;;
*) die "usage: $0 netlink-go|cni-plugins" ;;
esac

upstream=${version%-*}
dir=$BUILD/src/$pkg-$upstream
if [ -d "$dir" ]; then
	echo "$dir"
	exit 0
fi
mkdir -p "$BUILD/src"
cd "$BUILD/src"
log=$BUILD/src/$pkg.apt-get.log
if "$SCRIPTS/apt.sh" source "$pkg=$version" > "$log" 2>&1 && [ -d "$dir" ]; then
	echo "$dir"
	exit 0
fi
[ -n "$dev" ] || { cat "$log" >&2; die "$1: source package $pkg=$version not available (run 'make deps'; is the version still served?)"; }

# The fallback: the -dev package's copy of the same source.
have=$(dpkg-query -W -f '${Version}' "$dev" 2>/dev/null || true)
[ "$have" = "$version" ] ||
	die "$1: apt-get source $pkg=$version failed (see $log) and $dev is '$have', not $version: run 'make deps'"
echo "$1: apt-get source $pkg=$version failed ($(grep -m1 -o '[0-9]\{3\}  *Not Found' "$log" || echo "see $log")); using $dev $have from $gocode" >&2
tmp=$(mktemp -d "$BUILD/src/.unpack.XXXXXX")
cp -a "$gocode/." "$tmp/"
mv "$tmp" "$dir"
echo "$dir"
