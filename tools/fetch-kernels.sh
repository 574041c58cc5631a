#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/fetch-kernels.sh TAG...          (TAG: 6.1, 6.12, 7.3, ...)
# tools/fetch-kernels.sh --source TAG    print the path of linux-source-SERIES
# tools/fetch-kernels.sh --env TAG       print the path of TAG's env file
#
# Fetches Debian's kernel image, modules, headers and kbuild for each TAG
# with `apt-get download` under a private apt configuration (the system's
# sources are never touched), unpacks them into the cache
# ($CGSHARE_CACHE/kernels/TAG/VERSION-HASH/root, HASH of the packages and
# of the code that unpacks them; see tools/lib.sh) and writes
# env there: TAG, KPKGVER (Debian version), KVER (uname -r), KTREE (that
# directory), KDIR (headers, with a vmlinux),
# VMLINUZ, MODDIR, KCONFIG, VMLINUX (the ELF kernel from the bzImage: QEMU
# boots it through PVH and BTF tools read it), KSOURCE (the linux-source
# package of the same series) and BUILDROOT (the build root that runs the
# headers' host tools, or empty for the host); and debs there: the .debs it
# was unpacked from, one path a line (image or binary+modules+base,
# headers, -common, kbuild).  kernels/TAG/current points
# at the version TAG resolved to.  Also unpacks the pieces of
# linux-source-6.12 the tests use (YNL, netlink specs, kselftest headers)
# and links them as $BUILD/src-6.12.
#
# Each TAG has its own suites (tag_suites below) and its own apt state, so
# a tag resolves only within them: the newest linux-image-amd64 whose
# version starts with TAG.  6.12 is bookworm-backports' build, never
# trixie's.  Debian's kernels of 7.x split the image into linux-binary-*
# (vmlinuz), linux-modules-* and linux-base-* (config, System.map) under
# /usr/lib/modules; 6.x ship linux-image-*-unsigned with /boot and
# /lib/modules.  Both end up with the same env.
#
# --source TAG fetches linux-source-SERIES at the Debian version of TAG's
# image (the fetched one when there is one), unpacks all of it into
# $CGSHARE_CACHE/src/linux-source-SERIES/VERSION and prints that path.
#
# Everything is cached: with all trees present nothing touches the network.
# REFRESH=1 re-resolves the versions and fetches what changed.  Two runs at
# once are safe (one lock per tag).  Environment: CGSHARE_CACHE, BUILD, V,
# REFRESH.

# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"

KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
DEBIAN=http://deb.debian.org/debian
SECURITY=http://deb.debian.org/debian-security
SRC_TAG=6.12
REFRESH=${REFRESH:-0}
DEBDIR=$(cache_dir debs)
mkdir -p "$DEBDIR"

declare -A apt_updated=()

usage() {
	echo "usage: $PROG TAG... | --source TAG | --env TAG   (e.g. $PROG 6.1 6.12 7.3)" >&2
	exit 2
}

# tag_suites TAG: sets SUITES (sources.list lines) and BUILDROOT for TAG.
tag_suites() {
	BUILDROOT=
	case $1 in
	6.1)
		SUITES=("$DEBIAN bookworm main" "$DEBIAN bookworm-updates main"
			"$SECURITY bookworm-security main") ;;
	6.12)
		SUITES=("$DEBIAN bookworm-backports main") ;;
	7.*)
		# built with gcc-14 and glibc 2.38 host tools: modules are built in a
		# trixie root (tools/build-root.sh)
		SUITES=("$DEBIAN trixie main" "$DEBIAN trixie-updates main"
			"$SECURITY trixie-security main" "$DEBIAN trixie-backports main")
		BUILDROOT=trixie ;;
	*)
		die "no Debian suites are known for kernel tag $1 (see tag_suites in $PROG)" ;;
	esac
}

