#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/demo.sh [TAG]   (default: 6.1)
#
# `make demo`: boots Debian's kernel TAG under QEMU with cgshare.ko, starts
# cgroups with known work and shows `cgsharectl status`, `stats -r`,
# `stats --interval` and `watch` catching a short-lived job (the guest part
# is tools/demo/guest.sh), then the controller on the same work, plotted
# with gnuplot into $BUILD/demo/TAG/controller.png.  Fetches the kernel and builds the module, the
# demo's helper (tools/demo/Makefile) and cgsharectl when needed.  Output of the guest run in $BUILD/demo/TAG/.
#
# Environment: BUILD, V, CGSHARE_CTL (cgsharectl to use; default ctl/cgsharectl), VM_TIMEOUT and the other VM_* of tools/vm-run.sh.

# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"

(($# <= 1)) || { echo "usage: $PROG [TAG]" >&2; exit 2; }
TAG=${1:-6.1}
valid_tag "$TAG"
TOOLS=$CGSHARE_ROOT/tools

"$TOOLS/fetch-kernels.sh" "$TAG" || die "fetching kernel $TAG failed"
"$TOOLS/build-module.sh" "$TAG" || die "building cgshare.ko for $TAG failed"
quiet make -C "$TOOLS/demo" BUILD="$BUILD" || die "building the demo's helper programs failed"
# `make demo` has built it; run directly, build it only when it is missing
if [[ ! -x $CGSHARE_ROOT/ctl/cgsharectl && -f $CGSHARE_ROOT/ctl/Makefile ]]; then
	quiet make -C "$CGSHARE_ROOT/ctl" ||
		note "building cgsharectl failed; the demo shows what it can without it"
fi

note "$TAG: booting the demo guest"
OUT=$BUILD/demo/$TAG
rc=0
"$TOOLS/vm-run.sh" "$TAG" "$OUT" -- "$TOOLS/demo/guest.sh" || rc=$?

# The controller's samples as a picture, next to the text output.
if [[ -s $OUT/controller.dat ]]; then
	need_cmd gnuplot gnuplot-nox
	at=$(sed -n 's/^# reweighted-at //p' "$OUT/controller.dat")
	if gnuplot -e "data='$OUT/controller.dat'; out='$OUT/controller.png'; reweight=${at:-0}" \
		"$TOOLS/demo/controller.gp"; then
		note "the controller's shares and usage: $OUT/controller.png (text: $OUT/stdout)"
	else
		note "gnuplot failed on $OUT/controller.dat"
		rc=1
	fi
fi
exit "$rc"
