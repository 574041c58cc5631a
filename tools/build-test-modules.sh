#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/build-test-modules.sh TAG
#
# Builds the test-only kernel modules of selftests/fixtures/ against the
# kernel TAG (like tools/build-module.sh: on the host or in TAG's build
# root), into $BUILD/mod/TAG/test/.  Each fixture's line in that Kbuild
# says what its kernel must have; where it lacks it the fixture is not
# built, and the guest test that loads it says why it skips.  Warnings
# are errors.  No module BTF: the fixtures have no kfuncs.
#
# Environment: BUILD, CGSHARE_CACHE, V.

# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"

(($# == 1)) || { echo "usage: $PROG TAG" >&2; exit 2; }
TAG=$1
valid_tag "$TAG"
kernel_env "$TAG"
need_cmd make make

SRC=$CGSHARE_ROOT/selftests/fixtures
OUT=$BUILD/mod/$TAG/test
MDIR=$OUT/src
mkdir -p "$MDIR"
exec 9>"$OUT/.lock"
flock 9 || die "cannot lock $OUT/.lock"

# kbuild writes next to the sources: build a copy, whose unchanged files
# keep their timestamps so that rebuilds are incremental
for f in "$SRC"/Kbuild "$SRC"/*.[ch]; do
	cmp -s "$f" "$MDIR/${f##*/}" || cp -p "$f" "$MDIR/"
done
rm -f "$OUT"/*.ko "$MDIR"/*.ko

log=$OUT/build.log
if ! kernel_make "$OUT" M="$MDIR" -j"$(nproc)" CONFIG_DEBUG_INFO_BTF_MODULES= \
	KCFLAGS=-Werror modules >"$log" 2>&1; then
	cat "$log" >&2
	die "building the test modules for $TAG ($KVER) failed; full log: $log"
fi
if [[ $V == 1 ]]; then cat "$log"; fi
if grep -E '^WARNING: |warning:' "$log" >&2; then
	die "building the test modules for $TAG ($KVER) produced warnings (treated as errors); full log: $log"
fi
shopt -s nullglob
built=("$MDIR"/*.ko)
((${#built[@]} == 0)) || cp "${built[@]}" "$OUT/"
verbose "test modules for $TAG: ${built[*]##*/}"