# apt_opts TAG: sets APT_OPTS for TAG's private apt state.
apt_opts() {
	local dir
	dir=$(cache_dir apt "$1")
	APT_OPTS=(
		-o "Dir::Etc::SourceList=$dir/sources.list"
		-o Dir::Etc::SourceParts=/dev/null
		-o Dir::Etc::Preferences=/dev/null
		-o Dir::Etc::PreferencesParts=/dev/null
		-o "Dir::State::Lists=$dir/lists"
		-o "Dir::State::Status=$dir/status"
		-o "Dir::Cache=$dir/cache"
		-o APT::Sandbox::User=root
		-o Acquire::Languages=none
		-q
	)
}

apt_setup() {
	local tag=$1 dir s list=
	dir=$(cache_dir apt "$tag")
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
	[[ -f $dir/status ]] || : >"$dir/status"
	[[ -r $KEYRING ]] || die "$KEYRING missing; install it with: apt-get install debian-archive-keyring"
	tag_suites "$tag"
	for s in "${SUITES[@]}"; do
		list+="deb [signed-by=$KEYRING] $s"$'\n'
	done
	if [[ ! -f $dir/sources.list || $(<"$dir/sources.list")$'\n' != "$list" ]]; then
		printf '%s' "$list" >"$dir/sources.list"
		rm -rf "$dir/lists"
		mkdir -p "$dir/lists/partial"
	fi
}

