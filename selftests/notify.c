// SPDX-License-Identifier: GPL-2.0
/* The notify group: one cgroup-release event, with final counters, per rmdir. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgtest.h"

struct want {
	u64 id;
	struct cg_rec *r;
	int seen, others;
};

static int release_cb(const struct nlmsghdr *nlh, void *arg)
{
	static struct cg_rec tmp;
	struct want *w = arg;
	int ret = cg_rec_parse(nlh, &tmp);

	if (ret)
		return ret;
	if (tmp.cmd != CGSHARE_CMD_CGROUP_RELEASE) {
		ksft_print_msg("FAIL notification with cmd %u, want %u\n",
			       tmp.cmd, CGSHARE_CMD_CGROUP_RELEASE);
		return -EPROTO;
	}
	if (REC_ID(&tmp) != w->id) {
		w->others++;
		return 0;
	}
	if (!w->seen++ && w->r)
		memcpy(w->r, &tmp, sizeof(tmp));
	return 0;
}

/* Collect events for w->id for ms milliseconds (or until the first one). */
static int wait_release(struct nl *nl, struct want *w, int ms, bool first)
{
	u64 end = now_ns() + (u64)ms * MSEC;

	while (now_ns() < end) {
		int left = (int)((end - now_ns()) / MSEC) + 1;
		int ret = nl_recv_one(nl, left, release_cb, w);

		if (ret < 0)
			return ret;
		if (first && w->seen)
			break;
	}
	return 0;
}

static int get(struct nl *nl, const char *rel, struct cg_rec *r)
{
	struct ack ack;
	int ret = cgs_get_path(nl, rel, r, &ack);

	if (ret)
		ack_print(rel, &ack);
	return ret;
}

/*
 *   top
 *   └── n
 *       └── leaf   8 MiB allocated and freed, 1 s CPU hog; then rmdir
 *
 * One cgroup-release arrives for leaf, with its id, its path, n as parent
 * and counters at least those of the last read (and, nothing having run
 * since, within 1 % of them); no second event for it follows.
 */
static int test_release(void)
{
	const char *n = cgt_path("n"), *leaf = cgt_path("n/leaf");
	struct cg_rec *last = malloc(sizeof(*last)), *ev = malloc(sizeof(*ev));
	struct hog h = { .cpu_s = 1.0, .cpu = -1 };
	struct alloc a = { .bytes = 8 * MIB };
	struct want w = { .r = ev };
	bool mem;
	struct nl nl, sub;
	pid_t pid;
	int ret = KSFT_FAIL;

	NL_OPEN(&nl);
	NL_OPEN(&sub);
	CHECK(expect_ok("subscribe to notify", nl_subscribe(&sub)));
	CHECK(!cg_mkdir(n) && !cg_enable_all(n) && !cg_mkdir(leaf));
	mem = cg_has_ctrl(leaf, "memory");
	w.id = cg_id(leaf);
	CHECK((pid = alloc_start(leaf, &a)) > 0);
	CHECK(expect_ok("allocator", alloc_wait_ready(&a, 60000)));
	CHECK(expect_eq("allocator exit", alloc_finish(pid, &a), 0));
	CHECK(expect_eq("hog exit", cg_wait(cg_run(leaf, hog_fn, &h)), 0));
	CHECK(!get(&nl, leaf, last));
	CHECK(!cg_rmdir(leaf));
	CHECK(expect_ok("receive", wait_release(&sub, &w, 5000, true)));
	CHECK(expect_eq("release events for leaf within 5 s", w.seen, 1));
	CHECK(expect_eq("event id", REC_ID(ev), w.id));
	if (!expect_true(!strcmp(ev->path, leaf), "event path")) {
		ksft_print_msg("want %s, got %s\n", leaf, ev->path);
		goto cleanup;
	}
	CHECK(expect_true(REC_HAS(ev, PARENT_ID), "event has parent-id"));
	CHECK(expect_eq("event parent-id", REC(ev, PARENT_ID), cg_id(n)));
	CHECK(expect_ge("event cpu-usage-ns", REC(ev, CPU_USAGE_NS),
			REC(last, CPU_USAGE_NS)));
	CHECK(expect_near("event cpu-usage-ns vs last read", REC(ev, CPU_USAGE_NS),
			  REC(last, CPU_USAGE_NS), 1.0, MSEC));
	CHECK(expect_ge("event cpu-usage-ns of a 1 s hog", REC(ev, CPU_USAGE_NS),
			950 * MSEC));
	CHECK(expect_ge("event cpu-wait-ns", REC(ev, CPU_WAIT_NS),
			REC(last, CPU_WAIT_NS)));
	CHECK(expect_ge("event cpu-switches", REC(ev, CPU_SWITCHES),
			REC(last, CPU_SWITCHES)));
	if (mem) {
		CHECK(expect_true(REC_HAS(ev, MEM_PEAK), "event has mem-peak"));
		CHECK(expect_ge("event mem-peak", REC(ev, MEM_PEAK),
				REC(last, MEM_PEAK)));
		CHECK(expect_ge("event mem-peak after 8 MiB", REC(ev, MEM_PEAK),
				8 * MIB));
	}
	CHECK(expect_ok("receive", wait_release(&sub, &w, 1000, false)));
	CHECK(expect_eq("release events for leaf after 1 more second", w.seen, 1));
	ret = KSFT_PASS;
cleanup:
	free(last);
	free(ev);
	nl_close(&sub);
	nl_close(&nl);
	return ret;
}

