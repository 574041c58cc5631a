// SPDX-License-Identifier: GPL-2.0
/*
 * Counters against the kernel's own: cpu.stat, /proc/PID/schedstat,
 * memory.current/peak/swap.current/events, and roll-up to parents.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "cgtest.h"
#include "cgroupfs/sched.h"

#define CPU_PCT		2.0		/* issue: within 2 % of cpu.stat */
#define MEM_SLACK	(256 * 1024)	/* pages charged between two reads */

static int get(struct nl *nl, const char *rel, struct cg_rec *r)
{
	struct ack ack;
	int ret = cgs_get_path(nl, rel, r, &ack);

	if (ret)
		ack_print(rel, &ack);
	return ret;
}

static int usage_ns(const char *rel, u64 *ns)
{
	u64 us;
	int ret = cg_read_key(rel, "cpu.stat", "usage_usec", &us);

	*ns = us * 1000;
	return ret;
}

/*
 * cpu.stat usage before and after a cgshare read: the cgshare value must
 * lie within CPU_PCT of that bracket.
 */
static bool cpu_vs_stat(struct nl *nl, const char *rel, struct cg_rec *r)
{
	u64 before, after, lo, hi;
	char what[256];

	if (usage_ns(rel, &before) || get(nl, rel, r) || usage_ns(rel, &after))
		return false;
	snprintf(what, sizeof(what), "%s cpu-usage-ns vs cpu.stat usage_usec*1000",
		 rel);
	if (!expect_true(REC_HAS(r, CPU_USAGE_NS), "cpu-usage-ns present"))
		return false;
	lo = before - (u64)(before * CPU_PCT / 100);
	hi = after + (u64)(after * CPU_PCT / 100) + MSEC;
	if (!expect_range(what, REC(r, CPU_USAGE_NS), lo, hi))
		return false;
	return expect_near(what, REC(r, CPU_USAGE_NS), after, CPU_PCT, MSEC);
}

/*
 *   top
 *   └── cpu    one task burns 3 s of CPU, then exits
 *
 * cpu-usage-ns == cpu.stat usage_usec * 1000 within 2 %.
 */
static int test_cpu_usage(void)
{
	const char *cg = cgt_path("cpu");
	struct hog h = { .cpu_s = 3.0, .cpu = -1 };
	struct cg_rec *r = malloc(sizeof(*r));
	struct nl nl;
	u64 usage;
	int ret = KSFT_FAIL;

	NL_OPEN(&nl);
	CHECK(!cg_mkdir(cg));
	CHECK(expect_eq("hog exit", cg_wait(cg_run(cg, hog_fn, &h)), 0));
	CHECK(!usage_ns(cg, &usage));
	CHECK(expect_ge("cpu.stat usage of a 3 s hog", usage, 2900 * MSEC));
	CHECK(cpu_vs_stat(&nl, cg, r));
	CHECK(expect_true(REC(r, CPU_SWITCHES) >= 1, "cpu-switches >= 1"));
	ret = KSFT_PASS;
cleanup:
	free(r);
	nl_close(&nl);
	return ret;
}

static u64 task_cpu_ns(pid_t pid)
{
	struct timespec ts;
	clockid_t clk;

	/* Unlike cpu.stat, a task's CPU clock includes its running slice. */
	if (clock_getcpuclockid(pid, &clk) || clock_gettime(clk, &ts))
		return 0;
	return (u64)ts.tv_sec * SEC + ts.tv_nsec;
}

/*
 *   top
 *   └── run    one task spinning while we read
 *
 * While the task runs, cpu-usage-ns (which includes the running slice)
 * lies between the task's CPU clock read just before and just after,
 * within 2 %, never goes back, and stays at or above cpu.stat read just
 * before it (within 2 %).
 */
