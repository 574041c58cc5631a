#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/fleet/guest.sh: one node of the fleet scenario (tools/fleet.sh),
# run by tools/vm-run.sh with VM_FWD forwarding a host port to 9858.
# Brings up the NIC, loads $CGSHARE_KO, starts the work of its role,
# serves the ledger on 10.0.2.15:9858, writes $CGSHARE_OUT/ready and keeps
# going until the host creates $CGSHARE_OUT/stop (or 400 s pass). TAP.
#
# Roles ($CGSHARE_FLEET_ROLE):
#   pods     the kubelet's tree (systemd driver) with CPU hogs in three
#            pods, and the controller as the DaemonSet runs it: `run
#            --listen` with deploy/kubernetes/configmap.yaml's policy,
#            which observes only: it must write no limit
#   weights  /fleet/a (cpu.weight 300) and /fleet/b (100), two hogs each,
#            /fleet/c (100) one hog; `export --listen`
#   gpu      /fleet/gpu holds vgem fences (the BPF collectors charge them:
#            GPU busy time), /fleet/capped two hogs under cpu.max 0.5 CPU,
#            /fleet/free one hog; `export --listen`

set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CTL=${CGSHARE_CTL:-$ROOT/ctl/cgsharectl}
VGEM=$BUILD/selftests/vgem_fence
ROLE=${CGSHARE_FLEET_ROLE:-}
OUT=${CGSHARE_OUT:?}
CG=/sys/fs/cgroup
ADDR=10.0.2.15
PORT=9858
PY=/usr/bin/python3
SERVER=
# shellcheck source=tools/cgwork.sh
. "$ROOT/tools/cgwork.sh"
# shellcheck source=ctl/tests/tap-lib.sh
. "$ROOT/ctl/tests/tap-lib.sh"

# shellcheck disable=SC2317 # called by the trap
cleanup() {
	((${#PIDS[@]})) && kill "${PIDS[@]}" 2>/dev/null
	[[ -n $SERVER ]] && kill "$SERVER" 2>/dev/null
	wait 2>/dev/null
	"$CTL" gpu disable >/dev/null 2>&1
	local d
	# deepest first
	while IFS= read -r d; do rmdir "$d" 2>/dev/null; done < <(
		find "$CG/fleet" "$CG/kubepods.slice" -mindepth 0 -type d 2>/dev/null | sort -r)
}
trap cleanup EXIT

# start CGROUP CMD...: CMD in the background inside $CG/CGROUP
start() { local cg=$1; shift; cg_start "$CG/$cg" "$@"; }
hog() { cg_hog "$CG/$1"; }
# cgdir PATH [cpu.weight [cpu.max]]: a cgroup with its controllers on
cgdir() {
	mkdir -p "$CG/$1" || return 1
	[[ -n ${2:-} ]] && echo "$2" >"$CG/$1/cpu.weight"
	[[ -n ${3:-} ]] && echo "$3" >"$CG/$1/cpu.max"
	return 0
}
subtree() { echo "+cpu +memory" >"$CG/$1/cgroup.subtree_control"; }

# The limits of every cgroup under $1, one "path file value" a line.
limits() {
	local d f
	while IFS= read -r d; do
		for f in cpu.weight cpu.max memory.high memory.max memory.low; do
			[[ -f $d/$f ]] && echo "${d#"$CG"} $f $(<"$d/$f")"
		done
	done < <(find "$CG/$1" -type d | sort)
}

[[ $ROLE =~ ^(pods|weights|gpu)$ ]] || bail "CGSHARE_FLEET_ROLE must be pods, weights or gpu, not '$ROLE'"

modprobe virtio_net || bail "modprobe virtio_net failed"
dev=
for d in /sys/class/net/*; do
	[[ ${d##*/} == lo ]] || { dev=${d##*/}; break; }
done
[[ -n $dev ]] || bail "no network interface (is VM_FWD set?)"
{ ip link set "$dev" up && ip addr add "$ADDR/24" dev "$dev"; } || bail "cannot configure $dev"
"$CTL" status >/dev/null 2>&1 || insmod "$CGSHARE_KO" || bail "cannot load $CGSHARE_KO"
echo "+cpu +memory" >"$CG/cgroup.subtree_control"

case $ROLE in
pods)
	kp=kubepods.slice
	bu=$kp/kubepods-burstable.slice
	be=$kp/kubepods-besteffort.slice
	cgdir $kp && subtree $kp && cgdir $bu && cgdir $be 1 && subtree $bu && subtree $be
	cgdir "$bu/kubepods-burstable-pod0b7e4a52_1c2d_4e5f_8a9b_0c1d2e3f4a5b.slice" 200
	cgdir "$bu/kubepods-burstable-pod6f1e2d3c_4b5a_4968_8776_655443322110.slice" 50
	cgdir "$be/kubepods-besteffort-pod9a8b7c6d_5e4f_4a3b_9c2d_1e0f9a8b7c6d.slice"
	hog "$bu/kubepods-burstable-pod0b7e4a52_1c2d_4e5f_8a9b_0c1d2e3f4a5b.slice"
	hog "$bu/kubepods-burstable-pod0b7e4a52_1c2d_4e5f_8a9b_0c1d2e3f4a5b.slice"
	hog "$bu/kubepods-burstable-pod6f1e2d3c_4b5a_4968_8776_655443322110.slice"
	hog "$be/kubepods-besteffort-pod9a8b7c6d_5e4f_4a3b_9c2d_1e0f9a8b7c6d.slice"
	# the DaemonSet's policy, from its ConfigMap
	"$PY" -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["data"]["cgshare.conf"], end="")' \
		"$ROOT/deploy/kubernetes/configmap.yaml" >"$OUT/cgshare.conf" || bail "cannot read the ConfigMap"
	limits $kp >"$OUT/limits.before"
	"$CTL" run -c "$OUT/cgshare.conf" --restore --listen "$ADDR:$PORT" 2>"$OUT/run.log" &
	SERVER=$!
	;;
