// SPDX-License-Identifier: GPL-2.0
/*
 * Every allocation of the module made to fail, through the kernel's fault
 * injection: fail_function on the module's own allocation helpers (the
 * record, its per-CPU counters, the spare pool, the GPU device tables, the
 * reply and notification messages, the scratch buffers for paths and
 * running slices), failslab restricted to one task on a dump's messages,
 * and a module load with its k-th fault point failed, counting only the
 * points reached from the module's code (every one, or a sample spread
 * over the load). Each case shows that its path was taken (the fault
 * attribute's `times` went down, and the module counted or answered the
 * failure; the load's failed points by their stack dumps), that the
 * failure changed nothing it should not have, and that the module works
 * afterwards. Needs a kernel with CONFIG_FAIL_FUNCTION,
 * CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC and CONFIG_FAULT_INJECTION_DEBUG_FS
 * (Debian's have none: the cases skip), and CGSHARE_KO: each case starts
 * from a fresh module.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "cgtest.h"

#define DEBUGFS		"/sys/kernel/debug"
#define FAIL_FUNC	DEBUGFS "/fail_function"
#define FAIL_SLAB	DEBUGFS "/failslab"
#define FAIL_PAGE	DEBUGFS "/fail_page_alloc"

static int wr(const char *dir, const char *file, const char *val)
{
	char path[256];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static long long rd(const char *dir, const char *file)
{
	char path[256], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtoll(buf, NULL, 0);
}

/* NULL when the kernel can inject faults here, else why not. */
static const char *no_injection(void)
{
	if (access(DEBUGFS "/tracing", F_OK) && access(FAIL_FUNC, F_OK))
		mount("debugfs", DEBUGFS, "debugfs", 0, NULL);
	if (access(FAIL_FUNC, F_OK))
		return "the kernel has no fail_function (CONFIG_FAIL_FUNCTION, CONFIG_FAULT_INJECTION_DEBUG_FS)";
	if (access(FAIL_SLAB, F_OK))
		return "the kernel has no failslab (CONFIG_FAILSLAB)";
	if (access(FAIL_PAGE, F_OK))
		return "the kernel has no fail_page_alloc (CONFIG_FAIL_PAGE_ALLOC)";
	if (!mod_file())
		return "CGSHARE_KO is not set to a readable module file";
	return NULL;
}

/*
 * Arm a fault attribute: the next @times eligible calls fail (quietly: a
 * stack dump would read as a fault in the kernel log).
 */
static int arm(const char *dir, int times, bool task_filter)
{
	char v[32];
	int err;

	snprintf(v, sizeof(v), "%d", times);
	err = wr(dir, "verbose", "0") ?: wr(dir, "interval", "1") ?: wr(dir, "space", "0") ?:
	      wr(dir, "times", v) ?: wr(dir, "task-filter", task_filter ? "Y" : "N");
	if (!err && strcmp(dir, FAIL_FUNC))
		err = wr(dir, "ignore-gfp-wait", "N");
	return err ?: wr(dir, "probability", "100");
}

static void disarm(const char *dir)
{
	wr(dir, "probability", "0");
	wr(dir, "task-filter", "N");
}

/* Failures injected since arm(): what `times` went down by. */
static long long injected(const char *dir, int times)
{
	return times - rd(dir, "times");
}

static int inject(const char *fn)
{
	char sym[64];
	int err;

	snprintf(sym, sizeof(sym), "%s:%s", mod_name(), fn);
	err = wr(FAIL_FUNC, "inject", sym);
	if (err)
		ksft_print_msg("fail_function: cannot inject %s: %s\n", sym, strerror(-err));
	return err;
}

/* Kprobes on a module's functions do not outlive it: clear them first. */
static void inject_none(void)
{
	disarm(FAIL_FUNC);
	wr(FAIL_FUNC, "inject", " ");
}

static int set_fail(bool on)
{
	char p[64];

	snprintf(p, sizeof(p), "/proc/%d", getpid());
	return wr(p, "make-it-fail", on ? "1" : "0");
}

static u64 status(struct nl *nl, int type)
{
	u64 v = ~0ULL;

	if (cgs_status_uint(nl, type, &v))
		ksft_print_msg("status-get attribute %d unreadable\n", type);
	return v;
}

/* Every case: fault injection present, a fresh module, nothing armed. */
static int begin(struct nl *nl)
{
	const char *why = no_injection();
	int err;

	if (why) {
		cgt_reason("%s", why);
		return KSFT_SKIP;
	}
	inject_none();
	disarm(FAIL_SLAB);
	disarm(FAIL_PAGE);
	err = mod_reload();
	if (!err)
		err = nl_open(nl);
	if (err) {
		cgt_reason("a fresh module: %s", strerror(-err));
		return KSFT_FAIL;
	}
	return KSFT_PASS;
}

static void end(struct nl *nl)
{
	inject_none();
	disarm(FAIL_SLAB);
	disarm(FAIL_PAGE);
	set_fail(false);
	nl_close(nl);
}

#define BEGIN(nl) do {				\
	int __r = begin(nl);			\
	if (__r != KSFT_PASS)			\
		return __r;			\
} while (0)

/* rel has a record of its own (not an ancestor's): the module reads it. */
static bool has_record(struct nl *nl, const char *rel)
{
	struct cg_rec *r = malloc(sizeof(*r));
	struct ack ack;
	bool ok;

	ok = !cgs_get_path(nl, rel, r, &ack) && REC_ID(r) == cg_id(rel);
	if (!ok)
		ack_print(rel, &ack);
	free(r);
	return ok;
}

static u64 busy_of(struct nl *nl, const char *rel, const char *dev)
{
	struct cg_rec *r = malloc(sizeof(*r));
	const struct gpu_rec *g;
	struct ack ack;
	u64 v = ~0ULL;

	if (!cgs_get_path(nl, rel, r, &ack))
		v = (g = rec_gpu(r, dev)) ? g->busy : 0;
	free(r);
	return v;
}

