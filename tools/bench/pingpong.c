// SPDX-License-Identifier: GPL-2.0
/*
 * bench-pingpong: context-switch cost as a pipe ping-pong between two
 * processes, the same exchange as `perf bench sched pipe`.  The parent
 * writes one byte, the child reads it and writes it back; one round trip is
 * two wake-ups and, with both processes on one CPU, two context switches.
 *
 * Both processes join CGROUP (its cgroup.procs) first when -g is given, and
 * are pinned with -c: "-c 0" puts both on CPU 0 (pure switch cost), "-c 0,1"
 * the parent on 0 and the child on 1 (cross-CPU wake-ups).  After a warm-up
 * of a tenth of the work it runs round trips for about SECONDS, or exactly
 * COUNT of them with -n, and prints
 *
 *   pingpong ns_per_rt=N rts=N secs=S
 */
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fail("pinning to CPU %d:", cpu);
}

static void join_cgroup(const char *dir)
{
	char path[4096], pid[32];
	int fd, len;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	len = snprintf(pid, sizeof(pid), "%d\n", getpid());
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		fail("open %s:", path);
	if (write(fd, pid, len) != len)
		fail("joining %s:", dir);
	close(fd);
}

static void xwrite(int fd, char c)
{
	if (write(fd, &c, 1) != 1)
		fail("pipe write:");
}

static char xread(int fd)
{
	char c;

	if (read(fd, &c, 1) != 1)
		fail("pipe read:");
	return c;
}

static void child(int in, int out, int cpu)
{
	char c;

	pin(cpu);
	while ((c = xread(in)) != 'q')
		xwrite(out, c);
	_exit(0);
}

/*
 * Round trips until @secs have passed; returns the count.  The clock is
 * read after batches that double up to about a millisecond each, so that
 * neither fast round trips (microseconds) pay for the clock nor slow ones
 * (milliseconds, cross-CPU under TCG) overshoot the time.
 */
static uint64_t run(int to, int from, double secs, double *elapsed)
{
	uint64_t start = clock_ns(CLOCK_MONOTONIC), last = start, now, n = 0;
	uint64_t limit = secs * 1e9;
	unsigned int batch = 1, i;

	do {
		for (i = 0; i < batch; i++) {
			xwrite(to, 'p');
			xread(from);
		}
		n += batch;
		now = clock_ns(CLOCK_MONOTONIC);
		if (now - last < 1000000 && batch < 4096)
			batch *= 2;
		last = now;
	} while (now - start < limit);
	*elapsed = (now - start) / 1e9;
	return n;
}

/* Exactly @n round trips, timed once around the whole loop. */
static void run_n(int to, int from, uint64_t n, double *elapsed)
{
	uint64_t start = clock_ns(CLOCK_MONOTONIC), i;

	for (i = 0; i < n; i++) {
		xwrite(to, 'p');
		xread(from);
	}
	*elapsed = (clock_ns(CLOCK_MONOTONIC) - start) / 1e9;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: %s [-c CPU[,CPU]] [-g CGROUP_DIR] [-t SECONDS | -n COUNT]\n"
		"  -c 0     both processes on CPU 0;  -c 0,1  parent on 0, child on 1\n"
		"  -g DIR   run in the cgroup at DIR (e.g. /sys/fs/cgroup/bench/a)\n"
		"  -t SECS  measured time, after a warm-up of a tenth of it (1.0)\n"
		"  -n N     exactly N round trips instead, after N/10 of warm-up: runs\n"
		"           to compare do the same work, and no clock is read inside\n",
		program_invocation_short_name);
	exit(2);
}

int main(int argc, char **argv)
{
	int cpu0 = -1, cpu1 = -1, opt, ping[2], pong[2], status;
	const char *cgroup = NULL;
	double secs = 1.0, elapsed;
	uint64_t rts = 0;
	pid_t pid;

	while ((opt = getopt(argc, argv, "c:g:t:n:h")) != -1) {
		switch (opt) {
		case 'c':
			if (sscanf(optarg, "%d,%d", &cpu0, &cpu1) < 1)
				usage();
			if (cpu1 < 0)
				cpu1 = cpu0;
			break;
		case 'g':
			cgroup = optarg;
			break;
		case 't':
			secs = atof(optarg);
			break;
		case 'n':
			rts = strtoull(optarg, NULL, 10);
			if (!rts)
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind != argc || secs <= 0)
		usage();

	if (cgroup)
		join_cgroup(cgroup);
	if (pipe(ping) || pipe(pong))
		fail("pipe:");
	pid = fork();
	if (pid < 0)
		fail("fork:");
	if (pid == 0) {
		close(ping[1]);
		close(pong[0]);
		child(ping[0], pong[1], cpu1);
	}
	close(ping[0]);
	close(pong[1]);
	pin(cpu0);

	if (rts) {
		run_n(ping[1], pong[0], rts / 10, &elapsed);
		run_n(ping[1], pong[0], rts, &elapsed);
	} else {
		run(ping[1], pong[0], secs / 10, &elapsed);
		rts = run(ping[1], pong[0], secs, &elapsed);
	}

	xwrite(ping[1], 'q');
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		fail("the child process failed");
	printf("pingpong ns_per_rt=%.1f rts=%llu secs=%.3f\n",
	       elapsed * 1e9 / rts, (unsigned long long)rts, elapsed);
	return 0;
}
