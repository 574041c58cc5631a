#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/system-image.sh
#
# Builds, once, a Debian bookworm system for the install scenario
# (tools/system-run.sh): debootstrap, then apt inside it, with systemd as
# PID 1, apt, dkms and a compiler, podman, Prometheus, and Debian's kernel
# images and headers of 6.1 and 6.12 (the very packages tools/fetch-kernels.sh
# fetched), so that `apt install ./cgshare-dkms_*.deb ./cgsharectl_*.deb`
# and everything the scenario runs needs no network inside the guest.
# Written to an ext4 file system image with mkfs.ext4 -d (no loop mounts);
# the guests boot it through copy-on-write (-snapshot), so it stays as
# built.  Each kernel's own initramfs (initramfs-tools, virtio_blk and
# ext4) is copied out beside it.
#
# Cached outside the repository in $CGSHARE_CACHE/system (default
# /var/cache/cgshare), under a key of this script, the package list and
# the kernels' package versions; prints the directory. Older images are
# removed. Needs root (chroot, mounts in a private mount namespace).
#
# Environment: CGSHARE_CACHE, BUILD, V, MIRROR (Debian mirror,
# http://deb.debian.org/debian).

# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"

CACHE=$CGSHARE_CACHE/images
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

# What the guest has before the scenario starts: the install path's
# dependencies (dkms and its compiler, the libraries cgsharectl links),
# the scenario's tools (podman, prometheus, curl, jq) and a static busybox
# for the containers' root file system. Recommends stay out, as on a lean
# host; podman needs none of them for rootful --network none containers.
PACKAGES=(
	systemd systemd-sysv udev dbus kmod procps iproute2 less
	initramfs-tools e2fsprogs
	dkms gcc make libc6-dev
	libnl-3-200 libnl-genl-3-200 libbpf1 libelf1 zlib1g
	podman crun conmon
	prometheus
	curl jq busybox-static
)

