#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/dkms-install.sh VERSION [KERNELRELEASE...]
# tools/dkms-install.sh --remove
#
# Registers the module source as cgshare/VERSION with DKMS: copies it
# (make dkms-source) to /usr/src/cgshare-VERSION with its dkms.conf,
# then adds, builds and installs it for each KERNELRELEASE (default: the
# running kernel); DKMS's hooks build it for kernels installed later.
# Earlier versions are removed first (modules and registrations), so an
# upgrade never leaves two behind, and the same version is registered
# anew. A failing dkms step fails the script. --remove unregisters every
# version and deletes its source.
#
# Environment: DKMS (dkms command, default dkms).

# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"

usage() { echo "usage: $PROG VERSION [KERNELRELEASE...] | --remove" >&2; exit 2; }
(($# >= 1)) || usage
DKMS=${DKMS:-dkms}
need_cmd "${DKMS%% *}" dkms
((EUID == 0)) || die "run as root"

# versions of cgshare DKMS knows, one a line
registered() {
	$DKMS status -m cgshare 2>/dev/null |
		sed -n 's|^cgshare/\([^,:]*\)[,:].*|\1|p' | sort -u
}

remove_version() {
	note "removing cgshare/$1 from DKMS"
	$DKMS remove -m cgshare -v "$1" --all || die "dkms remove cgshare/$1 failed"
	rm -rf "/usr/src/cgshare-$1"
}

if [[ $1 == --remove ]]; then
	(($# == 1)) || usage
	while IFS= read -r v; do remove_version "$v"; done < <(registered)
	exit 0
fi

VERSION=$1
shift
[[ $VERSION =~ ^[0-9][A-Za-z0-9.+~]*$ ]] || die "bad version '$VERSION'"
KERNELS=("$@")
((${#KERNELS[@]})) || KERNELS=("$(uname -r)")

while IFS= read -r v; do
	[[ -n $v ]] && remove_version "$v"
done < <(registered)

dest=/usr/src/cgshare-$VERSION
rm -rf "$dest"
quiet make -C "$CGSHARE_ROOT" -s dkms-source DKMS_SRC="$dest" VERSION="$VERSION" ||
	die "copying the module source to $dest failed"
$DKMS add -m cgshare -v "$VERSION" || die "dkms add failed"
for k in "${KERNELS[@]}"; do
	$DKMS build -m cgshare -v "$VERSION" -k "$k" || die "dkms build for $k failed"
	$DKMS install -m cgshare -v "$VERSION" -k "$k" || die "dkms install for $k failed"
done
note "cgshare/$VERSION installed for ${KERNELS[*]}; load it with: modprobe cgshare"
