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
# Kernels whose headers need another toolchain than the host's (7.x:
# gcc-14, and host tools linked against glibc 2.38) name a build root in
# their env (BUILDROOT=trixie): make then runs chrooted in it
# (tools/build-root.sh), with the kernel's cache tree and $BUILD/mod/TAG
# mounted at their own paths; elsewhere it runs on the host with gcc-12.
#
# Module BTF (needed for the kfuncs the BPF GPU collectors call) takes
# pahole, a vmlinux with BTF in the headers tree and resolve_btfids.
# Debian's 6.12 and 7.x headers ship all of it (7.x's run in the build
# root, with its pahole); 6.1's have neither vmlinux nor resolve_btfids,
# so fetch-kernels.sh links in the vmlinux it extracted and the
# resolve_btfids of another fetched kbuild tree that runs on the host
# (6.12's) is used. Where a piece is missing the module is built without
# BTF and says so at load time. MODULE_BTF=off builds it without BTF on purpose, into
# $BUILD/mod/TAG-nobtf/, for the tests of the BPF-off path.
#
# Environment: BUILD, CGSHARE_CACHE, V, VERSION (module version; default the VERSION file),
# MODULE_SRC (repository to build from; default this one), MODULE_BTF
# (auto or off).

# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"

(($# == 1)) || { echo "usage: $PROG TAG" >&2; exit 2; }
TAG=$1
valid_tag "$TAG"
kernel_env "$TAG"
need_cmd make make

SRC_REPO=${MODULE_SRC:-$CGSHARE_ROOT}
MODULE_BTF=${MODULE_BTF:-auto}
case $MODULE_BTF in
auto) OUT=$BUILD/mod/$TAG ;;
off) OUT=$BUILD/mod/$TAG-nobtf ;;
*) die "MODULE_BTF must be auto or off, not '$MODULE_BTF'" ;;
esac
MDIR=$OUT/src
if [[ -z ${VERSION:-} ]]; then
	VERSION=$(<"$SRC_REPO/VERSION")
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
	done < <(cd "$SRC_REPO" && find Kbuild kmod uapi bpf/cgshare_kfunc.h -type f \
		\( -name Kbuild -o -name '*.[ch]' -o -name '*.S' -o -name '*.yaml' \) -print0 2>/dev/null)
	# sources deleted from the repository must not linger in the copy
	declare -A keep=()
	for f in "${want[@]}"; do keep[$f]=1; done
	while IFS= read -r -d '' rel; do
		[[ -n ${keep[$rel]:-} ]] || rm -f "$MDIR/$rel" "$MDIR/${rel%.c}.o"
	done < <(cd "$MDIR" && find . -type f \( -name '*.[ch]' -o -name '*.S' -o -name '*.yaml' \) \
		! -name '*.mod.c' -printf '%P\0')
}

# Make variables that switch module BTF on or off (see the header).
btf_args() {
	local rb=$KDIR/tools/bpf/resolve_btfids/resolve_btfids f
	if [[ $MODULE_BTF == off ]]; then
		echo CONFIG_DEBUG_INFO_BTF_MODULES=
		return
	fi
	grep -q '^CONFIG_DEBUG_INFO_BTF_MODULES=y' "$KDIR/.config" || return 0
	if [[ ! -x $rb && -z $BUILDROOT ]]; then
		# another fetched kernel's, one whose tools run on this host
		rb=
		for f in "$CGSHARE_CACHE"/kernels/*/current/env; do
			grep -qx 'BUILDROOT=' "$f" || continue
			f=$(sed -n 's/^KDIR=//p' "$f")/tools/bpf/resolve_btfids/resolve_btfids
			[[ -x $f ]] && { rb=$f; break; }
		done
	fi
	if ! has_pahole || [[ ! -x $rb || ! -e $KDIR/vmlinux ]]; then
		note "note: no pahole, resolve_btfids or vmlinux: cgshare.ko for $TAG is built without BTF (BPF GPU path off)"
		echo CONFIG_DEBUG_INFO_BTF_MODULES=
		return
	fi
	echo "RESOLVE_BTFIDS=$rb"
}

# pahole where the build runs: the host, or the kernel's build root
has_pahole() {
	if [[ -n $BUILDROOT ]]; then
		[[ -x $ROOTDIR/usr/bin/pahole ]]
	else
		command -v pahole >/dev/null
	fi
}

BUILDROOT=${BUILDROOT:-}
if [[ -n $BUILDROOT ]]; then
	ROOTDIR=$("$CGSHARE_ROOT/tools/build-root.sh" "$BUILDROOT") ||
		die "no $BUILDROOT build root for $TAG's headers"
else
	need_cmd gcc-12 gcc-12
fi
sync_sources
rm -f "$OUT/cgshare.ko"
mapfile -t BTF_ARGS < <(btf_args)

log=$OUT/build.log
rc=0
kernel_make "$OUT" M="$MDIR" -j"$(nproc)" CGSHARE_VERSION="$VERSION" "${BTF_ARGS[@]}" \
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
