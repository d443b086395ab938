#!/bin/bash
# Configure and build the guest kernel from build/linux into $KOUT, with
# ccache. Usage: scripts/kernel.sh [FRAGMENT...]  (default: config/base.config)
set -euo pipefail
. "$(dirname "$0")/common.sh"
# build/logs/kernel.log; kernel-debug.log for build/kernel-debug
log=$(basename "$KOUT")
case $log in kernel*) ;; *) log=kernel-$log ;; esac
logged "$log" "$@"

[ -d "$BUILD/linux/.git" ] || die "kernel: build/linux missing: run 'make tree'"
frags=("$@")
[ ${#frags[@]} -gt 0 ] || frags=("$TOP/config/base.config")

mkdir -p "$KOUT"
cd "$BUILD/linux"
kmake() { make O="$KOUT" CC="ccache gcc" HOSTCC="ccache gcc" \
	KBUILD_BUILD_TIMESTAMP=0 KBUILD_BUILD_USER=ci KBUILD_BUILD_HOST=ci "$@"; }

step "kernel: configure ($(for f in "${frags[@]}"; do basename "$f"; done | paste -sd' ')) in $KOUT"
cp "$KOUT/.config" "$KOUT/.config.prev" 2>/dev/null || true
kmake -s x86_64_defconfig >/dev/null
scripts/kconfig/merge_config.sh -m -O "$KOUT" "$KOUT/.config" \
	kernel/configs/kvm_guest.config "${frags[@]}" >/dev/null
kmake -s olddefconfig >/dev/null
# Keep timestamps (and so the incremental build) when nothing changed.
if cmp -s "$KOUT/.config" "$KOUT/.config.prev"; then
	touch -r "$KOUT/.config.prev" "$KOUT/.config"
fi

# Every option a fragment asks for must have survived olddefconfig.
for f in "${frags[@]}"; do
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*) want=$line ;;
		"# CONFIG_"*" is not set") want=$line ;;
		*) continue ;;
		esac
		opt=${want#\# }; opt=${opt%%[= ]*}
		got=$(grep -E "^(# )?$opt[= ]" "$KOUT/.config" || echo "# $opt is not set")
		[ "$got" = "$want" ] || die "kernel: $(basename "$f") wants '$want', config has '$got'"
	done < "$f"
done

step "kernel: build bzImage and modules (-j$(($(nproc) + 1)))"
kmake -j$(($(nproc) + 1)) bzImage modules
echo "kernel: $KOUT/arch/x86/boot/bzImage"
