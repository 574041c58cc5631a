#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The command line without a module: exit codes, usage and error messages.
# Where the cgshare family exists on this host, the "not loaded" cases SKIP.

# CGSHARECTL may carry a wrapper (valgrind ...): it is split on blanks.
CTL=${CGSHARECTL:-./cgsharectl}
n=0
failed=0
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

echo "TAP version 13"

result() {	# result PASS NAME
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
		sed 's/^/#   stdout: /' "$out"
		sed 's/^/#   stderr: /' "$err"
	fi
}

skip() {
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}

# expect CODE NAME -- ARGS...: exit status is CODE
expect() {
	code=$1 name=$2
	shift 3
	$CTL "$@" >"$out" 2>"$err"
	rc=$?
	[ "$rc" = "$code" ]
	result $? "$name (exit $rc, want $code)"
}

# grep_in FILE PATTERN NAME
grep_in() {
	grep -q -- "$2" "$1"
	result $? "$3"
}

expect 2 "no command" --
expect 2 "unknown command" -- frobnicate
grep_in "$err" "unknown command: frobnicate" "unknown command is named"
grep_in "$err" "^Usage: cgsharectl" "unknown command prints usage"
expect 2 "unknown global option" -- --bogus status
expect 2 "unknown command option" -- stats --bogus
grep_in "$err" "Usage: cgsharectl stats" "command usage on a bad option"
expect 2 "missing option argument" -- stats -i
grep_in "$err" "needs an argument" "missing argument is said"
expect 2 "zero interval" -- stats -i 0
expect 2 "malformed interval" -- stats -i 1x
grep_in "$err" "bad interval: 1x" "bad interval is named"
expect 2 "interval over a day" -- stats -i 25h
expect 2 "dot-dot path" -- stats /a/../b
grep_in "$err" "bad cgroup: /a/../b" "bad path is named"
expect 2 "two targets" -- stats / /a
expect 2 "status takes no argument" -- status extra
expect 2 "watch takes no argument" -- watch extra
expect 0 "--version" -- --version
grep_in "$out" "^cgsharectl " "version printed"

# libbpf is opened by the BPF commands only (cmd/bpf_dl.h): a libbpf.so.1
# without the functions they call is said, naming one, and is no crash.
fake=$(mktemp -d)
if printf 'int cgs_not_libbpf;\n' |
	${CC:-cc} -shared -fPIC -x c -o "$fake/libbpf.so.1" - 2>"$err"; then
	LD_LIBRARY_PATH=$fake
	export LD_LIBRARY_PATH
	expect 1 "bpf status with a libbpf that lacks its functions" -- bpf status
	unset LD_LIBRARY_PATH
	grep_in "$err" "libbpf.so.1 has no bpf_" "says which function is missing"
else
	skip "bpf status with a libbpf that lacks its functions" "no C compiler"
fi
rm -rf "$fake"
expect 0 "-h" -- -h
grep_in "$out" "stats" "help lists the commands"
expect 0 "help stats" -- help stats
grep_in "$out" "Usage: cgsharectl stats" "help on a command"
expect 0 "stats -h" -- stats -h
expect 2 "help on an unknown command" -- help nope
expect 2 "gpu without a subcommand" -- gpu
expect 2 "gpu with an unknown subcommand" -- gpu frob
grep_in "$err" "unknown gpu subcommand: frob" "unknown gpu subcommand is named"
expect 0 "help gpu" -- help gpu
grep_in "$out" "enable.*BPF" "help gpu lists the BPF subcommands"
expect 0 "gpu collect -h" -- gpu collect -h
grep_in "$out" "\-\-source" "gpu collect -h shows the options"
expect 2 "gpu collect: unknown source" -- gpu collect --source fdinfo,cuda
grep_in "$err" "bad source: 'cuda'" "the unknown source is named"
expect 2 "gpu collect: empty source list" -- gpu collect -s ''
expect 2 "gpu collect: interval below 100ms" -- gpu collect -i 10ms
expect 2 "gpu collect: interval above 5m" -- gpu collect -i 6m
grep_in "$err" "bad interval: 6m" "the bad interval is named"
expect 2 "gpu collect: count 0" -- gpu collect -n 0
expect 2 "gpu collect: count not a number" -- gpu collect --count 2x
expect 2 "gpu collect: --count and --once" -- gpu collect --count 2 --once
expect 2 "gpu collect: empty --proc" -- gpu collect --proc ''
expect 2 "gpu collect: an extra argument" -- gpu collect now

if $CTL status >/dev/null 2>&1; then
	why="the cgshare family exists on this host"
	skip "status without the module" "$why"
	skip "stats without the module" "$why"
	skip "watch without the module" "$why"
	skip "status -j without the module" "$why"
	skip "gpu collect without the module" "$why"
else
	expect 1 "status without the module" -- status
	grep_in "$err" "cgshare kernel module is not loaded; load it with \`modprobe cgshare\`" \
		"status says the module is not loaded and how to load it"
	expect 1 "stats without the module" -- stats -r
	grep_in "$err" "not loaded" "stats says the module is not loaded"
	expect 1 "watch without the module" -- watch
	grep_in "$err" "not loaded" "watch says the module is not loaded"
	expect 1 "status -j without the module" -- -j status
	grep_in "$out" '^{"loaded":false}$' "status -j still answers"
	expect 1 "gpu collect without the module" -- gpu collect --once
	grep_in "$err" "not loaded" "gpu collect says the module is not loaded"
fi

echo "1..$n"
[ "$failed" = 0 ]