static int charge(struct nl *nl, const char *rel, const char *dev, u64 busy, struct ack *ack)
{
	struct charge c = { .id = cg_id(rel), .dev = dev, .has_busy = true, .busy = busy };

	return cgs_charge(nl, &c, ack);
}

/*
 * a made while the spare pool is empty (pool_get) and the GFP_ATOMIC
 * allocation fn fails: the cgroup_mkdir tracepoint cannot sleep, so its
 * record is deferred to the worker (records-deferred + 1), which makes
 * it; a read finds it.
 */
static int record_deferred(const char *fn)
{
	const char *a = cgt_path("a");
	struct nl nl;
	u64 d0;
	int ret = KSFT_FAIL;

	BEGIN(&nl);
	d0 = status(&nl, CGSHARE_A_STATUS_RECORDS_DEFERRED);
	CHECK(!inject("pool_get") && !inject(fn) && !arm(FAIL_FUNC, 2, false));
	CHECK(!cg_mkdir(a));
	CHECK(expect_eq("faults injected (pool_get and the record's allocation)",
			injected(FAIL_FUNC, 2), 2));
	inject_none();
	CHECK(expect_true(has_record(&nl, a), "a has its record, from the worker"));
	CHECK(expect_eq("records-deferred", status(&nl, CGSHARE_A_STATUS_RECORDS_DEFERRED) - d0, 1));
	ret = KSFT_PASS;
cleanup:
	end(&nl);
	return ret;
}

/*
 *   top
 *   └── a     made while the pool is empty and the record fails (rec_alloc)
 */
static int test_record_deferred(void)
{
	return record_deferred("rec_alloc");
}

/*
 *   top
 *   └── a     made while the pool is empty and its per-CPU counters fail
 *
 * The record without its per-CPU counters is freed, not published; the
 * worker makes a whole one.
 */
static int test_record_percpu(void)
{
	return record_deferred("rec_cpu_alloc");
}

/*
 *   top
 *   └── a       no record: the tracepoint's and the worker's allocations fail
 *       └── b   made afterwards, with a record (parent: top, for now)
 *
 * The worker counts its failure (records-failed) and tries again; the next
 * read waits for it: a gets its record and adopts b, so a GPU charge of b
 * reaches a.
 */
static int test_worker_retries(void)
{
	const char *a = cgt_path("a"), *b = cgt_path("a/b");
	struct ack ack;
	struct nl nl;
	u64 d0, f0;
	int ret = KSFT_FAIL;

	BEGIN(&nl);
	d0 = status(&nl, CGSHARE_A_STATUS_RECORDS_DEFERRED);
	f0 = status(&nl, CGSHARE_A_STATUS_RECORDS_FAILED);
	/* pool_get and rec_alloc in the tracepoint, then in the worker. */
	CHECK(!inject("pool_get") && !inject("rec_alloc") && !arm(FAIL_FUNC, 4, false));
	CHECK(!cg_mkdir(a));
	for (int i = 0; i < 100 && injected(FAIL_FUNC, 4) < 4; i++)
		usleep(20000);
	CHECK(expect_eq("faults injected (tracepoint and worker)", injected(FAIL_FUNC, 4), 4));
	inject_none();
	CHECK(!cg_mkdir(b));
	CHECK(expect_true(has_record(&nl, a), "a has its record after the retry"));
	CHECK(expect_true(has_record(&nl, b), "b has its record"));
	CHECK(expect_eq("records-deferred", status(&nl, CGSHARE_A_STATUS_RECORDS_DEFERRED) - d0, 1));
	CHECK(expect_ge("records-failed", status(&nl, CGSHARE_A_STATUS_RECORDS_FAILED) - f0, 1));
	CHECK(expect_ok("charge b", charge(&nl, b, "fi0", 700, &ack)));
	CHECK(expect_eq("a's busy-ns includes b's (adopted)", busy_of(&nl, a, "fi0"), 700));
	ret = KSFT_PASS;
cleanup:
	end(&nl);
	return ret;
}

/*
 *   top
 *   └── p000..p399   drain the spare pool below its low mark
 *
 * The refill worker's first allocation fails: counted (records-failed),
 * and the cgroups made meanwhile all have records.
 */
static int test_pool_refill(void)
{
	struct nl nl;
	u64 f0;
	int ret = KSFT_FAIL;

	BEGIN(&nl);
	f0 = status(&nl, CGSHARE_A_STATUS_RECORDS_FAILED);
	CHECK(!inject("rec_alloc") && !arm(FAIL_FUNC, 1, false));
	for (int i = 0; i < 400; i++)
		CHECK(!cg_mkdir(cgt_path("p%03d", i)));
	for (int i = 0; i < 100 && injected(FAIL_FUNC, 1) < 1; i++)
		usleep(20000);
	CHECK(expect_eq("faults injected (the refill's rec_alloc)", injected(FAIL_FUNC, 1), 1));
	inject_none();
	CHECK(expect_ge("records-failed", status(&nl, CGSHARE_A_STATUS_RECORDS_FAILED) - f0, 1));
	for (int i = 0; i < 400; i += 57)
		CHECK(expect_true(has_record(&nl, cgt_path("p%03d", i)), "a record"));
	ret = KSFT_PASS;
cleanup:
	end(&nl);
	return ret;
}

/*
 *   top
 *   ├── a     charged first: no device table yet anywhere below the root
 *   └── b     4 names, its table full; a 5th needs a bigger one
 *
 * A device table that cannot be allocated, or grown, refuses the charge
 * whole (ENOMEM, counted in gpu-refused-nomem), changes no counter, and
 * the next charge works.
 */