(($# == 0)) || { echo "usage: $PROG" >&2; exit 2; }

# The image is a Debian 12 host: it carries bookworm's own kernels, 6.1 and
# bookworm-backports' 6.12 (7.x's headers need trixie's toolchain, so DKMS
# could not build for them in it), whatever KERNELS the suite runs.
TAGS=(6.1 6.12)
for tag in "${TAGS[@]}"; do valid_tag "$tag"; done
((EUID == 0)) || die "building the system image needs root (debootstrap, chroot); run: sudo $0 ${TAGS[*]}"
need_cmd debootstrap debootstrap
need_cmd mkfs.ext4 e2fsprogs
need_cmd unshare util-linux

# kernel_debs TAG: the packages of kernel TAG that fetch-kernels.sh
# downloaded (the list it keeps beside the unpacked kernel), one path a line.
kernel_debs() {
	local tag=$1 f n=0 KTREE
	kernel_env "$tag"
	[[ -r $KTREE/debs ]] || die "no package list in $KTREE; run: tools/fetch-kernels.sh $tag"
	while read -r f; do
		[[ -r $f ]] || die "$f is gone from the cache; run: tools/fetch-kernels.sh $tag"
		printf '%s\n' "$f"
		n=$((n + 1))
	done <"$KTREE/debs"
	((n == 4)) || die "expected 4 packages of kernel $tag in $KTREE/debs, found $n"
}

DEBS=()
KVERS=()
for tag in "${TAGS[@]}"; do
	mapfile -t -O "${#DEBS[@]}" DEBS < <(kernel_debs "$tag")
	kernel_env "$tag"
	KVERS+=("$KVER")
done
((${#DEBS[@]} == 4 * ${#TAGS[@]})) || die "could not list the kernel packages"

KEY=$( {
	cat "$0" "$CGSHARE_ROOT/tools/system/image/"*
	printf '%s\n' "$SUITE" "${PACKAGES[@]}"
	printf '%s\n' "${DEBS[@]##*/}"
} | sha256sum | cut -c1-16)
OUT=$CACHE/$SUITE-$KEY

if [[ -f $OUT/done ]]; then
	printf '%s\n' "$OUT"
	exit 0
fi
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9 || die "cannot lock $CACHE/.lock"
if [[ -f $OUT/done ]]; then
	printf '%s\n' "$OUT"
	exit 0
fi

t0=$SECONDS
note "building the $SUITE system image in $OUT (debootstrap, apt; takes minutes)"
rm -rf "$OUT" "$OUT.tmp"
mkdir -p "$OUT.tmp/boot" "$CACHE/archives/partial"
ROOT=$OUT.tmp/root
LOG=$OUT.tmp/build.log

# Everything below runs in a private mount namespace: the chroot's proc,
# sys and dev mounts vanish with it, whatever happens.
build_root() {
	set -euo pipefail
	debootstrap --variant=minbase --keyring="$KEYRING" \
		--cache-dir="$CACHE/archives" "$SUITE" "$ROOT" "$MIRROR"
	cat >"$ROOT/etc/apt/sources.list" <<-EOF
		deb $MIRROR $SUITE main
		deb $MIRROR $SUITE-updates main
		deb http://deb.debian.org/debian-security $SUITE-security main
	EOF
	printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
	chmod 755 "$ROOT/usr/sbin/policy-rc.d"
	mount -t proc proc "$ROOT/proc"
	mount -t sysfs sysfs "$ROOT/sys"
	mount --bind /dev "$ROOT/dev"
	mount --bind "$CACHE/archives" "$ROOT/var/cache/apt/archives"
	# initramfs-tools: only what this guest needs to find its root
	mkdir -p "$ROOT/etc/initramfs-tools/conf.d"
	echo MODULES=list >"$ROOT/etc/initramfs-tools/conf.d/cgshare-guest"
	printf '%s\n' virtio_pci virtio_blk ext4 >>"$ROOT/etc/initramfs-tools/modules"
	local in="chroot $ROOT env DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8"
	$in apt-get -q update
	$in apt-get -q -y --no-install-recommends install "${PACKAGES[@]}"
	mkdir -p "$ROOT/tmp/kernels"
	cp "${DEBS[@]}" "$ROOT/tmp/kernels/"
	# shellcheck disable=SC2046 # one word per package file
	$in apt-get -q -y --no-install-recommends install $(printf '/tmp/kernels/%s ' "${DEBS[@]##*/}")
	rm -rf "$ROOT/tmp/kernels"
	# the downloads stay in $CACHE/archives for the next build
	umount "$ROOT/var/cache/apt/archives" "$ROOT/dev" "$ROOT/sys" "$ROOT/proc"
	$in apt-get clean
	rm -f "$ROOT/usr/sbin/policy-rc.d"
}

# The guest's own configuration: what a minimal host has, plus the unit
# that runs the scenario when the kernel command line asks for it.
configure_root() {
	set -euo pipefail
	local sys=$CGSHARE_ROOT/tools/system/image
	echo cgshare-guest >"$ROOT/etc/hostname"
	printf '127.0.0.1 localhost\n127.0.1.1 cgshare-guest\n' >"$ROOT/etc/hosts"
	echo '/dev/vda / ext4 rw,relatime 0 1' >"$ROOT/etc/fstab"
	chroot "$ROOT" passwd -d root >/dev/null
	install -m 0644 "$sys/cgshare-test.service" "$ROOT/etc/systemd/system/"
	install -m 0755 "$sys/test-harness.sh" "$ROOT/usr/local/sbin/cgshare-test-harness"
	chroot "$ROOT" systemctl -q enable cgshare-test.service
	# Timers and services a test boot has no use for, and Prometheus,
	# which the scenario starts with its own configuration.
	chroot "$ROOT" systemctl -q mask apt-daily.timer apt-daily-upgrade.timer \
		e2scrub_all.timer e2scrub_reap.service fstrim.timer man-db.timer \
		dpkg-db-backup.timer systemd-timesyncd.service 2>/dev/null || true
	chroot "$ROOT" systemctl -q disable prometheus.service
	# The containers' root file system: a static busybox, nothing else.
	local rootfs=$ROOT/var/lib/cgshare-test/rootfs
	mkdir -p "$rootfs/bin" "$rootfs/proc" "$rootfs/sys" "$rootfs/dev" "$rootfs/tmp" "$rootfs/etc"
	cp "$ROOT/bin/busybox" "$rootfs/bin/busybox"
	ln -s busybox "$rootfs/bin/sh"
	local k
	for k in "${KVERS[@]}"; do
		cp "$ROOT/boot/vmlinuz-$k" "$ROOT/boot/initrd.img-$k" "$OUT.tmp/boot/"
	done
}

export -f build_root configure_root
export ROOT OUT CACHE SUITE MIRROR KEYRING CGSHARE_ROOT
export PACKAGES_STR="${PACKAGES[*]}" DEBS_STR="${DEBS[*]}" KVERS_STR="${KVERS[*]}"
# shellcheck disable=SC2016 # expanded by the inner shell
if ! unshare -m --propagation private bash -c '
	read -r -a PACKAGES <<<"$PACKAGES_STR"
	read -r -a DEBS <<<"$DEBS_STR"
	read -r -a KVERS <<<"$KVERS_STR"
	build_root && configure_root' >"$LOG" 2>&1; then
	tail -n 40 "$LOG" >&2
	die "building the system image failed; full log: $LOG"
fi
[[ $V == 1 ]] && cat "$LOG" >&2

# Room for the scenario: DKMS builds, podman's storage, Prometheus' TSDB
# (the guest writes into a copy-on-write overlay, not into this file).
used=$(du -sm "$ROOT" | cut -f1)
size=$((used + 1536))
mkfs.ext4 -q -F -L cgshare-root -d "$ROOT" "$OUT.tmp/disk.ext4" "${size}M" ||
	die "mkfs.ext4 -d failed"
{
	echo "# generated by tools/system-image.sh"
	echo "SUITE=$SUITE"
	echo "KVERS=\"${KVERS[*]}\""
	echo "SIZE_MB=$size"
} >"$OUT.tmp/env"
rm -rf "$ROOT"
mv "$OUT.tmp" "$OUT"
touch "$OUT/done"
for old in "$CACHE"/"$SUITE"-*; do
	[[ $old == "$OUT" || ! -d $old ]] || rm -rf "$old"
done
note "system image ready in $((SECONDS - t0)) s: $OUT (${size} MB)"
printf '%s\n' "$OUT"