static int test_cpu_running(void)
{
	const char *cg = cgt_path("run");
	struct hog h = { .wall_s = 30.0, .cpu = -1 };
	struct cg_rec *r = malloc(sizeof(*r));
	u64 last = 0, before, after, stat;
	pid_t pid = -1;
	struct nl nl;
	int ret = KSFT_FAIL;

	NL_OPEN(&nl);
	CHECK(!cg_mkdir(cg));
	pid = cg_run(cg, hog_fn, &h);
	CHECK(pid > 0);
	usleep(500000);
	for (int i = 0; i < 10; i++) {
		usleep(200000);
		/*
		 * cpu.stat first: the record read after it must not be
		 * behind it. Read the other way round, the hog's time between
		 * the two reads counts against us, and with QEMU running all
		 * vCPUs on one thread that was 25 ms.
		 */
		CHECK(!usage_ns(cg, &stat));
		before = task_cpu_ns(pid);
		CHECK(!get(&nl, cg, r));
		after = task_cpu_ns(pid);
		CHECK(expect_true(before && after, "read the hog's CPU clock"));
		ksft_print_msg("hog CPU clock %llu..%llu, cpu-usage-ns %llu, cpu.stat %llu\n",
			       (unsigned long long)before, (unsigned long long)after,
			       (unsigned long long)REC(r, CPU_USAGE_NS),
			       (unsigned long long)stat);
		CHECK(expect_range("cpu-usage-ns vs the running hog's CPU clock",
				   REC(r, CPU_USAGE_NS),
				   before - (u64)(before * CPU_PCT / 100),
				   after + (u64)(after * CPU_PCT / 100) + MSEC));
		CHECK(expect_ge("cpu-usage-ns is monotonic", REC(r, CPU_USAGE_NS),
				last));
		CHECK(expect_ge("cpu-usage-ns (+2 %) vs cpu.stat read before it",
				REC(r, CPU_USAGE_NS) + (u64)(stat * CPU_PCT / 100) + MSEC,
				stat));
		last = REC(r, CPU_USAGE_NS);
	}
	ret = KSFT_PASS;
cleanup:
	if (pid > 0) {
		kill(pid, SIGKILL);
		cg_wait(pid);
	}
	free(r);
	nl_close(&nl);
	return ret;
}

/* nr_migrations of @pid (/proc/PID/sched), or -1 where the file lacks it. */
static long long migrations(pid_t pid)
{
	char path[64], line[256];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/sched", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "se.nr_migrations : %lld", &v) == 1)
			break;
	fclose(f);
	return v;
}

/*
 * @nhogs hogs in cgroup @name, pinned to CPU @cpu with us on CPU 1, or
 * free to run anywhere (-1), for 3 s. With the hogs stopped, cpu-wait-ns ==
 * sum of their run_delay (field 2 of /proc/PID/schedstat) within @pct % or
 * 30 ms; the wait is at least @min_wait, so a module that reports zero or
 * usage fails.
 */