static int test_gpu_table(void)
{
	const char *a = cgt_path("a"), *b = cgt_path("b");
	char dev[16];
	struct ack ack;
	struct nl nl;
	u64 n0;
	int ret = KSFT_FAIL;

	BEGIN(&nl);
	CHECK(!cg_mkdir(a) && !cg_mkdir(b));
	n0 = status(&nl, CGSHARE_A_STATUS_GPU_REFUSED_NOMEM);
	CHECK(!inject("gpu_table_alloc") && !arm(FAIL_FUNC, 1, false));
	CHECK(expect_nack("first table", charge(&nl, a, "fi0", 5, &ack), &ack, -ENOMEM, 0));
	CHECK(expect_eq("faults injected", injected(FAIL_FUNC, 1), 1));
	CHECK(expect_eq("a's busy-ns after the refusal", busy_of(&nl, a, "fi0"), 0));
	CHECK(expect_eq("top's busy-ns after the refusal", busy_of(&nl, cgt_top(), "fi0"), 0));
	CHECK(expect_ok("the charge again", charge(&nl, a, "fi0", 5, &ack)));
	CHECK(expect_eq("a's busy-ns", busy_of(&nl, a, "fi0"), 5));

	for (int i = 1; i <= 4; i++) {
		snprintf(dev, sizeof(dev), "fi%d", i);
		CHECK(expect_ok(dev, charge(&nl, b, dev, i, &ack)));
	}
	CHECK(!arm(FAIL_FUNC, 1, false));
	CHECK(expect_nack("a 5th name: the table must grow", charge(&nl, b, "fi9", 9, &ack),
			  &ack, -ENOMEM, 0));
	CHECK(expect_eq("faults injected", injected(FAIL_FUNC, 1), 1));
	CHECK(expect_eq("b's fi9 after the refusal", busy_of(&nl, b, "fi9"), 0));
	CHECK(expect_eq("b's fi4 unchanged", busy_of(&nl, b, "fi4"), 4));
	CHECK(expect_eq("gpu-refused-nomem", status(&nl, CGSHARE_A_STATUS_GPU_REFUSED_NOMEM) - n0, 2));
	inject_none();
	CHECK(expect_ok("the 5th name again", charge(&nl, b, "fi9", 9, &ack)));
	CHECK(expect_eq("b's fi9", busy_of(&nl, b, "fi9"), 9));
	CHECK(expect_eq("top's fi9", busy_of(&nl, cgt_top(), "fi9"), 9));
	ret = KSFT_PASS;
cleanup:
	end(&nl);
	return ret;
}

/*
 *   /    read while the reply message or the scratch buffer fails
 *
 * cgroup-get (do and dump) and status-get answer ENOMEM, and the next
 * request is answered in full.
 */
static int test_replies(void)
{
	static const char *const fns[] = { "msg_alloc", "scratch_alloc" };
	struct rec_list l;
	struct dump_res res;
	struct cg_rec *r = malloc(sizeof(*r));
	struct status_rec st;
	struct ack ack;
	struct nl nl;
	int ret = KSFT_FAIL;

	BEGIN(&nl);
	for (size_t i = 0; i < ARRAY_SIZE(fns); i++) {
		ksft_print_msg("failing %s\n", fns[i]);
		CHECK(!inject(fns[i]) && !arm(FAIL_FUNC, 1, false));
		CHECK(expect_err("cgroup-get do", cgs_get_path(&nl, "/", r, &ack), -ENOMEM));
		CHECK(expect_eq("faults injected", injected(FAIL_FUNC, 1), 1));
		if (i == 0) {
			CHECK(!arm(FAIL_FUNC, 1, false));
			CHECK(expect_err("status-get", cgs_status(&nl, &st, &ack), -ENOMEM));
		} else {
			CHECK(!arm(FAIL_FUNC, 1, false));
			CHECK(expect_err("cgroup-get dump",
					 cgs_dump_list(&nl, NULL, NULL, &l, &res), -ENOMEM));
			rec_list_free(&l);
		}
		CHECK(expect_eq("faults injected", injected(FAIL_FUNC, 1), 1));
		inject_none();
		CHECK(expect_ok("cgroup-get do afterwards", cgs_get_path(&nl, "/", r, &ack)));
		CHECK(expect_ok("dump afterwards", cgs_dump_list(&nl, NULL, NULL, &l, &res)));
		CHECK(expect_ge("records dumped", l.n, 1));
		rec_list_free(&l);
	}
	ret = KSFT_PASS;
cleanup:
	free(r);
	end(&nl);
	return ret;
}

static int release_cb(const struct nlmsghdr *nlh, void *arg)
{
	static struct cg_rec r;

	if (!cg_rec_parse(nlh, &r) && REC_ID(&r) == *(u64 *)arg)
		*(u64 *)arg = 0;
	return 0;
}

/* Wait for the release of id on sub; true if it came. */
static bool released(struct nl *sub, u64 id, int ms)
{
	u64 want = id;

	for (int i = 0; i < ms / 50 && want; i++)
		if (nl_recv_one(sub, 50, release_cb, &want) < 0)
			break;
	return !want;
}

/*
 *   top
 *   ├── a    removed while the notification's message fails
 *   ├── b    removed while its scratch buffer fails
 *   └── c    removed afterwards
 *
 * A notification that cannot be made is counted (notify-dropped), the
 * record is still freed, and the next removal is notified.
 */
static int test_notify(void)
{
	static const char *const fns[] = { "msg_alloc", "scratch_alloc" };
	const char *c = cgt_path("c");
	struct nl nl, sub = { .fd = -1 };
	u64 d0, id;
	int ret = KSFT_FAIL;

	BEGIN(&nl);
	CHECK(expect_ok("subscribe", nl_open(&sub)) && expect_ok("subscribe", nl_subscribe(&sub)));
	d0 = status(&nl, CGSHARE_A_STATUS_NOTIFY_DROPPED);
	for (size_t i = 0; i < ARRAY_SIZE(fns); i++) {
		const char *x = cgt_path("x%zu", i);

		CHECK(!cg_mkdir(x));
		id = cg_id(x);
		ksft_print_msg("failing %s\n", fns[i]);
		CHECK(!inject(fns[i]) && !arm(FAIL_FUNC, 1, false));
		CHECK(!cg_rmdir(x));
		CHECK(expect_true(!released(&sub, id, 1000), "no notification for the failed one"));
		CHECK(expect_eq("faults injected", injected(FAIL_FUNC, 1), 1));
		inject_none();
	}
	CHECK(expect_eq("notify-dropped", status(&nl, CGSHARE_A_STATUS_NOTIFY_DROPPED) - d0, 2));
	CHECK(!cg_mkdir(c));
	id = cg_id(c);
	CHECK(!cg_rmdir(c));
	CHECK(expect_true(released(&sub, id, 5000), "the next removal is notified"));
	ret = KSFT_PASS;
cleanup:
	nl_close(&sub);
	end(&nl);
	return ret;
}

