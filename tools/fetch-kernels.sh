#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/fetch-kernels.sh TAG...   (TAG: 6.1, 6.12, ...)
#
# Fetches Debian's kernel image, headers and kbuild for each TAG with
# `apt-get download` under a private apt configuration in $BUILD/apt (the
# system's sources are never touched), unpacks them into
# $BUILD/kernels/TAG/root and writes $BUILD/kernels/TAG/env with KVER, KDIR,
# VMLINUZ, MODDIR and VMLINUX (the ELF kernel, extracted from the bzImage).  Also unpacks the pieces of linux-source-6.12 the tests
# use (YNL, netlink specs, kselftest headers) into $BUILD/src-6.12.
#
# TAG resolves to the newest linux-image-amd64 whose version starts with
# TAG: bookworm(-security)'s 6.1 and bookworm-backports' 6.12 today.
# Everything is cached: with all trees present nothing touches the network.
# REFRESH=1 re-resolves the versions and refetches what changed.

# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"

SUITES=(
	"http://deb.debian.org/debian bookworm main"
	"http://deb.debian.org/debian bookworm-updates main"
	"http://deb.debian.org/debian-security bookworm-security main"
	"http://deb.debian.org/debian bookworm-backports main"
)
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
SRC_TAG=6.12
APTDIR=$BUILD/apt
DEBDIR=$BUILD/debs
REFRESH=${REFRESH:-0}

APT_OPTS=(
	-o "Dir::Etc::SourceList=$APTDIR/sources.list"
	-o Dir::Etc::SourceParts=/dev/null
	-o Dir::Etc::Preferences=/dev/null
	-o Dir::Etc::PreferencesParts=/dev/null
	-o "Dir::State::Lists=$APTDIR/lists"
	-o "Dir::Cache=$APTDIR/cache"
	-o APT::Sandbox::User=root
	-o Acquire::Languages=none
	-q
)
apt_updated=0

usage() {
	echo "usage: $PROG TAG...   (e.g. $PROG 6.1 6.12)" >&2
	exit 2
}

apt_setup() {
	mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial" "$DEBDIR"
	[[ -r $KEYRING ]] || die "$KEYRING missing; install it with: apt-get install debian-archive-keyring"
	local s list=
	for s in "${SUITES[@]}"; do
		list+="deb [signed-by=$KEYRING] $s"$'\n'
	done
	if [[ ! -f $APTDIR/sources.list || $(<"$APTDIR/sources.list")$'\n' != "$list" ]]; then
		printf '%s' "$list" >"$APTDIR/sources.list"
	fi
}

apt_update() {
	((apt_updated)) && return 0
	apt_setup
	verbose "updating the private package lists in $APTDIR"
	quiet apt-get "${APT_OPTS[@]}" update ||
		die "apt-get update failed for the private lists in $APTDIR; check that deb.debian.org is reachable"
	apt_updated=1
}

acache() { apt-cache "${APT_OPTS[@]}" "$@"; }

# newest VERSION of PACKAGE whose version starts with PREFIX (optional)
newest_version() {
	local pkg=$1 prefix=${2:-} best='' v
	while read -r v; do
		[[ -n $prefix && $v != "$prefix".* && $v != "$prefix"-* ]] && continue
		if [[ -z $best ]] || dpkg --compare-versions "$v" gt "$best"; then
			best=$v
		fi
	done < <(acache madison "$pkg" | awk -F'|' '{ gsub(/ /, "", $2); print $2 }')
	printf '%s\n' "$best"
}

# first dependency of PACKAGE=VERSION matching the extended regex PATTERN
dep_of() {
	acache depends "$1" | sed -n 's/^ *|\{0,1\}Depends: //p' |
		grep -E -m1 "^$2\$" || true
}

