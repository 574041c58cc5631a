// SPDX-License-Identifier: GPL-2.0
/* cgroup v2 tree setup and the work the tests put into it. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/sched.h>	/* struct clone_args, CLONE_INTO_CGROUP */

#include "cgtest.h"

const char *cg_full(const char *rel)
{
	static char bufs[4][PATH_MAX];
	static int next;
	char *b = bufs[next++ & 3];

	snprintf(b, PATH_MAX, "%s%s", CG_MNT, strcmp(rel, "/") ? rel : "");
	return b;
}

static const char *cg_file(const char *rel, const char *file)
{
	static char bufs[4][PATH_MAX];
	static int next;
	char *b = bufs[next++ & 3];

	snprintf(b, PATH_MAX, "%s/%s", cg_full(rel), file);
	return b;
}

int cg_mkdir(const char *rel)
{
	if (mkdir(cg_full(rel), 0755)) {
		ksft_print_msg("mkdir %s: %s\n", cg_full(rel), strerror(errno));
		return -errno;
	}
	return 0;
}

int cg_rmdir(const char *rel)
{
	return rmdir(cg_full(rel)) ? -errno : 0;
}

int cg_write(const char *rel, const char *file, const char *val)
{
	int fd = open(cg_file(rel, file), O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int err;

	if (fd < 0)
		return -errno;
	/* One write of the whole value, as cgroupfs wants it. */
	n = write(fd, val, strlen(val));
	err = n < 0 ? -errno : 0;
	close(fd);
	return err;
}

ssize_t cg_read(const char *rel, const char *file, char *buf, size_t len)
{
	int fd = open(cg_file(rel, file), O_RDONLY | O_CLOEXEC);
	ssize_t n, total = 0;

	if (fd < 0)
		return -errno;
	while ((size_t)total < len - 1) {
		n = read(fd, buf + total, len - 1 - total);
		if (n < 0) {
			total = -errno;
			break;
		}
		if (!n)
			break;
		total += n;
	}
	close(fd);
	if (total >= 0)
		buf[total] = '\0';
	return total;
}

int cg_read_u64(const char *rel, const char *file, u64 *v)
{
	char buf[64];
	ssize_t n = cg_read(rel, file, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	if (!strncmp(buf, "max", 3)) {
		*v = UINT64_MAX;
		return 0;
	}
	*v = strtoull(buf, NULL, 10);
	return 0;
}

int cg_read_key(const char *rel, const char *file, const char *key, u64 *v)
{
	char buf[4096], *line, *save;
	size_t klen = strlen(key);
	ssize_t n = cg_read(rel, file, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, key, klen) && line[klen] == ' ') {
			*v = strtoull(line + klen + 1, NULL, 10);
			return 0;
		}
	}
	return -ENOENT;
}

bool cg_has_file(const char *rel, const char *file)
{
	return !access(cg_file(rel, file), F_OK);
}

bool cg_has_ctrl(const char *rel, const char *ctrl)
{
	char buf[512], *tok, *save;

	if (cg_read(rel, "cgroup.controllers", buf, sizeof(buf)) < 0)
		return false;
	for (tok = strtok_r(buf, " \n", &save); tok;
	     tok = strtok_r(NULL, " \n", &save))
		if (!strcmp(tok, ctrl))
			return true;
	return false;
}

int cg_enable_all(const char *rel)
{
	static const char *const ctrls[] = { "cpu", "memory", "pids" };
	char val[16];

	for (size_t i = 0; i < ARRAY_SIZE(ctrls); i++) {
		int err;

		if (!cg_has_ctrl(rel, ctrls[i]))
			continue;
		snprintf(val, sizeof(val), "+%s", ctrls[i]);
		err = cg_write(rel, "cgroup.subtree_control", val);
		if (err) {
			ksft_print_msg("enable %s in %s: %s\n", ctrls[i], rel,
				       strerror(-err));
			return err;
		}
	}
	return 0;
}