/* What one recv of a dump got, written into @out for a failure's output. */
static void recv_outcome(char *out, size_t size, ssize_t n, int err, const char *buf)
{
	const struct nlmsghdr *nlh = (const void *)buf, *last = NULL;
	int len = (int)n, msgs = 0;

	if (n < 0) {
		snprintf(out, size, "%s", strerror(err));
		return;
	}
	for (; NLMSG_OK(nlh, len); nlh = NLMSG_NEXT(nlh, len), msgs++)
		last = nlh;
	if (last && (last->nlmsg_type == NLMSG_DONE || last->nlmsg_type == NLMSG_ERROR) &&
	    last->nlmsg_len >= NLMSG_HDRLEN + sizeof(int))
		snprintf(out, size, "%zd bytes, %d messages, the last %s with error %d", n, msgs,
			 last->nlmsg_type == NLMSG_DONE ? "NLMSG_DONE" : "NLMSG_ERROR",
			 *(const int *)NLMSG_DATA(last));
	else
		snprintf(out, size, "%zd bytes, %d messages", n, msgs);
}

/*
 *   top
 *   └── d000..d199   enough records for a dump of several messages
 *
 * The dump's next message cannot be allocated (failslab, this task only):
 * the reader gets ENOBUFS; closing the socket ends the dump (the module
 * frees its cursor and drops the module reference: rmmod works), and a
 * new dump is whole.
 */
static int test_dump_skb(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct rec_list got, want;
	struct dump_res res;
	char buf[4096];
	struct msg m;
	struct nl nl, d = { .fd = -1 };
	char got_at[4][96];
	long long failed;
	ssize_t n;
	int ret = KSFT_FAIL, err = 0, tries;

	BEGIN(&nl);
	for (int i = 0; i < 200; i++)
		CHECK(!cg_mkdir(cgt_path("d%03d", i)));
	CHECK(expect_ok("dump socket", nl_open_rcv(&d, sizeof(buf))));
	msg_init(&m, d.family, CGSHARE_CMD_CGROUP_GET, NLM_F_DUMP);
	m.nlh.nlmsg_seq = 77;
	CHECK(sendto(d.fd, m.buf, m.nlh.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) > 0);
	CHECK(!arm(FAIL_SLAB, 4, true));
	CHECK(!set_fail(true));
	n = recv(d.fd, buf, sizeof(buf), 0);	/* the first message; the next fails */
	set_fail(false);
	disarm(FAIL_SLAB);
	CHECK(expect_true(n > 0, "the dump's first message"));
	failed = injected(FAIL_SLAB, 4);
	CHECK(expect_ge("slab allocations failed", failed, 1));
	for (tries = 0; tries < 4 && !err; tries++) {
		n = recv(d.fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno != EAGAIN)
			err = errno;
		recv_outcome(got_at[tries], sizeof(got_at[tries]), n, n < 0 ? errno : 0, buf);
	}
	if (err != ENOBUFS) {	/* which way the dump went on */
		ksft_print_msg("%lld slab allocations failed; then:\n", failed);
		for (int i = 0; i < tries; i++)
			ksft_print_msg("  recv %d: %s\n", i + 1, got_at[i]);
	}
	CHECK(expect_eq("the reader is told (ENOBUFS)", err, ENOBUFS));
	nl_close(&d);
	nl_close(&nl);
	CHECK(expect_ok("rmmod: the dump let the module go", mod_rmmod(5)));
	CHECK(expect_ok("insmod", mod_insmod(NULL)));
	CHECK(expect_ok("open", nl_open(&nl)));
	CHECK(expect_ok("a new dump", cgs_dump_list(&nl, NULL, NULL, &got, &res)));
	CHECK(!cg_walk_list("/", &want));
	CHECK(expect_same_set("a new dump", &got, &want, NULL));
	rec_list_free(&got);
	rec_list_free(&want);
	ret = KSFT_PASS;
cleanup:
	nl_close(&d);
	end(&nl);
	return ret;
}

/* Every fault attribute a fail-nth count goes through. */
static const char *const fault_dirs[] = {
	FAIL_SLAB, FAIL_PAGE, FAIL_FUNC, DEBUGFS "/fail_futex",
	DEBUGFS "/fail_usercopy", DEBUGFS "/fail_make_request",
};

/*
 * Set every fault attribute up for the load sweep (@on) or back to its
 * defaults: each failure dumps its stack (that is how the sweep tells
 * which path it took; tools/guest/log-provoked.awk forgives those dumps
 * between the sweep's marks), sleeping allocations and single pages count
 * too, and only points whose stack passes through module code (above
 * @text_end, the kernel image's end: x86-64 keeps modules there) count:
 * the module's own allocations and those of the kernel functions it
 * calls, not the module loader's.
 */
static void sweep_attrs(bool on, unsigned long text_end)
{
	char v[32];

	snprintf(v, sizeof(v), "0x%lx", on ? text_end : 0UL);
	for (size_t i = 0; i < ARRAY_SIZE(fault_dirs); i++) {
		wr(fault_dirs[i], "verbose", "2");
		wr(fault_dirs[i], "verbose_ratelimit_burst", on ? "1000" : "10");
		wr(fault_dirs[i], "stacktrace-depth", "32");
		wr(fault_dirs[i], "require-end", "0xffffffffffffffff");
		wr(fault_dirs[i], "require-start", v);
	}
	wr(FAIL_SLAB, "ignore-gfp-wait", on ? "N" : "Y");
	wr(FAIL_PAGE, "ignore-gfp-wait", on ? "N" : "Y");
	wr(FAIL_PAGE, "ignore-gfp-highmem", on ? "N" : "Y");
	wr(FAIL_PAGE, "min-order", on ? "0" : "1");
}

