#!/bin/bash
# Build gates for the kernel series, on a git tree with the series on top
# of tag 'base' (it is checked out commit by commit): the C files the
# series touches get no new W=1 or sparse warnings against the base; at
# every commit that changes C code the touched objects build; with the
# full series they also build with CONFIG_VETH=y and without
# NET_XGRESS/BPF_SYSCALL. (The full series with CONFIG_VETH=m is the
# kernel 'make check' boots.) Prints TAP result lines.
# Usage: scripts/build-check.sh TREE
set -uo pipefail
. "$(dirname "$0")/common.sh"

src=${1:?usage: $0 TREE}
out=$BUILD/build-check
fail=0
ok() { echo "ok - $1"; }
not_ok() { fail=1; echo "not ok - $1"; }

kmake() {
	local o=$1; shift
	make -s -C "$src" O="$o" CC="ccache gcc" HOSTCC="ccache gcc" \
		KBUILD_BUILD_TIMESTAMP=0 "$@"
}

configure() {	# dir fragment...
	mkdir -p "$1"
	kmake "$1" x86_64_defconfig >/dev/null &&
	(cd "$src" && scripts/kconfig/merge_config.sh -m -O "$1" "$1/.config" \
		kernel/configs/kvm_guest.config "$TOP/config/base.config" "${@:2}") \
		>/dev/null &&
	kmake "$1" olddefconfig >/dev/null
}

# Warnings of one object, without line and column numbers, sorted.
warnings() {	# dir file.c flags...
	local o=${2%.c}.o
	rm -f "$1/$o"
	kmake "$1" "${@:3}" "$o" 2>&1 | grep -E 'warning:|error:' |
		sed -E 's/:[0-9]+:[0-9]+:/:/; s/^.*\/(linux\/)?//' | sort
}

git -C "$src" checkout -q base || exit 1
mapfile -t files < <(git -C "$src" diff --name-only base..main -- '*.c' | grep -v '^tools/')
objs=("${files[@]/%.c/.o}")

configure "$out/m" || { not_ok "configure the build check"; exit 1; }
for f in "${files[@]}"; do
	warnings "$out/m" "$f" W=1 C=2 > "$out/base.$(basename "$f").txt"
done
git -C "$src" checkout -q main
for f in "${files[@]}"; do
	new=$(warnings "$out/m" "$f" W=1 C=2 | comm -13 "$out/base.$(basename "$f").txt" -)
	if [ -z "$new" ]; then
		ok "no new W=1 or sparse warnings in $f"
	else
		echo "$new" | sed 's/^/# /'
		not_ok "no new W=1 or sparse warnings in $f"
	fi
done

for c in $(git -C "$src" rev-list --reverse base..main); do
	subj=$(git -C "$src" log -1 --format=%s "$c")
	git -C "$src" diff --quiet "$c^" "$c" -- '*.c' '*.h' ':!tools' && continue
	git -C "$src" checkout -q "$c"
	if log=$(kmake "$out/m" "${objs[@]}" 2>&1); then
		ok "builds at: $subj"
	else
		echo "$log" | tail -20 | sed 's/^/# /'
		not_ok "builds at: $subj"
	fi
done
git -C "$src" checkout -q main

# The objects of the list that the configuration in DIR builds: those its
# Makefile line gates on an option (obj-$(CONFIG_X) += f.o) only when X is
# set, so that a kernel without the act API is not asked for act_mirred.o.
built_objs() {	# dir obj...
	local d=$1 o sym
	shift
	for o in "$@"; do
		sym=$(sed -n "s/^obj-\$(\(CONFIG_[A-Z0-9_]*\)).*[[:space:]]$(basename "$o")\b.*/\1/p" \
			"$src/$(dirname "$o")/Makefile" | head -n 1)
		[ -z "$sym" ] || grep -q "^$sym=[ym]" "$d/.config" && echo "$o"
	done
}

for v in veth-builtin no-xgress; do
	log=
	if configure "$out/$v" "$TOP/config/$v.config" &&
	   mapfile -t vobjs < <(built_objs "$out/$v" "${objs[@]}") &&
	   log=$(kmake "$out/$v" "${vobjs[@]}" 2>&1); then
		ok "full series: ${vobjs[*]} with $v.config"
	else
		echo "${log:-configure failed}" | tail -20 | sed 's/^/# /'
		not_ok "full series: ${vobjs[*]} with $v.config"
	fi
done
exit $fail