static int cpu_wait_case(const char *name, int nhogs, int cpu, u64 min_wait,
			 double pct)
{
	const char *cg = cgt_path(name);
	struct hog h = { .wall_s = 60.0, .cpu = cpu };
	struct cg_rec *r = malloc(sizeof(*r));
	pid_t pids[4] = { -1, -1, -1, -1 };
	u64 sum = 0, run, delay, pcount;
	struct nl nl;
	int ret = KSFT_FAIL, st;

	if (ncpus() < 2)
		SKIP("guest has %d CPU; boot it with -smp 2 or more", ncpus());
	NL_OPEN(&nl);
	/* The hogs inherit our CPUs: one for us, or all of them. */
	CHECK(expect_ok(cpu >= 0 ? "pin self to CPU 1" : "unpin self",
			pin_self(cpu >= 0 ? 1 : -1)));
	CHECK(!cg_mkdir(cg));
	for (int i = 0; i < nhogs; i++)
		CHECK((pids[i] = cg_run(cg, hog_fn, &h)) > 0);
	sleep(3);
	for (int i = 0; i < nhogs; i++)
		kill(pids[i], SIGSTOP);
	for (int i = 0; i < nhogs; i++) {
		CHECK(waitpid(pids[i], &st, WUNTRACED) == pids[i] &&
		      expect_true(WIFSTOPPED(st), "hog stopped"));
		CHECK(expect_ok("read schedstat",
				read_schedstat(pids[i], &run, &delay, &pcount)));
		ksft_print_msg("hog %d: run %llu ns, run_delay %llu ns, %llu runs, %lld moves\n",
			       i, (unsigned long long)run,
			       (unsigned long long)delay,
			       (unsigned long long)pcount, migrations(pids[i]));
		sum += delay;
	}
	CHECK(!get(&nl, cg, r));
	CHECK(expect_true(REC_HAS(r, CPU_WAIT_NS), "cpu-wait-ns present"));
	CHECK(expect_ge("summed run_delay of the hogs", sum, min_wait));
	CHECK(expect_near("cpu-wait-ns vs summed run_delay", REC(r, CPU_WAIT_NS),
			  sum, pct, 30 * MSEC));
	CHECK(cpu_vs_stat(&nl, cg, r));
	ret = KSFT_PASS;
cleanup:
	for (int i = 0; i < nhogs; i++) {
		if (pids[i] <= 0)
			continue;
		kill(pids[i], SIGKILL);
		cg_wait(pids[i]);
	}
	free(r);
	nl_close(&nl);
	return ret;
}

/*
 *   top
 *   └── wait   three hogs pinned to CPU 0 for 3 s (we run on CPU 1):
 *              each waits about twice its run time
 */
static int test_cpu_wait(void)
{
	return cpu_wait_case("wait", 3, 0, 3 * SEC, 5.0);
}

/*
 *   top
 *   └── moving   four hogs free to run on both CPUs for 3 s: each waits
 *                about as long as it runs, and a scheduler that moves
 *                queued tasks between CPUs (a sched_ext one with a
 *                shared queue, selftests/sched_ext.sh) cuts their waits
 *                into parts the module must add up (kmod/cpu.c,
 *                moved_wait()); 5 % or 30 ms under sched_ext, 10 % under
 *                the fair scheduler
 */
static int test_cpu_wait_moving(void)
{
	/*
	 * The module follows the moves of sched_ext tasks only: under the
	 * fair scheduler the wait before a load-balancing move is missed
	 * (README, known limits: 90-101 % measured, 96.6 % when the 6.12
	 * balancer moved four hogs 20 times in 3 s).
	 */
	struct cgfs_sched s;
	char name[80];

	cgfs_sched("/sys", &s);
	ksft_print_msg("scheduler: %s, tolerance %s\n",
		       cgfs_sched_name(&s, name, sizeof(name)),
		       s.ext ? "5 %" : "10 % (moves not followed)");
	return cpu_wait_case("moving", 4, -1, 3 * SEC, s.ext ? 5.0 : 10.0);
}

static int sleeper(void *arg)
{
	for (int i = 0; i < 200; i++)
		usleep(1000);
	raise(SIGSTOP);
	return 0;
}

/*
 *   top
 *   └── sw     one task sleeping 1 ms 200 times, then stopped
 *
 * cpu-switches == times the task was run (field 3 of schedstat), within
 * 5 % or 5 (measured 2 to 4 apart before the task was born in its cgroup).
 */
static int test_cpu_switches(void)
{
	const char *cg = cgt_path("sw");
	struct cg_rec *r = malloc(sizeof(*r));
	u64 run, delay, pcount;
	struct nl nl;
	pid_t pid = -1;
	int ret = KSFT_FAIL, st;

	NL_OPEN(&nl);
	CHECK(!cg_mkdir(cg));
	CHECK((pid = cg_run(cg, sleeper, NULL)) > 0);
	CHECK(waitpid(pid, &st, WUNTRACED) == pid &&
	      expect_true(WIFSTOPPED(st), "sleeper stopped"));
	CHECK(expect_ok("read schedstat", read_schedstat(pid, &run, &delay,
							 &pcount)));
	CHECK(!get(&nl, cg, r));
	ksft_print_msg("cpu-switches %llu, schedstat pcount %llu\n",
		       (unsigned long long)REC(r, CPU_SWITCHES),
		       (unsigned long long)pcount);
	CHECK(expect_near("cpu-switches vs schedstat pcount",
			  REC(r, CPU_SWITCHES), pcount, 5.0, 5));
	CHECK(expect_ge("cpu-switches after 200 sleeps (90 %)",
			REC(r, CPU_SWITCHES), 180));
	ret = KSFT_PASS;
cleanup:
	if (pid > 0) {
		kill(pid, SIGKILL);
		cg_wait(pid);
	}
	free(r);
	nl_close(&nl);
	return ret;
}

