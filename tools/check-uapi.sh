#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/check-uapi.sh [--write]
#
# uapi/cgshare.yaml is the contract, and every file derived from it is
# checked to be exactly what the generators make of it today:
#
#   uapi/linux/cgshare.h        the kernel's ynl-gen-c.py, --mode uapi
#   kmod/nl_policy.gen.h        the kernel's ynl-gen-c.py, --mode kernel:
#                               its policies and op flags (tools/gen/kernel_policy.py)
#   ctl/model/attrs.gen.[ch]    tools/gen/spec_tables.py: names, kinds, units,
#                               JSON keys, Prometheus families, HELP
#   ctl/cgsharectl.8, README.md the counter tables between their markers
#
# The generator comes from linux-source-6.12 (fetched by
# tools/fetch-kernels.sh): pinned, because its path and output moved since
# (tools/net/ynl/pyynl/ynl_gen_c.py by 7.3). The spec is also validated
# against the genetlink schema on the way. Without --write any difference
# fails; with it the files are rewritten.

. "$(dirname "$0")/lib.sh"

SRC=$BUILD/src-6.12
GEN=$SRC/tools/net/ynl/ynl-gen-c.py
SPEC=$CGSHARE_ROOT/uapi/cgshare.yaml
[[ -f $GEN ]] || die "$GEN missing; run: tools/fetch-kernels.sh 6.12"
need_cmd /usr/bin/python3 python3
/usr/bin/python3 -c 'import yaml, jsonschema' 2>/dev/null ||
	die "ynl needs PyYAML and jsonschema: apt-get install python3-yaml python3-jsonschema"

work=$(mktemp -d "${TMPDIR:-/tmp}/cgshare-uapi.XXXXXX")
trap 'rm -rf "$work"' EXIT
# The generator finds the schema relative to the spec and prints the spec's
# path into the header, so lay the spec out as the kernel tree does; it
# finds that tree's root by its MAINTAINERS file (and never stops without).
mkdir -p "$work/Documentation/netlink/specs" "$work/out"
: >"$work/MAINTAINERS"
cp "$SRC"/Documentation/netlink/genetlink*.yaml "$work/Documentation/netlink/"
cp "$SPEC" "$work/Documentation/netlink/specs/"

ynl() {	# ynl OUT MODE ARGS...
	(cd "$work" && timeout 120 /usr/bin/python3 "$GEN" --mode "$2" "${@:3}" \
		--spec Documentation/netlink/specs/cgshare.yaml -o "$1") >"$work/log" 2>&1 ||
		{ cat "$work/log" >&2; die "ynl-gen-c.py rejected uapi/cgshare.yaml"; }
}
tables() {	# tables KIND > FILE
	/usr/bin/python3 "$CGSHARE_ROOT/tools/gen/spec_tables.py" "$SPEC" "$1" ||
		die "tools/gen/spec_tables.py rejected uapi/cgshare.yaml"
}
# Replaces what lies between the lines starting with BEGIN and END in FILE
# by the contents of PART.
splice() {	# splice FILE BEGIN END PART > NEW
	B=$2 E=$3 awk -v part="$4" '
		index($0, ENVIRON["E"]) == 1 { skip = 0 }
		!skip { print }
		index($0, ENVIRON["B"]) == 1 {
			while ((getline l < part) > 0) print l
			skip = 1; found++
		}
		END { if (found != 1) exit 1 }' "$1" ||
		die "$1: no single '$2' ... '$3' section"
}

ynl out/cgshare.h uapi --header
ynl kernel.c kernel --source
/usr/bin/python3 "$CGSHARE_ROOT/tools/gen/kernel_policy.py" <"$work/kernel.c" \
	>"$work/out/nl_policy.gen.h" || die "tools/gen/kernel_policy.py failed"
tables c-header >"$work/out/attrs.gen.h"
tables c-source >"$work/out/attrs.gen.c"
tables man >"$work/man.part"
tables readme >"$work/readme.part"
splice "$CGSHARE_ROOT/ctl/cgsharectl.8" '.\" BEGIN COUNTERS' '.\" END COUNTERS' \
	"$work/man.part" >"$work/out/cgsharectl.8"
splice "$CGSHARE_ROOT/README.md" '<!-- BEGIN COUNTERS' '<!-- END COUNTERS' \
	"$work/readme.part" >"$work/out/README.md"

FILES=(
	"cgshare.h:uapi/linux/cgshare.h"
	"nl_policy.gen.h:kmod/nl_policy.gen.h"
	"attrs.gen.h:ctl/model/attrs.gen.h"
	"attrs.gen.c:ctl/model/attrs.gen.c"
	"cgsharectl.8:ctl/cgsharectl.8"
	"README.md:README.md"
)
stale=0
for f in "${FILES[@]}"; do
	new=$work/out/${f%%:*} dst=$CGSHARE_ROOT/${f#*:}
	if [[ ${1:-} == --write ]]; then
		cmp -s "$new" "$dst" || { cp "$new" "$dst"; note "wrote ${f#*:}"; }
	elif ! diff -u "$dst" "$new"; then
		note "${f#*:} does not match uapi/cgshare.yaml"
		stale=1
	fi
done
((stale == 0)) || die "generated files are stale; run: tools/check-uapi.sh --write"
[[ ${1:-} == --write ]] || note "${#FILES[@]} files match uapi/cgshare.yaml"
