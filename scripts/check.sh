#!/bin/bash
# make check: stage the kselftests, run them and the iproute2/YNL checks in
# the VM on the patched kernel, run the host-side series checks, and print
# the total as 'N passed, N failed[, N skipped]' on the last line.
set -uo pipefail
. "$(dirname "$0")/common.sh"

"$SCRIPTS/selftests.sh" || die "check: staging the selftests failed"
log=$BUILD/check
mkdir -p "$log"

step "check: VM tests"
"$SCRIPTS/vm.sh" -t 3000 -- "$TOP/guest/check.sh" | tee "$log/vm.log"
vm_rc=${PIPESTATUS[0]}

step "check: series checks"
"$SCRIPTS/series-check.sh" | tee "$log/series.log"

read -r p1 f1 s1 < <(python3 "$SCRIPTS/tap-count.py" "$log/vm.log")
read -r p2 f2 s2 < <(python3 "$SCRIPTS/tap-count.py" "$log/series.log")
passed=$((p1 + p2)); failed=$((f1 + f2)); skipped=$((s1 + s2))
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
