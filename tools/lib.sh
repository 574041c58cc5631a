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

# A kernel tag: MAJOR.MINOR for Debian's kernels, or debug for the one
# tools/debug-kernel.sh builds.
valid_tag() {
	[[ $1 =~ ^[0-9]+\.[0-9]+$ || $1 == debug ]] ||
		die "bad kernel tag '$1': expected MAJOR.MINOR such as 6.1 or 6.12, or debug"
}

# The cache: what is downloaded or built from code that is not ours lives
# outside the clone, in $CGSHARE_CACHE, so that a fresh clone (CI) reuses it
# when it is there and rebuilds it when it is not.  $BUILD keeps only the
# project's own build products and run outputs.  Layout (every entry is
# named by what it was made from, and appears complete or not at all):
#
#   apt/TAG/                  private apt state for kernel TAG's suites
#                             (sources.list, lists/, cache/); never /etc/apt
#   debs/                     downloaded .debs, PACKAGE_VERSION_ARCH.deb
#   kernels/TAG/VERSION-HASH/ Debian kernel TAG at package VERSION: root/
#                             (image, modules, headers, kbuild), vmlinux,
#                             env, debs (the packages it was made from)
#   kernels/TAG/current       -> VERSION-HASH, what TAG resolved to last
#   initramfs/HASH.cpio       guest initramfs base (tools/vm-run.sh); HASH of
#                             busybox, tools/guest/init, kernel, module list
#   src/linux-source-SERIES/VERSION/
#                             a whole linux-source package, unpacked
#                             (tools/fetch-kernels.sh --source TAG)
#   src/partial-6.12/VERSION/ YNL, netlink specs, kselftest headers of
#                             linux-source-6.12 ($BUILD/src-6.12 links here)
#   roots/NAME-HASH/          build roots (tools/build-root.sh NAME); HASH of
#                             the recipe (suite, packages, mirror)
#   scx/VERSION-HASH/         sched_ext example schedulers built from
#                             linux-source VERSION (tools/build-scx.sh)
#   debugk/KEY/               debug kernels built from source: KEY names the
#                             source VERSION and the config's HASH
#   images/KEY/               Debian system images for guests: KEY names the
#                             suite and the recipe's HASH
#
# Other tools find and fill their part with cache_dir, cache_key and
# cache_build below.  Nothing in the cache is ever edited in place: a new
# recipe makes a new key.  Removing the whole directory is always safe
# while nothing runs.
CGSHARE_CACHE=$(realpath -m "${CGSHARE_CACHE:-/var/cache/cgshare}")
export CGSHARE_CACHE

