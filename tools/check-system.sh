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
# Environment: SYSTEM_FULL, CGSHARE_CACHE, VM_TIMEOUT (per guest, 900), BUILD, V.

# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"

(($# > 0)) || { echo "usage: $PROG TAG..." >&2; exit 2; }
for tag in "$@"; do valid_tag "$tag"; done
((EUID == 0)) || die "the system image needs root; run: sudo make check-system"
SYSTEM_FULL=${SYSTEM_FULL:-6.1}
export VM_TIMEOUT=${VM_TIMEOUT:-900}
pass=0 fail=0 skip=0

t0=$SECONDS
"$CGSHARE_ROOT/tools/deb.sh" || die "building the packages failed"
"$CGSHARE_ROOT/tools/system-image.sh" >/dev/null || die "building the system image failed"
note "packages and image ready after $((SECONDS - t0)) s"

for tag in "$@"; do
	t1=$SECONDS
	out=$BUILD/system/$tag
	mode=short
	[[ $tag == "$SYSTEM_FULL" ]] && mode=full
	rm -rf "$out"
	mkdir -p "$out/in"
	cp "$BUILD"/deb/cgshare-dkms_*.deb "$BUILD"/deb/cgsharectl_*.deb \
		"$CGSHARE_ROOT/tools/system/scenario.sh" "$CGSHARE_ROOT/tools/system/prometheus.yml" "$out/in/"
	note "$tag: booting the Debian system image, $mode scenario"
	rc=0
	"$CGSHARE_ROOT/tools/system-run.sh" "$tag" "$out" -- ./scenario.sh "$mode" || rc=$?
	cat "$out/stdout" 2>/dev/null
	p=$(grep -c '^ok ' "$out/stdout" 2>/dev/null || true)
	s=$(grep -c '^ok .*# SKIP' "$out/stdout" 2>/dev/null || true)
	f=$(grep -c '^not ok ' "$out/stdout" 2>/dev/null || true)
	p=$((p - s))
	if ! grep -q '^1\.\.[0-9]' "$out/stdout" 2>/dev/null || ((rc != 0 && f == 0)); then
		echo "not ok - $tag: the scenario did not finish cleanly (exit $rc), see $out/"
		f=$((f + 1))
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	note "$tag ($mode): $p ok, $f not ok, $s skip, $((SECONDS - t1)) s"
done
echo "$pass passed, $fail failed, $skip skipped"
((fail == 0))