/* file (or key in file) read before and after cgshare's attr. */
static bool mem_vs_file(struct nl *nl, const char *rel, const char *file,
			const char *key, int attr, u64 slack,
			struct cg_rec *r)
{
	u64 before, after, lo, hi;
	char what[256];
	int e1, e2;

	e1 = key ? cg_read_key(rel, file, key, &before) :
		   cg_read_u64(rel, file, &before);
	if (e1 || get(nl, rel, r))
		return expect_ok(file, e1) && false;
	e2 = key ? cg_read_key(rel, file, key, &after) :
		   cg_read_u64(rel, file, &after);
	if (!expect_ok(file, e2))
		return false;
	snprintf(what, sizeof(what), "%s attr %d vs %s%s%s", rel, attr, file,
		 key ? " " : "", key ? key : "");
	if (!rec_has(r, attr)) {
		ksft_print_msg("FAIL %s: attribute missing\n", what);
		return false;
	}
	lo = before < after ? before : after;
	hi = before < after ? after : before;
	lo = lo > slack ? lo - slack : 0;
	ksft_print_msg("%s: %llu (file %llu..%llu)\n", what,
		       (unsigned long long)rec_attr(r, attr), (unsigned long long)before,
		       (unsigned long long)after);
	return expect_range(what, rec_attr(r, attr), lo, hi + slack);
}

static bool events_match(struct nl *nl, const char *rel, struct cg_rec *r)
{
	static const struct { const char *key; int attr; } ev[] = {
		{ "low", CGSHARE_A_CGROUP_MEM_EVENTS_LOW },
		{ "high", CGSHARE_A_CGROUP_MEM_EVENTS_HIGH },
		{ "max", CGSHARE_A_CGROUP_MEM_EVENTS_MAX },
		{ "oom", CGSHARE_A_CGROUP_MEM_EVENTS_OOM },
		{ "oom_kill", CGSHARE_A_CGROUP_MEM_EVENTS_OOM_KILL },
	};
	bool ok = true;

	for (size_t i = 0; i < ARRAY_SIZE(ev); i++)
		ok &= mem_vs_file(nl, rel, "memory.events", ev[i].key,
				  ev[i].attr, 0, r);
	return ok;
}

/*
 *   top
 *   └── mem    one task holding 64 MiB of touched anonymous memory
 *
 * mem-current, mem-peak, mem-swap == memory.current, memory.peak,
 * memory.swap.current (within 256 KiB of the values read around it), and
 * mem-current follows memory.current down when the memory is freed.
 */
