#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/fleet.sh: many hosts, one Prometheus.
#
# Boots three test guests at once (tools/vm-run.sh with VM_FWD), each a
# node with its own work (tools/fleet/guest.sh: n1 the kubelet's pod tree
# under the DaemonSet's controller and policy, n2 CPU hogs under weights
# 3:1:1, n3 vgem GPU jobs through the BPF collectors and hogs under a
# cpu.max), each serving its ledger on a loopback port of the host. One
# real Prometheus (Debian's) scrapes the three every 2 s, through
# tools/fleet/tee.py, which keeps each exposition it passes on, with the
# shipped rules (deploy/prometheus/cgshare.rules.yml) loaded. Then
# tools/fleet/check.py checks what PromQL answers against the ledgers
# read at the same scrapes. TAP on stdout, and a last line
# `N passed, N failed, N skipped`. Output in $BUILD/fleet/.
#
# The three guests and Prometheus share the machine: on a 2-core host run
# it alone (the project's machine: /work/bin/cores 2 tools/fleet.sh).
#
# Environment: BUILD, V, FLEET_WINDOW (scrape intervals between the two
# fixed scrapes; 8), VM_* of tools/vm-run.sh but VM_FWD.

# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"

(($# == 0)) || { echo "usage: $PROG" >&2; exit 2; }
TOOLS=$CGSHARE_ROOT/tools
OUT=$BUILD/fleet
WINDOW=${FLEET_WINDOW:-8}
PY=/usr/bin/python3
# name kernel role
NODES=("n1 6.1 pods" "n2 6.1 weights" "n3 6.12 gpu")

need_cmd prometheus prometheus
need_cmd promtool prometheus
need_cmd curl curl
[[ -x $PY ]] || die "$PY not found; install it with: apt-get install python3"
"$PY" -c 'import prometheus_client, yaml' 2>/dev/null ||
	die "python3 modules missing; install them with: apt-get install python3-prometheus-client python3-yaml"
{ [[ $WINDOW =~ ^[0-9]+$ ]] && ((WINDOW >= 2)); } || die "FLEET_WINDOW must be a number >= 2"

PIDS=()
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}

fail_now() { echo "not ok - $*"; exit 1; }
# good_scrapes NODE: how many scrapes of NODE the tee passed on with 200
good_scrapes() {
	local f=$OUT/$1/scrapes.jsonl
	if [[ -f $f ]]; then grep -c '"status": 200' "$f" || true; else echo 0; fi
}

# wait_until LIMIT WHAT PROBE: until PROBE prints nothing (what is still
# missing), at most LIMIT s; PROBE failing ends the run with its words.
wait_until() {
	local t0=$SECONDS missing
	while :; do
		missing=$($3) || fail_now "$missing"
		[[ -z $missing ]] && break
		((SECONDS - t0 < $1)) || fail_now "$2 after $1 s:$missing"
		sleep 1
	done
	WAITED=$((SECONDS - t0))
}
not_ready() {
	local n name
	for n in "${NODES[@]}"; do
		read -r name _ <<<"$n"
		[[ -e $OUT/$name/ready ]] && continue
		if ! kill -0 "${GUEST_PID[$name]}" 2>/dev/null; then
			echo "$name: the guest ended before it was ready: $(tail -n 5 "$OUT/$name.stdout" "$OUT/$name.stderr" | tr '\n' ' ')"
			return 1
		fi
		printf ' %s' "$name"
	done
}
short_of_scrapes() {
	local n name
	kill -0 "$PROM" 2>/dev/null || { echo "prometheus exited: $(tail -n 5 "$OUT/prometheus.log")"; return 1; }
	for n in "${NODES[@]}"; do
		read -r name _ <<<"$n"
		(($(good_scrapes "$name") >= NEED)) || printf ' %s' "$name"
	done
}

# In a subshell (a pipeline's): its own traps end what it started.
run() {
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM HUP
	echo "TAP version 13"
	local tags=() n tag role
	for n in "${NODES[@]}"; do
		read -r _ tag _ <<<"$n"
		[[ " ${tags[*]} " == *" $tag "* ]] || tags+=("$tag")
	done
	for tag in "${tags[@]}"; do
		"$TOOLS/fetch-kernels.sh" "$tag" >&2 || fail_now "fetching kernel $tag"
		"$TOOLS/build-module.sh" "$tag" >&2 || fail_now "building cgshare.ko for $tag"
	done
	quiet make -C "$CGSHARE_ROOT/selftests" || fail_now "building the selftests' helpers"
	[[ -x $CGSHARE_ROOT/ctl/cgsharectl ]] || fail_now "ctl/cgsharectl is not built (make ctl)"

	rm -rf "$OUT"
	mkdir -p "$OUT"
	# seven free loopback ports: three forwarded, three tees, Prometheus
	local ports
	read -r -a ports < <("$PY" -c '
import socket
ss = [socket.socket() for _ in range(7)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])') || fail_now "no free ports"

	local i=0 name targets=
	declare -gA GUEST_PID
	for n in "${NODES[@]}"; do
		read -r name tag role <<<"$n"
		mkdir -p "$OUT/$name"
		"$PY" "$TOOLS/fleet/tee.py" "${ports[i + 3]}" "${ports[i]}" "$OUT/$name/scrapes.jsonl" \
			>"$OUT/$name/tee.log" 2>&1 &
		PIDS+=($!)
		VM_FWD="${ports[i]}:9858" VM_MEM=${VM_MEM:-1G} VM_TIMEOUT=${VM_TIMEOUT:-600} \
			CGSHARE_FLEET_ROLE=$role \
			"$TOOLS/vm-run.sh" "$tag" "$OUT/$name" -- "$TOOLS/fleet/guest.sh" \
			>"$OUT/$name.stdout" 2>"$OUT/$name.stderr" &
		GUEST_PID[$name]=$!
		PIDS+=($!)
		targets+="      - targets: ['127.0.0.1:${ports[i + 3]}']"$'\n'
		targets+="        labels: {node: $name}"$'\n'
		i=$((i + 1))
	done

	# every node ready, or one of them gone
	wait_until 400 "not ready" not_ready
	echo "ok - three guests up, each exporter forwarded to the host ($WAITED s)"

	cat >"$OUT/prometheus.yml" <<-EOF
		global:
		  scrape_interval: 2s
		  scrape_timeout: 1500ms
		  evaluation_interval: 2s
		rule_files:
		  - $CGSHARE_ROOT/deploy/prometheus/cgshare.rules.yml
		scrape_configs:
		  - job_name: cgshare
		    static_configs:
		$targets
	EOF
	if promtool check config "$OUT/prometheus.yml" >"$OUT/promtool.out" 2>&1; then
		echo "ok - promtool check config: the scenario's configuration"
	else
		sed 's/^/#   /' "$OUT/promtool.out"
		fail_now "promtool check config: the scenario's configuration"
	fi
	prometheus --config.file="$OUT/prometheus.yml" --storage.tsdb.path="$OUT/tsdb" \
		--web.listen-address="127.0.0.1:${ports[6]}" --log.level=warn \
		>"$OUT/prometheus.log" 2>&1 &
	PIDS+=($!)
	PROM=$!

	# enough scrapes of every node: the window, one more, and a margin
	NEED=$((WINDOW + 4))
	wait_until 120 "fewer than $NEED good scrapes of" short_of_scrapes
	echo "ok - prometheus scraped every node $NEED times or more ($WAITED s)"

	local args=()
	for n in "${NODES[@]}"; do
		read -r name _ <<<"$n"
		args+=("$name=$OUT/$name/scrapes.jsonl")
	done
	"$PY" "$TOOLS/fleet/check.py" "http://127.0.0.1:${ports[6]}" "$WINDOW" \
		"$CGSHARE_ROOT/deploy/grafana/cgshare.json" "${args[@]}"

	for n in "${NODES[@]}"; do
		read -r name _ <<<"$n"
		touch "$OUT/$name/stop"
	done
	local rc guest_ok guest_bad
	for n in "${NODES[@]}"; do
		read -r name tag role <<<"$n"
		rc=0
		wait "${GUEST_PID[$name]}" || rc=$?
		guest_ok=$(grep -c '^ok ' "$OUT/$name/stdout" 2>/dev/null || true)
		guest_bad=$(grep -c '^not ok ' "$OUT/$name/stdout" 2>/dev/null || true)
		if ((rc == 0 && guest_bad == 0 && guest_ok > 0)); then
			echo "ok - $name ($tag, $role): $guest_ok checks in the guest, kernel log clean"
		else
			echo "not ok - $name ($tag, $role): exit $rc, $guest_bad of $((guest_ok + guest_bad)) guest checks failed"
			grep -E '^not ok|^Bail' "$OUT/$name/stdout" | sed 's/^/#   /'
			tail -n 5 "$OUT/$name.stderr" | sed 's/^/#   /'
		fi
	done
}

t0=$SECONDS
run | tee "$OUT.tap" || true
pass=$(grep -c '^ok ' "$OUT.tap" || true)
fail=$(grep -c '^not ok' "$OUT.tap" || true)
skip=$(grep -c '^ok .*# SKIP' "$OUT.tap" || true)
echo "1..$((pass + fail))"
note "fleet: $((SECONDS - t0)) s; logs in $OUT/"
echo "$((pass - skip)) passed, $fail failed, $skip skipped"
((fail == 0 && pass > 0))
