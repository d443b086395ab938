# Shared settings for the host-side scripts; sourced, not run.
# shellcheck shell=bash
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SCRIPTS=$TOP/scripts
BUILD=$TOP/build

# Debian's unstable suite (scripts/apt.sh): linux-source-7.2 7.2.13-1.
# iproute2: Debian testing's 7.2.0-1 source package; unstable's 7.3.0-1 lists
# its source, but the registry answers 404 for its .dsc and tarballs.
LINUX_SERIES=7.2
LINUX_VERSION=7.2.13-1
IPROUTE2_VERSION=7.2.0-1
# The VM runner (scripts/vm.sh): virtme-ng, an Architecture: all package
VIRTME_NG_VERSION=1.41-1
# Go: the vishvananda/netlink library and the CNI plugins (Debian source packages)
NETLINK_GO_VERSION=1.1.0.125.gf243826-4
CNI_PLUGINS_VERSION=1.1.1+ds1-3

KOUT=${KOUT:-$BUILD/kernel}

die() { echo "error: $*" >&2; exit 1; }
step() { echo "== $*"; }

# Build steps: all their output goes to build/logs/STEP.log, the terminal
# gets one line per step.
LOGS=$BUILD/logs

# "3 m 07 s" or "42 s"
duration() { if [ "$1" -ge 60 ]; then printf '%d m %02d s' $(($1 / 60)) $(($1 % 60)); else printf '%d s' "$1"; fi; }

# logged STEP "$@", near the top of a script, before it cd's or changes
# anything: run the script again with its output in build/logs/STEP.log and
# print one line: the script's last line and the time it took. Meanwhile a
# terminal shows a status line (the time so far and the log's last line),
# anything else a line every 2 minutes. On failure: the log's last lines and
# its path, and the script's exit status. VERBOSE=1: the output shows too.
logged() {
	local step=$1 log rc=0 t0=$SECONDS ticker last took
	shift
	if [ "${LOGGED_STEP:-}" = "$step" ]; then	# the run again
		unset LOGGED_STEP
		return 0
	fi
	mkdir -p "$LOGS"
	log=$LOGS/$step.log
	if [ "${VERBOSE:-0}" != 0 ]; then
		LOGGED_STEP=$step "$BASH" "$0" "$@" 2>&1 | tee "$log" || rc=${PIPESTATUS[0]}
	else
		log_ticker "$step" "$log" &
		ticker=$!
		LOGGED_STEP=$step "$BASH" "$0" "$@" > "$log" 2>&1 < /dev/null || rc=$?
		kill "$ticker" 2>/dev/null || true
		wait "$ticker" 2>/dev/null || true
		[ -t 1 ] && printf '\r\033[K'
	fi
	took=$(duration $((SECONDS - t0)))
	if [ "$rc" = 0 ]; then
		last=$(grep -v '^[[:space:]]*$' "$log" | tail -n 1)
		[ "${VERBOSE:-0}" = 0 ] || last=
		echo "${last:-$step: done} ($took)"
		exit 0
	fi
	{
		if [ "${VERBOSE:-0}" = 0 ]; then
			echo "$step: failed after $took (exit $rc); the log's last lines:"
			tail -n 25 "$log" | sed 's/^/  | /'
		fi
		echo "$step: failed after $took (exit $rc); full log: $log"
	} >&2
	exit "$rc"
}

# log_ticker STEP LOG: logged's status while the step runs (its parent is $$)
log_ticker() {
	local t0=$SECONDS next=120 t cols
	trap 'exit 0' TERM
	cols=$(tput cols 2>/dev/null || echo 80)
	while kill -0 $$ 2>/dev/null; do
		sleep 1 &
		wait $!
		t=$((SECONDS - t0))
		if [ -t 1 ]; then
			printf '\r\033[K%s' "$(printf '%s: %s  %s' "$1" "$(duration $t)" \
				"$(tail -n 1 "$2" 2>/dev/null | tr -s ' \t\r' ' ' | sed 's/^ //')" | cut -c "1-$((cols - 1))")"
		elif [ $t -ge $next ]; then
			echo "$1: still running after $(duration $t)"
			next=$((next + 120))
		fi
	done
}
