#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/deb.sh   (make deb)
#
# Builds the Debian packages cgshare-dkms (the module source, through
# dh-dkms) and cgsharectl (binary, man page, units, example config, bash
# completion) with dpkg-buildpackage, from a copy of the tracked files in
# $BUILD/deb/src, and checks them with lintian. debian/changelog is
# written from VERSION, the one version of everything. Results:
# $BUILD/deb/*.deb, lintian's findings in $BUILD/deb/lintian.txt. Fails
# when the build fails or lintian reports an error. Environment: JOBS
# (parallel build jobs, default all CPUs), BUILD, SOURCE_DATE_EPOCH.

# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"

need_cmd dpkg-buildpackage dpkg-dev
need_cmd dh debhelper
need_cmd dh_dkms dh-dkms
VERSION=$(<"$CGSHARE_ROOT/VERSION")
OUT=$BUILD/deb
SRC=$OUT/src/cgshare-$VERSION

rm -rf "$OUT"
mkdir -p "$SRC"
# the tracked files (git needs safe.directory when root builds a user's clone)
if git -c safe.directory="$CGSHARE_ROOT" -C "$CGSHARE_ROOT" rev-parse --git-dir >/dev/null 2>&1; then
	git -c safe.directory="$CGSHARE_ROOT" -C "$CGSHARE_ROOT" ls-files -z |
		(cd "$CGSHARE_ROOT" && cpio -0 -pdm --quiet "$SRC")
else
	tar -C "$CGSHARE_ROOT" --exclude=./build --exclude=./.git -cf - . | tar -C "$SRC" -xf -
fi
[[ -f $SRC/debian/control ]] || die "no debian/ in the copy of $CGSHARE_ROOT"
{
	echo "cgshare ($VERSION) unstable; urgency=medium"
	echo
	echo "  * cgshare $VERSION."
	echo
	echo " -- $(sed -n 's/^Maintainer: //p' "$SRC/debian/control")  $(date -R -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}")"
} >"$SRC/debian/changelog"

note "building cgshare-dkms and cgsharectl $VERSION (dpkg-buildpackage)"
if ! (cd "$SRC" && dpkg-buildpackage -us -uc -b -j"${JOBS:-$(nproc)}") >"$OUT/build.log" 2>&1; then
	tail -n 30 "$OUT/build.log" >&2
	die "dpkg-buildpackage failed; full log: $OUT/build.log"
fi
mv "$OUT"/src/*.deb "$OUT"/src/*.changes "$OUT"/src/*.buildinfo "$OUT/"
ls "$OUT"/*.deb

if command -v lintian >/dev/null; then
	lintian --info --display-info --fail-on error "$OUT"/*.changes >"$OUT/lintian.txt" 2>&1 || {
		cat "$OUT/lintian.txt" >&2
		die "lintian reports errors (above; also in $OUT/lintian.txt)"
	}
	note "lintian: $(grep -c '^[EWI]:' "$OUT/lintian.txt" || true) findings (errors none) in $OUT/lintian.txt"
else
	note "lintian is not installed; not checked"
fi
