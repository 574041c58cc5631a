#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/build-root.sh NAME                       print the path of build root NAME
# tools/build-root.sh NAME --run DIR... -- CMD   run CMD inside it
#
# A build root is a Debian system made by debootstrap in the cache
# ($CGSHARE_CACHE/roots/NAME-HASH, HASH of its recipe: suite, mirror,
# packages), for building against a kernel whose headers need a newer
# toolchain than the host's.  Made once (a few minutes), then reused; a
# changed recipe makes a new one.  Roots:
#
#   trixie   gcc-14, make, pahole 1.30 (dwarves) and the libraries of the
#            kbuild host tools (glibc 2.38, libelf, libssl, zlib): what
#            Debian's 7.x headers from trixie-backports need.  The headers
#            themselves are not installed in it: they are bind-mounted from
#            the kernel's cache tree (tools/fetch-kernels.sh), where they
#            already are.
#
# --run mounts each DIR at its own path inside the root (read-write), with
# /dev and a fresh /proc, in a private mount namespace that ends with CMD,
# and runs CMD chrooted there in DIR (the first one), with a clean
# environment but V and MAKEFLAGS.  Needs root.  Environment: CGSHARE_CACHE, V.

# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"

MIRROR=http://deb.debian.org/debian
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

usage() {
	echo "usage: $PROG NAME [--run DIR... -- CMD [ARG...]]   (NAME: trixie)" >&2
	exit 2
}

# recipe NAME: sets SUITE and PACKAGES
recipe() {
	case $1 in
	trixie)
		SUITE=trixie
		PACKAGES=(gcc-14 make dwarves libelf1t64 libssl3t64 zlib1g) ;;
	*)
		die "no build root named '$1' (known: trixie)" ;;
	esac
}

make_root() {
	local tmp=$1 log
	log=$tmp.log
	note "making the $SUITE build root in $ROOT (debootstrap, a few minutes)"
	if ! debootstrap --variant=minbase --keyring="$KEYRING" \
		--include="$(IFS=,; echo "${PACKAGES[*]}")" "$SUITE" "$tmp" "$MIRROR" >"$log" 2>&1; then
		tail -n 20 "$log" >&2
		die "debootstrap of $SUITE failed (full log: $log)"
	fi
	rm -f "$log"
	# what the root was made from, for whoever looks at the cache
	printf '%s\n' "suite $SUITE" "mirror $MIRROR" "packages ${PACKAGES[*]}" >"$tmp/.cgshare-recipe"
	rm -rf "$tmp"/var/cache/apt/archives/*.deb
}

# run_in ROOT DIR... -- CMD...: see the header.
run_in() {
	local root=$1 dirs=() d
	shift
	while (($# > 0)) && [[ $1 != -- ]]; do
		d=$(realpath "$1") || die "no directory $1"
		[[ -d $d ]] || die "$1 is not a directory"
		dirs+=("$d")
		shift
	done
	(($# > 1)) || usage
	shift
	((${#dirs[@]})) || die "--run needs at least one directory"
	# the mounts vanish with the namespace; only their mount points remain
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare --mount --propagation private /bin/bash -euc '
		root=$1 n=$2
		shift 2
		mount --bind /dev "$root/dev"
		mount -t proc proc "$root/proc"
		dirs=("${@:1:n}")
		shift "$n"
		for d in "${dirs[@]}"; do
			mkdir -p "$root$d"
			mount --bind "$d" "$root$d"
		done
		exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LC_ALL=C.UTF-8 V="$V" MAKEFLAGS="$MAKEFLAGS" \
			/bin/sh -c "cd \"\$1\" && shift && exec \"\$@\"" sh "${dirs[0]}" "$@"
	' sh "$root" "${#dirs[@]}" "${dirs[@]}" "$@"
}

(($# >= 1)) || usage
NAME=$1
shift
recipe "$NAME"
ROOT=$(cache_dir roots "$NAME-$(cache_key "$SUITE" "$MIRROR" "${PACKAGES[*]}" minbase)")
if [[ ! -d $ROOT ]]; then
	[[ $EUID == 0 ]] || die "making a build root needs root (debootstrap)"
	need_cmd debootstrap debootstrap
	[[ -r $KEYRING ]] || die "$KEYRING missing; install it with: apt-get install debian-archive-keyring"
	cache_build "$ROOT" make_root
fi

if (($# == 0)); then
	printf '%s\n' "$ROOT"
	exit 0
fi
[[ $1 == --run ]] || usage
shift
[[ $EUID == 0 ]] || die "running in a build root needs root (mount, chroot)"
export MAKEFLAGS=${MAKEFLAGS:-}
run_in "$ROOT" "$@"