/*
 *   top
 *   └── p
 *       ├── c1    hog 0.3 s
 *       └── c2    hog 0.3 s; c1, c2, then p removed
 *
 * Three events, one per cgroup; p's parent is top, and p's final usage
 * includes both children's.
 */
static int test_release_tree(void)
{
	const char *p = cgt_path("p"), *c1 = cgt_path("p/c1"), *c2 = cgt_path("p/c2");
	struct cg_rec *e1 = malloc(sizeof(*e1)), *e2 = malloc(sizeof(*e2)),
		      *ep = malloc(sizeof(*ep));
	struct want w1 = { .r = e1 }, w2 = { .r = e2 }, wp = { .r = ep };
	struct hog h = { .cpu_s = 0.3, .cpu = -1 };
	struct nl sub;
	int ret = KSFT_FAIL;

	NL_OPEN(&sub);
	CHECK(expect_ok("subscribe to notify", nl_subscribe(&sub)));
	CHECK(!cg_mkdir(p) && !cg_mkdir(c1) && !cg_mkdir(c2));
	w1.id = cg_id(c1);
	w2.id = cg_id(c2);
	wp.id = cg_id(p);
	CHECK(expect_eq("hog exit", cg_wait(cg_run(c1, hog_fn, &h)), 0));
	CHECK(expect_eq("hog exit", cg_wait(cg_run(c2, hog_fn, &h)), 0));
	CHECK(!cg_rmdir(c1));
	CHECK(expect_ok("receive c1", wait_release(&sub, &w1, 5000, true)));
	CHECK(!cg_rmdir(c2));
	CHECK(expect_ok("receive c2", wait_release(&sub, &w2, 5000, true)));
	CHECK(!cg_rmdir(p));
	CHECK(expect_ok("receive p", wait_release(&sub, &wp, 5000, true)));
	CHECK(expect_eq("events for c1", w1.seen, 1));
	CHECK(expect_eq("events for c2", w2.seen, 1));
	CHECK(expect_eq("events for p", wp.seen, 1));
	CHECK(expect_eq("c1 parent-id", REC(e1, PARENT_ID), wp.id));
	CHECK(expect_eq("p parent-id", REC(ep, PARENT_ID), cg_id(cgt_top())));
	CHECK(expect_ge("p usage vs c1 + c2", REC(ep, CPU_USAGE_NS),
			REC(e1, CPU_USAGE_NS) + REC(e2, CPU_USAGE_NS)));
	CHECK(expect_ge("c1 usage of a 0.3 s hog", REC(e1, CPU_USAGE_NS),
			280 * MSEC));
	ret = KSFT_PASS;
cleanup:
	free(e1);
	free(e2);
	free(ep);
	nl_close(&sub);
	return ret;
}

/* Child in a new netns (and optionally a cgroup ns): count leaf's events. */
struct listener {
	int ready[2];
	u64 id;
	const char *expect_path;	/* NULL: expect no event */
	bool newnet;
	const char *cgns_root;		/* enter and unshare, if set */
};

