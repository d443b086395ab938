# Shared settings for the host-side scripts; sourced, not run.
# shellcheck shell=bash
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SCRIPTS=$TOP/scripts
BUILD=$TOP/build

LINUX_SERIES=6.12
LINUX_VERSION=6.12.117-1~deb12u1
IPROUTE2_VERSION=6.1.0-3

KOUT=${KOUT:-$BUILD/kernel}

die() { echo "error: $*" >&2; exit 1; }
step() { echo "== $*"; }
