# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Known work in cgroups, for the guest scripts (tools/demo/guest.sh,
# tools/fleet/guest.sh). Source it; the pids started go into PIDS.

PIDS=()

# cg_start DIR CMD...: CMD in the background, inside the cgroup DIR
cg_start() {
	local dir=$1
	shift
	bash -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' cg_start "$dir" "$@" &
	PIDS+=($!)
}

# cg_hog DIR: a CPU hog inside the cgroup DIR
cg_hog() { cg_start "$1" sh -c 'while :; do :; done'; }
