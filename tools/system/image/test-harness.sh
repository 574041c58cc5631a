#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Inside the system-image guest (cgshare-test.service): mounts the run's
# directory, shared by tools/system-run.sh over virtio-9p, at /run/cgshare-test,
# runs its in/cmd (stdout, stderr and the exit status to the same
# directory), saves the kernel log and the journal, and powers off.
# The guest's deadline (in/deadline, seconds) ends a command that hangs.

set -uo pipefail
D=/run/cgshare-test
mkdir -p "$D"
modprobe -qa 9pnet_virtio 9p
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 cgshare_out "$D" || {
	echo "cgshare-test-harness: cannot mount the 9p share" >/dev/console
	systemctl poweroff --no-block
	exit 1
}
awk '{ print $1 }' /proc/uptime >"$D/.vm/started"
deadline=$(cat "$D/in/deadline" 2>/dev/null || echo 600)
rc=0
(cd "$D/in" && exec timeout -k 10 "$deadline" bash "$D/in/cmd") >"$D/stdout" 2>"$D/stderr" || rc=$?
if ((rc == 124 || rc == 137)); then
	echo "the command was still running after ${deadline}s" >"$D/.vm/timeout"
	ps -eo pid,stat,wchan:20,args >"$D/tasks-at-timeout" 2>&1
fi
echo "$rc" >"$D/rc"
dmesg >"$D/dmesg" 2>&1
journalctl -b --no-pager -o short-monotonic >"$D/journal" 2>&1
sync
systemctl poweroff --no-block
