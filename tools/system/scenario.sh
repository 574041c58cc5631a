#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/system/scenario.sh full|short   (inside the system-image guest)
#
# An operator's first day with cgshare on a Debian 12 host, as TAP. Runs
# as root in the directory that holds the two .debs and prometheus.yml
# (tools/check-system.sh puts them there); no network.
#
#   both   apt install ./cgshare-dkms_*.deb ./cgsharectl_*.deb (DKMS builds
#          the module for the running kernel); the netlink autoload and
#          modprobe; systemctl enable --now cgshare cgshare-export reach
#          active (Type=notify: READY=1); one scrape of the exporter;
#          apt purge stops the units and unloads the module
#   full   also: the watchdog is fed; three rootful podman containers
#          (--rootfs, --network none) with CPU hogs land in
#          machine.slice and are picked up by a "parent /machine.slice"
#          rule (journalctl shows the decisions); one gets weight 2 by a
#          reload; Debian's Prometheus scrapes the exporter and a PromQL
#          query returns each container's CPU rate, which follows the
#          weights; on purge the limits found are put back

# ok and notok always succeed, so A && ok || notok is an if-then-else.
# shellcheck disable=SC2015
set -uo pipefail
export LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive
MODE=${1:-full}
CG=/sys/fs/cgroup
ROOTFS=/var/lib/cgshare-test/rootfs
PROM=http://127.0.0.1:9090
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
diag() { sed 's/^/# /'; }
t() {
	local name=$1
	shift
	if "$@" >/tmp/t.out 2>&1; then ok "$name"; else notok "$name"; tail -n 20 /tmp/t.out | diag; fi
}
# wait_for SECONDS CMD...: until CMD succeeds
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		((SECONDS < end)) || return 1
		sleep 1
	done
}
active() { [[ $(systemctl is-active "$1") == active ]]; }

echo "TAP version 13"
echo "# $(uname -r), $(systemctl --version | head -n 1), $(nproc) CPUs"

# --- boot ------------------------------------------------------------
# This runs from a unit ordered after multi-user.target, so the boot is
# not finished ("starting") until it ends: ask for the target instead.
failed_units=$(systemctl --failed --no-legend --plain | awk '{ print $1 }' | tr '\n' ' ')
if [[ $(systemctl is-active multi-user.target) == active && -z $failed_units ]]; then
	ok "systemd is PID 1, multi-user.target is active, no unit failed"
else
	notok "multi-user.target: $(systemctl is-active multi-user.target), failed units: $failed_units"
fi
[[ $(readlink /proc/1/exe) == */systemd ]] || notok "PID 1 is $(readlink /proc/1/exe), not systemd"

# --- one kernel's headers ---------------------------------------------
# One image serves both suite kernels, so it holds both kernels' headers,
# and DKMS builds for the running kernel and the newest installed one:
# on 6.1, two builds under TCG where a stock host needs one. A host keeps
# the headers of the kernel it runs, so the others are purged first (the
# kernels themselves stay; DKMS skips a kernel without headers).
mapfile -t other_headers < <(dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' 'linux-headers-*-amd64' |
	awk -v k="linux-headers-$(uname -r)" '$1 == "ii" && $2 != k { print $2 }')