/* The end of the kernel image (/proc/kallsyms' _end), or 0. */
static unsigned long kernel_end(void)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	unsigned long addr, end = 0;
	char type, name[256];

	if (!f)
		return 0;
	while (fscanf(f, "%lx %c %255s%*[^\n]", &addr, &type, name) == 3)
		if (!strcmp(name, "_end")) {
			end = addr;
			break;
		}
	fclose(f);
	return end;
}

/* The module file in memory, for init_module(). */
static int read_image(void **img, size_t *len)
{
	int fd = open(mod_file(), O_RDONLY | O_CLOEXEC);
	size_t got = 0;
	ssize_t n;

	*img = NULL;
	*len = 0;
	if (fd < 0)
		return -errno;
	for (;;) {
		if (got == *len) {
			*len = *len ? 2 * *len : 1 << 20;
			*img = realloc(*img, *len);
			if (!*img) {
				close(fd);
				return -ENOMEM;
			}
		}
		n = read(fd, (char *)*img + got, *len - got);
		if (n < 0) {
			close(fd);
			return -errno;
		}
		if (!n)
			break;
		got += n;
	}
	close(fd);
	*len = got;
	return 0;
}

enum load_res {
	LOAD_FAILED,		/* the point failed and so did the load */
	LOAD_SURVIVED,		/* the point failed, the load worked */
	LOAD_NO_FAULT,		/* the load reached fewer points; it worked */
	LOAD_BAD,		/* the load failed with no fault injected */
	LOAD_DIED,
};

/*
 * init_module() of the image in a child whose @nth-th counted point
 * fails (/proc/thread-self/fail-nth); *left is what remained of the count
 * (for the count of a whole load), *err the load's errno.
 */
static enum load_res load_nth(const void *img, size_t len, long nth, long *left, int *err)
{
	int fds[2], st;
	long r[2] = { -1, 0 };
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC))
		return LOAD_DIED;
	pid = fork();
	if (!pid) {
		char v[32];

		snprintf(v, sizeof(v), "%ld", nth);
		if (!wr("/proc/thread-self", "fail-nth", v)) {
			r[1] = syscall(SYS_init_module, img, len, "") ? errno : 0;
			r[0] = rd("/proc/thread-self", "fail-nth");
			wr("/proc/thread-self", "fail-nth", "0");
		}
		_exit(write(fds[1], r, sizeof(r)) == sizeof(r) ? 0 : 1);
	}
	close(fds[1]);
	if (pid < 0 || read(fds[0], r, sizeof(r)) != sizeof(r) || r[0] < 0) {
		close(fds[0]);
		if (pid > 0)
			waitpid(pid, &st, 0);
		return LOAD_DIED;
	}
	close(fds[0]);
	waitpid(pid, &st, 0);
	*left = r[0];
	*err = r[1];
	if (r[0] == 0)
		return *err ? LOAD_FAILED : LOAD_SURVIVED;
	return *err ? LOAD_BAD : LOAD_NO_FAULT;
}

/*
 * The path of the fault the last load injected, from its stack dump
 * after @mark: the module's frames outermost first, then the kernel
 * function the innermost one called, "a > b > kmalloc_noprof". A dump
 * with no reliable frame of the module is told apart from no dump, by
 * the allocation's innermost frames and how many of the module's frames
 * were unreliable ("? "), so a miss of a step can be explained.
 */
static void fault_path(const char *mark, char *out, size_t outlen)
{
	int len = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *buf, *p, *line, *save, callee[96] = "", frames[16][96], tag[72];
	int nf = 0, nk = 0, unreliable = 0;
	char kernel[4][96];
	size_t o = 0;

	snprintf(out, outlen, "(no stack dump: a __GFP_NOWARN allocation)");
	buf = malloc(len > 0 ? len + 1 : 1 << 20);
	if (!buf)
		return;
	len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, len > 0 ? len : 1 << 20);
	if (len < 0)
		goto out;
	buf[len] = '\0';
	p = NULL;
	for (char *q = buf; (q = strstr(q, mark)); q += strlen(mark))
		p = q;
	if (!p || !(p = strstr(p, "FAULT_INJECTION: forcing a failure")) ||
	    !(p = strstr(p, "Call Trace:")))
		goto out;
	snprintf(tag, sizeof(tag), "[%s]", mod_name());
	for (line = strtok_r(p, "\n", &save); line && nf < 16; line = strtok_r(NULL, "\n", &save)) {
		char *t = strchr(line, ']') ? strchr(line, ']') + 1 : line;
		char fn[96];
		size_t l;

		if (strstr(t, "</TASK>"))
			break;
		t += strspn(t, " ");
		l = strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.");
		if (!l || strncmp(t + l, "+0x", 3) || l >= sizeof(fn)) {
			/* not a frame, or an unreliable "? " one */
			unreliable += *t == '?' && strstr(t, tag);
			continue;
		}
		snprintf(fn, sizeof(fn), "%.*s", (int)l, t);
		if (strstr(t, tag)) {
			snprintf(frames[nf++], sizeof(frames[0]), "%s", fn);
		} else if (!nf) {
			snprintf(callee, sizeof(callee), "%s", fn);
			/* the allocation and its callers, not the injector */
			if (nk < 4 && !strstr(fn, "dump_stack") && !strstr(fn, "should_fail") &&
			    !strstr(fn, "fail_dump"))
				snprintf(kernel[nk++], sizeof(kernel[0]), "%s", fn);
		} else {
			break;	/* below the module: the loader */
		}
	}
	if (!nf) {
		o = snprintf(out, outlen, "(a stack dump with no reliable frame of the module, %d unreliable:",
			     unreliable);
		for (int i = 0; i < nk; i++)
			o += snprintf(out + o, o < outlen ? outlen - o : 0, " %s%s", i ? "< " : "",
				      kernel[i]);
		snprintf(out + o, o < outlen ? outlen - o : 0, ")");
		goto out;
	}
	while (nf--)
		o += snprintf(out + o, o < outlen ? outlen - o : 0, "%s > ", frames[nf]);
	snprintf(out + o, o < outlen ? outlen - o : 0, "%s", callee);