u64 cg_id(const char *rel)
{
	struct stat st;

	if (stat(cg_full(rel), &st))
		return 0;
	return st.st_ino;
}

int cg_enter(const char *rel, pid_t pid)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d", (int)pid);
	return cg_write(rel, "cgroup.procs", buf);
}

int cg_nprocs(const char *rel)
{
	char buf[4096];
	int n = 0;

	if (cg_read(rel, "cgroup.procs", buf, sizeof(buf)) < 0)
		return -1;
	for (char *p = buf; *p; p++)
		n += *p == '\n';
	return n;
}

static int rmdir_one(const char *path, const struct stat *st, int type,
		     struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type != FTW_DP)
		return 0;
	for (int i = 0; i < 500; i++) {
		if (!rmdir(path) || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			break;
		usleep(10000);	/* killed tasks still exiting */
	}
	ksft_print_msg("rmdir %s: %s\n", path, strerror(errno));
	return -1;
}

int cg_destroy(const char *rel)
{
	u64 populated = 1;

	if (access(cg_full(rel), F_OK))
		return 0;
	if (cg_has_file(rel, "cgroup.kill"))
		cg_write(rel, "cgroup.kill", "1");
	for (int i = 0; i < 1000; i++) {
		if (cg_read_key(rel, "cgroup.events", "populated", &populated) ||
		    !populated)
			break;
		usleep(10000);
	}
	return nftw(cg_full(rel), rmdir_one, 64, FTW_DEPTH | FTW_PHYS) ? -EBUSY : 0;
}

struct walk_ctx {
	cg_walk_fn fn;
	void *arg;
	size_t base;		/* strlen(CG_MNT) */
};

static struct walk_ctx *walk_ctx;

static int walk_one(const char *path, const struct stat *st, int type,
		    struct FTW *ftw)
{
	char parent[PATH_MAX];
	struct stat pst;
	const char *rel;
	u64 pid = 0;

	(void)ftw;
	if (type != FTW_D)
		return 0;
	rel = path + walk_ctx->base;
	if (!*rel)
		rel = "/";
	snprintf(parent, sizeof(parent), "%s/..", path);
	if (strcmp(rel, "/") && !stat(parent, &pst))
		pid = pst.st_ino;
	walk_ctx->fn(rel, st->st_ino, pid, walk_ctx->arg);
	return 0;
}

int cg_walk(const char *rel, cg_walk_fn fn, void *arg)
{
	struct walk_ctx ctx = { fn, arg, strlen(CG_MNT) };
	int ret;

	walk_ctx = &ctx;
	ret = nftw(cg_full(rel), walk_one, 64, FTW_PHYS);
	walk_ctx = NULL;
	return ret ? -errno : 0;
}

/*
 * Born in the cgroup (clone3's CLONE_INTO_CGROUP, 5.7+), not moved there
 * after a fork: whatever the child waited or ran before a move would be
 * in its schedstat but charged to our cgroup.
 */
