#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/check-deploy.sh: offline checks of deploy/ (make check-deploy).
#
#   * deploy/prometheus/cgshare.rules.yml: promtool check rules, and
#     promtool test rules with cgshare.rules.test.yml;
#   * deploy/kubernetes/*.yaml but the ServiceMonitor: a strict walk of
#     every field against the typed models of Debian's python3-kubernetes
#     (tools/deploy/k8s_walk.py), and proof that the walk fails on an
#     unknown key, a wrong type and a missing required field;
#   * deploy/kubernetes/servicemonitor.yaml: against the Prometheus
#     operator's CRD schema, as the npm package
#     @kubernetes-models/prometheus-operator 5.0.1 carries it (generated
#     from the operator's v0.90.1 stripped-down-crds.yaml): its schema
#     validator (types, required, patterns), and TypeScript's excess
#     property check against its generated types (unknown keys); fetched
#     into $BUILD/deploy-npm at the first run, never copied here; and
#     again the proof that each kind of mistake fails;
#   * deploy/kubernetes/prometheus.yml: loaded, with the rules, by Debian
#     trixie's Prometheus (2.53; fetched into $BUILD/trixie-prometheus with
#     a private apt configuration): bookworm's is built without Kubernetes
#     service discovery, and trixie's package has no promtool;
#   * deploy/kubernetes/configmap.yaml's cgshare.conf: loaded by the
#     controller's own parser (ctl/policy/tests/config_test FILE);
#   * deploy/grafana/cgshare.json: valid JSON whose queries use only the
#     series the rules record, `up` and `cgshare_share` (the fleet
#     scenario, tools/fleet.sh, runs each query against a real server).
#
# TAP on stdout; the last line is `N passed, N failed, N skipped`.
# Environment: BUILD, V.

# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"

(($# == 0)) || { echo "usage: $PROG" >&2; exit 2; }
D=$CGSHARE_ROOT/deploy
PY=/usr/bin/python3
WORK=$BUILD/check-deploy
NPM_DIR=$BUILD/deploy-npm
NPM_PKGS=(@kubernetes-models/prometheus-operator@5.0.1 typescript@5.9.3)
TRIXIE=$BUILD/trixie-prometheus

need_cmd promtool prometheus
[[ -x $PY ]] || die "$PY not found; install it with: apt-get install python3"
"$PY" -c 'import kubernetes, yaml' 2>/dev/null ||
	die "python3 modules missing; install them with: apt-get install python3-kubernetes python3-yaml"

pass=0 fail=0 skip=0 n=0
ok() { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $*"; }
skipped() { n=$((n + 1)); skip=$((skip + 1)); echo "ok $n - $1 # SKIP $2"; }
diag() { printf '%s\n' "$1" | sed 's/^/#   /'; }
# check NAME CMD...: ok when CMD succeeds; its output as diagnostics if not
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$name"; else notok "$name"; diag "$out"; fi
}
# refuses NAME PATTERN CMD...: ok when CMD fails and says PATTERN (an ERE)
refuses() {
	local name=$1 pat=$2 out
	shift 2
	if out=$("$@" 2>&1); then
		notok "$name: accepted"
	elif grep -Eq -- "$pat" <<<"$out"; then
		ok "$name: $(grep -Em1 -- "$pat" <<<"$out" | sed 's/^ *//' | cut -c1-150)"
	else
		notok "$name: refused, but not for the expected reason"
		diag "$out"
	fi
}

# mutate IN OUT PATH OP [JSON]: a copy of the YAML document IN with the
# node at PATH (dot-separated keys and list indices) set to JSON, or
# deleted (OP del), written as YAML (or JSON when OUT ends in .json).
mutate() {
	"$PY" - "$@" <<-'EOF'
		import json, sys, yaml
		src, dst, path, op = sys.argv[1:5]
		doc = yaml.safe_load(open(src))
		keys = [int(k) if k.isdigit() else k for k in path.split(".")]
		node = doc
		for k in keys[:-1]:
		    node = node[k]
		if op == "del":
		    del node[keys[-1]]
		else:
		    node[keys[-1]] = json.loads(sys.argv[5])
		with open(dst, "w") as f:
		    (json.dump if dst.endswith(".json") else yaml.safe_dump)(doc, f)
	EOF
}

rm -rf "$WORK"
mkdir -p "$WORK"
echo "TAP version 13"

# -- rules --
check "promtool check rules deploy/prometheus/cgshare.rules.yml" \
	promtool check rules "$D/prometheus/cgshare.rules.yml"
check "promtool test rules deploy/prometheus/cgshare.rules.test.yml" \
	promtool test rules "$D/prometheus/cgshare.rules.test.yml"

# -- Kubernetes manifests --
WALK=("$PY" "$CGSHARE_ROOT/tools/deploy/k8s_walk.py")
for f in "$D"/kubernetes/*.yaml; do
	[[ $f == */servicemonitor.yaml ]] && continue
	check "strict walk: deploy/kubernetes/${f##*/} ($("$PY" -c 'import sys, yaml; print(" ".join(d["kind"] for d in yaml.safe_load_all(open(sys.argv[1])) if d))' "$f"))" \
		"${WALK[@]}" "$f"