out:
	free(buf);
}

#define SWEEP_MAXP	64	/* paths a sweep tells apart */
struct path_tally {
	char path[512];
	int failed, survived;
	long first;
};

static void tally(struct path_tally *t, int *nt, int max, const char *path, bool failed, long k)
{
	int i;

	for (i = 0; i < *nt && strcmp(t[i].path, path); i++)
		;
	if (i == *nt) {
		if (*nt == max)
			return;
		snprintf(t[i].path, sizeof(t[i].path), "%s", path);
		t[i].first = k;
		(*nt)++;
	}
	if (failed)
		t[i].failed++;
	else
		t[i].survived++;
}

/*
 * A load's points in order: the record cache (about 80, most of them its
 * sysfs files), the genetlink family, the lifetime probes (to about 100),
 * then the spare pool, two or three for each of some 130 records (the same
 * path over and over), and last the CPU probes and the kfunc set. Loads
 * differ by a few points: one that has to make a new per-CPU chunk for
 * its records reaches more than the load that counted them, and its last
 * steps then lie past the count, so the tail goes on past it (SWEEP_PAST)
 * until a load reaches no fault. They also differ by more (543 and 520
 * points in one sweep): the tail is placed from a load counted again when
 * the sweep reaches it, and steps still not failed after the sweep are
 * tried again (sweep_until()).
 */
#define SWEEP_HEAD	120
#define SWEEP_TAIL	24
#define SWEEP_PAST	24
#define LIFETIME_PATH	"cgshare_lifetime_init > cgshare_probes_register"

/*
 * The tail (pts[@tail..]) placed from @n, a load's count: its last
 * SWEEP_TAIL points and SWEEP_PAST past them, from after @after (the last
 * point failed before it). pts has room for SWEEP_TAIL + SWEEP_PAST from
 * @tail. Returns the new length.
 */
static long place_tail(long *pts, long tail, long n, long after)
{
	long m = tail;

	for (long p = n - SWEEP_TAIL + 1; p <= n + SWEEP_PAST; p++)
		if (p > after)
			pts[m++] = p;
	return m;
}

/*
 * The points to fail among a load's @n: all (CGSHARE_FAULT_POINTS=all),
 * or every one of the first SWEEP_HEAD and the last SWEEP_TAIL, and
 * between them one drawn in each of CGSHARE_FAULT_POINTS (default 16)
 * equal stretches, from CGSHARE_FAULT_SEED (printed); then, either way,
 * up to SWEEP_PAST points past @n. *tail is the index of the tail's
 * first point, which place_tail() moves to a load's count of the time
 * (the end of the array when every point is failed).
 */
static long pick_points(long n, long **out, bool *every, long *tail)
{
	const char *env = getenv("CGSHARE_FAULT_POINTS"), *senv = getenv("CGSHARE_FAULT_SEED");
	bool all = env && !strcmp(env, "all");
	long want = env && !all ? strtol(env, NULL, 0) : 16, m = 0, lo0, hi0;
	unsigned long seed = senv ? strtoul(senv, NULL, 0) : (unsigned long)now_ns() ^ getpid();
	long *k;

	if (all || want < 0 || SWEEP_HEAD + SWEEP_TAIL + want >= n)
		all = true;
	*every = all;
	k = calloc(n + SWEEP_PAST, sizeof(*k));
	if (!k)
		return 0;
	if (all) {
		for (m = 0; m < n + SWEEP_PAST; m++)
			k[m] = m + 1;
		ksft_print_msg("failing each of the %ld points in turn, and up to %d past them\n",
			       n, SWEEP_PAST);
		*out = k;
		*tail = m;
		return m;
	}
	srand48(seed);
	lo0 = SWEEP_HEAD + 1;
	hi0 = n - SWEEP_TAIL;
	for (long i = 1; i <= SWEEP_HEAD; i++)
		k[m++] = i;
	for (long i = 0; i < want; i++) {
		long lo = lo0 + i * (hi0 - lo0 + 1) / want, hi = lo0 + (i + 1) * (hi0 - lo0 + 1) / want - 1;

		k[m++] = lo + lrand48() % (hi - lo + 1);
	}
	*tail = m;
	m = place_tail(k, m, n, 0);
	ksft_print_msg("failing %ld of the %ld points: the first %d, the last %d, and one in each of %ld stretches between, and up to %d past them (replay: CGSHARE_FAULT_SEED=0x%lx CGSHARE_FAULT_POINTS=%ld; every point: CGSHARE_FAULT_POINTS=all)\n",
		       m - SWEEP_PAST, n, SWEEP_HEAD, SWEEP_TAIL, want, SWEEP_PAST, seed, want);
	*out = k;
	return m;
}

/* A failed point was seen on @path (a part of one "a > b > c"). */
static bool path_seen(const struct path_tally *t, int nt, const char *path)
{
	for (int i = 0; i < nt; i++)
		if (strstr(t[i].path, path))
			return true;
	return false;
}

/* What a failed load may not leave behind: the module, its family, its cache, its probes. */
static int half_state(bool slab_seen)
{
	const char *x = cgt_path("after-failed-load");
	struct nl nl;
	int bad = 0;
	char line[256];
	FILE *f;

	if (mod_present()) {
		ksft_print_msg("the module is there\n");
		bad++;
	}
	if (!nl_open(&nl)) {
		ksft_print_msg("the family is still registered\n");
		nl_close(&nl);
		bad++;
	}
	if (slab_seen && (f = fopen("/proc/slabinfo", "re"))) {
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "cgshare_rec ", 12)) {
				ksft_print_msg("its slab cache is still there\n");
				bad++;
			}
		fclose(f);
	}
	/* A probe left on cgroup_mkdir/rmdir would run freed code here. */
	if (cg_mkdir(x) || cg_rmdir(x)) {
		ksft_print_msg("cannot make and remove a cgroup\n");
		bad++;
	}
	return bad;
}

