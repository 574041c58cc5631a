#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/deps.sh install|ensure|missing|list [GROUP...]
#
# The one list of the Debian 12 packages this repository needs on the
# build and test machine, by group (all groups when none is named):
#
#   install   apt-get install them (root)              `make deps`, .ci/run
#   ensure    nothing when all are installed; else install them as root,
#             or, as another user, name the one command to run and fail
#                                                      make check, demo, ...
#   missing   print the packages not installed yet
#   list      print the packages
#
# Add a package to the group it belongs to, with the reason when it is not
# obvious; add a group with a comment. Guests get their packages elsewhere
# (tools/system-image.sh), kernels from tools/fetch-kernels.sh.

# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"

declare -A GROUP=(
	# What a real host needs to build and install cgshare from source,
	# besides linux-headers-$(uname -r): README's "Install on a host".
	[host]="make gcc libc6-dev pkg-config libnl-3-dev libnl-genl-3-dev
		libbpf-dev libelf-dev zlib1g-dev clang llvm bpftool"
	# The project's own build and checks: Debian's kernels are built
	# with gcc-12; module BTF needs pahole (dwarves); unit tests run
	# under valgrind; ynl and the spec checks need Debian's python3.
	# The sched_ext example schedulers (tools/build-scx.sh) want a
	# newer clang than bookworm's default 14: clang-19.
	[build]="gcc-12 binutils git dwarves valgrind
		python3 python3-yaml python3-jsonschema clang-19"
	# Kernels: a private apt download, unpacked, depmod, vmlinux extracted;
	# the debug kernel is built from source (tools/debug-kernel.sh).
	[kernels]="debian-archive-keyring xz-utils zstd kmod
		flex bison bc libssl-dev"
	# Test guests: QEMU (TCG), busybox initramfs; the guest runs the
	# host's tools, and cgsharectl's guest tests need a real HTTP
	# client and a terminal for top; strace counts the files the read
	# paths open.
	[guests]="qemu-system-x86 busybox-static cpio procps iproute2 curl tmux
		strace"
	# The install tests: DKMS on the host, the Debian packages and their
	# lint, systemd-analyze for the units, the bookworm system image.
	[install]="dkms dh-dkms debhelper dpkg-dev fakeroot lintian systemd
		debootstrap e2fsprogs util-linux"
	# The deploy/ checks and the fleet: promtool and a Prometheus server
	# (2.42), the Kubernetes models the manifests are walked against,
	# the demo's plot. Node.js runs the ServiceMonitor's schema check
	# (tools/deploy/); the machine's own Node.js bundles npm, so Debian's
	# npm is not asked for (it would conflict with it).
	[fleet]="prometheus python3-kubernetes python3-prometheus-client
		gnuplot-nox nodejs"
)
ORDER=(host build kernels guests install fleet)

usage() {
	echo "usage: $PROG install|ensure|missing|list [GROUP...]   (groups: ${ORDER[*]})" >&2
	exit 2
}

(($# >= 1)) || usage
action=$1
shift
groups=("$@")
((${#groups[@]})) || groups=("${ORDER[@]}")
pkgs=()
for g in "${groups[@]}"; do
	[[ -n ${GROUP[$g]:-} ]] || die "no group '$g' (groups: ${ORDER[*]})"
	read -r -d '' -a more <<<"${GROUP[$g]}" || true
	pkgs+=("${more[@]}")
done

missing() {
	local p st
	for p in "${pkgs[@]}"; do
		st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
		[[ $st == installed ]] || printf '%s\n' "$p"
	done
}

apt_install() {
	local i
	export DEBIAN_FRONTEND=noninteractive
	for i in 1 2 3; do
		if quiet apt-get -q -o Dpkg::Use-Pty=0 update &&
			quiet apt-get -q -o Dpkg::Use-Pty=0 install -y --no-install-recommends "$@"; then
			return 0
		fi
		note "apt-get failed (try $i of 3)"
		sleep $((i * 10))
	done
	die "could not install: $*"
}

case $action in
list)
	printf '%s\n' "${pkgs[@]}" ;;
missing)
	missing ;;
install)
	((EUID == 0)) || die "installing packages needs root: sudo make deps"
	note "installing ${#pkgs[@]} packages"
	apt_install "${pkgs[@]}" ;;
ensure)
	mapfile -t need < <(missing)
	((${#need[@]} == 0)) && exit 0
	if ((EUID != 0)); then
		note "missing Debian packages: ${need[*]}"
		note "install them with this one command, then run make again:"
		echo "    sudo make -C $CGSHARE_ROOT deps" >&2
		exit 1
	fi
	note "installing the missing packages: ${need[*]}"
	apt_install "${need[@]}" ;;
*)
	usage ;;
esac
