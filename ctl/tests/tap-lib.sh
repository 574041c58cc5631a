# SPDX-License-Identifier: GPL-2.0
# TAP helpers for the guest tests (ctl/tests/guest*.sh), sourced after OUT
# is set. Prints the TAP header; the caller prints the plan, "1..$n", at
# the end and exits non-zero when $failed is.
n=0
failed=0
mkdir -p "$OUT"

echo "TAP version 13"
# result RC NAME: one test, passed when RC is 0
result() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else
		echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
# skip NAME REASON
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
# check NAME CMD...: CMD's exit status is the result; its output on failure
check() {
	name=$1; shift
	"$@" >"$OUT/last.out" 2>"$OUT/last.err"
	rc=$?
	result $rc "$name"
	[ $rc = 0 ] || sed 's/^/#   /' "$OUT/last.out" "$OUT/last.err"
}
# json FILE PYTHON-EXPR: the expression over d (the parsed JSON) is true
json() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2"
}
bail() { echo "Bail out! $*"; exit 1; }
# module_loaded: cgshare.ko is in (a test before may have unloaded it)
module_loaded() {
	"$CTL" status >/dev/null 2>&1 || insmod "$CGSHARE_KO" ||
		bail "cannot load $CGSHARE_KO"
}
# bpffs_mounted: a BPF file system at /sys/fs/bpf, for the pins
bpffs_mounted() {
	grep -q " /sys/fs/bpf bpf" /proc/mounts || mount -t bpf bpf /sys/fs/bpf ||
		bail "no BPF file system at /sys/fs/bpf"
}
