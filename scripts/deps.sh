#!/bin/bash
# Install what the project needs on a Debian 12 machine (idempotent, root).
set -euo pipefail
. "$(dirname "$0")/common.sh"
logged deps "$@"

PKGS=(
	build-essential bc bison flex libelf-dev libssl-dev dwarves kmod cpio
	ccache sparse clang llvm pkg-config libcap-dev libmnl-dev libbpf-dev
	qemu-system-x86 udev python3 python3-yaml python3-docutils dpkg-dev
	iproute2 ethtool tcpdump iperf3 busybox-static gnuplot-nox
	groff-base man-db socat file nftables
	containernetworking-plugins golang-go
	"golang-github-vishvananda-netlink-dev=$NETLINK_GO_VERSION" golang-github-vishvananda-netns-dev
	golang-golang-x-sys-dev golang-github-appc-cni-dev golang-github-coreos-go-iptables-dev
	golang-github-safchain-ethtool-dev golang-github-onsi-ginkgo-dev golang-gomega-dev
)

[ "$(id -u)" = 0 ] || die "deps: run as root (apt-get)"

missing=()
for p in "${PKGS[@]}"; do
	name=${p%%=*}
	want=${p#*=}
	have=$(dpkg-query -W -f '${Status} ${Version}' "$name" 2>/dev/null || true)
	case "$have" in
	"install ok installed "*) [ "$p" = "$name" ] || [ "${have##* }" = "$want" ] || missing+=("$p") ;;
	*) missing+=("$p") ;;
	esac
done

if [ ${#missing[@]} -gt 0 ]; then
	step "deps: apt-get update"
	apt-get update -q
	step "deps: install ${missing[*]}"
	for p in "${missing[@]}"; do
		case "$p" in *=*)
			apt-cache madison "${p%%=*}" | awk '{print $3}' | grep -qx "${p#*=}" ||
				die "deps: ${p%%=*} version ${p#*=} is not served by the registry (pinned in scripts/common.sh)" ;;
		esac
	done
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# virtme-ng (vng, scripts/vm.sh) from Debian's unstable suite, through the
# project's own apt configuration (scripts/apt.sh): an Architecture: all
# package whose dependencies this release satisfies. Its guest init finds
# vng's script I/O ports through udev's /dev/virtio-ports links, hence udev.
have=$(dpkg-query -W -f '${Status} ${Version}' virtme-ng 2>/dev/null || true)
if [ "$have" != "install ok installed $VIRTME_NG_VERSION" ]; then
	step "deps: virtme-ng $VIRTME_NG_VERSION from unstable"
	mkdir -p "$BUILD/src"
	deb=$BUILD/src/virtme-ng_${VIRTME_NG_VERSION}_all.deb
	[ -f "$deb" ] || (cd "$BUILD/src" && "$SCRIPTS/apt.sh" download "virtme-ng=$VIRTME_NG_VERSION")
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$deb"
fi
echo "deps: ok"