if ((${#other_headers[@]})); then
	t "dpkg --purge ${other_headers[*]} (a host with its own kernel's headers)" \
		dpkg --purge "${other_headers[@]}"
fi

# --- install ---------------------------------------------------------
debs=(./cgshare-dkms_*.deb ./cgsharectl_*.deb)
version=$(dpkg-deb -f "${debs[0]}" Version)
t "apt install ./cgshare-dkms_$version ./cgsharectl_$version (offline, DKMS build)" \
	apt-get install -y --no-install-recommends "${debs[@]}"
grep -E 'Building|DKMS|Error' /tmp/t.out | diag
if dkms status -m cgshare | grep -q "^cgshare/$version, $(uname -r), .*: installed"; then
	ok "dkms built and installed cgshare/$version for $(uname -r)"
else
	notok "dkms status: $(dkms status -m cgshare | tr '\n' ';')"
fi

# --- the module ------------------------------------------------------
[[ -d /sys/module/cgshare ]] && modprobe -r cgshare
if cgsharectl status >/tmp/t.out 2>&1 && [[ -d /sys/module/cgshare ]]; then
	ok "netlink autoload: cgsharectl status loaded the module"
else
	notok "cgsharectl status did not autoload the module"
	diag </tmp/t.out
fi
diag </tmp/t.out
# Debian's 6.1 headers ship no vmlinux (so no module BTF); 6.12's do.
if [[ ${CGSHARE_TAG:-} == 6.1 ]]; then
	grep -q "gpu-bpf: *off (cgshare.ko was built without BTF" /tmp/t.out &&
		ok "on stock 6.1 status says plainly that gpu-bpf is off, and why" ||
		notok "status on 6.1 does not say gpu-bpf is off for want of BTF"
else
	grep -q "^features:.* gpu-bpf" /tmp/t.out &&
		ok "the DKMS-built module has BTF on $(uname -r): gpu-bpf on" ||
		notok "gpu-bpf is off on $(uname -r)"
fi
modprobe -r cgshare
t "modprobe cgshare" modprobe cgshare
[[ $(cat /sys/module/cgshare/version 2>/dev/null) == "$version" ]] &&
	ok "the loaded module is version $version" ||
	notok "the loaded module's version is '$(cat /sys/module/cgshare/version 2>/dev/null)'"

# --- configuration and units -------------------------------------------
cat >/etc/cgshare/cgshare.conf <<-EOF
	# the install scenario (tools/system/scenario.sh)
	interval 1s
	act-every 2
	window 4
	hysteresis 5%
	policy cpu maxmin
	# leave half a CPU to the system: dpkg, DKMS and depmod under TCG
	capacity cpu 1.5
	enforce cpu both
	enforce memory none
	cpu-period 100ms
	parent /machine.slice weight 1
EOF
mkdir -p $CG/machine.slice 2>/dev/null
t "cgsharectl plan -c /etc/cgshare/cgshare.conf" cgsharectl plan -c /etc/cgshare/cgshare.conf
t "systemctl enable --now cgshare cgshare-export" systemctl enable --now cgshare cgshare-export
for u in cgshare cgshare-export; do
	if active $u && [[ $(systemctl show -p Type --value $u) == notify ]]; then
		ok "$u.service is active (Type=notify: it sent READY=1): $(systemctl show -p StatusText --value $u)"
	else
		notok "$u.service: $(systemctl is-active $u)"
		journalctl -u $u --no-pager | tail -n 20 | diag
	fi
done
if curl -sf http://127.0.0.1:9858/metrics >/tmp/metrics && grep -q '^cgshare_cpu_usage_seconds_total{cgroup="/"' /tmp/metrics; then
	ok "a scrape of the exporter: $(grep -c '^cgshare_' /tmp/metrics) samples"
else
	notok "no cgshare_cpu_usage_seconds_total for / at http://127.0.0.1:9858/metrics"
fi

if [[ $MODE == full ]]; then
	# --- the watchdog -----------------------------------------------
	# The daemon pings every half WatchdogSec (15 s): wait for the next
	# ping, up to a whole WatchdogSec and a little.
	w0=$(systemctl show -p WatchdogTimestampMonotonic --value cgshare)
	w1=$w0
	for _ in $(seq 40); do
		sleep 1
		w1=$(systemctl show -p WatchdogTimestampMonotonic --value cgshare)
		((w1 > w0)) && break
	done
	if [[ $(systemctl show -p WatchdogUSec --value cgshare) != 0 && $w1 -gt $w0 ]]; then
		ok "cgshare.service feeds its watchdog (WATCHDOG=1 seen ${w0}us and ${w1}us)"
	else
		notok "no WATCHDOG=1 from cgshare.service ($w0 -> $w1)"
	fi

	# --- three containers under machine.slice -----------------------
	ids=()
	for c in a b c; do
		if id=$(podman run -d --name "hog-$c" --network none --rootfs "$ROOTFS" \
			/bin/sh -c 'while :; do :; done' 2>/tmp/t.out); then
			ids+=("$id")
		else
			diag </tmp/t.out
		fi
	done
	if ((${#ids[@]} == 3)); then
		ok "podman $(podman --version | cut -d' ' -f3): three rootful containers, --rootfs, --network none"
	else
		notok "podman started ${#ids[@]} of 3 containers"
	fi
	scopes=()
	for id in "${ids[@]}"; do
		scopes+=("/machine.slice/libpod-$id.scope")
	done
	inslice=0
	for s in "${scopes[@]}"; do [[ -d $CG$s ]] && inslice=$((inslice + 1)); done
	((inslice == 3)) && ok "each container's cgroup is machine.slice/libpod-<id>.scope" ||
		notok "$inslice of 3 container cgroups under machine.slice"
	# What the purge must put back: podman ran them without --cpus, so
	# each scope has a new cgroup's cpu.max, no quota. (Read from the
	# files here, it would race the controller, which writes each one as
	# soon as it appears.)
	declare -A before=()
	for s in "${scopes[@]}"; do before[$s]="max 100000"; done
	picked() {
		local s
		for s in "${scopes[@]}"; do
			journalctl -u cgshare --no-pager | grep -q "${s}.*cpu.max" || return 1
		done
	}
	if wait_for 60 picked; then
		ok "the parent /machine.slice rule picked up all three (journalctl -u cgshare)"
	else
		notok "journalctl -u cgshare shows no cpu.max decision for every container"
	fi
	journalctl -u cgshare --no-pager -o cat | grep -E 'libpod' | tail -n 6 | diag

	# b gets weight 2, by a reload, as an operator would
	echo "cgroup ${scopes[1]} weight 2" >>/etc/cgshare/cgshare.conf
	t "systemctl reload cgshare (b to weight 2)" systemctl reload cgshare
	wait_for 30 sh -c "journalctl -u cgshare --no-pager | grep -q reloaded"

	# --- Prometheus ---------------------------------------------------
	install -m 0644 prometheus.yml /etc/prometheus/prometheus.yml
	t "Debian's prometheus starts ($(dpkg-query -W -f '${Version}' prometheus))" systemctl start prometheus
	wait_for 120 curl -sf $PROM/-/ready || notok "prometheus did not become ready"
	# let the controller act on the new weights, then measure 30 s
	sleep 45
	q='rate(cgshare_cpu_usage_seconds_total{cgroup=~"/machine.slice/libpod-.*"}[30s])'
	curl -sf -G $PROM/api/v1/query --data-urlencode "query=$q" >/tmp/prom.json
	mapfile -t rates < <(for s in "${scopes[@]}"; do
		jq -r --arg c "$s" '.data.result[] | select(.metric.cgroup == $c) | .value[1]' /tmp/prom.json
	done)
	if ((${#rates[@]} == 3)) && jq -e '.status == "success"' /tmp/prom.json >/dev/null; then
		ok "PromQL $q: a: ${rates[0]}, b: ${rates[1]}, c: ${rates[2]} CPUs"
	else
		notok "PromQL returned ${#rates[@]} of 3 rates: $(head -c 300 /tmp/prom.json)"
	fi
	for s in "${scopes[@]}"; do
		echo "# ${s}: cpu.max $(cat "$CG$s/cpu.max") cpu.weight $(cat "$CG$s/cpu.weight")"
	done
	if ((${#rates[@]} == 3)) && awk -v a="${rates[0]}" -v b="${rates[1]}" -v c="${rates[2]}" \
		'BEGIN { exit !(b > 1.3 * a && b > 1.3 * c && a > 0.2 && c > 0.2) }'; then
		ok "the CPU follows the weights 1:2:1 (b above 1.3 times a and c)"
	else
		notok "the CPU rates do not follow the weights 1:2:1"
	fi
	t "cgshare-gpu.service starts with no GPU (sources off, said why)" systemctl start cgshare-gpu
	wait_for 30 active cgshare-gpu && ok "cgshare-gpu.service is active" ||
		{ notok "cgshare-gpu.service: $(systemctl is-active cgshare-gpu)"; journalctl -u cgshare-gpu --no-pager | tail | diag; }
	restarts=$(systemctl show -p NRestarts --value cgshare)
	((restarts == 0)) && ok "cgshare.service never restarted (NRestarts=0)" ||
		notok "cgshare.service restarted $restarts times"

	# --- killed mid-run: systemd restarts it, and its state survives --
	# (RuntimeDirectoryPreserve=yes: the purge below must still put back
	# the cpu.max the first run found, though a second run wrote on)
	st=/run/cgshare/controller.state
	if [[ $(grep -cP 'libpod-.*\tcpu.max\t' $st 2>/dev/null) -ge 3 ]]; then
		ok "$st holds what it wrote to the containers' cpu.max, and what was there"
	else
		notok "$st has no cpu.max lines for the three containers"
		head -n 20 $st 2>&1 | diag
	fi
	systemctl kill -s KILL cgshare
	if wait_for 60 sh -c '[ "$(systemctl show -p NRestarts --value cgshare)" = 1 ] && systemctl is-active -q cgshare'; then
		ok "killed with SIGKILL, cgshare.service was restarted (Restart=on-failure) and is active"
	else
		notok "after SIGKILL: $(systemctl is-active cgshare), NRestarts=$(systemctl show -p NRestarts --value cgshare)"
	fi
	[[ -s $st ]] && ok "its state file outlived the restart" || notok "$st is gone after the restart"
fi

# --- purge -------------------------------------------------------------
# Frozen, the hogs keep their cgroups (and limits) but no longer starve
# the removal (the first run spent 10 minutes in dkms remove and depmod).
if [[ $MODE == full ]]; then
	podman pause "${ids[@]}" >/dev/null 2>&1 || echo "# podman pause failed"
fi
if timeout 300 apt-get purge -y cgsharectl cgshare-dkms >/tmp/t.out 2>&1; then
	ok "apt purge cgsharectl cgshare-dkms"
else
	notok "apt purge cgsharectl cgshare-dkms (exit $?)"
	tail -n 20 /tmp/t.out | diag
	systemctl list-jobs --no-pager | diag
	ps -eo pid,stat,wchan:24,args | awk '/dpkg|systemctl|cgsharectl|modprobe|rmmod|dkms/' | diag
fi
for u in cgshare cgshare-export cgshare-gpu; do
	st=$(systemctl is-active $u)
	[[ $st == inactive || $st == unknown ]] && ok "$u.service stopped by the purge ($st)" ||
		notok "$u.service is $st after the purge"
done
if [[ ! -d /sys/module/cgshare ]] && [[ -z $(dkms status -m cgshare) ]] &&
	! modinfo cgshare >/dev/null 2>&1; then
	ok "the purge unloaded the module and removed it from DKMS and /lib/modules"
else
	notok "after the purge: loaded=$([[ -d /sys/module/cgshare ]] && echo yes || echo no), dkms: $(dkms status -m cgshare)"
fi
if [[ $MODE == full ]]; then
	restored=0
	for s in "${scopes[@]}"; do
		[[ $(cat "$CG$s/cpu.max") == "${before[$s]}" ]] && restored=$((restored + 1))
	done
	((restored == 3)) && ok "the controller put back the cpu.max it found (${before[${scopes[0]}]})" ||
		notok "$restored of 3 containers got their cpu.max back: $(for s in "${scopes[@]}"; do printf '%s; ' "$(cat "$CG$s/cpu.max")"; done)"
	podman rm -f -t 0 "${ids[@]}" >/dev/null 2>&1
fi
[[ ! -e /etc/cgshare/cgshare.conf.example && ! -e /usr/sbin/cgsharectl ]] &&
	ok "the purge removed cgsharectl and its files" || notok "files of cgsharectl are left"

echo "1..$n"
((failed == 0))
