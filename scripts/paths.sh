#!/bin/bash
# Print the absolute paths of what the build produced, one per line.
set -euo pipefail
. "$(dirname "$0")/common.sh"
echo "kernel=$KOUT/arch/x86/boot/bzImage"
echo "ip=$BUILD/iproute2/ip/ip"
echo "tc=$BUILD/iproute2/tc/tc"
echo "bpftool=$BUILD/tools/bpftool/bpftool"
echo "selftests=$BUILD/selftests"
