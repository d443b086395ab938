#!/bin/bash
# make check: stage the kselftests, run them and the iproute2/YNL checks in
# the VM on the patched kernel, run the host-side series checks, and print
# the total as 'N passed, N failed[, N skipped]' on the last line.
# Usage: scripts/check.sh [--vm-only]   (--vm-only: just the VM tests)
set -uo pipefail
. "$(dirname "$0")/common.sh"

vm_only=0
case "${1:-}" in
"") ;;
--vm-only) vm_only=1 ;;
*) die "usage: $0 [--vm-only]" ;;
esac

"$SCRIPTS/selftests.sh" || die "check: staging the selftests failed"
log=$BUILD/check
mkdir -p "$log"

step "check: VM tests"
# One TCG thread for both vCPUs: with a thread each, QEMU 7.2 crashes the
# guest ("Oops: int3") when static keys flip under load, and the kselftest
# flips tracepoint and tc keys (see README).
VM_TCG_THREAD=${VM_TCG_THREAD:-single} \
	"$SCRIPTS/vm.sh" -t 4200 -- "$TOP/guest/check.sh" | tee "$log/vm.log"
vm_rc=${PIPESTATUS[0]}

: > "$log/bench.log"
: > "$log/series.log"
if [ $vm_only = 0 ]; then
	step "check: bench smoke (one short repetition, so make bench cannot rot)"
	if "$TOP/bench/run.sh" --smoke > "$log/bench.txt" 2>&1; then
		echo "ok - bench smoke" | tee "$log/bench.log"
	else
		tail -20 "$log/bench.txt"
		echo "not ok - bench smoke" | tee "$log/bench.log"
	fi

	step "check: series checks"
	"$SCRIPTS/series-check.sh" | tee "$log/series.log"
fi

read -r p1 f1 s1 < <(python3 "$SCRIPTS/tap-count.py" "$log/vm.log")
read -r p2 f2 s2 < <(python3 "$SCRIPTS/tap-count.py" "$log/series.log")
read -r p3 f3 s3 < <(python3 "$SCRIPTS/tap-count.py" "$log/bench.log")
passed=$((p1 + p2 + p3)); failed=$((f1 + f2 + f3)); skipped=$((s1 + s2 + s3))
if [ "$vm_rc" != 0 ]; then
	echo "check: the VM run failed (exit $vm_rc): see above"
	failed=$((failed + 1))
fi
if [ $((passed + failed)) = 0 ]; then
	echo "check: no test ran"
	failed=1
fi
# A skipped kselftest means the feature was not tested: count it as failed.
failed=$((failed + skipped))
line="$passed passed, $failed failed"
[ "$skipped" = 0 ] || line="$line, $skipped skipped"
echo "$line"
[ "$failed" = 0 ]
