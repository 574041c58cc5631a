#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/debug-kernel.sh [TAG]
#
# Builds the debug kernel of the test guests and makes it the kernel tag
# `debug`, which tools/build-module.sh, tools/vm-run.sh and
# tools/vm-suite.sh use like Debian's (its env has KVER KDIR VMLINUZ
# MODDIR VMLINUX KCONFIG).  Source: Debian's linux-source of kernel TAG's
# series at the version of TAG's image (tools/fetch-kernels.sh --source;
# TAG defaults to $NEWEST_KERNEL, which the Makefile sets).  Config:
# allnoconfig plus tools/debug-kernel.config (what the guest and the
# module need, BTF, cgroup v2 with dmem, sched_ext, and KASAN, lockdep,
# kmemleak, UBSAN, KFENCE, DEBUG_LIST, debug objects, fault injection),
# every line of which must survive olddefconfig.  Compiler: the host's gcc
# (bookworm's gcc-12) and pahole.
#
# The build lives in $CGSHARE_CACHE/debugk/VERSION-KEY (obj/: the build
# tree without its objects, KDIR for external modules; root/: the
# installed modules; env; build.log, which is $BUILD/debug-kernel.log
# while it builds), KEY a hash of the source, the config fragment,
# the recipe below, the compiler, binutils and pahole: it is built once,
# and again only when one of them changes.  kernels/debug/current points
# at it.  Its env also has KPKGVER (the source's version, as its cache
# directory names it), KSOURCE (the source package) and KSOURCE_DIR (the
# tree, for tools/build-scx.sh).
#
# Environment: CGSHARE_CACHE, NEWEST_KERNEL, BUILD, V.  It uses every CPU:
# on the shared development machine run it under `/work/bin/cores 2`.

# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"

