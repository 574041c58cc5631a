#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Pods and containers by name, on real cgroup trees of each layout made
# in the guest (tools/vm-run.sh):
#
#   /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<UID_A>.slice/
#       cri-containerd-<A>.scope        systemd driver, containerd (a hog)
#   /kubepods.slice/kubepods-pod<UID_B>.slice/crio-<B>.scope
#                                       systemd driver, Guaranteed, CRI-O
#   /kubepods/besteffort/pod<UID_C>/<C> cgroupfs driver
#   /machine.slice/libpod-<D>.scope     podman
#   /mykubepods.slice/kubepods-x.slice  a look-alike: no labels
#
# export, stats -j, top -j and watch -j label each with what its path
# proves, and nothing else. TAP output.

CTL=${CGSHARECTL:-$(dirname "$0")/../cgsharectl}
CG=/sys/fs/cgroup
OUT=${CGSHARE_OUT:-/tmp}/ctl-k8s
. "$(dirname "$0")/tap-lib.sh"

command -v python3 >/dev/null || bail "python3 needed to parse JSON"
module_loaded

UA=7f3e5a52-1c0d-4b6f-9a33-0d2c6e8b1f44
UB=0b8d2c55-6e1f-4a7d-8c3b-5f9e0a1d2c3e
UC=9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d
A=$(printf 'a%.0s' $(seq 64))
B=$(printf 'b%.0s' $(seq 64))
C=$(printf 'c%.0s' $(seq 64))
D=$(printf 'd%.0s' $(seq 64))
us() { echo "$1" | tr - _; }
PA=/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod$(us $UA).slice
SA=$PA/cri-containerd-$A.scope
PB=/kubepods.slice/kubepods-pod$(us $UB).slice
SB=$PB/crio-$B.scope
SC=/kubepods/besteffort/pod$UC/$C
SD=/machine.slice/libpod-$D.scope
LOOK=/mykubepods.slice/kubepods-x.slice

echo "+cpu +memory" >$CG/cgroup.subtree_control
for p in $SA $SB $SC $SD $LOOK; do mkdir -p "$CG$p" || bail "mkdir $p"; done
sh -c "echo \$\$ >$CG$SA/cgroup.procs; while :; do :; done" &
HOG=$!
sleep 1

"$CTL" export --once >"$OUT/scrape.txt"
result $? "export --once exits 0"
check "export: the containerd scope's series carry qos, pod and container" \
	grep -q "^cgshare_cpu_usage_seconds_total{cgroup=\"$SA\",qos_class=\"burstable\",pod_uid=\"$UA\",container_id=\"$A\"} " "$OUT/scrape.txt"
check "export: the pod's own cgroup carries qos and pod, no container" \
	grep -q "^cgshare_cpu_usage_seconds_total{cgroup=\"$PA\",qos_class=\"burstable\",pod_uid=\"$UA\"} " "$OUT/scrape.txt"
check "export: a Guaranteed CRI-O container" \
	grep -q "{cgroup=\"$SB\",qos_class=\"guaranteed\",pod_uid=\"$UB\",container_id=\"$B\"}" "$OUT/scrape.txt"
check "export: the cgroupfs driver's container" \
	grep -q "{cgroup=\"$SC\",qos_class=\"besteffort\",pod_uid=\"$UC\",container_id=\"$C\"}" "$OUT/scrape.txt"
check "export: podman's container has an id and nothing of the kubelet" \
	grep -q "{cgroup=\"$SD\",container_id=\"$D\"}" "$OUT/scrape.txt"
check "export: the look-alike has only its cgroup label" \
	grep -q "{cgroup=\"$LOOK\"}" "$OUT/scrape.txt"

"$CTL" -j stats -r >"$OUT/stats.json"
result $? "stats -r -j exits 0"
check "stats -j: the containerd scope's keys" json "$OUT/stats.json" \
	"[c for c in d['cgroups'] if c['path'] == '$SA' and c.get('qos_class') == 'burstable' and c.get('pod_uid') == '$UA' and c.get('container_id') == '$A' and c.get('container_runtime') == 'containerd']"
check "stats -j: no labels where the path proves none" json "$OUT/stats.json" \
	"all('pod_uid' not in c and 'container_id' not in c for c in d['cgroups'] if c['path'] in ('/', '/kubepods.slice', '$LOOK'))"

"$CTL" -j top -n 1 -i 200ms >"$OUT/top.json"
result $? "top -j -n 1 exits 0"
check "top -j: the hog's row has its pod and container" json "$OUT/top.json" \
	"[c for c in d['cgroups'] if c['path'] == '$SA' and c.get('pod_uid') == '$UA' and c.get('container_id') == '$A']"

"$CTL" -j watch >"$OUT/watch.json" 2>"$OUT/watch.err" &
W=$!
sleep 1
rmdir "$CG$SC"
sleep 2
kill $W
wait $W
check "watch -j: the released container carries its labels" python3 -c "
import json, sys
ev = [json.loads(l) for l in open('$OUT/watch.json') if l.strip()]
sys.exit(0 if [e for e in ev if e.get('path') == '$SC' and
    e.get('pod_uid') == '$UC' and e.get('container_id') == '$C' and
    e.get('qos_class') == 'besteffort'] else 1)"

kill $HOG
wait $HOG 2>/dev/null
sleep 0.2
for p in $SA $SB $SD $LOOK /kubepods/besteffort/pod$UC; do
	d=$CG$p
	while [ "$d" != "$CG" ]; do rmdir "$d" 2>/dev/null; d=${d%/*}; done
done
echo "1..$n"
[ $failed = 0 ]