static int test_mem_current(void)
{
	const char *cg = cgt_path("mem");
	struct alloc a = { .bytes = 64 * MIB };
	struct cg_rec *r = malloc(sizeof(*r));
	struct nl nl;
	pid_t pid = -1;
	u64 held;
	int ret = KSFT_FAIL;

	if (!cg_has_ctrl(cgt_top(), "memory"))
		SKIP("memory controller not available");
	NL_OPEN(&nl);
	CHECK(!cg_mkdir(cg));
	CHECK((pid = alloc_start(cg, &a)) > 0);
	CHECK(expect_ok("allocator ready", alloc_wait_ready(&a, 60000)));
	CHECK(mem_vs_file(&nl, cg, "memory.current", NULL,
			  CGSHARE_A_CGROUP_MEM_CURRENT, MEM_SLACK, r));
	held = REC(r, MEM_CURRENT);
	CHECK(expect_ge("mem-current while holding 64 MiB", held, 64 * MIB));
	if (cg_has_file(cg, "memory.peak"))
		CHECK(mem_vs_file(&nl, cg, "memory.peak", NULL,
				  CGSHARE_A_CGROUP_MEM_PEAK, MEM_SLACK, r));
	else
		CHECK(expect_ge("mem-peak (no memory.peak)", REC(r, MEM_PEAK),
				REC(r, MEM_CURRENT)));
	if (cg_has_file(cg, "memory.swap.current"))
		CHECK(mem_vs_file(&nl, cg, "memory.swap.current", NULL,
				  CGSHARE_A_CGROUP_MEM_SWAP, MEM_SLACK, r));
	CHECK(events_match(&nl, cg, r));

	CHECK(expect_eq("allocator exit", alloc_finish(pid, &a), 0));
	pid = -1;
	CHECK(mem_vs_file(&nl, cg, "memory.current", NULL,
			  CGSHARE_A_CGROUP_MEM_CURRENT, MEM_SLACK, r));
	CHECK(expect_true(REC(r, MEM_CURRENT) + 32 * MIB < held,
			  "mem-current dropped after the memory was freed"));
	CHECK(expect_ge("mem-peak keeps the peak", REC(r, MEM_PEAK), 64 * MIB));
	ret = KSFT_PASS;
cleanup:
	if (pid > 0)
		alloc_finish(pid, &a);
	free(r);
	nl_close(&nl);
	return ret;
}

/*
 *   top
 *   └── high   memory.high = 16 MiB, no swap; a task touches 17 MiB
 *
 * memory.events "high" > 0, and all five mem-events-* == memory.events.
 */
static int test_mem_high(void)
{
	const char *cg = cgt_path("high");
	struct alloc a = { .bytes = 17 * MIB };
	struct cg_rec *r = malloc(sizeof(*r));
	struct nl nl;
	pid_t pid = -1;
	u64 high = 0;
	int ret = KSFT_FAIL;

	if (!cg_has_ctrl(cgt_top(), "memory"))
		SKIP("memory controller not available");
	NL_OPEN(&nl);
	CHECK(!cg_mkdir(cg));
	CHECK(!cg_write(cg, "memory.high", "16M"));
	if (cg_has_file(cg, "memory.swap.max"))
		CHECK(!cg_write(cg, "memory.swap.max", "0"));
	CHECK((pid = alloc_start(cg, &a)) > 0);
	CHECK(expect_ok("allocator ready", alloc_wait_ready(&a, 60000)));
	CHECK(!cg_read_key(cg, "memory.events", "high", &high));
	if (!high) {
		ret = KSFT_SKIP;
		cgt_reason("17 MiB over a 16 MiB memory.high raised no high event");
		goto cleanup;
	}
	CHECK(events_match(&nl, cg, r));
	CHECK(expect_ge("mem-events-high", REC(r, MEM_EVENTS_HIGH), 1));
	ret = KSFT_PASS;
cleanup:
	if (pid > 0)
		alloc_finish(pid, &a);
	free(r);
	nl_close(&nl);
	return ret;
}

/*
 *   top
 *   └── oom    memory.max = 16 MiB, no swap; a task touches 64 MiB
 *
 * The task is OOM-killed; memory.events max, oom, oom_kill > 0, and all
 * five mem-events-* == memory.events.
 */