done
C=spec.template.spec.containers.0
mutate "$D/kubernetes/daemonset.yaml" "$WORK/ds-key.yaml" "$C.securityContext.privilegd" set true
refuses "strict walk refuses an unknown key" "privilegd: unknown field of V1SecurityContext" "${WALK[@]}" "$WORK/ds-key.yaml"
mutate "$D/kubernetes/daemonset.yaml" "$WORK/ds-type.yaml" spec.template.spec.hostNetwork set '"true"'
refuses "strict walk refuses a wrong type" "hostNetwork: want bool, got a string" "${WALK[@]}" "$WORK/ds-type.yaml"
mutate "$D/kubernetes/daemonset.yaml" "$WORK/ds-req.yaml" "$C.name" del
refuses "strict walk refuses a missing required field" "name: required by V1Container, missing" "${WALK[@]}" "$WORK/ds-req.yaml"
mutate "$D/kubernetes/service.yaml" "$WORK/svc-port.yaml" spec.ports.0.port set '"9858"'
refuses "strict walk refuses a port given as a string" "port: want int, got a string" "${WALK[@]}" "$WORK/svc-port.yaml"

# the policy the ConfigMap ships must be one the controller accepts
"$PY" -c 'import sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d and d["kind"] == "ConfigMap":
        open(sys.argv[2], "w").write(d["data"]["cgshare.conf"])' \
	"$D/kubernetes/configmap.yaml" "$WORK/cgshare.conf"
check "deploy/kubernetes/configmap.yaml: its cgshare.conf loads in the controller's parser" \
	"$CGSHARE_ROOT/ctl/policy/tests/config_test" "$WORK/cgshare.conf"
printf 'kubelet memory-qos off\n' >"$WORK/broken.conf"
refuses "the parser check refuses a line the controller refuses" "broken.conf:1: kubelet" \
	"$CGSHARE_ROOT/ctl/policy/tests/config_test" "$WORK/broken.conf"

# -- ServiceMonitor --
sm_check() {	# sm_check FILE.json: the CRD's validator, then TypeScript
	local json=$1 ts
	(cd "$NPM_DIR" && node servicemonitor.mjs "$json") || return 1
	ts=$NPM_DIR/check-$(basename "$json" .json).ts
	{
		echo 'import type { IServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";'
		printf 'export const m: IServiceMonitor = %s;\n' "$(cat "$json")"
	} >"$ts"
	"$NPM_DIR/node_modules/.bin/tsc" --noEmit --strict --module nodenext \
		--moduleResolution nodenext --target es2022 "$ts"
}
npm_ready() {
	[[ -x $NPM_DIR/node_modules/.bin/tsc ]] &&
		[[ -f $NPM_DIR/node_modules/@kubernetes-models/prometheus-operator/package.json ]] &&
		grep -q '"version": "5.0.1"' "$NPM_DIR/node_modules/@kubernetes-models/prometheus-operator/package.json"
}
sm_skip=
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	sm_skip="node and npm are needed (apt-get install nodejs npm)"
elif ! npm_ready; then
	mkdir -p "$NPM_DIR"
	[[ -f $NPM_DIR/package.json ]] || echo '{"name": "cgshare-deploy-check", "private": true, "type": "module"}' >"$NPM_DIR/package.json"
	quiet npm install --prefix "$NPM_DIR" --no-audit --no-fund --no-save --no-package-lock "${NPM_PKGS[@]}" ||
		sm_skip="npm install ${NPM_PKGS[*]} failed (is the npm registry reachable?)"
fi
if [[ -n $sm_skip ]]; then
	skipped "ServiceMonitor against the operator's CRD schema" "$sm_skip"
else
	cp "$CGSHARE_ROOT/tools/deploy/servicemonitor.mjs" "$NPM_DIR/"
	"$PY" -c 'import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), open(sys.argv[2], "w"))' \
		"$D/kubernetes/servicemonitor.yaml" "$WORK/sm.json"
	check "deploy/kubernetes/servicemonitor.yaml: valid against the Prometheus operator's CRD schema (v0.90.1), no unknown key" \
		sm_check "$WORK/sm.json"
	E=spec.endpoints.0
	mutate "$WORK/sm.json" "$WORK/sm-key.json" "$E.intervl" set '"15s"'
	refuses "ServiceMonitor check refuses an unknown key" "intervl.* does not exist" sm_check "$WORK/sm-key.json"
	mutate "$WORK/sm.json" "$WORK/sm-type.json" "$E.port" set 9858
	refuses "ServiceMonitor check refuses a wrong type" "port must be string" sm_check "$WORK/sm-type.json"
	mutate "$WORK/sm.json" "$WORK/sm-req.json" spec.selector del
	refuses "ServiceMonitor check refuses a missing required field" "must have required property .?selector" sm_check "$WORK/sm-req.json"
	mutate "$WORK/sm.json" "$WORK/sm-pat.json" "$E.interval" set '"15 seconds"'
	refuses "ServiceMonitor check refuses a malformed duration" "interval must match pattern" sm_check "$WORK/sm-pat.json"
