#!/bin/bash
# Host-side gates on patches/: every patch applies in order (make tree),
# checkpatch --strict is clean on each, the cover letters are there and
# filled in, commits are cited in the kernel's form, veth.rst is valid
# reStructuredText and the new kernel-doc is clean; the Go series apply and leave the Go files they touch no less
# gofmt-clean than they found them. Prints TAP.
set -uo pipefail
. "$(dirname "$0")/common.sh"

n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }

echo "TAP version 13"
tree=$BUILD/series-check
for name in linux iproute2 netlink-go cni-plugins; do
	dir=$TOP/patches/$name
	cover=$dir/0000-cover-letter.patch
	check "$name: cover letter present and filled in" \
		bash -c "[ -f '$cover' ] && ! grep -q '\*\*\* \(SUBJECT\|BLURB\) HERE' '$cover'"
done

# Apply the series on a pristine tree of our own, so build/ is left alone.
applied=1
if ! out=$("$SCRIPTS/tree.sh" linux "$tree/linux" 2>&1); then
	echo "$out" | sed 's/^/# /'
	applied=0
fi
check "linux: every patch applies in order" [ $applied = 1 ]

cp=$BUILD/linux/scripts/checkpatch.pl
# Our tree holds no upstream history: checkpatch cannot find the commits
# the messages cite (commit <id> ("subject"), Fixes:) and would warn
# UNKNOWN_COMMIT_ID for each; their form is checked below instead.
cpflags=(--strict --no-tree --ignore UNKNOWN_COMMIT_ID)
for p in "$TOP"/patches/linux/0*.patch "$TOP"/patches/iproute2/0*.patch; do
	case "$(basename "$p")" in 0000-*) continue ;; esac
	# Run outside this checkout: checkpatch reads a file git tracks as source.
	res=$(cd "$BUILD/linux" && "$cp" "${cpflags[@]}" --terse --show-types "$p" 2>&1 | tail -n 1)
	case "$res" in
	""|*"total: 0 errors, 0 warnings, 0 checks"*) ok "checkpatch --strict: $(basename "$p")" ;;
	*) (cd "$BUILD/linux" && "$cp" "${cpflags[@]}" --terse "$p") 2>&1 | sed 's/^/# /'
	   not_ok "checkpatch --strict: $(basename "$p")" ;;
	esac
done

# Commit references in the kernel's form, commit <12+ hex> ("subject"):
# checkpatch reports bare ids as ERROR GIT_COMMIT_ID only in a tree with
# upstream history, which ours has not. A Fixes: tag has a form of its own.
bare_ids() {	# patch: the message lines that cite a commit otherwise
	sed -n '/^Subject:/,/^---$/p' "$1" | grep -vE '^(Fixes|Link|Closes):' |
		tr '\n' ' ' | sed 's/commit [0-9a-f]\{12,40\} ("[^"]*")//g' |
		grep -oE '(^|[^0-9a-f])[0-9a-f]{12,40}([^0-9a-f]|$)'
}
for p in "$TOP"/patches/linux/0*.patch; do
	case "$(basename "$p")" in 0000-*) continue ;; esac
	ids=$(bare_ids "$p")
	[ -z "$ids" ] || echo "$ids" | sed 's/^/# bare commit id: /'
	check "commit references as commit <id> (\"subject\"): $(basename "$p")" [ -z "$ids" ]
done

# gofmt's complaints about a Go file, as sorted changed lines
gofmt_lines() { gofmt -d "$1" | grep '^[-+][^-+]' | sort; }
# The Go files the series in . touches where gofmt finds what it did not
# find in the pristine file (some upstream files predate Go 1.19's gofmt)
gofmt_new() {
	local f was=$(mktemp --suffix=.go)
	git diff --name-only --diff-filter=AM base HEAD -- '*.go' | while read -r f; do
		git show "base:$f" > "$was" 2>/dev/null || : > "$was"
		[ -z "$(comm -23 <(gofmt_lines "$f") <(gofmt_lines "$was"))" ] || echo "$f"
	done
	rm -f "$was"
}

# The Go series: apply each on its pristine source, gofmt what they touch
for name in netlink-go cni-plugins; do
	if out=$("$SCRIPTS/tree.sh" "$name" "$tree/$name" 2>&1); then
		ok "$name: every patch applies in order"
		unformatted=$(cd "$tree/$name" && gofmt_new)
		[ -z "$unformatted" ] || echo "$unformatted" | sed 's/^/# gofmt: /'
		check "$name: gofmt finds nothing new in the files the series touches" \
			[ -z "$unformatted" ]
	else
		echo "$out" | sed 's/^/# /'
		not_ok "$name: every patch applies in order"
	fi
done

if [ $applied = 1 ]; then
	rst=$tree/linux/Documentation/networking/veth.rst
	check "veth.rst: docutils --strict" \
		python3 -m docutils --strict --halt=warning "$rst" /dev/null
	kd=$( (cd "$tree/linux" && scripts/kernel-doc -Wall -none net/core/dev.c) 2>&1 |
		grep -i "ingress" )
	[ -z "$kd" ] || echo "$kd" | sed 's/^/# /'
	check "kernel-doc -Wall: netif_ingress_xmit()" [ -z "$kd" ]

	res=$(mktemp)
	"$SCRIPTS/build-check.sh" "$tree/linux" | tee "$res"
	n=$((n + $(grep -c '^\(not \)\?ok' "$res")))
	fail=$((fail + $(grep -c '^not ok' "$res")))
	rm -f "$res"
fi
rm -rf "$tree"
echo "1..$n"
[ $fail = 0 ]