static bool slab_listed(void)
{
	FILE *f = fopen("/proc/slabinfo", "re");
	char line[256];
	bool seen = false;

	while (f && fgets(line, sizeof(line), f))
		seen |= !strncmp(line, "cgshare_rec ", 12);
	if (f)
		fclose(f);
	return seen;
}

#define SWEEP_MARK	"cgshare-selftest: provoked allocation failures"
#define CPU_PATH	"cgshare_init > cgshare_probes_register"
/*
 * Points move from load to load, early and late: one guest's counts
 * alternate between values about 22 apart (522, 544 and 526 in one
 * sweep), and the record cache's sysfs files and the family's
 * registration fail at points 79 and 80, 81 and 84 in the same sweep.
 * Failing each point once can then miss a step: the CPU probes, a load's
 * last points (a sweep with counts 523 and 521 failed none of theirs, its
 * point 519 being the kfunc set of a short load and 515-518 the spare
 * pool of long ones), or the lifetime probes (twice none in points
 * 82-240). So after the sweep, for each step still not failed, one point
 * of its stretch at a time, round and round, up to SWEEP_TRIES loads: a
 * shift passes, a registration that never fails with a dump still fails
 * the check.
 */
#define SWEEP_TRIES	40

/* A load sweep's image, tallies and verdicts. */
struct sweep {
	const void *img;
	size_t img_len;
	bool slab_seen, in_ledger;
	struct path_tally *paths;
	int np, failed, survived, beyond, bad;
	long tried;
	char last[528];		/* the last load's outcome and failed path */
};

/*
 * One load with its point @p failed, judged: a failed load must leave
 * nothing behind, one that got through its fault must answer. Sets *left
 * as load_nth() does.
 */
static enum load_res sweep_try(struct sweep *s, long p, long *left)
{
	char kmark[96], path[512];
	enum load_res r;
	struct nl nl;
	int err;

	s->tried++;
	snprintf(kmark, sizeof(kmark), "%s: point %ld", SWEEP_MARK, p);
	klog_mark(kmark);
	r = load_nth(s->img, s->img_len, p, left, &err);
	snprintf(s->last, sizeof(s->last), "%s",
		 r == LOAD_NO_FAULT ? "reached no fault" : "the load went wrong (said below)");
	if (r == LOAD_FAILED || r == LOAD_SURVIVED) {
		fault_path(kmark, path, sizeof(path));
		snprintf(s->last, sizeof(s->last), "%s: %s",
			 r == LOAD_FAILED ? "failed" : "survived", path);
		tally(s->paths, &s->np, SWEEP_MAXP, path, r == LOAD_FAILED, p);
		if (p == 1 && strstr(path, "cgshare_ledger_init"))
			s->in_ledger = true;
	}
	switch (r) {
	case LOAD_FAILED:
		s->failed++;
		if (half_state(s->slab_seen)) {
			ksft_print_msg("FAIL point %ld (%s): the failed load left the above\n", p, path);
			s->bad++;
			if (mod_present())
				mod_rmmod(5);
		}
		break;
	case LOAD_SURVIVED:
	case LOAD_NO_FAULT:
		if (r == LOAD_SURVIVED)
			s->survived++;
		else
			s->beyond++;	/* and then its last point */
		if (!mod_present() || nl_open(&nl)) {
			ksft_print_msg("FAIL point %ld: the load worked but the module does not answer\n",
				       p);
			s->bad++;
		} else {
			if (!has_record(&nl, "/"))
				s->bad++;
			nl_close(&nl);
		}
		if (mod_rmmod(10))
			s->bad++;
		break;
	case LOAD_BAD:
		ksft_print_msg("FAIL point %ld: the load failed (%s) with no fault injected\n",
			       p, strerror(err));
		s->bad++;
		break;
	case LOAD_DIED:
		ksft_print_msg("FAIL point %ld: the loading process died\n", p);
		s->bad++;
		break;
	}
	return r;
}

/* How many points a load with no fault reaches now, or -1 (said). */
static long sweep_count(struct sweep *s, const char *when)
{
	long left;
	int err;

	if (load_nth(s->img, s->img_len, 1000000, &left, &err) != LOAD_NO_FAULT) {
		ksft_print_msg("FAIL a load with no fault %s: %s\n", when, strerror(err));
		s->bad++;
		return -1;
	}
	if (mod_rmmod(10))
		s->bad++;
	return 1000000 - left;
}

/*
 * Until a point of @path has failed: points @lo to @hi in turn, counted
 * from a load's start, or from its end (a count before each) when
 * @from_end.
 */
static void sweep_until(struct sweep *s, const char *path, const char *what,
			bool from_end, long lo, long hi)
{
	long left, base = 0, p;

	for (int t = 0; s->bad <= 5 && t < SWEEP_TRIES && !path_seen(s->paths, s->np, path); t++) {
		if (from_end && (base = sweep_count(s, "at the end")) < 0)
			return;
		if (!t)
			ksft_print_msg("no point of %s failed yet: going on, points %ld to %ld%s in turn, up to %d loads\n",
				       what, lo, hi, from_end ? " from a load's end" : "", SWEEP_TRIES);
		p = base + lo + t % (hi - lo + 1);
		sweep_try(s, p, &left);
		/* each try said, so that a miss shows what the points were */
		ksft_print_msg("  try %d, point %ld: %s\n", t + 1, p, s->last);
		if (path_seen(s->paths, s->np, path))
			ksft_print_msg("%s failed at point %ld, try %d\n", what, p, t + 1);
	}
}

/*
 * insmod with its k-th fault point failed (/proc/thread-self/fail-nth),
 * counting only the points reached from the module's own code (its
 * init and what that calls), for the points pick_points() chooses.
 * A load that fails must leave nothing behind (half_state()); a load that
 * gets through its fault must work; each failed point's path (from its
 * stack dump) is listed. kmemleak scans after the test file.
 */