static int listener_child(struct listener *l)
{
	struct cg_rec *ev = malloc(sizeof(*ev));
	struct want w = { .id = l->id, .r = ev };
	struct nl sub;
	char c = 1;
	int err;

	if (l->cgns_root && (cg_enter(l->cgns_root, 0) ||
			     unshare(CLONE_NEWCGROUP))) {
		ksft_print_msg("cgroup namespace: %s\n", strerror(errno));
		return KSFT_FAIL;
	}
	if (l->newnet && unshare(CLONE_NEWNET)) {
		ksft_print_msg("unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return KSFT_FAIL;
	}
	err = nl_open(&sub);
	if (err == -ENOENT && l->newnet) {
		ksft_print_msg("family not visible in a new netns: no events possible there\n");
		(void)!write(l->ready[1], &c, 1);
		return KSFT_PASS;
	}
	if (!expect_ok("open family in the child", err) ||
	    !expect_ok("subscribe", nl_subscribe(&sub)))
		return KSFT_FAIL;
	(void)!write(l->ready[1], &c, 1);
	if (!expect_ok("receive", wait_release(&sub, &w, 3000, false)))
		return KSFT_FAIL;
	if (!l->expect_path)
		return expect_eq("events seen in the other netns", w.seen, 0) ?
		       KSFT_PASS : KSFT_FAIL;
	if (!expect_eq("events seen", w.seen, 1))
		return KSFT_FAIL;
	if (strcmp(ev->path, l->expect_path)) {
		ksft_print_msg("FAIL event path: want %s, got %s\n",
			       l->expect_path, ev->path);
		return KSFT_FAIL;
	}
	return KSFT_PASS;
}

static int run_listener(struct listener *l, const char *victim)
{
	struct cg_rec *ev = malloc(sizeof(*ev));
	struct want w = { .id = l->id, .r = ev };
	struct nl sub;
	pid_t pid;
	char c;
	int ret = KSFT_FAIL;

	NL_OPEN(&sub);
	CHECK(expect_ok("subscribe", nl_subscribe(&sub)));
	CHECK(!pipe(l->ready));
	fflush(stdout);
	pid = fork();
	if (!pid)
		_exit(listener_child(l));
	close(l->ready[1]);
	CHECK(expect_true(read(l->ready[0], &c, 1) == 1, "listener ready"));
	CHECK(!cg_rmdir(victim));
	CHECK(expect_ok("receive in the initial netns",
			wait_release(&sub, &w, 5000, true)));
	CHECK(expect_eq("events in the initial netns", w.seen, 1));
	CHECK(expect_eq("listener", cg_wait(pid), KSFT_PASS));
	ret = KSFT_PASS;
cleanup:
	free(ev);
	nl_close(&sub);
	return ret;
}

/*
 *   top
 *   └── v     removed while a listener in a new network namespace waits
 *
 * Events go to the initial network namespace only.
 */
static int test_release_netns(void)
{
	const char *v = cgt_path("v");
	struct listener l = { .newnet = true };

	if (cg_mkdir(v))
		return KSFT_FAIL;
	l.id = cg_id(v);
	return run_listener(&l, v);
}

/*
 *   top
 *   └── ns        the listener's cgroup namespace root
 *       └── leaf  removed
 *
 * The listener, inside a cgroup namespace, sees the path relative to the
 * initial cgroup namespace.
 */
static int test_release_cgns_path(void)
{
	const char *ns = cgt_path("ns"), *leaf = cgt_path("ns/leaf");
	struct listener l = { .expect_path = leaf, .cgns_root = ns };

	if (cg_mkdir(ns) || cg_mkdir(leaf))
		return KSFT_FAIL;
	l.id = cg_id(leaf);
	return run_listener(&l, leaf);
}

static const struct cgt_case cases[] = {
	{ "release_final_counters", test_release },
	{ "release_tree", test_release_tree },
	{ "release_initial_netns_only", test_release_netns },
	{ "release_path_from_cgroupns", test_release_cgns_path },
};

int main(int argc, char **argv)
{
	return cgt_main(argc, argv, cases, ARRAY_SIZE(cases));
}