weights)
	cgdir fleet && subtree fleet
	cgdir fleet/a 300 && cgdir fleet/b 100 && cgdir fleet/c 100
	hog fleet/a; hog fleet/a; hog fleet/b; hog fleet/b; hog fleet/c
	"$CTL" export --listen "$ADDR:$PORT" 2>"$OUT/export.log" &
	SERVER=$!
	;;
gpu)
	[[ -x $VGEM ]] || bail "$VGEM not built (make -C selftests)"
	modprobe vgem || bail "modprobe vgem failed"
	grep -q " /sys/fs/bpf bpf" /proc/mounts || mount -t bpf bpf /sys/fs/bpf
	check "gpu enable (BPF collectors)" "$CTL" gpu enable
	cgdir fleet && subtree fleet
	cgdir fleet/gpu && cgdir fleet/capped 100 "50000 100000" && cgdir fleet/free
	# 100 ms jobs, four in a row, then 400 ms idle: about half a device
	start fleet/gpu sh -c "while :; do '$VGEM' 100 4 >/dev/null || exit 1; sleep 0.4; done"
	hog fleet/capped; hog fleet/capped; hog fleet/free
	"$CTL" export --listen "$ADDR:$PORT" 2>"$OUT/export.log" &
	SERVER=$!
	;;
esac

ok=1
for ((i = 0; i < 100; i++)); do
	if curl -sf -m 5 -o "$OUT/first.prom" "http://$ADDR:$PORT/metrics"; then ok=0; break; fi
	sleep 0.2
done
result $ok "$ROLE: the exporter serves on $ADDR:$PORT ($dev)"
((ok == 0)) || bail "no exporter; its log: $(cat "$OUT"/*.log 2>/dev/null)"
touch "$OUT/ready"

for ((i = 0; i < 800; i++)); do
	[[ -e $OUT/stop ]] && break
	sleep 0.5
done
result "$([[ -e $OUT/stop ]]; echo $?)" "$ROLE: the host said stop"
alive=0
for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null || alive=1; done
result $alive "$ROLE: the work ran until then"

case $ROLE in
pods)
	curl -sf -m 5 -o "$OUT/last.prom" "http://$ADDR:$PORT/metrics"
	check "pods: cgshare_share computed for each pod (observe only)" \
		test "$(grep -c '^cgshare_share{cgroup="/kubepods.slice/kubepods-[a-z]*.slice/kubepods-[a-z]*-pod[0-9a-f_]*.slice"[^}]*resource="cpu"}' "$OUT/last.prom")" = 3
	kill -TERM "$SERVER"
	wait "$SERVER"
	result $? "pods: run exits 0 on SIGTERM"
	SERVER=
	limits kubepods.slice >"$OUT/limits.after"
	check "pods: the ConfigMap's policy wrote no limit" diff "$OUT/limits.before" "$OUT/limits.after"
	;;
gpu)
	"$CTL" -j stats / >"$OUT/root.json"
	check "gpu: the root cgroup holds GPU busy time" json "$OUT/root.json" \
		'sum(g.get("busy_ns", 0) for g in d["cgroups"][0].get("gpu", [])) > 0'
	;;
esac
echo "1..$n"
exit $((failed > 0))