static int test_mem_oom(void)
{
	const char *cg = cgt_path("oom");
	struct alloc a = { .bytes = 64 * MIB };
	struct cg_rec *r = malloc(sizeof(*r));
	struct nl nl;
	pid_t pid = -1;
	u64 kills = 0;
	int ret = KSFT_FAIL, st;

	if (!cg_has_ctrl(cgt_top(), "memory"))
		SKIP("memory controller not available");
	NL_OPEN(&nl);
	CHECK(!cg_mkdir(cg));
	CHECK(!cg_write(cg, "memory.max", "16M"));
	if (cg_has_file(cg, "memory.swap.max"))
		CHECK(!cg_write(cg, "memory.swap.max", "0"));
	CHECK((pid = alloc_start(cg, &a)) > 0);
	alloc_wait_ready(&a, 60000);
	st = alloc_finish(pid, &a);
	pid = -1;
	CHECK(!cg_read_key(cg, "memory.events", "oom_kill", &kills));
	if (st != 128 + SIGKILL || !kills) {
		ret = KSFT_SKIP;
		cgt_reason("64 MiB under a 16 MiB memory.max was not OOM-killed (status %d, oom_kill %llu)",
			   st, (unsigned long long)kills);
		goto cleanup;
	}
	CHECK(events_match(&nl, cg, r));
	CHECK(expect_ge("mem-events-max", REC(r, MEM_EVENTS_MAX), 1));
	CHECK(expect_ge("mem-events-oom", REC(r, MEM_EVENTS_OOM), 1));
	CHECK(expect_ge("mem-events-oom-kill", REC(r, MEM_EVENTS_OOM_KILL), 1));
	ret = KSFT_PASS;
cleanup:
	if (pid > 0)
		alloc_finish(pid, &a);
	free(r);
	nl_close(&nl);
	return ret;
}

/*
 *   top
 *   └── roll             no tasks of its own
 *       ├── a            hog 1 s CPU, 8 MiB held
 *       └── b
 *           ├── c        hog 1 s CPU, 8 MiB held
 *           └── d        hog 0.5 s CPU
 *
 * Parents include their descendants: roll == a + b and b == c + d for
 * cpu-usage, cpu-wait and cpu-switches (within 1 % or 1 ms / 2 switches);
 * every level agrees with its own cpu.stat within 2 % and with its own
 * memory.current within 256 KiB; the root holds at least roll.
 */
static bool sum_of(const char *what, const struct cg_rec *p,
		   const struct cg_rec *x, const struct cg_rec *y)
{
	char w[128];
	bool ok;

	snprintf(w, sizeof(w), "%s cpu-usage-ns", what);
	ok = expect_near(w, REC(p, CPU_USAGE_NS),
			 REC(x, CPU_USAGE_NS) + REC(y, CPU_USAGE_NS), 1.0, MSEC);
	snprintf(w, sizeof(w), "%s cpu-wait-ns", what);
	ok &= expect_near(w, REC(p, CPU_WAIT_NS),
			  REC(x, CPU_WAIT_NS) + REC(y, CPU_WAIT_NS), 1.0, MSEC);
	snprintf(w, sizeof(w), "%s cpu-switches", what);
	ok &= expect_near(w, REC(p, CPU_SWITCHES),
			  REC(x, CPU_SWITCHES) + REC(y, CPU_SWITCHES), 1.0, 2);
	return ok;
}

