#!/bin/bash
# Build the Go side of the CNI checks into build/cni/: the patched ptp
# plugin (ptp) and the test binaries of the patched vishvananda/netlink
# (netlink.test) and ptp (ptp.test), which guest/netlink-go.sh and
# guest/cni-bpfxmit.sh run as root in the VM.
# GOPATH mode, offline, against Debian's /usr/share/gocode, with
# build/netlink-go and build/cni-plugins first in GOPATH.
# Usage: scripts/cni.sh
set -euo pipefail
. "$(dirname "$0")/common.sh"
logged cni "$@"

for t in netlink-go cni-plugins; do
	[ -d "$BUILD/$t/.git" ] || die "cni: $BUILD/$t missing: run 'make tree'"
done
command -v go >/dev/null || die "cni: go not installed (make deps)"

gopath=$BUILD/go
mkdir -p "$gopath/src/github.com/vishvananda" "$gopath/src/github.com/containernetworking"
ln -sfn "$BUILD/netlink-go" "$gopath/src/github.com/vishvananda/netlink"
ln -sfn "$BUILD/cni-plugins" "$gopath/src/github.com/containernetworking/plugins"
export GO111MODULE=off GOPATH=$gopath:/usr/share/gocode GOCACHE=$BUILD/go-cache \
	GOPROXY=off GOFLAGS= GOENV=off CGO_ENABLED=0

ptp=github.com/containernetworking/plugins/plugins/main/ptp
netlink=github.com/vishvananda/netlink
# The patched trees must be the ones used, not the packaged copies.
while IFS=$'\t' read -r pkg dir; do
	case "$dir" in
	"$gopath"/*) ;;
	*) die "cni: $pkg resolves to $dir, not to build/" ;;
	esac
done < <(go list -deps -test -f '{{.ImportPath}}{{"\t"}}{{.Dir}}' "$ptp" |
	grep -E '^github.com/(vishvananda/netlink|containernetworking/plugins)([/ \t]|$)')

out=$BUILD/cni
mkdir -p "$out"
step "cni: go build ptp; go test -c ptp, netlink"
go build -o "$out/ptp" "$ptp" || die "cni: go build $ptp failed"
go test -c -o "$out/ptp.test" "$ptp" || die "cni: go test -c $ptp failed"
go test -c -o "$out/netlink.test" "$netlink" || die "cni: go test -c $netlink failed"
echo "cni: $(cd "$out" && echo ptp ptp.test netlink.test) in build/cni/ ($(go version | cut -d' ' -f3))"
