#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The controller's GPU memory limits (max-gpu-memory, min-gpu-memory) on
# the kernel's real dmem controller, inside a guest (tools/vm-run.sh), as
# root. TAP output. The region is the fixture selftests/fixtures/
# cgshare_test_dmem.ko's (from $CGSHARE_TEST_KMODS, else test/ beside
# $CGSHARE_KO: tools/build-test-modules.sh), named as a DRM driver names
# its VRAM ("drm/<PCI device>/vram0"); its charges are made by tasks in
# the cgroups, through its debugfs files.
#
#   /gm               +dmem
#   ├── a   cap 8M, 24M charged: above its cap; original dmem.max 40M
#   └── p   guarantee 32M, cap 48M; +dmem
#       └── q   guarantee 16M, 4M charged; original dmem.low 1M
#   /gmx              no +dmem
#       └── n   cap 8M: nothing to write to
#
# Checked: the region found from dmem.capacity (status, plan) with its
# device; plan --explain says what apply writes (a's dmem.max one 10 %
# step below its usage, a pending at "usage above the cap", dmem.low of p
# before q's) and writes nothing; apply writes it, the files read back as
# planned and dmem.current is unchanged; the kernel refuses a's next
# charge (EAGAIN); run steps a's dmem.max down to its cap, no step more
# than 10 %, while usage stays (no reclaim: the kernel only refuses), and
# plan still says pending until a's usage is under the cap; a stopped run
# with --restore puts back every original, including what apply wrote;
# then, with a region that reclaims (reclaim=1), usage follows the steps
# down to the cap and q keeps its charges. Bad input (a dmem-region line
# naming a region, a guarantee above the cap) exits 1 with the line and
# the reason and changes nothing. The kernel log is checked by
# selftests/run-guest.sh after the test ("guest-dmem: kernel log").
# Kernels without the dmem controller (CONFIG_CGROUP_DMEM: none of
# Debian's) skip, saying so.

CTL=${CGSHARECTL:-$(dirname "$0")/../cgsharectl}
CG=/sys/fs/cgroup
T=$CG/gm
X=$CG/gmx
OUT=${CGSHARE_OUT:-/tmp}/ctl-dmem
CONF=$OUT/dmem.conf
STATE=$OUT/state
FIXTURE=cgshare_test_dmem
DBG=/sys/kernel/debug/$FIXTURE
REGION=drm/0000:00:1f.7/vram0
DEVICE=0000:00:1f.7
MIB=1048576
RUN=
. "$(dirname "$0")/tap-lib.sh"

# ok_awk NAME AWK-CONDITION
ok_awk() {
	awk "BEGIN { exit !($2) }"
	rc=$?
	result $rc "$1"
	[ $rc = 0 ] || echo "#   false: $2"
}
# dm CGROUP FILE: the region's value in dmem FILE of CGROUP (below $CG),
# "none" when the file has no line for it
dm() {
	awk -v r="$REGION" '$1 == r { print $2; f = 1 } END { if (!f) print "none" }' \
		"$CG/$1/dmem.$2" 2>/dev/null || echo none
}
# files: every dmem file the controller may write, for "nothing changed"
files() {
	for c in gm/a gm/p gm/p/q; do
		printf '%s max %s low %s min %s; ' $c "$(dm $c max)" "$(dm $c low)" \
			"$(dm $c min)"
	done
}
# ask CGROUP FILE ARG [COUNT]: as a task of CGROUP, write ARG to the
# fixture's FILE COUNT times; prints ok, or the errno name of the refusal
ask() {
	python3 - "$CG/$1" "$DBG/$2" "$3" "${4:-1}" <<'EOF'
import errno, os, sys
cg, path, arg, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
with open(cg + "/cgroup.procs", "w") as f:
    f.write(str(os.getpid()))
for i in range(count):
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, arg.encode())
    except OSError as e:
        print(errno.errorcode.get(e.errno, str(e.errno)))
        sys.exit(1)
    finally:
        os.close(fd)
