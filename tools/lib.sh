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

# What fails a guest run when it shows up in the guest's kernel log.
BAD_LOG='WARNING:|BUG:|Oops|general protection fault|soft lockup|hard LOCKUP|'
BAD_LOG+='rcu_sched self-detected stall|rcu: INFO|INFO: rcu|hung_task|'
BAD_LOG+='blocked for more than|kmemleak|Call Trace:|refcount_t:|'
BAD_LOG+='list_add corruption|list_del corruption|Kernel panic|UBSAN:|KASAN:'

# A cgroup hitting its own memory.max is an expected outcome of memory
# tests, not a kernel problem: drop the memcg OOM reports (their stack
# dumps would match "Call Trace:"); a global OOM report stays.
drop_memcg_oom() {
	awk '
	/invoked oom-killer:/ { inoom = 1; buf = "" }
	inoom {
		buf = buf $0 "\n"
		# the serial console (loglevel 5) lacks the constraint line
		if (/oom-kill:constraint=CONSTRAINT_MEMCG|Memory cgroup out of memory:/) { inoom = 0; buf = "" }
		else if (/oom-kill:constraint=|Out of memory:/) { inoom = 0; printf "%s", buf; buf = "" }
		next
	}
	{ print }
	END { if (inoom) printf "%s", buf }' "$@"
}

# check_kernel_log OUT TAG LOG...: the guest's kernel logs (files in OUT,
# e.g. console.log and dmesg) must hold no line matching BAD_LOG, but for
# those matching VM_LOG_ALLOW. Otherwise the lines go to OUT/log-problems,
# the first report is shown, and it returns 1.
check_kernel_log() {
	local out=$1 tag=$2 f log first bad
	shift 2
	mkdir -p "$out/.vm"
	for f in "$@"; do
		if [[ -f $out/$f ]]; then
			drop_memcg_oom "$out/$f" >"$out/.vm/$f.checked"
		fi
	done
	bad=$(for f in "$@"; do cat "$out/.vm/$f.checked" 2>/dev/null; done | grep -E -- "$BAD_LOG" |
		{ if [[ -n ${VM_LOG_ALLOW:-} ]]; then grep -Ev -- "$VM_LOG_ALLOW"; else cat; fi; } |
		sed 's/^\[ *[0-9.]*\] //' | awk '!seen[$0]++' || true)
	[[ -z $bad ]] && return 0
	note "$tag: the guest kernel log reports problems (see $out/$*):"
	head -n 20 <<<"$bad" | sed 's/^/    /' >&2
	printf '%s\n' "$bad" >"$out/log-problems"
	for f in "$@"; do
		log=$out/.vm/$f.checked
		[[ -f $log ]] || continue
		first=$(grep -n -E -m1 -- "$BAD_LOG" "$log" | cut -d: -f1 || true)
		[[ -n $first ]] || continue
		note "$tag: the first report in $f:"
		tail -n +"$first" "$log" | head -n 50 | sed 's/^/    /' >&2
		break
	done
	return 1
}
