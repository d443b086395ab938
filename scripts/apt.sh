#!/bin/bash
# apt-get with an apt configuration of the project's own for Debian's
# unstable suite (and testing's sources, for iproute2): its sources list,
# state and cache under build/apt-sid,
# the registry URI taken from the machine's own apt sources, which stay as
# they are. Usage: scripts/apt.sh update | APT-GET-ARGS...
# (e.g. 'download linux-source-7.2=7.2.13-1', 'source iproute2=7.2.0-1')
set -euo pipefail
. "$(dirname "$0")/common.sh"

dir=$BUILD/apt
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$keyring" ] || die "apt: $keyring missing (package debian-archive-keyring)"

# The machine's Debian sources (deb822 or one-line form) as "URI SUITE"
# lines: their source packages, and the registry URI for the other suites.
mine=$( { awk '/^URIs:/ { n = split($0, u); delete U; for (i = 2; i <= n; i++) U[i] = u[i] }
	/^Suites:/ { n = split($0, s); delete S; for (i = 2; i <= n; i++) S[i] = s[i] }
	/^$/ { for (i in U) for (j in S) print U[i], S[j]; delete U; delete S }
	END { for (i in U) for (j in S) print U[i], S[j] }' \
	/etc/apt/sources.list.d/*.sources 2>/dev/null || true
	sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]*\)[[:space:]]\+\([^[:space:]]*\).*/\2 \3/p' \
	/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true; } | sort -u)
uri=$(echo "$mine" | awk '$1 !~ /security/ { print $1; exit }')
[ -n "$uri" ] || die "apt: no Debian URI in the machine's apt sources"

mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/parts"
{
	echo "deb [signed-by=$keyring] $uri sid main"
	echo "deb-src [signed-by=$keyring] $uri sid main"
	echo "deb-src [signed-by=$keyring] $uri forky main"
	echo "$mine" | while read -r u suite; do
		echo "deb-src [signed-by=$keyring] $u $suite main"
	done
} > "$dir/sources.list"

opts=(-o Dir::Etc::sourcelist="$dir/sources.list" -o Dir::Etc::sourceparts="$dir/parts"
	-o Dir::State::Lists="$dir/lists" -o Dir::Cache="$dir/cache"
	-o APT::Get::List-Cleanup=0 -o Debug::NoLocking=1)

if [ "${1:-}" = update ]; then
	exec apt-get -q "${opts[@]}" update
fi
# Update once, on first use.
ls "$dir/lists/"*_Packages >/dev/null 2>&1 || apt-get -q "${opts[@]}" update >&2
exec apt-get -q "${opts[@]}" "$@"
