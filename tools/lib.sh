# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers shared by the tools/*.sh scripts.  Source it; it sets strict mode,
# makes $BUILD absolute and defines die/note/quiet.

set -euo pipefail

CGSHARE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(realpath -m "${BUILD:-$CGSHARE_ROOT/build}")
V=${V:-0}
PROG=${0##*/}
export BUILD V

die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }
note() { printf '%s: %s\n' "$PROG" "$*" >&2; }
verbose() { if [[ $V == 1 ]]; then note "$@"; fi; }

# Run a command with its output hidden unless it fails or V=1.
quiet() {
	if [[ $V == 1 ]]; then
		"$@"
		return
	fi
	local log rc=0
	log=$(mktemp "${TMPDIR:-/tmp}/cgshare-quiet.XXXXXX")
	"$@" >"$log" 2>&1 || rc=$?
	if ((rc != 0)); then
		cat "$log" >&2
		note "command failed (exit $rc): $*"
	fi
	rm -f "$log"
	return "$rc"
}

# need_cmd COMMAND PACKAGE: fail early, naming the Debian package to install.
need_cmd() {
	command -v "$1" >/dev/null 2>&1 ||
		die "'$1' not found; install it with: apt-get install $2"
}

valid_tag() {
	[[ $1 =~ ^[0-9]+\.[0-9]+$ ]] ||
		die "bad kernel tag '$1': expected MAJOR.MINOR such as 6.1 or 6.12"
}

# kernel_env TAG: source $BUILD/kernels/TAG/env (KVER KDIR VMLINUZ MODDIR ...).
kernel_env() {
	local env=$BUILD/kernels/$1/env
	[[ -f $env ]] || die "kernel $1 is not fetched ($env missing); run: tools/fetch-kernels.sh $1"
	# shellcheck source=/dev/null
	. "$env"
	[[ -d $KDIR && -f $VMLINUZ && -d $MODDIR ]] ||
		die "kernel $1 tree is incomplete; remove $BUILD/kernels/$1 and run tools/fetch-kernels.sh $1"
}