static int test_rollup(void)
{
	const char *roll = cgt_path("roll"), *a = cgt_path("roll/a"),
		   *b = cgt_path("roll/b"), *c = cgt_path("roll/b/c"),
		   *d = cgt_path("roll/b/d");
	struct hog h1 = { .cpu_s = 1.0, .cpu = -1 }, h05 = { .cpu_s = 0.5, .cpu = -1 };
	struct alloc ma = { .bytes = 8 * MIB }, mc = { .bytes = 8 * MIB };
	struct cg_rec *rr = malloc(sizeof(*rr)), *ra = malloc(sizeof(*ra)),
		      *rb = malloc(sizeof(*rb)), *rc = malloc(sizeof(*rc)),
		      *rd = malloc(sizeof(*rd)), *root = malloc(sizeof(*root));
	pid_t pa = -1, pc = -1, hogs[3];
	bool mem = cg_has_ctrl(cgt_top(), "memory");
	struct nl nl;
	int ret = KSFT_FAIL;

	NL_OPEN(&nl);
	CHECK(!cg_mkdir(roll) && !cg_enable_all(roll) && !cg_mkdir(a) &&
	      !cg_mkdir(b) && !cg_enable_all(b) && !cg_mkdir(c) && !cg_mkdir(d));
	hogs[0] = cg_run(a, hog_fn, &h1);
	hogs[1] = cg_run(c, hog_fn, &h1);
	hogs[2] = cg_run(d, hog_fn, &h05);
	for (int i = 0; i < 3; i++)
		CHECK(expect_eq("hog exit", cg_wait(hogs[i]), 0));
	/*
	 * No task is left below roll, so its CPU counters are still: the
	 * records read one after the other add up. (With the allocators
	 * running, one wake-up between reading a and reading roll put 10 ms
	 * of run-queue wait in roll and not in a on a loaded host.)
	 */
	CHECK(cpu_vs_stat(&nl, c, rc) && cpu_vs_stat(&nl, d, rd) &&
	      cpu_vs_stat(&nl, b, rb) && cpu_vs_stat(&nl, a, ra) &&
	      cpu_vs_stat(&nl, roll, rr));
	CHECK(sum_of("b vs c + d", rb, rc, rd));
	CHECK(sum_of("roll vs a + b", rr, ra, rb));
	CHECK(expect_ge("b cpu-usage of 1.5 s of hogs", REC(rb, CPU_USAGE_NS),
			1450 * MSEC));
	if (mem) {
		CHECK((pa = alloc_start(a, &ma)) > 0 && (pc = alloc_start(c, &mc)) > 0);
		CHECK(expect_ok("allocator a", alloc_wait_ready(&ma, 60000)));
		CHECK(expect_ok("allocator c", alloc_wait_ready(&mc, 60000)));
		CHECK(mem_vs_file(&nl, c, "memory.current", NULL,
				  CGSHARE_A_CGROUP_MEM_CURRENT, MEM_SLACK, rc));
		CHECK(mem_vs_file(&nl, b, "memory.current", NULL,
				  CGSHARE_A_CGROUP_MEM_CURRENT, MEM_SLACK, rb));
		CHECK(mem_vs_file(&nl, roll, "memory.current", NULL,
				  CGSHARE_A_CGROUP_MEM_CURRENT, MEM_SLACK, rr));
		CHECK(expect_ge("roll mem-current vs 16 MiB held below it",
				REC(rr, MEM_CURRENT), 16 * MIB));
		CHECK(expect_ge("b mem-current vs c", REC(rb, MEM_CURRENT) + MEM_SLACK,
				REC(rc, MEM_CURRENT)));
	}
	CHECK(!get(&nl, "/", root));
	CHECK(expect_ge("root cpu-usage vs roll", REC(root, CPU_USAGE_NS),
			REC(rr, CPU_USAGE_NS)));
	ret = KSFT_PASS;
cleanup:
	if (pa > 0)
		alloc_finish(pa, &ma);
	if (pc > 0)
		alloc_finish(pc, &mc);
	free(rr);
	free(ra);
	free(rb);
	free(rc);
	free(rd);
	free(root);
	nl_close(&nl);
	return ret;
}

static const struct cgt_case cases[] = {
	{ "cpu_usage_vs_cpu_stat", test_cpu_usage },
	{ "cpu_usage_while_running", test_cpu_running },
	{ "cpu_wait_vs_run_delay", test_cpu_wait },
	{ "cpu_wait_moving_vs_run_delay", test_cpu_wait_moving },
	{ "cpu_switches_vs_schedstat", test_cpu_switches },
	{ "mem_vs_memory_current_peak", test_mem_current, 180 },
	{ "mem_events_high", test_mem_high, 180 },
	{ "mem_events_max_oom_kill", test_mem_oom, 180 },
	{ "rollup_to_parents", test_rollup },
};

int main(int argc, char **argv)
{
	return cgt_main(argc, argv, cases, ARRAY_SIZE(cases));
}
