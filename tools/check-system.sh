#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/check-system.sh TAG...   (make check-system)
#
# The install scenario on a real Debian 12 host: builds the packages
# (tools/deb.sh: dpkg-buildpackage and lintian), the bookworm system image
# once (tools/system-image.sh, cached), and boots it for each TAG
# (tools/system-run.sh) with tools/system/scenario.sh: the full scenario
# on SYSTEM_FULL (default 6.1, the kernel of stock Debian 12), the short
# one (install, modprobe, units active, one scrape, purge) on the others.
# TAP per kernel in $BUILD/system/TAG/stdout; the last line is
# `N passed, N failed, N skipped`.
#
# The guests run JOBS at once (default 2: the full and the short scenario
# side by side, one host CPU each).
#
# Environment: SYSTEM_FULL, JOBS, CGSHARE_CACHE, VM_TIMEOUT (per guest, 900),
# BUILD, V.

# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"

(($# > 0)) || { echo "usage: $PROG TAG..." >&2; exit 2; }
for tag in "$@"; do valid_tag "$tag"; done
((EUID == 0)) || die "the system image needs root; run: sudo make check-system"
SYSTEM_FULL=${SYSTEM_FULL:-6.1}
export VM_TIMEOUT=${VM_TIMEOUT:-900}
JOBS=${JOBS:-2}
[[ $JOBS =~ ^[1-9][0-9]*$ ]] || die "JOBS must be a positive number, not '$JOBS'"
pass=0 fail=0 skip=0

t0=$SECONDS
"$CGSHARE_ROOT/tools/deb.sh" || die "building the packages failed"
"$CGSHARE_ROOT/tools/system-image.sh" >/dev/null || die "building the system image failed"
note "packages and image ready after $((SECONDS - t0)) s"

# run_tag TAG: boots the image on TAG with its scenario; its TAP and
# summary in $BUILD/system/TAG/{stdout,log,result}
run_tag() {
	local tag=$1 t1=$SECONDS out=$BUILD/system/$1 mode=short rc=0 p s f
	[[ $tag == "$SYSTEM_FULL" ]] && mode=full
	rm -rf "$out"
	mkdir -p "$out/in"
	cp "$BUILD"/deb/cgshare-dkms_*.deb "$BUILD"/deb/cgsharectl_*.deb \
		"$CGSHARE_ROOT/tools/system/scenario.sh" "$CGSHARE_ROOT/tools/system/prometheus.yml" "$out/in/"
	note "$tag: booting the Debian system image, $mode scenario"
	"$CGSHARE_ROOT/tools/system-run.sh" "$tag" "$out" -- ./scenario.sh "$mode" >"$out/log" 2>&1 || rc=$?
	p=$(grep -c '^ok ' "$out/stdout" 2>/dev/null || true)
	s=$(grep -c '^ok .*# SKIP' "$out/stdout" 2>/dev/null || true)
	f=$(grep -c '^not ok ' "$out/stdout" 2>/dev/null || true)
	p=$((p - s))
	if ! grep -q '^1\.\.[0-9]' "$out/stdout" 2>/dev/null || ((rc != 0 && f == 0)); then
		echo "not ok - $tag: the scenario did not finish cleanly (exit $rc), see $out/" >>"$out/log"
		f=$((f + 1))
	fi
	echo "$p $f $s $mode $((SECONDS - t1))" >"$out/result"
}

# The guests, JOBS at once (each is one busy host thread), then their
# output in the order the tags were given.
running=0
for tag in "$@"; do
	if ((running >= JOBS)); then
		wait -n || true
		running=$((running - 1))
	fi
	run_tag "$tag" &
	running=$((running + 1))
done
wait
for tag in "$@"; do
	out=$BUILD/system/$tag
	cat "$out/stdout" "$out/log" 2>/dev/null
	read -r p f s mode secs <"$out/result" 2>/dev/null || { p=0 f=1 s=0 mode="?" secs="?"; }
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	note "$tag ($mode): $p ok, $f not ok, $s skip, $secs s"
done
echo "$pass passed, $fail failed, $skip skipped"
((fail == 0))
