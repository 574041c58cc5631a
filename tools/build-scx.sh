#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/build-scx.sh TAG
#
# Builds the sched_ext example schedulers the guest tests load (scx_simple,
# scx_flatcg) from tools/sched_ext of linux-source-SERIES at the Debian
# version of kernel TAG's image (tools/fetch-kernels.sh --source), with
# clang-19, TAG's vmlinux as the BTF for vmlinux.h, and the libbpf and
# bpftool of that same tree, which its Makefile builds first.  Nothing of
# it is copied into the repository: the tree and the build live in the
# cache, $CGSHARE_CACHE/scx/linux-source-SERIES-VERSION-HASH (HASH of the
# compiler, the BTF and the schedulers), made once.  Prints the directory
# that holds the schedulers.  About a minute on 2 cores, plus the source's
# download and unpacking the first time.
#
# Environment: CGSHARE_CACHE, V, SCX_CLANG (clang-19), SCX_SCHEDS
# ("scx_simple scx_flatcg").

# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"

(($# == 1)) || { echo "usage: $PROG TAG" >&2; exit 2; }
TAG=$1
valid_tag "$TAG"
CLANG=${SCX_CLANG:-clang-19}
read -r -a SCHEDS <<<"${SCX_SCHEDS:-scx_simple scx_flatcg}"

need_cmd "$CLANG" "${CLANG}"
need_cmd make make
need_cmd gcc gcc
kernel_env "$TAG"
grep -qx 'CONFIG_SCHED_CLASS_EXT=y' "$KCONFIG" ||
	die "kernel $TAG ($KVER) has no sched_ext (CONFIG_SCHED_CLASS_EXT is not set)"
[[ -f ${VMLINUX:-} ]] || die "kernel $TAG has no vmlinux with BTF (see tools/fetch-kernels.sh)"

# the debug kernel's env names the tree it was built from
SRC=${KSOURCE_DIR:-$("$CGSHARE_ROOT/tools/fetch-kernels.sh" --source "$TAG")}
[[ -f $SRC/tools/sched_ext/Makefile ]] || die "no tools/sched_ext in $SRC"
KEY=$(cache_key "$("$CLANG" --version | head -n 1)" "$(gcc --version | head -n 1)" \
	"$KPKGVER" "$(sha256sum <"$VMLINUX")" "${SCHEDS[*]}")
# e.g. scx/linux-source-7.3-7.3.4-1_bpo13+1-0123456789ab
SRCDIR=${SRC%/*}
DIR=$(cache_dir scx "${SRCDIR##*/}-${SRC##*/}-$KEY")

# shellcheck disable=SC2317 # called through cache_build
make_scx() {
	local tmp=$1 log=$1/build.log
	note "building ${SCHEDS[*]} from ${SRC##*/src/} with $CLANG (a minute or two)"
	if ! make -C "$SRC/tools/sched_ext" -j"$(nproc)" O="$tmp" CLANG="$CLANG" \
		VMLINUX_BTF="$VMLINUX" "${SCHEDS[@]}" >"$log" 2>&1; then
		tail -n 30 "$log" >&2
		die "building ${SCHEDS[*]} failed"
	fi
	local s
	for s in "${SCHEDS[@]}"; do
		[[ -x $tmp/build/bin/$s ]] || die "make left no $s in $tmp/build/bin"
	done
	# the schedulers stay, the objects (libbpf, bpftool, skeletons) go
	mv "$tmp/build/bin" "$tmp/bin"
	rm -rf "$tmp/build"
	printf '%s\n' "source $SRC" "clang $("$CLANG" --version | head -n 1)" \
		"btf $VMLINUX" >"$tmp/recipe"
}

cache_build "$DIR" make_scx
printf '%s\n' "$DIR/bin"