(($# <= 1)) || { echo "usage: $PROG [TAG]" >&2; exit 2; }
SRC_TAG=${1:-${NEWEST_KERNEL:-}}
[[ -n $SRC_TAG ]] ||
	die "which kernel series? give the tag of Debian's kernel to take the source of (e.g. $PROG 7.3), or set NEWEST_KERNEL"
valid_tag "$SRC_TAG"
[[ $SRC_TAG != debug ]] || die "the debug kernel is built from a Debian kernel's source: give its tag, e.g. 7.3"
FRAGMENT=$CGSHARE_ROOT/tools/debug-kernel.config
# BTF needs the types of the debug info, not where each variable lives:
# without variable tracking every file compiles about 20 % faster.
KCFLAGS=-fno-var-tracking
# Bump when the build steps below change what they produce.
RECIPE=1

need_cmd gcc gcc
need_cmd make make
need_cmd flex flex
need_cmd bison bison
need_cmd bc bc
need_cmd pahole dwarves
need_cmd depmod kmod
[[ -f /usr/include/libelf.h ]] || die "libelf.h not found; install it with: apt-get install libelf-dev"
[[ -f /usr/include/openssl/ssl.h ]] || die "openssl headers not found; install them with: apt-get install libssl-dev"

tool_versions() {
	gcc --version | head -n 1
	ld --version | head -n 1
	pahole --version
}

# make_kernel OBJ ARG...: kbuild of $SRC into OBJ, its output in build.log.
make_kernel() {
	local obj=$1
	shift
	if [[ $V == 1 ]]; then
		make -C "$SRC" O="$obj" ARCH=x86_64 "$@" 2>&1 | tee -a "$LOG"
		return "${PIPESTATUS[0]}"
	fi
	make -s -C "$SRC" O="$obj" ARCH=x86_64 "$@" >>"$LOG" 2>&1
}

# verify_config CONFIG: every CONFIG_ line of the fragment, set or "is not
# set", came out as asked.
verify_config() {
	local config=$1 line sym bad=()
	while IFS= read -r line; do
		if [[ $line =~ ^CONFIG_([A-Za-z0-9_]+)= ]]; then
			sym=CONFIG_${BASH_REMATCH[1]}
			grep -qxF -- "$line" "$config" ||
				bad+=("$line -> $(grep -m1 "^$sym=" "$config" || echo "not set")")
		elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
			sym=${BASH_REMATCH[1]}
			! grep -q "^$sym=" "$config" ||
				bad+=("$line -> $(grep -m1 "^$sym=" "$config")")
		fi
	done <"$FRAGMENT"
	((${#bad[@]} == 0)) && return 0
	note "these options of ${FRAGMENT#"$CGSHARE_ROOT"/} did not survive olddefconfig" \
		"(a dependency is missing from the fragment, or the option is gone):"
	printf '    %s\n' "${bad[@]}" >&2
	return 1
}

# build TMP: the kernel in TMP/obj, its modules in TMP/root, TMP/env; the
# paths written down are those of $DIR, which TMP becomes.
# shellcheck disable=SC2317 # called through cache_build
build() {
	local tmp=$1 obj=$1/obj kver t0=$SECONDS
	note "building the debug kernel from ${SRC#"$CGSHARE_CACHE"/} into $DIR" \
		"(about 15 minutes on 2 cores; log: $LOG)"
	: >"$LOG"
	make_kernel "$obj" KCONFIG_ALLCONFIG="$FRAGMENT" allnoconfig ||
		die "allnoconfig failed; see $LOG"
	make_kernel "$obj" olddefconfig || die "olddefconfig failed; see $LOG"
	verify_config "$obj/.config" || die "the debug kernel's config is not what $FRAGMENT asks for"
	if ! make_kernel "$obj" -j"$(nproc)" KCFLAGS="$KCFLAGS" bzImage modules; then
		tail -n 40 "$LOG" >&2
		die "building the debug kernel failed; full log: $LOG"
	fi
	make_kernel "$obj" INSTALL_MOD_PATH="$tmp/root" INSTALL_MOD_STRIP=1 modules_install ||
		die "modules_install failed; see $LOG"
	kver=$(make -s -C "$SRC" O="$obj" ARCH=x86_64 kernelrelease)
	[[ -d $tmp/root/lib/modules/$kver && -f $obj/vmlinux && -f $obj/arch/x86/boot/bzImage ]] ||
		die "the build finished without vmlinux, bzImage or lib/modules/$kver"
	# External modules need the headers, scripts, tools, .config,
	# Module.symvers and vmlinux (for BTF), not the 2 GB of objects.
	find "$obj" \( -name '*.o' -o -name '*.a' -o -name '.tmp_vmlinux*' \) -delete
	# the tree's own absolute paths, as they will be after the rename
	sed -i "s|^export KBUILD_OUTPUT = .*|export KBUILD_OUTPUT = $DIR/obj|" "$obj/Makefile"
	ln -sfn "$DIR/obj" "$tmp/root/lib/modules/$kver/build"
	cat >"$tmp/env" <<-EOF
		# generated by tools/debug-kernel.sh
		TAG=debug
		KPKGVER=$SRCVER
		KVER=$kver
		KTREE=$DIR
		KDIR=$DIR/obj
		VMLINUZ=$DIR/obj/arch/x86/boot/bzImage
		VMLINUX=$DIR/obj/vmlinux
		MODDIR=$DIR/root/lib/modules/$kver
		KCONFIG=$DIR/obj/.config
		KSOURCE=$KSOURCE
		KSOURCE_DIR=$SRC
		BUILDROOT=
	EOF
	note "built $kver in $(((SECONDS - t0) / 60)) min $(((SECONDS - t0) % 60)) s"
	cp "$LOG" "$tmp/build.log"
}

SRC=$("$CGSHARE_ROOT/tools/fetch-kernels.sh" --source "$SRC_TAG")
[[ -f $SRC/Makefile && ! -f $SRC/.config ]] ||
	die "$SRC is not a clean kernel source tree (out-of-tree builds need one)"
SRCVER=${SRC##*/}
KSOURCE=${SRC%/*}
KSOURCE=${KSOURCE##*/}
mkdir -p "$BUILD"
LOG=$BUILD/debug-kernel.log
KEY=$(cache_key "recipe $RECIPE $KCFLAGS" "source $SRC" "$(<"$FRAGMENT")" "$(tool_versions)")
DIR=$(cache_dir debugk "$SRCVER-$KEY")
cache_build "$DIR" build

# The tag debug is this build.
link=$(cache_dir kernels debug current)
if [[ $(readlink "$link" 2>/dev/null) != "$DIR" ]]; then
	ln -sfn "$DIR" "$link.tmp"
	mv -T "$link.tmp" "$link"
fi
verbose "kernel debug: $(sed -n 's/^KVER=//p' "$DIR/env") in $DIR"
