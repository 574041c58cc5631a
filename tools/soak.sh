#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/soak.sh [TAG]   (`make soak`; default kernel: SOAK_KERNEL or 6.12;
#                       debug: the debug kernel, built by tools/debug-kernel.sh)
#
# Half an hour of everything at once in one guest: 100 cgroups a second
# made and removed, dumps, scrapes, the controller, GPU charges and vgem
# fences through the BPF collectors (tools/soak/guest.py says what passes).
# SOAK_SECONDS sets the length (default 1800), CGSHARE_SOAK_RATE the churn
# (default 100 cgroups a second; the debug kernel under TCG makes and
# removes about 1.6 a second at most). Not part of make check.
# Output in $BUILD/soak/TAG/; the `soak:` figures are printed at the end,
# the daemons' memory samples are in rss.tsv there (CGSHARE_SOAK_DIAG=1 adds
# glibc's malloc statistics to their logs: see tools/soak/guest.py).

# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"

(($# <= 1)) || { echo "usage: $PROG [TAG]" >&2; exit 2; }
TAG=${1:-${SOAK_KERNEL:-6.12}}
valid_tag "$TAG"
SECONDS_=${SOAK_SECONDS:-1800}
[[ $SECONDS_ =~ ^[0-9]+$ ]] || die "SOAK_SECONDS must be a whole number of seconds"
TOOLS=$CGSHARE_ROOT/tools

if [[ $TAG == debug ]]; then
	"$TOOLS/debug-kernel.sh" || die "building the debug kernel failed"
	# its 128 kB log buffer does not hold half an hour of a busy guest
	VM_APPEND="log_buf_len=16M ${VM_APPEND:-}"
else
	"$TOOLS/fetch-kernels.sh" "$TAG" || die "fetching kernel $TAG failed"
fi
"$TOOLS/build-module.sh" "$TAG" || die "building cgshare.ko for $TAG failed"
quiet make -C "$CGSHARE_ROOT/selftests" BUILD="$BUILD" || die "building the selftests' helpers failed"
quiet make -C "$CGSHARE_ROOT/ctl" || die "building cgsharectl failed"

OUT=$BUILD/soak/$TAG
note "$TAG: soaking for ${SECONDS_}s (output in $OUT)"
rc=0
VM_TIMEOUT=$((SECONDS_ + 900)) VM_APPEND="slab_nomerge ${VM_APPEND:-}" \
	"$TOOLS/vm-run.sh" "$TAG" "$OUT" -- /usr/bin/python3 "$TOOLS/soak/guest.py" "$SECONDS_" ||
	rc=$?
grep '^soak: ' "$OUT/stdout" || true
exit "$rc"