pid_t cg_run(const char *rel, int (*fn)(void *), void *arg)
{
	struct clone_args ca = { .flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD };
	int fd = open(cg_full(rel), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	pid_t pid;

	if (fd < 0) {
		ksft_print_msg("cannot open %s: %s\n", rel, strerror(errno));
		return -1;
	}
	ca.cgroup = fd;
	fflush(stdout);
	pid = syscall(SYS_clone3, &ca, sizeof(ca));
	if (!pid)
		_exit(fn(arg));
	if (pid < 0)
		ksft_print_msg("cannot start a task in %s: %s\n", rel, strerror(errno));
	close(fd);
	return pid;
}

int cg_wait(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

static const char *shm_path;

static int fill_shm(void *arg)
{
	static char buf[1 << 20];
	int fd = open(shm_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	memset(buf, 0x5a, sizeof(buf));
	if (fd < 0 || write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		return 125;
	close(fd);
	return 0;
}

int cg_make_dying(const char *rel, const char *shmfile, u64 *id)
{
	char parent[PATH_MAX], *slash;
	u64 dying = 0;
	int err;

	snprintf(parent, sizeof(parent), "%s", rel);
	slash = strrchr(parent, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	shm_path = shmfile;
	if ((err = cg_mkdir(rel)))
		return err;
	*id = cg_id(rel);
	if (cg_wait(cg_run(rel, fill_shm, NULL)))
		return -EIO;
	if ((err = cg_rmdir(rel)))
		return err;
	if ((err = cg_read_key(*parent ? parent : "/", "cgroup.stat",
			       "nr_dying_descendants", &dying)))
		return err;
	return (int)dying;
}

u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * SEC + ts.tv_nsec;
}

static u64 cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (u64)ts.tv_sec * SEC + ts.tv_nsec;
}

int pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	if (cpu >= 0)
		CPU_SET(cpu, &set);
	else
		for (int i = 0; i < ncpus() && i < CPU_SETSIZE; i++)
			CPU_SET(i, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

int ncpus(void)
{
	return (int)sysconf(_SC_NPROCESSORS_ONLN);
}

int hog_fn(void *arg)
{
	const struct hog *h = arg;
	u64 cpu_end = h->cpu_s > 0 ? cpu_ns() + (u64)(h->cpu_s * SEC) : 0;
	u64 wall_end = h->wall_s > 0 ? now_ns() + (u64)(h->wall_s * SEC) : 0;
	volatile u64 x = 0;

	if (h->cpu >= 0 && pin_self(h->cpu))
		return 125;
	for (;;) {
		for (int i = 0; i < 100000; i++)
			x += i;
		if (cpu_end && cpu_ns() >= cpu_end)
			break;
		if (wall_end && now_ns() >= wall_end)
			break;
	}
	return 0;
}

int read_schedstat(pid_t pid, u64 *run, u64 *delay, u64 *pcount)
{
	unsigned long long v[3];
	char path[64];
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = fscanf(f, "%llu %llu %llu", &v[0], &v[1], &v[2]);
	fclose(f);
	if (n != 3)
		return -EINVAL;
	*run = v[0];
	*delay = v[1];
	*pcount = v[2];
	return 0;
}

static int alloc_child(void *arg)
{
	struct alloc *a = arg;
	long page = sysconf(_SC_PAGESIZE);
	char *p, c = 1;

	/* Other allocators' pipe ends came with fork: drop them all. */
	for (int fd = 3; fd < 1024; fd++)
		if (fd != a->ready[1] && fd != a->release[0])
			close(fd);
	p = mmap(NULL, a->bytes, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 125;
	for (size_t off = 0; off < a->bytes; off += page)
		p[off] = (char)off | 1;
	if (write(a->ready[1], &c, 1) != 1)
		return 125;
	/* Hold the memory until the parent closes the release pipe. */
	while (read(a->release[0], &c, 1) > 0)
		;
	return 0;
}

pid_t alloc_start(const char *rel, struct alloc *a)
{
	pid_t pid;

	if (pipe2(a->ready, O_CLOEXEC) || pipe2(a->release, O_CLOEXEC))
		return -errno;
	pid = cg_run(rel, alloc_child, a);
	close(a->ready[1]);
	close(a->release[0]);
	return pid;
}

int alloc_wait_ready(struct alloc *a, int timeout_ms)
{
	struct pollfd p = { .fd = a->ready[0], .events = POLLIN };
	char c;

	if (poll(&p, 1, timeout_ms) != 1)
		return -ETIMEDOUT;
	return read(a->ready[0], &c, 1) == 1 ? 0 : -EPIPE;
}

int alloc_finish(pid_t pid, struct alloc *a)
{
	close(a->release[1]);
	close(a->ready[0]);
	return cg_wait(pid);
}