apt_update() {
	local tag=$1
	apt_opts "$tag"
	[[ -n ${apt_updated[$tag]:-} ]] && return 0
	apt_setup "$tag"
	verbose "updating the private package lists of kernel $tag"
	quiet apt-get "${APT_OPTS[@]}" update ||
		die "apt-get update failed for the private lists of kernel $tag; check that deb.debian.org is reachable"
	apt_updated[$tag]=1
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

# ere_quote STRING: STRING as an extended regex that matches only itself
ere_quote() {
	printf '%s\n' "$1" | sed 's/[][\\.^$*+?(){}|]/\\&/g'
}

# fetch_deb TAG PACKAGE VERSION: download into the cache unless present;
# prints the path.  Each download lands in a private directory first, so a
# concurrent run never sees half a file.
fetch_deb() {
	local tag=$1 pkg=$2 ver=$3 f tmp
	shopt -s nullglob
	f=("$DEBDIR/${pkg}_${ver//:/%3a}_"*.deb)
	if ((${#f[@]} == 0)); then
		apt_update "$tag"
		verbose "downloading $pkg=$ver"
		tmp=$(mktemp -d "$DEBDIR/.download.XXXXXX")
		(cd "$tmp" && quiet apt-get "${APT_OPTS[@]}" download "$pkg=$ver") ||
			{ rm -rf "$tmp"; die "could not download $pkg=$ver from Debian's archive"; }
		f=("$tmp"/*.deb)
		((${#f[@]} == 1)) || die "apt-get download $pkg=$ver left no .deb in $tmp"
		mv "${f[0]}" "$DEBDIR/"
		rmdir "$tmp"
		f=("$DEBDIR/${f[0]##*/}")
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

# resolve TAG: sets RES_VER, RES_KVER and RES_PKGS (what to download) for
# the newest kernel of TAG's series in TAG's suites.
resolve() {
	local tag=$1 img hdr common kbuild bin
	apt_update "$tag"
	RES_VER=$(newest_version linux-image-amd64 "$tag")
	[[ -n $RES_VER ]] || die "no linux-image-amd64 $tag.* in the suites of kernel $tag (${SUITES[*]})"
	img=$(dep_of "linux-image-amd64=$RES_VER" 'linux-image-[^ ]+-amd64')
	hdr=$(dep_of "linux-headers-amd64=$RES_VER" 'linux-headers-[^ ]+-amd64')
	[[ -n $img && -n $hdr ]] || die "cannot resolve the image/headers packages of linux-image-amd64=$RES_VER"
	RES_KVER=${img#linux-image-}
	common=$(dep_of "$hdr=$RES_VER" 'linux-headers-[^ ]+-common')
	kbuild=$(dep_of "$hdr=$RES_VER" 'linux-kbuild-[^ ]+')
	[[ -n $common && -n $kbuild ]] || die "cannot resolve the -common/kbuild dependencies of $hdr=$RES_VER"
	bin=$(dep_of "$img=$RES_VER" "linux-binary-$(ere_quote "$RES_KVER")")
	if [[ -n $bin ]]; then
		# split image: kernel, modules, and base (config, System.map, modules.builtin)
		RES_PKGS=("$bin" "linux-modules-$RES_KVER" "linux-base-$RES_KVER")
	else
		RES_PKGS=("linux-image-$RES_KVER-unsigned")
	fi
	RES_PKGS+=("$hdr" "$common" "$kbuild")
}

# first existing path among ROOT/CANDIDATE...
first_of() {
	local root=$1 p
	shift
	for p in "$@"; do
		[[ -e $root/$p ]] && { printf '%s\n' "$p"; return 0; }
	done
	return 1
}

# vmlinux (ELF, with .BTF) from the bzImage's compressed payload: QEMU boots
# it directly through its PVH entry point, which skips the firmware's and
# the decompressor's seconds under TCG, and BTF tools can read it.
extract_vmlinux() {
	local vmlinuz=$1 out=$2 magic unpack off
	for magic in '\xfd7zXZ\x00:xz -dcq --single-stream' '\x28\xb5\x2f\xfd:zstd -qdc' '\x1f\x8b\x08:gzip -dcq'; do
		unpack=${magic#*:}
		# shellcheck disable=SC2013 # offsets are words
		for off in $(LC_ALL=C grep -obUaP "${magic%%:*}" "$vmlinuz" | cut -d: -f1); do
			# the payload is followed by other data: decompressors complain
			{ tail -c +$((off + 1)) "$vmlinuz" 2>/dev/null || true; } |
				{ $unpack 2>/dev/null || true; } >"$out.tmp"
			if [[ $(head -c 4 "$out.tmp" | od -An -c | tr -d ' ') == '177ELF' ]]; then
				mv "$out.tmp" "$out"
				return 0
			fi
		done
	done
	rm -f "$out.tmp"
	return 1
}

# unpack_kernel TMP TAG FINAL: downloads RES_PKGS into TMP/root, makes the
# tree work from FINAL (where TMP is moved when this succeeds) and writes
# TMP/env.
unpack_kernel() {
	local tmp=$1 tag=$2 final=$3 p deb debs=() kdir moddir vmlinuz kconfig vmlinux
	note "fetching kernel $tag: $RES_KVER ($RES_VER)"
	for p in "${RES_PKGS[@]}"; do
		deb=$(fetch_deb "$tag" "$p" "$RES_VER")
		debs+=("$deb")
	done
	# what it is made of, for tools that install the same packages
	printf '%s\n' "${debs[@]}" >"$tmp/debs"
	mkdir -p "$tmp/root"
	for p in "${debs[@]}"; do
		dpkg-deb -x "$p" "$tmp/root" || die "dpkg-deb -x $p failed"
	done
	# merged /usr (7.x): one module path for depmod, modprobe and the guest
	if [[ ! -e $tmp/root/lib && -d $tmp/root/usr/lib/modules ]]; then
		ln -s usr/lib "$tmp/root/lib"
	fi
	kdir=usr/src/linux-headers-$RES_KVER
	moddir=lib/modules/$RES_KVER
	vmlinuz=$(first_of "$tmp/root" "boot/vmlinuz-$RES_KVER" "$moddir/vmlinuz") ||
		die "no vmlinuz in the $RES_VER packages (${RES_PKGS[*]})"
	kconfig=$(first_of "$tmp/root" "boot/config-$RES_KVER" "$moddir/config") ||
		die "no kernel config in the $RES_VER packages"
	[[ -f $tmp/root/$kdir/Makefile ]] || die "unexpected layout in the $RES_VER packages: no $kdir/Makefile"
	# The headers name the -common tree and (7.x) their own output directory
	# by absolute path; so do symlinks.
	sed -i -e "s|^include /usr/src/|include $final/root/usr/src/|" \
		-e "s|^KBUILD_OUTPUT=/usr/src/|KBUILD_OUTPUT=$final/root/usr/src/|" \
		"$tmp/root/$kdir/Makefile"
	relink_absolute "$tmp/root"
	quiet depmod -b "$tmp/root" "$RES_KVER" || die "depmod failed for $RES_KVER (apt-get install kmod)"
	vmlinux=
	if extract_vmlinux "$tmp/root/$vmlinuz" "$tmp/vmlinux"; then
		vmlinux=$final/vmlinux
		# module BTF needs a vmlinux beside the headers; 6.1's have none
		[[ -e $tmp/root/$kdir/vmlinux ]] || ln -s "$vmlinux" "$tmp/root/$kdir/vmlinux"
	else
		note "warning: no vmlinux found inside $vmlinuz; guests boot the bzImage"
	fi
	cat >"$tmp/env" <<-EOF
		# generated by tools/fetch-kernels.sh
		TAG=$tag
		KPKGVER=$RES_VER
		KVER=$RES_KVER
		KTREE=$final
		KDIR=$final/root/$kdir
		VMLINUZ=$final/root/$vmlinuz
		MODDIR=$final/root/$moddir
		KCONFIG=$final/root/$kconfig
		VMLINUX=$vmlinux
		KSOURCE=linux-source-$(series_of "$RES_VER")
		BUILDROOT=$BUILDROOT
	EOF
}

# series_of DEBIAN-VERSION: 7.3 for 7.3.4-1~bpo13+1
series_of() {
	[[ $1 =~ ^([0-9]+\.[0-9]+) ]] || die "cannot tell the series of version '$1'"
	printf '%s\n' "${BASH_REMATCH[1]}"
}

# tree_name VERSION: the cache entry of a kernel, keyed by its version and
# by the code that unpacks it
tree_name() {
	printf '%s-%s\n' "$(cache_name "$1")" \
		"$(cache_key "$(declare -f unpack_kernel extract_vmlinux relink_absolute first_of)")"
}

# lock_tag TAG: one fetch of TAG at a time (its apt state and its trees).
lock_tag() {
	exec 9>"$(cache_dir kernels "$1").lock"
	flock 9 || die "cannot lock the cache of kernel $1"
}

fetch_kernel() {
	local tag=$1 dir final
	dir=$(cache_dir kernels "$tag")
	lock_tag "$tag"
	# present, and made by this very code?
	if [[ $REFRESH != 1 && -f $dir/current/env ]] && (kernel_env "$tag") 2>/dev/null &&
		[[ $(readlink "$dir/current") == "$(tree_name "$(sed -n 's/^KPKGVER=//p' "$dir/current/env")")" ]]; then
		verbose "kernel $tag present"
		return 0
	fi
	tag_suites "$tag"
	resolve "$tag"
	final=$dir/$(tree_name "$RES_VER")
	if [[ -d $final ]]; then
		verbose "kernel $tag is $RES_VER, present"
	fi
	cache_build "$final" unpack_kernel "$tag" "$final"
	ln -sfn "${final##*/}" "$dir/current.tmp"
	mv -T "$dir/current.tmp" "$dir/current"
}

# image_version TAG: sets IMG_VER to the version of TAG's image: the
# fetched one if any, else the archive's.
image_version() {
	local tag=$1 env
	env=$CGSHARE_CACHE/kernels/$tag/current/env
	if [[ $REFRESH != 1 && -f $env ]]; then
		IMG_VER=$(sed -n 's/^KPKGVER=//p' "$env")
		[[ -n $IMG_VER ]] && return
	fi
	tag_suites "$tag"
	resolve "$tag"
	IMG_VER=$RES_VER
}

# unpack_source TMP DEB TOP [MEMBER...]: the source tarball of DEB into TMP
# (its top directory TOP stripped), only the MEMBERs when given.
unpack_source() {
	local tmp=$1 deb=$2 top=$3
	shift 3
	local members=("$@") xz=(xz -dc)
	((${#members[@]})) && members=("${members[@]/#/$top/}")
	[[ $(nproc) -gt 1 ]] && xz+=(-T2)
	dpkg-deb --fsys-tarfile "$deb" | tar -xOf - "./usr/src/$top.tar.xz" | "${xz[@]}" |
		tar -xf - -C "$tmp" --strip-components=1 --wildcards "${members[@]}" ||
		die "could not unpack $top from $deb"
}

# --source TAG: the whole linux-source of TAG's series, at its image's version.
fetch_full_source() {
	local tag=$1 ver series dir deb
	lock_tag "$tag"
	image_version "$tag"
	ver=$IMG_VER
	series=$(series_of "$ver")
	dir=$(cache_dir src "linux-source-$series" "$(cache_name "$ver")")
	if [[ ! -d $dir ]]; then
		note "fetching linux-source-$series $ver (whole tree)"
		deb=$(fetch_deb "$tag" "linux-source-$series" "$ver")
		cache_build "$dir" unpack_source "$deb" "linux-source-$series"
	fi
	[[ -f $dir/Makefile ]] || die "$dir has no Makefile; remove it and run $PROG --source $tag"
	printf '%s\n' "$dir"
}

# The pieces of linux-source-6.12 the tests need, at the same version as
# the 6.12 image, so YNL and the netlink schemas match that kernel;
# $BUILD/src-6.12 points at them.
fetch_partial_source() {
	local ver dir deb top=linux-source-$SRC_TAG link=$BUILD/src-$SRC_TAG
	lock_tag "$SRC_TAG"
	image_version "$SRC_TAG"
	ver=$IMG_VER
	dir=$(cache_dir src "partial-$SRC_TAG" "$(cache_name "$ver")")
	if [[ ! -d $dir ]]; then
		note "fetching linux-source-$SRC_TAG $ver (YNL, netlink specs, kselftest headers)"
		deb=$(fetch_deb "$SRC_TAG" "$top" "$ver")
		cache_build "$dir" unpack_source "$deb" "$top" tools/net/ynl Documentation/netlink \
			tools/include 'tools/testing/selftests/kselftest*.h'
	fi
	[[ -f $dir/tools/net/ynl/cli.py || -f $dir/tools/net/ynl/pyynl/cli.py ]] ||
		die "no YNL cli.py in $top $ver ($dir)"
	mkdir -p "$BUILD"
	if [[ $(readlink "$link" 2>/dev/null) != "$dir" ]]; then
		[[ -L $link || ! -e $link ]] || rm -rf "$link"
		ln -sfn "$dir" "$link.tmp"
		mv -T "$link.tmp" "$link"
	fi
}

main() {
	(($# > 0)) || usage
	need_cmd dpkg-deb dpkg
	need_cmd apt-get apt
	need_cmd depmod kmod
	need_cmd xz xz-utils
	case $1 in
	--source)
		(($# == 2)) || usage
		valid_tag "$2"
		fetch_full_source "$2"
		return ;;
	--env)
		(($# == 2)) || usage
		valid_tag "$2"
		printf '%s\n' "$CGSHARE_CACHE/kernels/$2/current/env"
		return ;;
	-*) usage ;;
	esac
	local tag
	for tag in "$@"; do
		valid_tag "$tag"
		tag_suites "$tag"
	done
	for tag in "$@"; do
		(fetch_kernel "$tag")
	done
	(fetch_partial_source)
}

main "$@"
