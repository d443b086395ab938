#!/bin/bash
# Recreate build/<name> as a git tree: a base commit holding the pristine
# pinned source, then one commit per patch of patches/<name>/ (git am).
# Usage: scripts/tree.sh linux|iproute2|netlink-go|cni-plugins [DIR]
#   (default DIR: build/<name>)
set -euo pipefail
. "$(dirname "$0")/common.sh"

name=${1:-}
case "$name" in
linux) version=$LINUX_VERSION ;;
iproute2) version=$IPROUTE2_VERSION ;;
netlink-go) version=$NETLINK_GO_VERSION ;;
cni-plugins) version=$CNI_PLUGINS_VERSION ;;
*) die "usage: $0 linux|iproute2|netlink-go|cni-plugins [DIR]" ;;
esac

tree=${2:-$BUILD/$name}
# build/logs/tree-linux.log; tree-linux-series-check.log for series-check's
logged "tree-$name$([ "$tree" = "$BUILD/$name" ] || echo "-$(basename "$(dirname "$tree")")")" "$@"
rm -rf "$tree"
mkdir -p "$(dirname "$tree")"

step "tree/$name: unpack pinned source"
if [ "$name" = linux ]; then
	tarball=$("$SCRIPTS/fetch-linux.sh")
	tmp=$(mktemp -d "$(dirname "$tree")/.unpack.XXXXXX")
	tar -C "$tmp" -xf "$tarball"
	mv "$tmp/linux-source-$LINUX_SERIES" "$tree"
	rmdir "$tmp"
elif [ "$name" = iproute2 ]; then
	src=$("$SCRIPTS/fetch-iproute2.sh")
	cp -a "$src" "$tree"
else
	src=$("$SCRIPTS/fetch-go.sh" "$name")
	cp -a "$src" "$tree"
fi

cd "$tree"
git init -q -b main
git config user.name "$(git -C "$TOP" config user.name)"
git config user.email "$(git -C "$TOP" config user.email)"
# No background gc: it would race with removing the tree afterwards.
git config gc.auto 0
git add -A -f .
git commit -q --no-verify -m "base: pristine $name source ($version)"
git tag -f base >/dev/null

shopt -s nullglob
for p in "$TOP/patches/$name"/*.patch; do
	case "$(basename "$p")" in 0000-*) continue ;; esac
	if ! git am -q --keep-cr "$p" >/dev/null 2>&1; then
		git am --abort >/dev/null 2>&1 || true
		die "tree/$name: patch does not apply: $(basename "$p")"
	fi
done
echo "tree/$name: $(git rev-list --count base..HEAD) patches on base in $tree"
