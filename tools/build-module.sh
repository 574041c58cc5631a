#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/build-module.sh TAG
#
# Builds cgshare.ko against the headers of the fetched kernel TAG (see
# tools/fetch-kernels.sh).  Kbuild, kmod/ and uapi/ are mirrored into
# $BUILD/mod/TAG/src/ (6.1's kbuild cannot put objects outside M=), files
# whose content did not change keep their timestamps so rebuilds are
# incremental.  Compiler warnings and modpost warnings are errors.
# Result: $BUILD/mod/TAG/cgshare.ko.
#
# Environment: BUILD, V, VERSION (module version; default git describe),
# MODULE_SRC (repository to build from; default this one).

# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"

(($# == 1)) || { echo "usage: $PROG TAG" >&2; exit 2; }
TAG=$1
valid_tag "$TAG"
kernel_env "$TAG"
need_cmd make make
need_cmd gcc-12 gcc-12

SRC_REPO=${MODULE_SRC:-$CGSHARE_ROOT}
OUT=$BUILD/mod/$TAG
MDIR=$OUT/src
if [[ -z ${VERSION:-} ]]; then
	VERSION=$(git -C "$SRC_REPO" describe --tags --always --dirty 2>/dev/null || echo 0.1)
fi

[[ -f $SRC_REPO/Kbuild ]] || die "no Kbuild in $SRC_REPO"
mkdir -p "$MDIR"
exec 9>"$OUT/.lock"
flock 9 || die "cannot lock $OUT/.lock"

# Mirror the module sources; leave kbuild's outputs alone.
sync_sources() {
	local rel want=() f
	while IFS= read -r -d '' rel; do
		want+=("$rel")
		mkdir -p "$MDIR/$(dirname "$rel")"
		if ! cmp -s "$SRC_REPO/$rel" "$MDIR/$rel"; then
			cp -p "$SRC_REPO/$rel" "$MDIR/$rel"
		fi
	done < <(cd "$SRC_REPO" && find Kbuild kmod uapi -type f \
		\( -name Kbuild -o -name '*.[ch]' -o -name '*.S' -o -name '*.yaml' \) -print0 2>/dev/null)
	# sources deleted from the repository must not linger in the copy
	declare -A keep=()
	for f in "${want[@]}"; do keep[$f]=1; done
	while IFS= read -r -d '' rel; do
		[[ -n ${keep[$rel]:-} ]] || rm -f "$MDIR/$rel" "$MDIR/${rel%.c}.o"
	done < <(cd "$MDIR" && find . -type f \( -name '*.[ch]' -o -name '*.S' -o -name '*.yaml' \) \
		! -name '*.mod.c' -printf '%P\0')
}

sync_sources
rm -f "$OUT/cgshare.ko"

log=$OUT/build.log
rc=0
make -C "$KDIR" M="$MDIR" -j"$(nproc)" CGSHARE_VERSION="$VERSION" \
	KCFLAGS=-Werror ${V:+KBUILD_VERBOSE=$V} modules >"$log" 2>&1 || rc=$?
if [[ $V == 1 ]]; then cat "$log"; fi
if ((rc != 0)); then
	[[ $V == 1 ]] || cat "$log" >&2
	die "building cgshare.ko for $TAG ($KVER) failed; full log: $log"
fi
if grep -E '^WARNING: |warning:' "$log" >&2; then
	die "building cgshare.ko for $TAG ($KVER) produced warnings (treated as errors); full log: $log"
fi
[[ -f $MDIR/cgshare.ko ]] || die "make succeeded but $MDIR/cgshare.ko is missing"
cp "$MDIR/cgshare.ko" "$OUT/cgshare.ko"
verbose "built $OUT/cgshare.ko ($KVER, version $VERSION)"
