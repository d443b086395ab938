#!/bin/bash
# Write build/<name>'s commits on top of its base back to patches/<name>/
# with git format-patch --cover-letter, keeping the cover letter's text.
# Usage: scripts/export.sh linux|iproute2|netlink-go|cni-plugins
set -euo pipefail
. "$(dirname "$0")/common.sh"

name=${1:-}
case "$name" in
linux) prefix="RFC PATCH v3" ;;
iproute2) prefix="PATCH iproute2-next" ;;
netlink-go) prefix="PATCH netlink" ;;
cni-plugins) prefix="PATCH plugins" ;;
*) die "usage: $0 linux|iproute2|netlink-go|cni-plugins" ;;
esac
tree=$BUILD/$name
out=$TOP/patches/$name
[ -d "$tree/.git" ] || die "export/$name: $tree is not a git tree: run 'make tree'"
[ -z "$(git -C "$tree" status --porcelain --untracked-files=no)" ] ||
	die "export/$name: $tree has uncommitted changes: commit them first"
n=$(git -C "$tree" rev-list --count base..HEAD)
[ "$n" -gt 0 ] || die "export/$name: no commits on top of base"

mkdir -p "$out"
old=$(mktemp)
trap 'rm -f "$old"' EXIT
[ -f "$out/0000-cover-letter.patch" ] && cp "$out/0000-cover-letter.patch" "$old"
rm -f "$out"/*.patch
# A fixed abbreviation (12, as the kernel's submitting-patches.rst asks) so
# the index lines do not change with the tree's object count.
git -C "$tree" -c core.abbrev=12 format-patch -q --cover-letter --zero-commit --no-signature \
	--subject-prefix="$prefix" \
	-o "$out" base..HEAD
python3 "$SCRIPTS/cover-keep.py" "$old" "$out/0000-cover-letter.patch"
echo "export/$name: $n patches + cover letter in patches/$name/"
