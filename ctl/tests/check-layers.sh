#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# tests/check-layers.sh LAYER:USED,USED ...   (from ctl/, as the Makefile runs it)
#
# Every #include "DIR/..." in a layer's sources and tests must name the
# layer itself, one it uses, or tests/ (the TAP helpers). main.c may use
# every layer. Prints each include that points sideways or up; exit 1 then.
fail=0
layers=
for spec in "$@"; do
	layer=${spec%%:*}
	uses=$(echo "${spec#*:}" | tr ',' ' ')
	layers="$layers $layer"
	for f in "$layer"/*.[ch] "$layer"/tests/*.[ch]; do
		[ -f "$f" ] || continue
		for inc in $(sed -n 's|^#include "\([a-z]*\)/.*|\1|p' "$f"); do
			case " $layer $uses tests " in
			*" $inc "*) ;;
			*)
				echo "check-layers: $f includes $inc/, which $layer/ may not use" >&2
				fail=1 ;;
			esac
		done
	done
done
for inc in $(sed -n 's|^#include "\([a-z]*\)/.*|\1|p' main.c); do
	case " $layers " in
	*" $inc "*) ;;
	*) echo "check-layers: main.c includes $inc/, not a layer" >&2; fail=1 ;;
	esac
done
[ $fail = 0 ] && echo "# check-layers: every include points down ($# layers)"
exit $fail
