#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/check-uapi.sh [--write]
#
# uapi/cgshare.yaml is the contract; uapi/linux/cgshare.h must be exactly
# what the kernel's own generator (tools/net/ynl/ynl-gen-c.py from
# linux-source-6.12, fetched by tools/fetch-kernels.sh) makes of it. This
# regenerates the header and fails on any difference; --write updates it.
# The spec is also validated against the genetlink schema on the way.

. "$(dirname "$0")/lib.sh"

SRC=$BUILD/src-6.12
GEN=$SRC/tools/net/ynl/ynl-gen-c.py
[[ -f $GEN ]] || die "$GEN missing; run: tools/fetch-kernels.sh 6.12"
need_cmd /usr/bin/python3 python3
/usr/bin/python3 -c 'import yaml, jsonschema' 2>/dev/null ||
	die "ynl needs PyYAML and jsonschema: apt-get install python3-yaml python3-jsonschema"

work=$(mktemp -d "${TMPDIR:-/tmp}/cgshare-uapi.XXXXXX")
trap 'rm -rf "$work"' EXIT
# The generator finds the schema relative to the spec and prints the spec's
# path into the header, so lay the spec out as the kernel tree does; it
# finds that tree's root by its MAINTAINERS file (and never stops without).
mkdir -p "$work/Documentation/netlink/specs"
: >"$work/MAINTAINERS"
cp "$SRC"/Documentation/netlink/genetlink*.yaml "$work/Documentation/netlink/"
cp "$CGSHARE_ROOT/uapi/cgshare.yaml" "$work/Documentation/netlink/specs/"
(cd "$work" && timeout 120 /usr/bin/python3 "$GEN" --mode uapi --header \
	--spec Documentation/netlink/specs/cgshare.yaml -o cgshare.h) >"$work/log" 2>&1 ||
	{ cat "$work/log" >&2; die "ynl-gen-c.py rejected uapi/cgshare.yaml"; }

hdr=$CGSHARE_ROOT/uapi/linux/cgshare.h
if [[ ${1:-} == --write ]]; then
	cp "$work/cgshare.h" "$hdr"
	note "wrote $hdr"
elif ! diff -u "$hdr" "$work/cgshare.h"; then
	die "uapi/linux/cgshare.h does not match uapi/cgshare.yaml; run: tools/check-uapi.sh --write"
else
	note "uapi/linux/cgshare.h matches uapi/cgshare.yaml"
fi
