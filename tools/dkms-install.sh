#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/dkms-install.sh VERSION
#
# Copies the module source (Kbuild, kmod/, uapi/) to /usr/src/cgshare-VERSION
# with a dkms.conf for that version, then adds, builds and installs it with
# DKMS for the running kernel. Later kernels get it through DKMS's hooks.

. "$(dirname "$0")/lib.sh"

(($# == 1)) || { echo "usage: $PROG VERSION" >&2; exit 2; }
VERSION=$1
[[ $VERSION =~ ^[A-Za-z0-9._+~-]+$ ]] || die "bad version '$VERSION'"
need_cmd dkms dkms
((EUID == 0)) || die "run as root"

dest=/usr/src/cgshare-$VERSION
if dkms status -m cgshare -v "$VERSION" | grep -q .; then
	note "removing the earlier registration of cgshare/$VERSION"
	dkms remove -m cgshare -v "$VERSION" --all
fi
rm -rf "$dest"
mkdir -p "$dest"
cp -r "$CGSHARE_ROOT/Kbuild" "$CGSHARE_ROOT/kmod" "$CGSHARE_ROOT/uapi" "$dest/"
sed "s/@VERSION@/$VERSION/" "$CGSHARE_ROOT/dkms.conf.in" >"$dest/dkms.conf"

dkms add -m cgshare -v "$VERSION"
dkms build -m cgshare -v "$VERSION"
dkms install -m cgshare -v "$VERSION"
note "installed; load it with: modprobe cgshare"
