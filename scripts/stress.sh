#!/bin/bash
# make stress: build the debug kernel (config/debug.config: KASAN, lockdep,
# PROVE_RCU, kmemleak, ...) in build/kernel-debug, boot it and run
# guest/stress.sh, then the kselftests on the same boot (all of
# veth_bpf_xmit.sh's cases, or the named ones). The VM runner fails the run
# on any splat in dmesg.
# Usage: scripts/stress.sh [SECONDS [CASES]]   (default 180; CASES: names
# from 'veth_bpf_xmit.sh -l', e.g. "tproxy_udp sk_assign_peer")
set -euo pipefail
. "$(dirname "$0")/common.sh"

secs=${1:-180}
cases=${2:-}
case "$secs" in ''|*[!0-9]*) die "usage: $0 [SECONDS [CASES]]" ;; esac
[ $# -le 2 ] || die "usage: $0 [SECONDS [CASES]]"
export KOUT=$BUILD/kernel-debug
start=$(date +%s)
"$SCRIPTS/kernel.sh" "$TOP/config/base.config" "$TOP/config/debug.config"
echo "stress: debug kernel built in $(($(date +%s) - start)) s"
"$SCRIPTS/selftests.sh" >/dev/null
# scripts/vm-qemu.sh, not vng: vng's init takes over half an hour on this
# kernel before the command starts (see there). One TCG thread for all
# vCPUs: with one thread per vCPU (QEMU 7.2) the static-key patching that
# attach/detach churn triggers crashes the guest ("Oops: int3" in patched
# code), with bpf-xmit off and on alike. pci=noacpi: the debug kernel's ACPI
# interpreter runs past its 30 s loop limit on each PCI device's _PRT
# (AE_AML_LOOP_TIMEOUT). no5lvl: -cpu max has LA57, and identify_cpu()
# clears boot_cpu_data's capabilities before it reads them again; an
# interrupt in that window sees 4-level KASAN_SHADOW_START bounds while the
# direct map is 5-level, and KASAN calls its every access a
# wild-memory-access (before any code of the series runs). kasan_multi_shot:
# every KASAN report, not just the first. thread_backlog_napi: each CPU's
# backlog runs in a thread of its own (as on PREEMPT_RT), which
# guest/stress-tproxy.sh keeps off its CPU to let packets wait across an RCU
# grace period.
VM_TCG_THREAD=single \
VM_APPEND="pci=noacpi no5lvl kasan_multi_shot thread_backlog_napi ${VM_APPEND:-}" \
	"$SCRIPTS/vm-qemu.sh" -t $((secs * 6 + 7200)) -k "$KOUT/arch/x86/boot/bzImage" -- \
	bash -c "'$TOP/guest/stress.sh' $secs && cd '$BUILD/selftests/net' &&
		./tc_redirect_sk_assign.sh && ./veth_bpf_xmit.sh ${cases:+-t '$cases'}"