static int test_load_sweep(void)
{
	struct sweep s = { .paths = calloc(SWEEP_MAXP, sizeof(*s.paths)) };
	long n, n0, n_end, left, m = 0, *pts = NULL, tail = 0;
	unsigned long text_end;
	void *img = NULL;
	size_t img_len = 0;
	bool every = false;
	char kmark[96];
	struct nl nl;
	int err;

	BEGIN(&nl);
	nl_close(&nl);
	if (access("/proc/self/fail-nth", F_OK))
		SKIP("the kernel has no /proc/self/fail-nth");
	if (access(FAIL_SLAB "/require-start", F_OK))
		SKIP("the kernel has no fault stack filter (CONFIG_FAULT_INJECTION_STACKTRACE_FILTER)");
	text_end = kernel_end();
	if (!text_end)
		SKIP("no _end address in /proc/kallsyms");
	s.slab_seen = slab_listed();
	/* init_module() copies the image with __GFP_NOWARN; finit_module() reads it without. */
	CHECK(expect_ok("read the module file", read_image(&img, &img_len)));
	s.img = img;
	s.img_len = img_len;
	CHECK(expect_ok("rmmod", mod_rmmod(10)));
	snprintf(kmark, sizeof(kmark), "%s begin", SWEEP_MARK);
	klog_mark(kmark);
	sweep_attrs(true, text_end);

	/* A load with no fault: how many points it counts. */
	if (load_nth(img, img_len, 1000000, &left, &err) != LOAD_NO_FAULT) {
		ksft_print_msg("a load with no fault failed: %s\n", strerror(err));
		s.bad++;
		goto done;
	}
	n = n0 = 1000000 - left;
	ksft_print_msg("a load reaches %ld fault points from the module's code\n", n);
	CHECK(expect_true(mod_present(), "the module after a load with no fault"));
	if (!s.slab_seen)
		s.slab_seen = slab_listed();
	CHECK(expect_ok("rmmod", mod_rmmod(10)));
	m = pick_points(n, &pts, &every, &tail);

	for (long i = 0; i < m; i++) {
		enum load_res r;

		/* The tail, from where a load ends now. */
		if (!every && i == tail) {
			n = sweep_count(&s, "before the tail");
			if (n < 0)
				break;
			m = place_tail(pts, tail, n, i ? pts[i - 1] : 0);
			ksft_print_msg("a load reaches %ld fault points before the tail (%ld at first): failing points %ld to %ld and up to %d past them\n",
				       n, n0, i < m ? pts[i] : n, n, SWEEP_PAST);
			if (i >= m)
				break;
		}
		r = sweep_try(&s, pts[i], &left);
		if (s.bad > 5)
			break;
		/* Past the count, the first load that reaches no fault ends the sweep. */
		if (r == LOAD_NO_FAULT && pts[i] > n)
			break;
		/* Loads differ by a few points (a per-CPU chunk, a node): the last one reached instead. */
		if (r == LOAD_NO_FAULT && pts[i] - left >= 1 && (!i || pts[i] - left > pts[i - 1])) {
			pts[i] -= left;
			i--;
		}
	}
	/* The steps a shift of the points may have hidden. */
	sweep_until(&s, LIFETIME_PATH, "the lifetime probes", false, SWEEP_HEAD - 40, SWEEP_HEAD);
	sweep_until(&s, CPU_PATH, "the CPU probes", true, -10, -3);
	/*
	 * How far a load reaches now, against the counts the head and the
	 * tail were placed from.
	 */
	if (s.bad <= 5 && (n_end = sweep_count(&s, "after the sweep")) >= 0)
		ksft_print_msg("a load after the sweep reaches %ld fault points (%ld before it, %ld before the tail)\n",
			       n_end, n0, n);
done:
	sweep_attrs(false, 0);
	snprintf(kmark, sizeof(kmark), "%s end", SWEEP_MARK);
	klog_mark(kmark);
	for (int i = 0; i < s.np; i++)
		ksft_print_msg("  %3d failed, %3d survived (first at point %ld): %s\n",
			       s.paths[i].failed, s.paths[i].survived, s.paths[i].first,
			       s.paths[i].path);
	ksft_print_msg("%ld loads with a point failed: %d failed cleanly, %d worked around their fault, %d reached no fault; %d paths\n",
		       s.tried, s.failed, s.survived, s.beyond, s.np);
	CHECK(expect_eq("loads that went wrong", s.bad, 0));
	CHECK(expect_ge("loads that failed cleanly", s.failed, 1));
	CHECK(expect_true(s.in_ledger, "the first point is in cgshare_ledger_init"));
	/*
	 * The init ladder's steps that allocate, each made to fail (the family
	 * and the CPU probes are registered by tail calls: no frame of their
	 * own step).
	 */
	CHECK(expect_true(path_seen(s.paths, s.np, "cgshare_init > genl_register_family"),
			  "a point in the family's registration"));
	CHECK(expect_true(path_seen(s.paths, s.np, LIFETIME_PATH),
			  "a point in the lifetime probes"));
	CHECK(expect_true(path_seen(s.paths, s.np, CPU_PATH), "a point in the CPU probes"));
	CHECK(expect_ok("insmod after the sweep", mod_insmod(NULL)));
	CHECK(expect_ok("open after the sweep", nl_open(&nl)));
	CHECK(expect_true(has_record(&nl, "/"), "the module answers"));
	nl_close(&nl);
	free(pts);
	free(s.paths);
	free(img);
	return KSFT_PASS;
cleanup:
	sweep_attrs(false, 0);
	free(pts);
	free(s.paths);
	free(img);
	if (!mod_present())
		mod_insmod(NULL);
	return KSFT_FAIL;
}

static const struct cgt_case cases[] = {
	{ "fault_record_deferred", test_record_deferred },
	{ "fault_record_percpu", test_record_percpu },
	{ "fault_record_worker_retries", test_worker_retries },
	{ "fault_pool_refill", test_pool_refill },
	{ "fault_gpu_table", test_gpu_table },
	{ "fault_reply_and_path", test_replies },
	{ "fault_notify", test_notify },
	{ "fault_dump_skb", test_dump_skb },
	{ "fault_load_sweep", test_load_sweep, 3600 },
};

int main(int argc, char **argv)
{
	return cgt_main(argc, argv, cases, ARRAY_SIZE(cases));
}
