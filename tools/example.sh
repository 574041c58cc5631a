#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/example.sh [TAG]   (default: 6.1)
#
# The README's worked example of the controller: boots Debian's kernel TAG
# under QEMU with cgshare.ko, makes /example/{a,b,c} with weights 1:2:1
# (a and b two CPU hogs each, c a duty cycle of ~0.2 CPU), shows the config
# (tools/example/cgshare.conf), `cgsharectl plan --explain`, runs
# `cgsharectl run` for about 20 s and prints each cgroup's measured CPU
# usage (cpu.stat deltas over a window) next to the controller's share.
# The guest part is tools/example/guest.sh.  Output on stdout and in
# $BUILD/example/result.txt; the guest's logs in $BUILD/example/.
#
# Environment: BUILD, V, CGSHARE_CTL (cgsharectl; default ctl/cgsharectl),
# VM_TIMEOUT and the other VM_* of tools/vm-run.sh.

# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"

(($# <= 1)) || { echo "usage: $PROG [TAG]" >&2; exit 2; }
TAG=${1:-6.1}
valid_tag "$TAG"
TOOLS=$CGSHARE_ROOT/tools
OUT=$BUILD/example

"$TOOLS/fetch-kernels.sh" "$TAG" || die "fetching kernel $TAG failed"
"$TOOLS/build-module.sh" "$TAG" || die "building cgshare.ko for $TAG failed"
if [[ ! -x ${CGSHARE_CTL:-$CGSHARE_ROOT/ctl/cgsharectl} ]]; then
	quiet make -C "$CGSHARE_ROOT/ctl" || die "building cgsharectl failed"
fi

mkdir -p "$OUT"
rm -f "$OUT/result.txt"
note "$TAG: booting the example guest (about a minute)"
"$TOOLS/vm-run.sh" "$TAG" "$OUT" -- "$TOOLS/example/guest.sh" ||
	die "the example failed; see $OUT/stderr and $OUT/console.log"
[[ -s $OUT/result.txt ]] || die "no result in $OUT/result.txt"
note "result in $OUT/result.txt"