fi

# -- the Kubernetes scrape config, in a Prometheus that knows Kubernetes --
APT_OPTS=(
	-o "Dir::Etc::SourceList=$TRIXIE/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null
	-o "Dir::State::Lists=$TRIXIE/apt/lists" -o "Dir::Cache=$TRIXIE/apt/cache"
	-o APT::Sandbox::User=root -o Acquire::Languages=none -q
)
# trixie's prometheus binary (its package has no promtool)
trixie_prometheus() {
	local deb
	[[ -x $TRIXIE/root/usr/bin/prometheus ]] && return 0
	mkdir -p "$TRIXIE/apt/lists/partial" "$TRIXIE/apt/cache/archives/partial"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" \
		>"$TRIXIE/apt/sources.list"
	quiet apt-get "${APT_OPTS[@]}" update || return 1
	(cd "$TRIXIE" && quiet apt-get "${APT_OPTS[@]}" download prometheus) || return 1
	deb=$(ls "$TRIXIE"/prometheus_*.deb) && dpkg-deb -x "$deb" "$TRIXIE/root" && rm -f "$deb"
}
# load_config FILE: the server loads FILE and the shipped rules. The
# Kubernetes discovery is pointed at 127.0.0.1:9 (refused) instead of the
# in-cluster API, the rules path at deploy/prometheus/; nothing else moves.
load_config() {
	local cfg=$WORK/load.yml log=$WORK/load.log port pid i
	"$PY" - "$1" "$cfg" "$D/prometheus/cgshare.rules.yml" <<-'EOF' || return 1
		import sys, yaml
		d = yaml.safe_load(open(sys.argv[1]))
		for sc in d.get("scrape_configs", []):
		    for k in sc.get("kubernetes_sd_configs", []):
		        k["api_server"] = "https://127.0.0.1:9"
		d["rule_files"] = [sys.argv[3]]
		yaml.safe_dump(d, open(sys.argv[2], "w"))
	EOF
	port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	rm -rf "$WORK/tsdb"
	"$TRIXIE/root/usr/bin/prometheus" --config.file="$cfg" --storage.tsdb.path="$WORK/tsdb" \
		--web.listen-address="127.0.0.1:$port" >"$log" 2>&1 &
	pid=$!
	for ((i = 0; i < 150; i++)); do
		grep -q -e 'Completed loading of configuration file' -e 'Error loading config' "$log" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	grep -E 'level=(error|warn)|err=' "$log" | grep -v '127.0.0.1:9' | head -n 5
	grep -q 'Completed loading of configuration file' "$log" && ! grep -q 'Error loading' "$log"
}
if trixie_prometheus; then
	ver=$("$TRIXIE/root/usr/bin/prometheus" --version 2>&1 | sed -n '1s/^prometheus, version \([^ ]*\).*/\1/p')
	check "deploy/kubernetes/prometheus.yml and the rules load in Debian trixie's Prometheus $ver" \
		load_config "$D/kubernetes/prometheus.yml"
	mutate "$D/kubernetes/prometheus.yml" "$WORK/prom-key.yml" scrape_configs.0.kubernetes_sd_configs.0.rol set '"endpoints"'
	refuses "and it refuses an unknown key" "field rol not found" load_config "$WORK/prom-key.yml"
else
	skipped "deploy/kubernetes/prometheus.yml loads in a Prometheus with Kubernetes discovery" \
		"trixie's prometheus package could not be fetched, and Debian 12's is built without Kubernetes service discovery"
fi

# -- the Grafana dashboard --
dash_series() {
	"$PY" - "$D/grafana/cgshare.json" "$D/prometheus/cgshare.rules.yml" <<-'EOF'
		import json, re, sys, yaml
		dash = json.load(open(sys.argv[1]))
		rules = yaml.safe_load(open(sys.argv[2]))
		allowed = {r["record"] for g in rules["groups"] for r in g["rules"] if "record" in r}
		allowed |= {"up", "cgshare_share"}
		words = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless",
		         "topk", "bottomk", "sum", "count", "avg", "max", "min", "label_replace", "offset", "bool"}
		exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
		bad = set()
		for e in exprs:
		    e = re.sub(r'"(\\.|[^"\\])*"', '""', e)       # strings
		    e = re.sub(r"\{[^}]*\}", "", e)               # matchers
		    for name in re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", e):
		        if name not in words and name not in allowed and not re.fullmatch(r"(job|instance|node|cgroup|dev|parent|resource)", name):
		            bad.add(name)
		print(f"{len(exprs)} queries")
		if bad:
		    print("series not recorded by the rules:", " ".join(sorted(bad)))
		    sys.exit(1)
	EOF
}
check "deploy/grafana/cgshare.json: its queries use the rules' series, up and cgshare_share only" dash_series

echo "1..$n"
echo "$pass passed, $fail failed, $skip skipped"
((fail == 0))
