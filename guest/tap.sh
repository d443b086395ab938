# TAP helpers for the guest checks; sourced, not run.
# shellcheck shell=bash
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
diag() { sed '/^$/d; s/^/# /'; }
check() { # check DESC COND...: ok if COND (a command) succeeds
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}
# tap_start TESTS: print the TAP header for TESTS cases and remove the
# netns $NS when the script exits
tap_start() {
	TESTS=$1
	trap 'ip netns del "$NS" 2>/dev/null' EXIT
	echo "TAP version 13"
	echo "1..$TESTS"
}