# fetch PACKAGE VERSION: download into $DEBDIR unless present; prints the path
fetch_deb() {
	local pkg=$1 ver=$2 f
	shopt -s nullglob
	f=("$DEBDIR/${pkg}_${ver//:/%3a}_"*.deb)
	if ((${#f[@]} == 0)); then
		apt_update
		verbose "downloading $pkg=$ver"
		(cd "$DEBDIR" && quiet apt-get "${APT_OPTS[@]}" download "$pkg=$ver") ||
			die "could not download $pkg=$ver from Debian's archive"
		f=("$DEBDIR/${pkg}_${ver//:/%3a}_"*.deb)
		((${#f[@]} == 1)) || die "apt-get download $pkg=$ver left no .deb in $DEBDIR"
	fi
	shopt -u nullglob
	printf '%s\n' "${f[0]}"
}

# Point absolute symlinks under ROOT (Debian's headers and /lib/modules/*/build
# use /usr/src/... and /usr/lib/...) into ROOT itself, as relative links.
relink_absolute() {
	local root=$1 link target
	while IFS= read -r -d '' link; do
		target=$(readlink "$link")
		[[ $target == /* ]] || continue
		ln -sfn "$(realpath -m --relative-to="$(dirname "$link")" "$root$target")" "$link"
	done < <(find "$root" -type l -print0)
}

resolve() {
	local tag=$1
	apt_update
	RES_VER=$(newest_version linux-image-amd64 "$tag")
	[[ -n $RES_VER ]] || die "no linux-image-amd64 $tag.* in bookworm, bookworm-security or bookworm-backports"
	local img hdr
	img=$(dep_of "linux-image-amd64=$RES_VER" 'linux-image-[^ ]+-amd64')
	hdr=$(dep_of "linux-headers-amd64=$RES_VER" 'linux-headers-[^ ]+-amd64')
	[[ -n $img && -n $hdr ]] || die "cannot resolve the image/headers packages of linux-image-amd64=$RES_VER"
	RES_KVER=${img#linux-image-}
	RES_HDR=$hdr
	RES_COMMON=$(dep_of "$hdr=$RES_VER" 'linux-headers-[^ ]+-common')
	RES_KBUILD=$(dep_of "$hdr=$RES_VER" 'linux-kbuild-[^ ]+')
	[[ -n $RES_COMMON && -n $RES_KBUILD ]] || die "cannot resolve the -common/kbuild dependencies of $hdr=$RES_VER"
}

fetch_kernel() {
	local tag=$1 dir=$BUILD/kernels/$1
	if [[ $REFRESH != 1 && -f $dir/env ]]; then
		(kernel_env "$tag") 2>/dev/null && { verbose "kernel $tag present"; return 0; }
	fi
	resolve "$tag"
	if [[ -f $dir/env ]] && grep -qx "KPKGVER=$RES_VER" "$dir/env"; then
		verbose "kernel $tag is still $RES_VER"
		return 0
	fi
	note "fetching kernel $tag: $RES_KVER ($RES_VER)"
	local debs=() p
	for p in "linux-image-$RES_KVER-unsigned" "$RES_HDR" "$RES_COMMON" "$RES_KBUILD"; do
		debs+=("$(fetch_deb "$p" "$RES_VER")")
	done
	local tmp=$dir/root.tmp root=$dir/root
	rm -rf "$tmp"
	mkdir -p "$tmp"
	for p in "${debs[@]}"; do
		dpkg-deb -x "$p" "$tmp" || die "dpkg-deb -x $p failed"
	done
	local kdir=$tmp/usr/src/linux-headers-$RES_KVER
	[[ -f $kdir/Makefile && -f $tmp/boot/vmlinuz-$RES_KVER ]] ||
		die "unexpected layout in the $RES_VER packages: no $kdir/Makefile or vmlinuz"
	# Headers include the -common Makefile by absolute path; so do symlinks.
	sed -i "s|^include /usr/src/|include $root/usr/src/|" "$kdir/Makefile"
	relink_absolute "$tmp"
	quiet depmod -b "$tmp" "$RES_KVER" || die "depmod failed for $RES_KVER (apt-get install kmod)"
	rm -rf "$root" "$dir/env" "$dir/initramfs.cpio" "$dir/vmlinux"
	mv "$tmp" "$root"
	cat >"$dir/env.tmp" <<-EOF
		# generated by tools/fetch-kernels.sh
		TAG=$tag
		KPKGVER=$RES_VER
		KVER=$RES_KVER
		KDIR=$root/usr/src/linux-headers-$RES_KVER
		VMLINUZ=$root/boot/vmlinuz-$RES_KVER
		MODDIR=$root/lib/modules/$RES_KVER
		KCONFIG=$root/boot/config-$RES_KVER
	EOF
	mv "$dir/env.tmp" "$dir/env"
}

# vmlinux (ELF, with .BTF) from the bzImage's compressed payload: QEMU boots
# it directly through its PVH entry point, which skips the firmware's and the
# decompressor's seconds under TCG, and BTF tools can read it.
extract_vmlinux() {
	local tag=$1 dir=$BUILD/kernels/$1 off
	grep -q '^VMLINUX=' "$dir/env" && [[ -f $dir/vmlinux ]] && return 0
	# shellcheck source=/dev/null
	. "$dir/env"
	verbose "extracting vmlinux from $VMLINUZ"
	local magic unpack
	for magic in '\xfd7zXZ\x00:xz -dcq --single-stream' '\x28\xb5\x2f\xfd:zstd -qdc' '\x1f\x8b\x08:gzip -dcq'; do
		unpack=${magic#*:}
		# shellcheck disable=SC2013 # offsets are words
		for off in $(LC_ALL=C grep -obUaP "${magic%%:*}" "$VMLINUZ" | cut -d: -f1); do
			# the payload is followed by other data: decompressors complain
			{ tail -c +$((off + 1)) "$VMLINUZ" 2>/dev/null || true; } |
				{ $unpack 2>/dev/null || true; } >"$dir/vmlinux.tmp"
			if [[ $(head -c 4 "$dir/vmlinux.tmp" | od -An -c | tr -d ' ') == '177ELF' ]]; then
				mv "$dir/vmlinux.tmp" "$dir/vmlinux"
				echo "VMLINUX=$dir/vmlinux" >>"$dir/env"
				return 0
			fi
		done
	done
	rm -f "$dir/vmlinux.tmp"
	note "warning: no vmlinux found inside $VMLINUZ; guests boot the bzImage"
}

# The pieces of linux-source-6.12 the tests need, at the same version as
# the 6.12 image, so YNL and the netlink schemas match that kernel.
fetch_source() {
	local dst=$BUILD/src-$SRC_TAG ver
	if [[ $REFRESH != 1 && -f $dst/.version ]]; then
		verbose "src-$SRC_TAG present"
		return 0
	fi
	if [[ -f $BUILD/kernels/$SRC_TAG/env ]]; then
		ver=$(sed -n 's/^KPKGVER=//p' "$BUILD/kernels/$SRC_TAG/env")
	else
		resolve "$SRC_TAG"
		ver=$RES_VER
	fi
	[[ -f $dst/.version && $(<"$dst/.version") == "$ver" ]] && return 0
	note "fetching linux-source-$SRC_TAG $ver (YNL, netlink specs, kselftest headers)"
	local deb top=linux-source-$SRC_TAG tmp=$dst.tmp
	deb=$(fetch_deb "linux-source-$SRC_TAG" "$ver")
	rm -rf "$tmp"
	mkdir -p "$tmp"
	dpkg-deb --fsys-tarfile "$deb" | tar -xOf - "./usr/src/$top.tar.xz" |
		tar -xJf - -C "$tmp" --strip-components=1 --wildcards \
			"$top/tools/net/ynl" "$top/Documentation/netlink" \
			"$top/tools/include" "$top/tools/testing/selftests/kselftest*.h" ||
		die "could not unpack tools/net/ynl etc. from $deb"
	[[ -f $tmp/tools/net/ynl/cli.py || -f $tmp/tools/net/ynl/pyynl/cli.py ]] ||
		die "no YNL cli.py in linux-source-$SRC_TAG $ver"
	printf '%s\n' "$ver" >"$tmp/.version"
	rm -rf "$dst"
	mv "$tmp" "$dst"
}

main() {
	(($# > 0)) || usage
	local tag
	for tag in "$@"; do
		valid_tag "$tag"
	done
	need_cmd dpkg-deb dpkg
	need_cmd apt-get apt
	need_cmd depmod kmod
	need_cmd xz xz-utils
	mkdir -p "$BUILD/kernels"
	exec 9>"$BUILD/kernels/.lock"
	flock 9 || die "cannot lock $BUILD/kernels/.lock"
	for tag in "$@"; do
		fetch_kernel "$tag"
		extract_vmlinux "$tag"
	done
	fetch_source
}

main "$@"