# cache_dir PART [KEY...]: prints $CGSHARE_CACHE/PART[/KEY...] and creates
# the parent directory; the entry itself is made by cache_build.
cache_dir() {
	local d=$CGSHARE_CACHE p
	for p in "$@"; do
		[[ -n $p && $p != *..* && $p != */* ]] || die "bad cache path component '$p'"
		d+=/$p
	done
	mkdir -p "${d%/*}" || die "cannot create ${d%/*}; set CGSHARE_CACHE to a writable directory"
	printf '%s\n' "$d"
}

# cache_key STRING...: a short hash of a recipe (the strings, e.g. package
# lists, versions, the contents of the files that drive a build), for KEYs.
cache_key() {
	printf '%s\n' "$@" | sha256sum | cut -c1-12
}

# cache_name STRING: STRING with the characters a path, make or the kernel
# command line would trip over (Debian's ~ and :) replaced, e.g. for package
# versions in KEYs.
cache_name() {
	local s=${1//[^A-Za-z0-9.+_-]/_}
	printf '%s\n' "$s"
}

# cache_build DIR FUNCTION [ARG...]: makes the cache entry DIR unless it is
# there: FUNCTION TMP ARG... fills the empty directory TMP, which then
# becomes DIR in one rename.  Runs under a lock (DIR.lock), so two runs at
# once build it once and the second one waits for it; a failed build leaves
# nothing behind and ends the script.  Call it as a plain command, never
# after if, ! or before || and &&: bash would then ignore errexit inside
# FUNCTION too.
cache_build() {
	local dir=$1 fn=$2 tmp rc=0 lockfd
	shift 2
	[[ -d $dir ]] && return 0
	mkdir -p "${dir%/*}"
	exec {lockfd}>"$dir.lock"
	flock "$lockfd" || die "cannot lock $dir.lock"
	if [[ ! -d $dir ]]; then
		tmp=$dir.tmp.$$
		rm -rf "$tmp"
		mkdir -p "$tmp"
		set +e
		(set -e; "$fn" "$tmp" "$@")
		rc=$?
		set -e
		if ((rc == 0)); then
			mv -T "$tmp" "$dir"
		else
			rm -rf "$tmp"
		fi
	fi
	exec {lockfd}>&-
	((rc == 0)) || die "could not make $dir"
}

# kernel_make DIR ARG...: make -C $KDIR ARG... for the kernel whose env is
# sourced: on the host, or, for kernels whose headers need another
# toolchain (BUILDROOT), chrooted in their build root with the kernel's
# tree and DIR (where the output goes) mounted at their own paths.
# The caller's make (make check-guest TESTS="a b") must not reach Kbuild
# through MAKEFLAGS: trixie's make took the words of TESTS for targets.
kernel_make() {
	local dir=$1
	shift
	if [[ -n ${BUILDROOT:-} ]]; then
		env -u MAKEFLAGS -u MFLAGS -u MAKEOVERRIDES -u MAKELEVEL \
			"$CGSHARE_ROOT/tools/build-root.sh" "$BUILDROOT" --run "$dir" "$KTREE" -- make -C "$KDIR" "$@"
	else
		env -u MAKEFLAGS -u MFLAGS -u MAKEOVERRIDES -u MAKELEVEL make -C "$KDIR" "$@"
	fi
}

# kernel_env TAG: source the env of fetched kernel TAG (KVER KDIR VMLINUZ
# MODDIR KCONFIG VMLINUX BUILDROOT ...; see tools/fetch-kernels.sh).
kernel_env() {
	local env=$CGSHARE_CACHE/kernels/$1/current/env
	[[ -f $env ]] || die "kernel $1 is not fetched ($env missing); run: tools/fetch-kernels.sh $1"
	# shellcheck source=/dev/null
	. "$env"
	[[ -d $KDIR && -f $VMLINUZ && -d $MODDIR ]] ||
		die "kernel $1 tree is incomplete; remove $(realpath "${env%/env}") and run tools/fetch-kernels.sh $1"
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
# those matching VM_LOG_ALLOW or dumps a test provoked (tools/guest/
# log-provoked.awk). Otherwise the lines go to OUT/log-problems,
# the first report is shown, and it returns 1.
check_kernel_log() {
	local out=$1 tag=$2 f log first bad
	shift 2
	mkdir -p "$out/.vm"
	for f in "$@"; do
		if [[ -f $out/$f ]]; then
			drop_memcg_oom "$out/$f" |
				awk -f "$CGSHARE_ROOT/tools/guest/log-provoked.awk" >"$out/.vm/$f.checked"
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

# guest_qemu STDOUT QEMU-ARGV...: runs a guest under VM_TIMEOUT, its stdout
# to STDOUT (- leaves it ours), its stderr to $OUT/.vm/qemu.stderr; in the
# background so that a signal to us ends QEMU too (--foreground keeps QEMU
# in our process group, where a terminal's ^C reaches it). Sets
# GUEST_START, GUEST_END (date +%s.%N) and GUEST_QRC.
guest_qemu() {
	local stdout=$1 qpid
	shift
	GUEST_START=$(date +%s.%N)
	GUEST_QRC=0
	# (not >/dev/stdout: opening that truncates a caller's log file)
	if [[ $stdout == - ]]; then
		timeout --foreground -k 10 "$VM_TIMEOUT" "$@" </dev/null 2>"$OUT/.vm/qemu.stderr" &
	else
		timeout --foreground -k 10 "$VM_TIMEOUT" "$@" </dev/null >"$stdout" 2>"$OUT/.vm/qemu.stderr" &
	fi
	qpid=$!
	# shellcheck disable=SC2064 # the pid is fixed now
	trap "kill $qpid 2>/dev/null; exit 130" INT
	# shellcheck disable=SC2064
	trap "kill $qpid 2>/dev/null; exit 143" TERM HUP
	wait "$qpid" || GUEST_QRC=$?
	trap - INT TERM HUP
	GUEST_END=$(date +%s.%N)
}

# guest_verdict TAG WHAT: after guest_qemu, says how the guest went (boot
# time, total, the command's exit status; WHAT names the kernel) and
# exits: with the command's status ($OUT/rc), or 1 when it passed but the
# guest did not (a timeout, QEMU's own failure, a failed init, a kernel
# log report).
guest_verdict() {
	local tag=$1 what=$2 fail=0 boot total rc
	if [[ -f $OUT/.vm/started ]]; then
		boot="boot $(awk -v a="$GUEST_START" -v b="$(stat -c %.3Y "$OUT/.vm/started")" 'BEGIN { printf "%.1f", b - a }')s"
		boot+=" (guest uptime $(cut -d' ' -f1 "$OUT/.vm/started")s)"
	else
		boot="the command never started"
	fi
	total=$(awk -v a="$GUEST_START" -v b="$GUEST_END" 'BEGIN { printf "%.1f", b - a }')
	if [[ -f $OUT/.vm/timeout ]]; then
		note "$tag: the command was still running at the guest's deadline; its blocked and all tasks are in $OUT/tasks-at-timeout"
		fail=1
	elif ((GUEST_QRC == 124 || GUEST_QRC == 137)); then
		note "$tag: the guest did not finish within VM_TIMEOUT=${VM_TIMEOUT}s and was killed"
		fail=1
	elif ((GUEST_QRC != 0)); then
		note "$tag: qemu exited with status $GUEST_QRC"
		cat "$OUT/.vm/qemu.stderr" >&2
		fail=1
	fi
	if [[ -s $OUT/.vm/init-error ]]; then
		note "$tag: guest init failed: $(cat "$OUT/.vm/init-error")"
		fail=1
	fi
	# console.log has what came out before any crash, dmesg the whole log
	# of a run that finished
	check_kernel_log "$OUT" "$tag" dmesg console.log || fail=1
	if [[ -f $OUT/rc ]]; then
		rc=$(<"$OUT/rc")
		[[ $rc =~ ^[0-9]+$ ]] || rc=255
	elif [[ -f $OUT/.vm/timeout ]]; then
		rc=1
	else
		note "$tag: the command did not complete (no $OUT/rc); last console lines:"
		tail -n 30 "$OUT/console.log" 2>/dev/null | sed 's/^/    /' >&2
		rc=1
		fail=1
	fi
	[[ -s $OUT/stderr ]] && cat "$OUT/stderr" >&2
	note "$tag ($what): $boot, total ${total}s, command exit status $rc"
	((rc == 0 && fail)) && exit 1
	exit "$rc"
}