print("ok")
EOF
}
# until_ok SECONDS 'AWK-CONDITION': re-evaluated (eval) every half second
# until true; the checks that follow say whether it was reached
until_ok() {
	i=0
	while [ $i -lt $(($1 * 2)) ]; do
		eval "awk \"BEGIN { exit !($2) }\"" && return 0
		sleep 0.5
		i=$((i + 1))
	done
	echo "#   not reached in $1 s: $2"
}
# ceil10 BYTES: one step of 10 % below BYTES, as the controller rounds it
ceil10() { awk -v b="$1" 'BEGIN { v = b * 0.9; i = int(v); print i + (v > i) }'; }
# steps LOG: "OLD NEW USAGE" of each dmem.max change of a in run's log
# ("cgsharectl: /gm/a dmem.max: REGION OLD -> REGION NEW (usage USAGE)")
steps() {
	awk -v r="$REGION" '$2 == "/gm/a" && $3 == "dmem.max:" && $4 == r &&
		$7 == r && $9 == "(usage" { print $5, $8, $10 + 0 }' "$1"
}
# run_to_cap LOG: run --restore until a's dmem.max is its 8M cap; then
# each step, and whether none lowered the limit by more than 10 % of
# what a held (the lower of its limit and usage) or raised it, and
# whether usage was at most the limit before (with reclaim: it followed)
# or stayed 24M (without)
run_to_cap() {
	"$CTL" run -c "$CONF" --restore --state "$STATE" 2>"$1" &
	RUN=$!
	# shellcheck disable=SC2016 # until_ok evaluates it again each time
	until_ok 60 '$(dm gm/a max) == '$((8 * MIB))
	steps "$1" | sed 's/^/#   a dmem.max old, new, usage: /'
	echo "#   a: dmem.max $(dm gm/a max) dmem.current $(dm gm/a current); q: dmem.current $(dm gm/p/q current)"
	nsteps=$(steps "$1" | wc -l)
	bad=$(steps "$1" | awk -v u=$((24 * MIB)) -v follow="$2" '
		{ b = $1 < $3 ? $1 : $3
		  if ($2 < b * 0.9 - 1 || $2 >= $1) n++
		  if (follow && NR > 1 && $3 > prev) n++
		  if (!follow && $3 != u) n++
		  prev = $2 }
		END { print n + 0 }')
}
# charge_both: 24 x 1M from a task in a, 4 x 1M from one in q; r1, r2 ok
charge_both() {
	r1=$(ask gm/a charge $MIB 24)
	r2=$(ask gm/p/q charge $MIB 4)
}
# none_pending NAME: plan -j into $OUT/NAME.json; true when a has no
# region pending
none_pending() {
	"$CTL" -j plan -c "$CONF" >"$OUT/$1.json" 2>/dev/null
	json "$OUT/$1.json" "[c for c in d['cgroups'] if c['path'] == '/gm/a'][0]['dmem_pending'] == []"
}
fixture_in() {	# fixture_in RECLAIM: loaded afresh, its region in dmem.capacity
	[ -d /sys/module/$FIXTURE ] && { echo all >$DBG/uncharge; rmmod $FIXTURE; }
	insmod "$KMOD" size=$((64 * MIB)) reclaim="$1" name="$REGION" ||
		bail "insmod $KMOD failed"
}
stop_run() {
	[ -n "$RUN" ] || return 0
	kill -TERM "$RUN" 2>/dev/null
	wait "$RUN"
	rc=$?
	RUN=
	return $rc
}
cleanup() {
	stop_run
	[ -d /sys/module/$FIXTURE ] && { echo all >$DBG/uncharge; rmmod $FIXTURE; }
	for d in $T/p/q $T/p $T/a $T $X/n $X; do [ -d "$d" ] && rmdir "$d"; done
}
bail() { echo "Bail out! $*"; cleanup; exit 1; }

if ! grep -qw dmem $CG/cgroup.controllers; then
	skip "GPU memory limits on the dmem controller" \
		"kernel $(uname -r) has no dmem cgroup controller (CONFIG_CGROUP_DMEM unset)"
	echo "1..$n"
	exit 0
fi
KMOD=${CGSHARE_TEST_KMODS:-$(dirname "${CGSHARE_KO:-.}")/test}/$FIXTURE.ko
[ -r "$KMOD" ] || bail "the kernel has dmem but the fixture $KMOD is missing (tools/build-test-modules.sh)"
command -v python3 >/dev/null || bail "python3 needed for the charging tasks"
module_loaded
rm -rf "$OUT/state" "$OUT"/*.log "$OUT"/*.out "$OUT"/*.err

# -- the region, read from dmem.capacity --
before=$(cat $CG/dmem.capacity)
fixture_in 0
new=$(grep -vxF "$before" $CG/dmem.capacity)
echo "#   dmem.capacity gained: $new"
[ "$new" = "$REGION $((64 * MIB))" ]
result $? "the fixture's region is in dmem.capacity: $REGION, 64M"
"$CTL" -j status >"$OUT/status.json" 2>"$OUT/status.err"
json "$OUT/status.json" "[(g['region'], g['device'], g['capacity_bytes']) for g in d['gpu_memory_regions'] if g['region'] == '$REGION'] == [('$REGION', '$DEVICE', $((64 * MIB)))]"
result $? "status: the region found, named by its device $DEVICE, capacity 64M"
"$CTL" status 2>&1 | grep -F "gpu memory:" | sed 's/^/#   /'

# -- the tree, the originals, the charges --
echo "+dmem" >$CG/cgroup.subtree_control || bail "cannot enable dmem at the root"
mkdir -p $T/a $T/p $X/n
echo "+dmem" >$T/cgroup.subtree_control
echo "+dmem" >$T/p/cgroup.subtree_control
mkdir -p $T/p/q
echo "$REGION $((40 * MIB))" >$T/a/dmem.max
echo "$REGION $MIB" >$T/p/q/dmem.low
[ "$(dm gm/a max)" = $((40 * MIB)) ] && [ "$(dm gm/p/q low)" = $MIB ]
result $? "originals set: a's dmem.max 40M, q's dmem.low 1M"
charge_both
echo "#   dmem.current: a $(dm gm/a current) q $(dm gm/p/q current) p $(dm gm/p current) gm $(dm gm current) root $(dm . current)"
[ "$r1 $r2" = "ok ok" ] && [ "$(dm gm/a current)" = $((24 * MIB)) ] &&
	[ "$(dm gm/p/q current)" = $((4 * MIB)) ] &&
	[ "$(dm gm/p current)" = $((4 * MIB)) ] &&
	[ "$(dm gm current)" = $((28 * MIB)) ]
result $? "charges from tasks in a (24 x 1M) and q (4 x 1M) move dmem.current: a 24M, q and p 4M, gm 28M"

# -- bad input: a clear error, nothing written --
orig=$(files)
# refused NAME LINE3 ERROR: apply with a config whose third line is LINE3
# exits 1, saying ERROR (after the file's name)
refused() {
	printf 'interval 200ms\ncgroup /gm/a max-gpu-memory 8M\n%s\n' "$2" >"$OUT/$1.conf"
	"$CTL" apply -c "$OUT/$1.conf" --state "$STATE" >"$OUT/$1.out" 2>"$OUT/$1.err"
	rc=$?
	sed 's/^/#   /' "$OUT/$1.err"
	[ $rc = 1 ] && grep -qF "$1.conf:3: $3" "$OUT/$1.err"
}
refused region "dmem-region drm/0000:00:1f.7/vram9 max 8M" \
	"dmem-region: regions are read from dmem.capacity"
result $? "a dmem-region line naming a region: exit 1, file, line and why"
refused minmax "cgroup /gm/p min-gpu-memory 64M max-gpu-memory 48M" \
	"cgroup /gm/p: min-gpu-memory is above max-gpu-memory"
result $? "a guarantee above the cap: exit 1, file, line and why"
[ "$orig" = "$(files)" ] && [ ! -e "$STATE" ]
result $? "and no dmem file was written, nothing recorded"

# -- plan: what apply would write, nothing written --
cat >"$CONF" <<EOF
interval 200ms
act-every 1
window 2
step memory 10%
enforce cpu none
enforce memory none
cgroup /gm/a max-gpu-memory 8M
cgroup /gm/p weight 2 min-gpu-memory 32M max-gpu-memory 48M
cgroup /gm/p/q min-gpu-memory 16M
cgroup /gmx/n max-gpu-memory 8M
EOF
step1=$(ceil10 $((24 * MIB)))
"$CTL" plan -c "$CONF" --explain >"$OUT/plan.out" 2>"$OUT/plan.err"
result $? "plan --explain exits 0"
grep -F -e "/gm/" -e "-> dmem" -e "pending" -e "GPU memory" "$OUT/plan.out" "$OUT/plan.err" |
	sed 's/^/#   /'
"$CTL" -j plan -c "$CONF" --explain >"$OUT/plan.json" 2>/dev/null
python3 - "$OUT/plan.json" "$REGION" "$step1" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
region, step1 = sys.argv[2], int(sys.argv[3])
M = 1 << 20
cg = {c["path"]: c for c in d["cgroups"]}
def line(path, f):
    for l in cg[path].get("limits", {}).get(f, "").split("\n"):
        if l.split(" ")[0] == region:
            return l.split(" ")[1]
    return None
want = {
    ("/gm/a", "dmem.max"): str(step1), ("/gm/a", "dmem.low"): None,
    ("/gm/p", "dmem.max"): str(48 * M), ("/gm/p", "dmem.low"): str(32 * M),
    ("/gm/p/q", "dmem.max"): None, ("/gm/p/q", "dmem.low"): str(16 * M),
}
got = {k: line(*k) for k in want}
print("#   planned:", got)
print("#   pending:", {p: c.get("dmem_pending") for p, c in cg.items()})
ok = got == want
ok &= cg["/gm/a"]["dmem_pending"] == [region]
ok &= cg["/gm/p"]["dmem_pending"] == [] and cg["/gm/p/q"]["dmem_pending"] == []
ok &= "dmem.max" not in cg["/gmx/n"].get("limits", {})
sys.exit(0 if ok else 1)
EOF
result $? "plan: a's dmem.max one 10 % step below its usage ($step1), p's 48M; dmem.low p 32M, q 16M; a pending"
grep -qF "$REGION (device $DEVICE): pending, usage 24" "$OUT/plan.out"
result $? "plan --explain says a's region is pending, usage above the cap"
grep -q "GPU memory is not enforced for /gmx/n: dmem is not enabled in its parent's cgroup.subtree_control" "$OUT/plan.err"
result $? "plan says GPU memory is not enforced on n, and why: its parent does not enable dmem"
[ "$orig" = "$(files)" ]
result $? "plan wrote nothing"

# -- apply: written as planned, read back --
"$CTL" apply -c "$CONF" --state "$STATE" >"$OUT/apply.out" 2>"$OUT/apply.err"
result $? "apply exits 0"
sed 's/^/#   /' "$OUT/apply.out" "$OUT/apply.err"
echo "#   after apply: $(files)"
[ "$(dm gm/a max)" = "$step1" ] && [ "$(dm gm/p max)" = $((48 * MIB)) ] &&
	[ "$(dm gm/p low)" = $((32 * MIB)) ] && [ "$(dm gm/p/q low)" = $((16 * MIB)) ] &&
	[ "$(dm gm/p/q max)" = max ]
result $? "apply wrote what plan said: a max $step1, p max 48M low 32M, q low 16M"
grep -qxF "/gm/a dmem.max: $REGION $((40 * MIB)) -> $REGION $step1" "$OUT/apply.out"
result $? "apply printed a's dmem.max old -> new"
lp=$(grep -nF "/gm/p dmem.low: " "$OUT/apply.out" | cut -d: -f1)
lq=$(grep -nF "/gm/p/q dmem.low: " "$OUT/apply.out" | cut -d: -f1)
[ -n "$lp" ] && [ -n "$lq" ] && [ "$lp" -lt "$lq" ]
result $? "dmem.low written top-down: p (line ${lp:-none}) before q (line ${lq:-none})"
[ "$(dm gm/a current)" = $((24 * MIB)) ] && [ "$(dm gm/p/q current)" = $((4 * MIB)) ]
result $? "dmem.current read back: a still 24M (no reclaim), q 4M"
r=$(ask gm/a charge $MIB)
echo "#   a 1M charge above its dmem.max: $r"
[ "$r" = EAGAIN ] && [ "$(dm gm/a current)" = $((24 * MIB)) ]
result $? "the kernel refuses a's next charge (EAGAIN), usage unchanged"
"$CTL" -j plan -c "$CONF" >"$OUT/plan2.json" 2>/dev/null
step2=$(ceil10 "$step1")
json "$OUT/plan2.json" "[c for c in d['cgroups'] if c['path'] == '/gm/a'][0]['limits']['dmem.max'] == '$REGION $step2'"
result $? "plan after apply: the next step, $step2, 10 % below the limit now"

# -- run: stepped to the cap, pending, enforced, restored --
run_to_cap "$OUT/run.log" 0
[ "$(dm gm/a max)" = $((8 * MIB)) ]
result $? "run stepped a's dmem.max down to its cap, 8M"
ok_awk "in steps ($nsteps), each at most 10 % below what a held; usage 24M all along (logged)" \
	"$nsteps >= 2 && $bad == 0"
[ "$(dm gm/a current)" = $((24 * MIB)) ]
result $? "without reclaim a's usage stays at 24M"
"$CTL" plan -c "$CONF" --explain >"$OUT/plan3.out" 2>&1
grep -F "pending" "$OUT/plan3.out" | sed 's/^/#   /'
grep -qF "$REGION (device $DEVICE): pending, usage 24" "$OUT/plan3.out" &&
	grep -qF -- "-> dmem.max $REGION $((8 * MIB))" "$OUT/plan3.out"
result $? "plan: a still pending at its cap, nothing more to step"
r=$(ask gm/a charge 4096)
[ "$r" = EAGAIN ]
result $? "the kernel refuses even 4K in a (got $r)"
r1=$(ask gm/a uncharge $MIB 17)
r2=$(ask gm/a charge $((MIB / 2)))
r3=$(ask gm/a charge $MIB)
echo "#   a: 17 x 1M released: $r1; 512K charged: $r2; 1M charged: $r3; dmem.current $(dm gm/a current)"
[ "$r1 $r2 $r3" = "ok ok EAGAIN" ] && [ "$(dm gm/a current)" = $((7 * MIB + MIB / 2)) ]
result $? "under its cap: 512K fits in 8M, 1M more is refused (EAGAIN)"
none_pending plan4
result $? "plan: a no longer pending"
kill -0 "$RUN" && ! grep -q "failed\|writing\|back_off\|someone else" "$OUT/run.log"
result $? "run still running, and logged no error"
stop_run
result $? "run exits 0 on SIGTERM"
echo "#   after run --restore: $(files)"
[ "$(dm gm/a max)" = $((40 * MIB)) ] && [ "$(dm gm/p max)" = max ] &&
	[ "$(dm gm/p low)" = 0 ] && [ "$(dm gm/p/q low)" = $MIB ]
result $? "--restore: a's dmem.max 40M, p's max and 0, q's dmem.low 1M again (apply's writes too)"
grep "restored" "$OUT/run.log" | sed 's/^/#   /'

# -- a region that reclaims: usage follows the steps --
fixture_in 1
charge_both
[ "$r1 $r2" = "ok ok" ] && [ "$(dm gm/a current)" = $((24 * MIB)) ]
result $? "reclaim=1: a charged 24M again"
run_to_cap "$OUT/run2.log" 1
[ "$(dm gm/a max)" = $((8 * MIB)) ] && [ "$(dm gm/a current)" -le $((8 * MIB)) ] &&
	[ "$(dm gm/a current)" -gt $((7 * MIB)) ]
result $? "run stepped a's dmem.max to 8M, the kernel reclaimed a's usage into (7M, 8M] (1M charges)"
ok_awk "in steps ($nsteps), each at most 10 % below what a held, usage under the previous step's limit" \
	"$nsteps >= 2 && $bad == 0"
[ "$(dm gm/p/q current)" = $((4 * MIB)) ]
result $? "q's charges untouched by a's limit"
none_pending plan5
result $? "plan: nothing pending once usage is under the cap"
stop_run
result $? "run exits 0 on SIGTERM"
[ "$(dm gm/a max)" = max ]
result $? "--restore: a's dmem.max max again"

cleanup
echo "1..$n"
[ $failed = 0 ]
